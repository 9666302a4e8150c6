package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
)

// pages reads every page of a list with the given limit and checks the
// paging contract: every page but the last is full, every page reports the
// same total, the last page's cursor is "". It returns the items in order.
func pages[T any](t *testing.T, s zhengzhao.Store, limit int, list func(tx zhengzhao.ReadTx, p zhengzhao.Page) ([]T, int, string, error)) (items []T, total int) {
	t.Helper()
	cursor := ""
	for n := 0; ; n++ {
		if n > 1000 {
			t.Fatalf("more than 1000 pages: the cursor does not advance")
		}
		var (
			page []T
			tot  int
			next string
		)
		view(t, s, func(tx zhengzhao.ReadTx) error {
			var err error
			page, tot, next, err = list(tx, zhengzhao.Page{Limit: limit, Cursor: cursor})
			return err
		})
		if n == 0 {
			total = tot
		} else if tot != total {
			t.Fatalf("page %d: total %d, first page said %d", n, tot, total)
		}
		if len(page) > limit {
			t.Fatalf("page %d: %d items, limit %d", n, len(page), limit)
		}
		items = append(items, page...)
		if next == "" {
			break
		}
		if len(page) != limit {
			t.Fatalf("page %d: %d items and a next cursor; want a full page of %d", n, len(page), limit)
		}
		if next == cursor {
			t.Fatalf("page %d: next cursor %q repeats the current one", n, next)
		}
		cursor = next
	}
	if len(items) != total {
		t.Fatalf("pages hold %d items, total says %d", len(items), total)
	}
	return items, total
}

var unitTests = []test{
	{"CreateFind", func(t *testing.T, s zhengzhao.Store) {
		want := newUnit(1, zhengzhao.RoleIssuer, zhengzhao.RoleUser)
		update(t, s, func(tx zhengzhao.Tx) error {
			if err := tx.CreateUnit(want); err != nil {
				return err
			}
			got, err := tx.FindUnitByCode(want.Code)
			if err != nil {
				t.Errorf("FindUnitByCode in the creating transaction: %v", err)
			} else if d := diff(want, got); d != "" {
				t.Errorf("in the creating transaction (-want +got):\n%s", d)
			}
			return nil
		})
		view(t, s, func(tx zhengzhao.ReadTx) error {
			got, err := tx.FindUnitByCode(want.Code)
			if err != nil {
				return err
			}
			if d := diff(want, got); d != "" {
				t.Errorf("FindUnitByCode (-want +got):\n%s", d)
			}
			return nil
		})
	}},
	{"Conflict", func(t *testing.T, s zhengzhao.Store) {
		u := newUnit(1)
		update(t, s, func(tx zhengzhao.Tx) error { return tx.CreateUnit(u) })
		other := newUnit(2, zhengzhao.RoleSocial)
		other.Code = u.Code
		err := s.Update(t.Context(), func(tx zhengzhao.Tx) error { return tx.CreateUnit(other) })
		wantCode(t, err, zhengzhao.ECONFLICT)
		view(t, s, func(tx zhengzhao.ReadTx) error {
			got, err := tx.FindUnitByCode(u.Code)
			if err != nil {
				return err
			}
			if d := diff(u, got); d != "" {
				t.Errorf("the conflicting create changed the unit (-want +got):\n%s", d)
			}
			return nil
		})
	}},
	{"NotFound", func(t *testing.T, s zhengzhao.Store) {
		var err error
		view(t, s, func(tx zhengzhao.ReadTx) error {
			_, err = tx.FindUnitByCode(uscc(404))
			return nil
		})
		wantCode(t, err, zhengzhao.ENOTFOUND)
	}},
	{"Find", func(t *testing.T, s zhengzhao.Store) {
		units := []*zhengzhao.Unit{
			newUnit(5, zhengzhao.RoleIssuer),
			newUnit(3, zhengzhao.RoleUser),
			newUnit(4, zhengzhao.RoleIssuer, zhengzhao.RoleUser),
			newUnit(1, zhengzhao.RoleSocial),
			newUnit(2, zhengzhao.RoleIssuer),
		}
		update(t, s, func(tx zhengzhao.Tx) error {
			for _, u := range units {
				if err := tx.CreateUnit(u); err != nil {
					return err
				}
			}
			return nil
		})
		codes := func(us []*zhengzhao.Unit) []string {
			var out []string
			for _, u := range us {
				out = append(out, u.Code)
			}
			slices.Sort(out)
			return out
		}
		tests := []struct {
			name string
			f    zhengzhao.UnitFilter
			want []*zhengzhao.Unit
		}{
			{"all", zhengzhao.UnitFilter{}, units},
			{"code", zhengzhao.UnitFilter{Code: ptr(units[2].Code)}, units[2:3]},
			{"code/none", zhengzhao.UnitFilter{Code: ptr(uscc(404))}, nil},
			{"role/issuer", zhengzhao.UnitFilter{Role: ptr(zhengzhao.RoleIssuer)}, []*zhengzhao.Unit{units[0], units[2], units[4]}},
			{"role/user", zhengzhao.UnitFilter{Role: ptr(zhengzhao.RoleUser)}, []*zhengzhao.Unit{units[1], units[2]}},
			{"role/social", zhengzhao.UnitFilter{Role: ptr(zhengzhao.RoleSocial)}, units[3:4]},
			{"code+role/miss", zhengzhao.UnitFilter{Code: ptr(units[1].Code), Role: ptr(zhengzhao.RoleIssuer)}, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				view(t, s, func(tx zhengzhao.ReadTx) error {
					got, total, cursor, err := tx.FindUnits(tt.f)
					if err != nil {
						return err
					}
					if d := diff(codes(tt.want), codes(got)); d != "" {
						t.Errorf("codes (-want +got):\n%s", d)
					}
					if total != len(tt.want) || cursor != "" {
						t.Errorf("total %d, cursor %q; want %d, \"\"", total, cursor, len(tt.want))
					}
					return nil
				})
			})
		}
		t.Run("objects", func(t *testing.T) {
			view(t, s, func(tx zhengzhao.ReadTx) error {
				got, _, _, err := tx.FindUnits(zhengzhao.UnitFilter{})
				if err != nil {
					return err
				}
				byCode := map[string]*zhengzhao.Unit{}
				for _, u := range got {
					byCode[u.Code] = u
				}
				for _, u := range units {
					if d := diff(u, byCode[u.Code]); d != "" {
						t.Errorf("unit %s (-want +got):\n%s", u.Code, d)
					}
				}
				return nil
			})
		})
		t.Run("pages", func(t *testing.T) {
			for _, limit := range []int{1, 2, 5, 6} {
				got, total := pages(t, s, limit, func(tx zhengzhao.ReadTx, p zhengzhao.Page) ([]*zhengzhao.Unit, int, string, error) {
					return tx.FindUnits(zhengzhao.UnitFilter{Page: p})
				})
				if total != len(units) {
					t.Errorf("limit %d: total %d, want %d", limit, total, len(units))
				}
				if d := diff(codes(units), codes(got)); d != "" {
					t.Errorf("limit %d: pages do not visit every unit once (-want +got):\n%s", limit, d)
				}
			}
			got, _ := pages(t, s, 1, func(tx zhengzhao.ReadTx, p zhengzhao.Page) ([]*zhengzhao.Unit, int, string, error) {
				return tx.FindUnits(zhengzhao.UnitFilter{Role: ptr(zhengzhao.RoleIssuer), Page: p})
			})
			if d := diff(codes([]*zhengzhao.Unit{units[0], units[2], units[4]}), codes(got)); d != "" {
				t.Errorf("filtered pages (-want +got):\n%s", d)
			}
		})
		t.Run("badCursor", func(t *testing.T) {
			var err error
			view(t, s, func(tx zhengzhao.ReadTx) error {
				_, _, _, err = tx.FindUnits(zhengzhao.UnitFilter{Page: zhengzhao.Page{Cursor: "not a cursor!"}})
				return nil
			})
			wantCode(t, err, zhengzhao.EINVALID)
		})
	}},
}

var unitKeyTests = []test{
	{"CreateFind", func(t *testing.T, s zhengzhao.Store) {
		u := newUnit(1)
		keys := []*zhengzhao.UnitKey{
			{ID: "key-1", Unit: u.Code, Hash: []byte("0123456789abcdef0123456789abcdef"), CreatedAt: at(time.Minute)},
			{ID: "key-2", Unit: u.Code, Hash: []byte{0, 1, 2, 255, 254, 0}, CreatedAt: at(2 * time.Minute), RevokedAt: ptr(at(time.Hour))},
		}
		update(t, s, func(tx zhengzhao.Tx) error {
			if err := tx.CreateUnit(u); err != nil {
				return err
			}
			for _, k := range keys {
				if err := tx.CreateUnitKey(k); err != nil {
					return err
				}
			}
			return nil
		})
		view(t, s, func(tx zhengzhao.ReadTx) error {
			for _, want := range keys {
				got, err := tx.FindUnitKeyByHash(want.Hash)
				if err != nil {
					t.Errorf("FindUnitKeyByHash(%x): %v", want.Hash, err)
					continue
				}
				if d := diff(want, got); d != "" {
					t.Errorf("key %s (-want +got):\n%s", want.ID, d)
				}
			}
			return nil
		})
	}},
	{"Conflict", func(t *testing.T, s zhengzhao.Store) {
		u := newUnit(1)
		k := &zhengzhao.UnitKey{ID: "key-1", Unit: u.Code, Hash: []byte("hash-1"), CreatedAt: t0}
		update(t, s, func(tx zhengzhao.Tx) error {
			if err := tx.CreateUnit(u); err != nil {
				return err
			}
			return tx.CreateUnitKey(k)
		})
		t.Run("sameID", func(t *testing.T) {
			err := s.Update(t.Context(), func(tx zhengzhao.Tx) error {
				return tx.CreateUnitKey(&zhengzhao.UnitKey{ID: k.ID, Unit: u.Code, Hash: []byte("hash-2"), CreatedAt: t0})
			})
			wantCode(t, err, zhengzhao.ECONFLICT)
		})
		t.Run("sameHash", func(t *testing.T) {
			err := s.Update(t.Context(), func(tx zhengzhao.Tx) error {
				return tx.CreateUnitKey(&zhengzhao.UnitKey{ID: "key-3", Unit: u.Code, Hash: k.Hash, CreatedAt: t0})
			})
			wantCode(t, err, zhengzhao.ECONFLICT)
		})
	}},
	{"NotFound", func(t *testing.T, s zhengzhao.Store) {
		var err error
		view(t, s, func(tx zhengzhao.ReadTx) error {
			_, err = tx.FindUnitKeyByHash([]byte("no such hash"))
			return nil
		})
		wantCode(t, err, zhengzhao.ENOTFOUND)
	}},
}

func newSigningKey(kid string, unit string, created time.Time, active bool) *zhengzhao.SigningKey {
	return &zhengzhao.SigningKey{
		KID:        kid,
		Unit:       unit,
		Alg:        zhengzhao.AlgSM2SM3,
		CertPEM:    "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU" + kid + "\n-----END CERTIFICATE-----\n",
		PrivateKey: []byte{0x30, 0x81, 0x00, 0xff, 0x7f, byte(len(kid))},
		NotBefore:  created,
		NotAfter:   created.AddDate(2, 0, 0),
		CreatedAt:  created,
		Active:     active,
	}
}

var signingKeyTests = []test{
	{"CreateFind", func(t *testing.T, s zhengzhao.Store) {
		u := newUnit(1)
		want := newSigningKey("kid-1", u.Code, t0, true)
		update(t, s, func(tx zhengzhao.Tx) error {
			if err := tx.CreateUnit(u); err != nil {
				return err
			}
			return tx.CreateSigningKey(want)
		})
		view(t, s, func(tx zhengzhao.ReadTx) error {
			got, err := tx.FindSigningKeyByKID(want.KID)
			if err != nil {
				return err
			}
			if d := diff(want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
			return nil
		})
		var err error
		view(t, s, func(tx zhengzhao.ReadTx) error {
			_, err = tx.FindSigningKeyByKID("kid-404")
			return nil
		})
		wantCode(t, err, zhengzhao.ENOTFOUND)
		err = s.Update(t.Context(), func(tx zhengzhao.Tx) error {
			return tx.CreateSigningKey(newSigningKey(want.KID, u.Code, at(time.Hour), false))
		})
		wantCode(t, err, zhengzhao.ECONFLICT)
	}},
	{"FindDeactivate", func(t *testing.T, s zhengzhao.Store) {
		a, b := newUnit(1), newUnit(2)
		// Stored out of age order: listing is by CreatedAt.
		keys := []*zhengzhao.SigningKey{
			newSigningKey("kid-a2", a.Code, at(2*time.Hour), true),
			newSigningKey("kid-b1", b.Code, at(90*time.Minute), true),
			newSigningKey("kid-a1", a.Code, at(time.Hour), false),
			newSigningKey("kid-a3", a.Code, at(3*time.Hour), true),
			newSigningKey("kid-b0", b.Code, at(30*time.Minute), false),
		}
		update(t, s, func(tx zhengzhao.Tx) error {
			for _, u := range []*zhengzhao.Unit{a, b} {
				if err := tx.CreateUnit(u); err != nil {
					return err
				}
			}
			for _, k := range keys {
				if err := tx.CreateSigningKey(k); err != nil {
					return err
				}
			}
			return nil
		})
		find := func(t *testing.T, f zhengzhao.SigningKeyFilter) []string {
			t.Helper()
			var got []*zhengzhao.SigningKey
			view(t, s, func(tx zhengzhao.ReadTx) error {
				var err error
				got, err = tx.FindSigningKeys(f)
				return err
			})
			var kids []string
			for _, k := range got {
				kids = append(kids, k.KID)
			}
			return kids
		}
		tests := []struct {
			name string
			f    zhengzhao.SigningKeyFilter
			want []string
		}{
			{"all", zhengzhao.SigningKeyFilter{}, []string{"kid-b0", "kid-a1", "kid-b1", "kid-a2", "kid-a3"}},
			{"active", zhengzhao.SigningKeyFilter{ActiveOnly: true}, []string{"kid-b1", "kid-a2", "kid-a3"}},
			{"unit", zhengzhao.SigningKeyFilter{Unit: &a.Code}, []string{"kid-a1", "kid-a2", "kid-a3"}},
			{"unit+active", zhengzhao.SigningKeyFilter{Unit: &b.Code, ActiveOnly: true}, []string{"kid-b1"}},
			{"unit/none", zhengzhao.SigningKeyFilter{Unit: ptr(uscc(404))}, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if d := diff(tt.want, find(t, tt.f)); d != "" {
					t.Errorf("oldest first (-want +got):\n%s", d)
				}
			})
		}
		t.Run("objects", func(t *testing.T) {
			view(t, s, func(tx zhengzhao.ReadTx) error {
				got, err := tx.FindSigningKeys(zhengzhao.SigningKeyFilter{Unit: &b.Code})
				if err != nil {
					return err
				}
				if d := diff([]*zhengzhao.SigningKey{keys[4], keys[1]}, got); d != "" {
					t.Errorf("(-want +got):\n%s", d)
				}
				return nil
			})
		})
		t.Run("deactivate", func(t *testing.T) {
			update(t, s, func(tx zhengzhao.Tx) error { return tx.DeactivateSigningKeys(a.Code) })
			if d := diff([]string{"kid-b1"}, find(t, zhengzhao.SigningKeyFilter{ActiveOnly: true})); d != "" {
				t.Errorf("active keys after deactivating unit a (-want +got):\n%s", d)
			}
			if d := diff([]string{"kid-a1", "kid-a2", "kid-a3"}, find(t, zhengzhao.SigningKeyFilter{Unit: &a.Code})); d != "" {
				t.Errorf("deactivated keys must stay listed (-want +got):\n%s", d)
			}
			view(t, s, func(tx zhengzhao.ReadTx) error {
				k, err := tx.FindSigningKeyByKID("kid-a3")
				if err != nil {
					return err
				}
				want := *keys[3]
				want.Active = false
				if d := diff(&want, k); d != "" {
					t.Errorf("deactivation changed more than Active (-want +got):\n%s", d)
				}
				return nil
			})
			update(t, s, func(tx zhengzhao.Tx) error { return tx.DeactivateSigningKeys(uscc(404)) })
		})
	}},
}

var licenseTypeTests = []test{
	{"CreateFind", func(t *testing.T, s zhengzhao.Store) {
		want := newLicenseType(typeCode(1, 1), uscc(2), uscc(3))
		want.Public = false
		update(t, s, func(tx zhengzhao.Tx) error { return tx.CreateLicenseType(want) })
		view(t, s, func(tx zhengzhao.ReadTx) error {
			got, err := tx.FindLicenseTypeByCode(want.Code)
			if err != nil {
				return err
			}
			if d := diff(want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
			return nil
		})
		var err error
		view(t, s, func(tx zhengzhao.ReadTx) error {
			_, err = tx.FindLicenseTypeByCode(typeCode(1, 404))
			return nil
		})
		wantCode(t, err, zhengzhao.ENOTFOUND)
		again := newLicenseType(want.Code)
		err = s.Update(t.Context(), func(tx zhengzhao.Tx) error { return tx.CreateLicenseType(again) })
		wantCode(t, err, zhengzhao.ECONFLICT)
	}},
	{"Find", func(t *testing.T, s zhengzhao.Store) {
		issuerA, issuerB := uscc(10), uscc(11)
		open := newLicenseType(typeCode(1, 1)) // no issuers: anyone may issue
		onlyA := newLicenseType(typeCode(1, 2), issuerA)
		both := newLicenseType(typeCode(2, 1), issuerB, issuerA)
		hidden := newLicenseType(typeCode(2, 2), issuerB)
		hidden.Public = false
		hiddenOpen := newLicenseType(typeCode(3, 1))
		hiddenOpen.Public = false
		all := []*zhengzhao.LicenseType{open, onlyA, both, hidden, hiddenOpen}
		update(t, s, func(tx zhengzhao.Tx) error {
			for _, lt := range all {
				if err := tx.CreateLicenseType(lt); err != nil {
					return err
				}
			}
			return nil
		})
		codes := func(ts []*zhengzhao.LicenseType) []string {
			var out []string
			for _, lt := range ts {
				out = append(out, lt.Code)
			}
			slices.Sort(out)
			return out
		}
		tests := []struct {
			name string
			f    zhengzhao.LicenseTypeFilter
			want []*zhengzhao.LicenseType
		}{
			{"all", zhengzhao.LicenseTypeFilter{}, all},
			{"public", zhengzhao.LicenseTypeFilter{PublicOnly: true}, []*zhengzhao.LicenseType{open, onlyA, both}},
			{"issuerA", zhengzhao.LicenseTypeFilter{Issuer: &issuerA}, []*zhengzhao.LicenseType{open, onlyA, both, hiddenOpen}},
			{"issuerB", zhengzhao.LicenseTypeFilter{Issuer: &issuerB}, []*zhengzhao.LicenseType{open, both, hidden, hiddenOpen}},
			{"issuerOther", zhengzhao.LicenseTypeFilter{Issuer: ptr(uscc(12))}, []*zhengzhao.LicenseType{open, hiddenOpen}},
			{"issuerB+public", zhengzhao.LicenseTypeFilter{Issuer: &issuerB, PublicOnly: true}, []*zhengzhao.LicenseType{open, both}},
			{"code", zhengzhao.LicenseTypeFilter{Code: &both.Code}, []*zhengzhao.LicenseType{both}},
			{"code+public/miss", zhengzhao.LicenseTypeFilter{Code: &hidden.Code, PublicOnly: true}, nil},
			{"code/none", zhengzhao.LicenseTypeFilter{Code: ptr(typeCode(9, 9))}, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				view(t, s, func(tx zhengzhao.ReadTx) error {
					got, total, cursor, err := tx.FindLicenseTypes(tt.f)
					if err != nil {
						return err
					}
					if d := diff(codes(tt.want), codes(got)); d != "" {
						t.Errorf("codes (-want +got):\n%s", d)
					}
					if total != len(tt.want) || cursor != "" {
						t.Errorf("total %d, cursor %q; want %d, \"\"", total, cursor, len(tt.want))
					}
					return nil
				})
			})
		}
		t.Run("objects", func(t *testing.T) {
			view(t, s, func(tx zhengzhao.ReadTx) error {
				got, _, _, err := tx.FindLicenseTypes(zhengzhao.LicenseTypeFilter{})
				if err != nil {
					return err
				}
				byCode := map[string]*zhengzhao.LicenseType{}
				for _, lt := range got {
					byCode[lt.Code] = lt
				}
				for _, lt := range all {
					if d := diff(lt, byCode[lt.Code]); d != "" {
						t.Errorf("type %s (-want +got):\n%s", lt.Code, d)
					}
				}
				return nil
			})
		})
		t.Run("pages", func(t *testing.T) {
			for _, limit := range []int{1, 2, 3} {
				got, _ := pages(t, s, limit, func(tx zhengzhao.ReadTx, p zhengzhao.Page) ([]*zhengzhao.LicenseType, int, string, error) {
					return tx.FindLicenseTypes(zhengzhao.LicenseTypeFilter{Issuer: &issuerB, Page: p})
				})
				if d := diff(codes([]*zhengzhao.LicenseType{open, both, hidden, hiddenOpen}), codes(got)); d != "" {
					t.Errorf("limit %d: pages do not visit every type once (-want +got):\n%s", limit, d)
				}
			}
		})
		t.Run("badCursor", func(t *testing.T) {
			var err error
			view(t, s, func(tx zhengzhao.ReadTx) error {
				_, _, _, err = tx.FindLicenseTypes(zhengzhao.LicenseTypeFilter{Page: zhengzhao.Page{Cursor: "not a cursor!"}})
				return nil
			})
			wantCode(t, err, zhengzhao.EINVALID)
		})
	}},
}

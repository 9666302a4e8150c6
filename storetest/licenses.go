package storetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
)

// catalog is what licenses refer to: two issuing units, two license types
// and two holders.
type catalog struct {
	issuers [2]string
	types   [2]string
	holders [2]string
}

// seedCatalog stores the units and types licenses refer to.
func seedCatalog(t *testing.T, s zhengzhao.Store) catalog {
	t.Helper()
	c := catalog{
		issuers: [2]string{uscc(101), uscc(102)},
		types:   [2]string{typeCode(201, 1), typeCode(202, 7)},
		holders: [2]string{uscc(301), uscc(302)},
	}
	update(t, s, func(tx zhengzhao.Tx) error {
		for i, code := range c.issuers {
			u := newUnit(101 + i)
			if u.Code != code {
				return fmt.Errorf("storetest: unit %s, want %s", u.Code, code)
			}
			if err := tx.CreateUnit(u); err != nil {
				return err
			}
		}
		for _, code := range c.types {
			if err := tx.CreateLicenseType(newLicenseType(code)); err != nil {
				return err
			}
		}
		return nil
	})
	return c
}

// createLicenses stores ls in one Update, in order.
func createLicenses(t *testing.T, s zhengzhao.Store, ls ...*zhengzhao.License) {
	t.Helper()
	update(t, s, func(tx zhengzhao.Tx) error {
		for _, l := range ls {
			if err := tx.CreateLicense(l); err != nil {
				return fmt.Errorf("create license %s: %w", l.ID, err)
			}
		}
		return nil
	})
}

// findLicense reads one license, failing the test when it is missing.
func findLicense(t *testing.T, s zhengzhao.Store, id string) *zhengzhao.License {
	t.Helper()
	var l *zhengzhao.License
	view(t, s, func(tx zhengzhao.ReadTx) error {
		var err error
		l, err = tx.FindLicenseByID(id)
		return err
	})
	return l
}

// copyLicense returns a deep copy of l through its JSON form.
func copyLicense(t *testing.T, l *zhengzhao.License) *zhengzhao.License {
	t.Helper()
	b, err := json.Marshal(l)
	if err != nil {
		t.Fatal(err)
	}
	var c zhengzhao.License
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return &c
}

// sameDocument checks that got is exactly want, as a Go value and as the
// JSON document a verifier canonicalizes.
func sameDocument(t *testing.T, want, got *zhengzhao.License) {
	t.Helper()
	if d := exactDiff(want, got); d != "" {
		t.Errorf("license %s (-want +got):\n%s", want.ID, d)
		return
	}
	wb, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	gb, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(wb, gb) {
		t.Errorf("license %s encodes differently:\nwant %s\ngot  %s", want.ID, wb, gb)
	}
}

// wrongCheck returns id with another check character.
func wrongCheck(id string) string {
	last := id[len(id)-1]
	c := byte('0')
	if last == '0' {
		c = '1'
	}
	return id[:len(id)-1] + string(c)
}

var licenseTests = []test{
	{"RoundTrip", func(t *testing.T, s zhengzhao.Store) {
		c := seedCatalog(t, s)
		first := newLicense(c.types[0], c.issuers[0], "A0001", 1, c.holders[0])
		first.ValidUntil = nil // valid indefinitely
		want := copyLicense(t, first)

		revoked := newLicense(c.types[0], c.issuers[0], "A0001", 2, c.holders[0])
		revoked.Status = zhengzhao.StatusRevoked
		revoked.RevokedAt = ptr(at(36 * time.Hour))
		revoked.RevocationReason = "经营者申请注销：歇业"

		bare := newLicense(c.types[1], c.issuers[1], "Z", 1, c.holders[1])
		bare.Proof = nil
		bare.Fields = map[string]any{}
		bare.Holder.Name = "O'Brien & 张 \"伟\" \u2028 \\ 😀"

		superseded := newLicense(c.types[1], c.issuers[1], "Y", 1, c.holders[1])
		superseded.Status = zhengzhao.StatusSuperseded
		superseded.SupersededBy = newLicense(c.types[1], c.issuers[1], "Y", 2, c.holders[1]).ID
		superseded.Fields = nil

		createLicenses(t, s, first, revoked, bare, superseded)
		sameDocument(t, want, first) // CreateLicense must not change its argument's content
		for _, l := range []*zhengzhao.License{want, revoked, bare, superseded} {
			got := findLicense(t, s, l.ID)
			sameDocument(t, l, got)
		}
		got := findLicense(t, s, first.ID)
		if n, ok := got.Fields["capital"].(json.Number); !ok || n != bigNumber {
			t.Errorf("capital is %#v (%T), want json.Number(%q)", got.Fields["capital"], got.Fields["capital"], bigNumber)
		}
		if got.ValidUntil != nil {
			t.Errorf("ValidUntil = %q, want nil", *got.ValidUntil)
		}
		t.Run("list", func(t *testing.T) {
			var got []*zhengzhao.License
			view(t, s, func(tx zhengzhao.ReadTx) error {
				var err error
				got, _, _, err = tx.FindLicenses(zhengzhao.LicenseFilter{})
				return err
			})
			if len(got) != 4 {
				t.Fatalf("%d licenses listed, want 4", len(got))
			}
			for i, l := range []*zhengzhao.License{want, revoked, bare, superseded} {
				sameDocument(t, l, got[i])
			}
		})
	}},
	{"Conflict", func(t *testing.T, s zhengzhao.Store) {
		c := seedCatalog(t, s)
		l := newLicense(c.types[0], c.issuers[0], "A0001", 1, c.holders[0])
		createLicenses(t, s, l)
		t.Run("sameID", func(t *testing.T) {
			other := newLicense(c.types[1], c.issuers[1], "B0001", 1, c.holders[1])
			other.ID = l.ID
			err := s.Update(t.Context(), func(tx zhengzhao.Tx) error { return tx.CreateLicense(other) })
			wantCode(t, err, zhengzhao.ECONFLICT)
		})
		t.Run("sameTypeIssuerSerialVersion", func(t *testing.T) {
			// Historical data may carry a wrong check character: the ID
			// differs, the license is the same.
			dup := newLicense(c.types[0], c.issuers[0], "A0001", 1, c.holders[1])
			dup.ID = wrongCheck(l.ID)
			err := s.Update(t.Context(), func(tx zhengzhao.Tx) error { return tx.CreateLicense(dup) })
			wantCode(t, err, zhengzhao.ECONFLICT)
		})
		t.Run("unchanged", func(t *testing.T) {
			sameDocument(t, l, findLicense(t, s, l.ID))
		})
		t.Run("nextVersion", func(t *testing.T) {
			createLicenses(t, s, newLicense(c.types[0], c.issuers[0], "A0001", 2, c.holders[0]))
		})
		t.Run("sameSerialOtherIssuer", func(t *testing.T) {
			createLicenses(t, s, newLicense(c.types[0], c.issuers[1], "A0001", 1, c.holders[0]))
		})
		t.Run("sameSerialOtherType", func(t *testing.T) {
			createLicenses(t, s, newLicense(c.types[1], c.issuers[0], "A0001", 1, c.holders[0]))
		})
	}},
	{"NotFound", func(t *testing.T, s zhengzhao.Store) {
		c := seedCatalog(t, s)
		l := newLicense(c.types[0], c.issuers[0], "A0001", 1, c.holders[0])
		var err error
		view(t, s, func(tx zhengzhao.ReadTx) error {
			_, err = tx.FindLicenseByID(l.ID)
			return nil
		})
		wantCode(t, err, zhengzhao.ENOTFOUND)
	}},
	{"UpdateLifecycle", func(t *testing.T, s zhengzhao.Store) {
		c := seedCatalog(t, s)
		l := newLicense(c.types[0], c.issuers[0], "A0001", 1, c.holders[0])
		other := newLicense(c.types[0], c.issuers[0], "A0002", 1, c.holders[0])
		createLicenses(t, s, l, other)

		// The argument carries changed content too: only the lifecycle
		// fields may be stored.
		change := copyLicense(t, l)
		change.Number = "CHANGED"
		change.Holder.Name = "篡改有限公司"
		change.Fields["capital"] = json.Number("1")
		change.ValidUntil = nil
		change.SignedAt = at(time.Hour)
		change.Proof.Value = "forged"
		change.Status = zhengzhao.StatusRevoked
		change.RevokedAt = ptr(at(48 * time.Hour))
		change.RevocationReason = "许可证被依法撤销"
		update(t, s, func(tx zhengzhao.Tx) error { return tx.UpdateLicenseLifecycle(change) })

		want := copyLicense(t, l)
		want.Status = change.Status
		want.RevokedAt = change.RevokedAt
		want.RevocationReason = change.RevocationReason
		sameDocument(t, want, findLicense(t, s, l.ID))
		sameDocument(t, other, findLicense(t, s, other.ID))

		// Lifecycle fields are stored as given, also when cleared.
		next := newLicense(c.types[0], c.issuers[0], "A0001", 2, c.holders[0])
		change = copyLicense(t, want)
		change.Status = zhengzhao.StatusSuperseded
		change.SupersededBy = next.ID
		change.RevokedAt = nil
		change.RevocationReason = ""
		update(t, s, func(tx zhengzhao.Tx) error { return tx.UpdateLicenseLifecycle(change) })
		want = copyLicense(t, l)
		want.Status = zhengzhao.StatusSuperseded
		want.SupersededBy = next.ID
		sameDocument(t, want, findLicense(t, s, l.ID))

		view(t, s, func(tx zhengzhao.ReadTx) error {
			got, _, _, err := tx.FindLicenses(zhengzhao.LicenseFilter{Status: ptr(zhengzhao.StatusSuperseded)})
			if err != nil {
				return err
			}
			if d := diff([]string{l.ID}, ids(got)); d != "" {
				t.Errorf("status filter after the update (-want +got):\n%s", d)
			}
			return nil
		})

		t.Run("notFound", func(t *testing.T) {
			missing := newLicense(c.types[0], c.issuers[0], "A0404", 1, c.holders[0])
			missing.Status = zhengzhao.StatusRevoked
			err := s.Update(t.Context(), func(tx zhengzhao.Tx) error { return tx.UpdateLicenseLifecycle(missing) })
			wantCode(t, err, zhengzhao.ENOTFOUND)
		})
	}},
	{"Find", func(t *testing.T, s zhengzhao.Store) {
		c := seedCatalog(t, s)
		T1, T2 := c.types[0], c.types[1]
		I1, I2 := c.issuers[0], c.issuers[1]
		H1, H2 := c.holders[0], c.holders[1]
		ls := []*zhengzhao.License{
			newLicense(T1, I1, "S3", 1, H1),
			newLicense(T1, I1, "S3", 2, H1),
			newLicense(T2, I1, "S1", 1, H2),
			newLicense(T1, I2, "S2", 1, H2),
			newLicense(T2, I2, "S0", 1, H1),
			newLicense(T1, I1, "S9", 1, H2),
		}
		ls[0].Status = zhengzhao.StatusSuperseded
		ls[0].SupersededBy = ls[1].ID
		ls[3].Status = zhengzhao.StatusRevoked
		ls[3].RevokedAt = ptr(t0)
		ls[3].RevocationReason = "注销"
		createLicenses(t, s, ls[:3]...)
		createLicenses(t, s, ls[3])
		createLicenses(t, s, ls[4:]...)
		base := ls[0].Base()
		pick := func(is ...int) []string {
			var out []string
			for _, i := range is {
				out = append(out, ls[i].ID)
			}
			return out
		}
		tests := []struct {
			name string
			f    zhengzhao.LicenseFilter
			want []string
		}{
			{"all", zhengzhao.LicenseFilter{}, pick(0, 1, 2, 3, 4, 5)},
			{"holder", zhengzhao.LicenseFilter{HolderID: &H1}, pick(0, 1, 4)},
			{"type", zhengzhao.LicenseFilter{Type: &T1}, pick(0, 1, 3, 5)},
			{"issuer", zhengzhao.LicenseFilter{Issuer: &I2}, pick(3, 4)},
			{"status", zhengzhao.LicenseFilter{Status: ptr(zhengzhao.StatusValid)}, pick(1, 2, 4, 5)},
			{"status/revoked", zhengzhao.LicenseFilter{Status: ptr(zhengzhao.StatusRevoked)}, pick(3)},
			{"base", zhengzhao.LicenseFilter{Base: &base}, pick(0, 1)},
			{"type+issuer", zhengzhao.LicenseFilter{Type: &T1, Issuer: &I1}, pick(0, 1, 5)},
			{"type+status+holder", zhengzhao.LicenseFilter{Type: &T1, Status: ptr(zhengzhao.StatusValid), HolderID: &H2}, pick(5)},
			{"base+status", zhengzhao.LicenseFilter{Base: &base, Status: ptr(zhengzhao.StatusValid)}, pick(1)},
			{"holder/none", zhengzhao.LicenseFilter{HolderID: ptr(uscc(999))}, nil},
			{"base/none", zhengzhao.LicenseFilter{Base: ptr(T2 + "." + I1 + ".S3")}, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				view(t, s, func(tx zhengzhao.ReadTx) error {
					got, total, cursor, err := tx.FindLicenses(tt.f)
					if err != nil {
						return err
					}
					if d := diff(tt.want, ids(got)); d != "" {
						t.Errorf("IDs in storage order (-want +got):\n%s", d)
					}
					if total != len(tt.want) || cursor != "" {
						t.Errorf("total %d, cursor %q; want %d, \"\"", total, cursor, len(tt.want))
					}
					return nil
				})
			})
		}
		t.Run("documents", func(t *testing.T) {
			view(t, s, func(tx zhengzhao.ReadTx) error {
				got, _, _, err := tx.FindLicenses(zhengzhao.LicenseFilter{})
				if err != nil {
					return err
				}
				for i := range min(len(got), len(ls)) {
					sameDocument(t, ls[i], got[i])
				}
				return nil
			})
		})
	}},
	{"Pages", func(t *testing.T, s zhengzhao.Store) {
		c := seedCatalog(t, s)
		var ls []*zhengzhao.License
		var all []string
		for i := range 23 {
			// Serials fall as licenses are stored: storage order is not
			// ID order.
			l := newLicense(c.types[i%2], c.issuers[0], fmt.Sprintf("P%03d", 100-i), 1, c.holders[i%3/2])
			ls = append(ls, l)
			all = append(all, l.ID)
		}
		createLicenses(t, s, ls[:10]...)
		createLicenses(t, s, ls[10:11]...)
		createLicenses(t, s, ls[11:]...)
		list := func(f zhengzhao.LicenseFilter) func(tx zhengzhao.ReadTx, p zhengzhao.Page) ([]*zhengzhao.License, int, string, error) {
			return func(tx zhengzhao.ReadTx, p zhengzhao.Page) ([]*zhengzhao.License, int, string, error) {
				f.Page = p
				return tx.FindLicenses(f)
			}
		}
		for _, limit := range []int{1, 4, 22, 23, 24, 100} {
			t.Run(fmt.Sprintf("limit%d", limit), func(t *testing.T) {
				got, total := pages(t, s, limit, list(zhengzhao.LicenseFilter{}))
				if total != len(all) {
					t.Errorf("total %d, want %d", total, len(all))
				}
				if d := diff(all, ids(got)); d != "" {
					t.Errorf("pages do not visit every license once in storage order (-want +got):\n%s", d)
				}
			})
		}
		t.Run("filtered", func(t *testing.T) {
			var want []string
			for _, l := range ls {
				if l.Type == c.types[1] && l.Holder.ID == c.holders[0] {
					want = append(want, l.ID)
				}
			}
			got, _ := pages(t, s, 3, list(zhengzhao.LicenseFilter{Type: &c.types[1], HolderID: &c.holders[0]}))
			if d := diff(want, ids(got)); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
		t.Run("defaultLimit", func(t *testing.T) {
			view(t, s, func(tx zhengzhao.ReadTx) error {
				got, total, cursor, err := tx.FindLicenses(zhengzhao.LicenseFilter{})
				if err != nil {
					return err
				}
				if len(got) != len(all) || total != len(all) || cursor != "" {
					t.Errorf("limit 0: %d licenses, total %d, cursor %q; want %d, %d, \"\"", len(got), total, cursor, len(all), len(all))
				}
				return nil
			})
		})
		t.Run("badCursor", func(t *testing.T) {
			var err error
			view(t, s, func(tx zhengzhao.ReadTx) error {
				_, _, _, err = tx.FindLicenses(zhengzhao.LicenseFilter{Page: zhengzhao.Page{Cursor: "not a cursor!"}})
				return nil
			})
			wantCode(t, err, zhengzhao.EINVALID)
		})
		t.Run("growing", func(t *testing.T) {
			// A cursor stays valid while licenses are added: the next
			// pages continue where the last one ended and include the
			// new licenses at the end.
			var first []*zhengzhao.License
			var cursor string
			view(t, s, func(tx zhengzhao.ReadTx) error {
				var err error
				first, _, cursor, err = tx.FindLicenses(zhengzhao.LicenseFilter{Page: zhengzhao.Page{Limit: 5}})
				return err
			})
			extra := []*zhengzhao.License{
				newLicense(c.types[0], c.issuers[1], "G2", 1, c.holders[0]),
				newLicense(c.types[0], c.issuers[1], "G1", 1, c.holders[0]),
			}
			createLicenses(t, s, extra...)
			got := ids(first)
			for cursor != "" {
				var page []*zhengzhao.License
				var total int
				view(t, s, func(tx zhengzhao.ReadTx) error {
					var err error
					page, total, cursor, err = tx.FindLicenses(zhengzhao.LicenseFilter{Page: zhengzhao.Page{Limit: 5, Cursor: cursor}})
					return err
				})
				if total != len(all)+len(extra) {
					t.Errorf("total %d, want %d", total, len(all)+len(extra))
				}
				got = append(got, ids(page)...)
			}
			want := append(slices.Clone(all), ids(extra)...)
			if d := diff(want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}},
}

var idempotencyTests = []test{
	{"CreateFind", func(t *testing.T, s zhengzhao.Store) {
		a, b := newUnit(1), newUnit(2)
		want := &zhengzhao.IdempotencyRecord{
			Unit:        a.Code,
			Key:         "请求-0001",
			RequestHash: []byte{0xde, 0xad, 0xbe, 0xef, 0, 1},
			LicenseID:   "1.2.156.3005.2.x",
			CreatedAt:   t0,
		}
		update(t, s, func(tx zhengzhao.Tx) error {
			for _, u := range []*zhengzhao.Unit{a, b} {
				if err := tx.CreateUnit(u); err != nil {
					return err
				}
			}
			return tx.CreateIdempotencyRecord(want)
		})
		view(t, s, func(tx zhengzhao.ReadTx) error {
			got, err := tx.FindIdempotencyRecord(a.Code, want.Key)
			if err != nil {
				return err
			}
			if d := diff(want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
			return nil
		})
		t.Run("notFound", func(t *testing.T) {
			for _, k := range [][2]string{{a.Code, "other"}, {b.Code, want.Key}} {
				var err error
				view(t, s, func(tx zhengzhao.ReadTx) error {
					_, err = tx.FindIdempotencyRecord(k[0], k[1])
					return nil
				})
				wantCode(t, err, zhengzhao.ENOTFOUND)
			}
		})
		t.Run("conflict", func(t *testing.T) {
			again := *want
			again.RequestHash = []byte("other body")
			err := s.Update(t.Context(), func(tx zhengzhao.Tx) error { return tx.CreateIdempotencyRecord(&again) })
			wantCode(t, err, zhengzhao.ECONFLICT)
		})
		t.Run("sameKeyOtherUnit", func(t *testing.T) {
			other := *want
			other.Unit = b.Code
			update(t, s, func(tx zhengzhao.Tx) error { return tx.CreateIdempotencyRecord(&other) })
		})
	}},
}

package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
)

// listingTests pin down the list reads that copying a whole library needs.
var listingTests = []test{
	{"FindUnitKeys", func(t *testing.T, s zhengzhao.Store) {
		u, other := newUnit(1), newUnit(2)
		keys := []*zhengzhao.UnitKey{
			{ID: "key-b", Unit: u.Code, Hash: []byte("hash-b"), CreatedAt: at(time.Minute)},
			{ID: "key-a", Unit: u.Code, Hash: []byte("hash-a"), CreatedAt: at(2 * time.Minute), RevokedAt: ptr(at(time.Hour))},
		}
		update(t, s, func(tx zhengzhao.Tx) error {
			for _, x := range []*zhengzhao.Unit{u, other} {
				if err := tx.CreateUnit(x); err != nil {
					return err
				}
			}
			for _, k := range append(keys, &zhengzhao.UnitKey{ID: "key-other", Unit: other.Code, Hash: []byte("hash-o"), CreatedAt: at(0)}) {
				if err := tx.CreateUnitKey(k); err != nil {
					return err
				}
			}
			return nil
		})
		view(t, s, func(tx zhengzhao.ReadTx) error {
			got, err := tx.FindUnitKeys(u.Code)
			if err != nil {
				return err
			}
			if d := diff(keys, got); d != "" {
				t.Errorf("FindUnitKeys, oldest first (-want +got):\n%s", d)
			}
			none, err := tx.FindUnitKeys("no such unit")
			if err != nil || len(none) != 0 {
				t.Errorf("FindUnitKeys of an unknown unit: %v, %v", none, err)
			}
			return nil
		})
	}},
	{"FindIdempotencyRecords", func(t *testing.T, s zhengzhao.Store) {
		u := newUnit(1)
		var want []*zhengzhao.IdempotencyRecord
		for i := range 7 {
			want = append(want, &zhengzhao.IdempotencyRecord{Unit: u.Code, Key: fmt.Sprintf("k-%02d", i), RequestHash: []byte{byte(i)}, LicenseID: fmt.Sprintf("lic-%d", i), CreatedAt: at(time.Duration(i) * time.Second)})
		}
		update(t, s, func(tx zhengzhao.Tx) error {
			if err := tx.CreateUnit(u); err != nil {
				return err
			}
			for i := len(want) - 1; i >= 0; i-- { // stored out of order
				if err := tx.CreateIdempotencyRecord(want[i]); err != nil {
					return err
				}
			}
			return nil
		})
		view(t, s, func(tx zhengzhao.ReadTx) error {
			var got []*zhengzhao.IdempotencyRecord
			after := ""
			for {
				page, err := tx.FindIdempotencyRecords(u.Code, after, 3)
				if err != nil {
					return err
				}
				if len(page) == 0 {
					break
				}
				got = append(got, page...)
				after = page[len(page)-1].Key
			}
			if d := diff(want, got); d != "" {
				t.Errorf("FindIdempotencyRecords in pages of 3 (-want +got):\n%s", d)
			}
			return nil
		})
	}},
	{"FindLicenseStatus", func(t *testing.T, s zhengzhao.Store) {
		c := seedCatalog(t, s)
		valid := newLicense(c.types[0], c.issuers[0], "S1", 1, c.holders[0])
		revoked := newLicense(c.types[0], c.issuers[0], "S2", 1, c.holders[0])
		revoked.Status, revoked.RevokedAt, revoked.RevocationReason = zhengzhao.StatusRevoked, ptr(at(time.Hour)), "注销"
		superseded := newLicense(c.types[1], c.issuers[1], "S3", 1, c.holders[1])
		superseded.Status, superseded.SupersededBy = zhengzhao.StatusSuperseded, newLicense(c.types[1], c.issuers[1], "S3", 2, c.holders[1]).ID
		createLicenses(t, s, valid, revoked, superseded)
		check := func(tx zhengzhao.ReadTx) error {
			for _, want := range []*zhengzhao.License{valid, revoked, superseded} {
				got, err := tx.FindLicenseStatus(want.ID)
				if err != nil {
					t.Errorf("FindLicenseStatus(%s): %v", want.ID, err)
					continue
				}
				w := &zhengzhao.LicenseStatus{License: &zhengzhao.License{ID: want.ID, Type: want.Type, Issuer: zhengzhao.Party{Code: want.Issuer.Code}, Serial: want.Serial,
					Version: want.Version, Status: want.Status, SupersededBy: want.SupersededBy, RevokedAt: want.RevokedAt, RevocationReason: want.RevocationReason}}
				if d := diff(w, got); d != "" {
					t.Errorf("FindLicenseStatus(%s) (-want +got):\n%s", want.ID, d)
				}
			}
			if _, err := tx.FindLicenseStatus("1.2.156.3005.2.nothing"); zhengzhao.ErrorCode(err) != zhengzhao.ENOTFOUND {
				t.Errorf("FindLicenseStatus of an unknown ID: %v, want not_found", err)
			}
			return nil
		}
		view(t, s, check)
		// Outside a transaction, where the store offers it, the same.
		p, ok := s.(zhengzhao.Peeker)
		if !ok {
			t.Fatalf("%T does not implement zhengzhao.Peeker", s)
		}
		if err := p.Peek(context.Background(), check); err != nil {
			t.Fatalf("Peek: %v", err)
		}
		// An open objection to the license's base shows, on that license
		// only, until it is answered.
		underObjection := func(when string, want map[*zhengzhao.License]bool) {
			view(t, s, func(tx zhengzhao.ReadTx) error {
				for l, w := range want {
					got, err := tx.FindLicenseStatus(l.ID)
					if err != nil {
						t.Fatalf("FindLicenseStatus(%s): %v", l.ID, err)
					}
					if got.UnderObjection != w {
						t.Errorf("%s: FindLicenseStatus(%s).UnderObjection = %v, want %v", when, l.ID, got.UnderObjection, w)
					}
				}
				return nil
			})
		}
		o := newObjection(1, valid.Base(), "unit:x")
		update(t, s, func(tx zhengzhao.Tx) error { return tx.CreateObjection(o) })
		underObjection("open", map[*zhengzhao.License]bool{valid: true, revoked: false})
		answered := at(time.Hour)
		o.Status, o.AnsweredAt, o.AnsweredBy, o.Answer = zhengzhao.ObjectionRejected, &answered, "unit:"+uscc(1), "不予更正"
		update(t, s, func(tx zhengzhao.Tx) error { return tx.UpdateObjection(o) })
		underObjection("answered", map[*zhengzhao.License]bool{valid: false})
	}},
	{"RevokeUnitKey", func(t *testing.T, s zhengzhao.Store) {
		u := newUnit(1)
		k := &zhengzhao.UnitKey{ID: "key-1", Unit: u.Code, Hash: []byte("hash-1"), CreatedAt: at(0)}
		update(t, s, func(tx zhengzhao.Tx) error {
			if err := tx.CreateUnit(u); err != nil {
				return err
			}
			return tx.CreateUnitKey(k)
		})
		update(t, s, func(tx zhengzhao.Tx) error { return tx.RevokeUnitKey(u.Code, k.ID, at(time.Hour)) })
		update(t, s, func(tx zhengzhao.Tx) error { return tx.RevokeUnitKey(u.Code, k.ID, at(2*time.Hour)) }) // the first time stays
		view(t, s, func(tx zhengzhao.ReadTx) error {
			got, err := tx.FindUnitKeyByHash(k.Hash)
			if err != nil {
				return err
			}
			if got.RevokedAt == nil || !got.RevokedAt.Equal(at(time.Hour)) {
				t.Errorf("RevokedAt = %v, want %v", got.RevokedAt, at(time.Hour))
			}
			return nil
		})
		err := s.Update(t.Context(), func(tx zhengzhao.Tx) error { return tx.RevokeUnitKey(u.Code, "no-such-key", at(0)) })
		if zhengzhao.ErrorCode(err) != zhengzhao.ENOTFOUND {
			t.Errorf("revoking an unknown key: %v, want not_found", err)
		}
		err = s.Update(t.Context(), func(tx zhengzhao.Tx) error { return tx.RevokeUnitKey(newUnit(2).Code, k.ID, at(0)) })
		if zhengzhao.ErrorCode(err) != zhengzhao.ENOTFOUND {
			t.Errorf("revoking another unit's key: %v, want not_found", err)
		}
	}},
}

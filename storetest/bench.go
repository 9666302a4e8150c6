package storetest

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/zhengzhao-project/zhengzhao"
)

// Bench measures the store's share of the figures docs/performance.md
// tracks, on a store from open: issue (a license and its audit entry in
// one Update, from many goroutines: group commit), get by ID and status
// (the verification read, through Peek where the store has it) from many
// goroutines, and import (ImportLicenses, 500 licenses with their audit
// entries a call). Drivers run it from a benchmark of their own.
func Bench(b *testing.B, open func(b *testing.B) zhengzhao.Store) {
	setup := func(b *testing.B) (zhengzhao.Store, string, string) {
		s := open(b)
		issuer, typ := uscc(101), typeCode(201, 1)
		err := s.Update(context.Background(), func(tx zhengzhao.Tx) error {
			if err := tx.CreateUnit(newUnit(101)); err != nil {
				return err
			}
			return tx.CreateLicenseType(newLicenseType(typ))
		})
		if err != nil {
			b.Fatal(err)
		}
		return s, issuer, typ
	}
	serial := func(i int64) string { return fmt.Sprintf("B%09d", i) }
	b.Run("Issue", func(b *testing.B) {
		s, issuer, typ := setup(b)
		var n atomic.Int64
		b.SetParallelism(32)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				l := newLicense(typ, issuer, serial(n.Add(1)), 1, uscc(301))
				err := s.Update(context.Background(), func(tx zhengzhao.Tx) error {
					if err := tx.CreateLicense(l); err != nil {
						return err
					}
					return tx.AppendAudit(&zhengzhao.AuditEntry{Actor: issuer, Action: zhengzhao.ActionLicenseIssue, License: l.ID, LicenseBase: l.Base(), Subject: l.Holder.ID})
				})
				if err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	reads := func(b *testing.B, read func(tx zhengzhao.ReadTx, id string) error) {
		s, issuer, typ := setup(b)
		const stored = 1000
		ids := make([]string, stored)
		err := s.Update(context.Background(), func(tx zhengzhao.Tx) error {
			for i := range ids {
				l := newLicense(typ, issuer, serial(int64(i)), 1, uscc(301))
				ids[i] = l.ID
				if err := tx.CreateLicense(l); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		peek := s.View
		if p, ok := s.(zhengzhao.Peeker); ok {
			peek = p.Peek
		}
		var n atomic.Int64
		b.SetParallelism(4)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				id := ids[n.Add(1)%stored]
				if err := peek(context.Background(), func(tx zhengzhao.ReadTx) error { return read(tx, id) }); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	b.Run("GetByID", func(b *testing.B) {
		reads(b, func(tx zhengzhao.ReadTx, id string) error { _, err := tx.FindLicenseByID(id); return err })
	})
	b.Run("Status", func(b *testing.B) {
		reads(b, func(tx zhengzhao.ReadTx, id string) error { _, err := tx.FindLicenseStatus(id); return err })
	})
	b.Run("Import", func(b *testing.B) {
		s, issuer, typ := setup(b)
		const batch = 500
		b.ResetTimer()
		for done := 0; done < b.N; done += batch {
			ls := make([]*zhengzhao.License, min(batch, b.N-done))
			es := make([]*zhengzhao.AuditEntry, len(ls))
			for i := range ls {
				ls[i] = newLicense(typ, issuer, serial(int64(done+i)), 1, uscc(301))
				es[i] = &zhengzhao.AuditEntry{Actor: issuer, Action: zhengzhao.ActionLicenseIssue, License: ls[i].ID, LicenseBase: ls[i].Base()}
			}
			if err := s.Update(context.Background(), func(tx zhengzhao.Tx) error { return tx.ImportLicenses(ls, es) }); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	})
}

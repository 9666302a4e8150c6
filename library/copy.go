package library

import (
	"bytes"
	"context"
	"fmt"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/auditlog"
)

// copyBatch is how many objects one destination transaction takes.
const copyBatch = 1000

// CopyStats counts what Copy moved.
type CopyStats struct {
	Units, UnitKeys, SigningKeys, LicenseTypes, Licenses, IdempotencyRecords, AuditEntries, Checkpoints int64
	// TreeSize is the size of the destination's rebuilt Merkle tree.
	TreeSize int64
}

// Copy moves a whole library from src to an empty dst (for example from the
// embedded SQLite store to PostgreSQL when a city grows): units and their
// keys, the catalog, every license version with its lifecycle, idempotency
// records, the audit log entry by entry and the signed checkpoints. The
// Merkle tree is rebuilt on dst from the copied entries, and its root must
// equal the root of every copied checkpoint, so a faithful copy is proven
// by the signatures the source made. progress, if not nil, is called after
// each batch.
//
// TODO(copy): the aggregation, oversight and holder areas must add their
// objects here as they grow.
func Copy(ctx context.Context, src, dst zhengzhao.Store, progress func(stage string, n int64)) (CopyStats, error) {
	var st CopyStats
	if progress == nil {
		progress = func(string, int64) {}
	}
	if err := requireEmpty(ctx, dst); err != nil {
		return st, err
	}

	// Units with their API keys and signing keys.
	var units []*zhengzhao.Unit
	for cursor := ""; ; {
		var page []*zhengzhao.Unit
		var next string
		err := src.View(ctx, func(tx zhengzhao.ReadTx) (err error) {
			page, _, next, err = tx.FindUnits(zhengzhao.UnitFilter{Page: zhengzhao.Page{Limit: zhengzhao.MaxPageLimit, Cursor: cursor}})
			return err
		})
		if err != nil {
			return st, fmt.Errorf("copy units: %w", err)
		}
		units = append(units, page...)
		if next == "" {
			break
		}
		cursor = next
	}
	for _, u := range units {
		var (
			keys []*zhengzhao.UnitKey
			sks  []*zhengzhao.SigningKey
		)
		err := src.View(ctx, func(tx zhengzhao.ReadTx) (err error) {
			if keys, err = tx.FindUnitKeys(u.Code); err != nil {
				return err
			}
			sks, err = tx.FindSigningKeys(zhengzhao.SigningKeyFilter{Unit: &u.Code})
			return err
		})
		if err != nil {
			return st, fmt.Errorf("copy unit %s: %w", u.Code, err)
		}
		err = dst.Update(ctx, func(tx zhengzhao.Tx) error {
			if err := tx.CreateUnit(u); err != nil {
				return err
			}
			for _, k := range keys {
				if err := tx.CreateUnitKey(k); err != nil {
					return err
				}
			}
			for _, k := range sks {
				if err := tx.CreateSigningKey(k); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return st, fmt.Errorf("copy unit %s: %w", u.Code, err)
		}
		st.Units++
		st.UnitKeys += int64(len(keys))
		st.SigningKeys += int64(len(sks))
	}
	progress("units", st.Units)

	// The catalog, public or not.
	err := copyPages(ctx, src, dst, func(tx zhengzhao.ReadTx, cursor string) ([]*zhengzhao.LicenseType, string, error) {
		ts, _, next, err := tx.FindLicenseTypes(zhengzhao.LicenseTypeFilter{Page: zhengzhao.Page{Limit: zhengzhao.MaxPageLimit, Cursor: cursor}})
		return ts, next, err
	}, func(tx zhengzhao.Tx, t *zhengzhao.LicenseType) error { return tx.CreateLicenseType(t) }, &st.LicenseTypes)
	if err != nil {
		return st, fmt.Errorf("copy license types: %w", err)
	}
	progress("license types", st.LicenseTypes)

	// Every license version, in the order stored, with its lifecycle.
	err = copyPages(ctx, src, dst, func(tx zhengzhao.ReadTx, cursor string) ([]*zhengzhao.License, string, error) {
		ls, _, next, err := tx.FindLicenses(zhengzhao.LicenseFilter{Page: zhengzhao.Page{Limit: copyBatch, Cursor: cursor}})
		progress("licenses", st.Licenses)
		return ls, next, err
	}, func(tx zhengzhao.Tx, l *zhengzhao.License) error { return tx.CreateLicense(l) }, &st.Licenses)
	if err != nil {
		return st, fmt.Errorf("copy licenses: %w", err)
	}
	progress("licenses", st.Licenses)

	for _, u := range units {
		err := copyPages(ctx, src, dst, func(tx zhengzhao.ReadTx, after string) ([]*zhengzhao.IdempotencyRecord, string, error) {
			rs, err := tx.FindIdempotencyRecords(u.Code, after, copyBatch)
			if err != nil || len(rs) < copyBatch {
				return rs, "", err
			}
			return rs, rs[len(rs)-1].Key, nil
		}, func(tx zhengzhao.Tx, r *zhengzhao.IdempotencyRecord) error { return tx.CreateIdempotencyRecord(r) }, &st.IdempotencyRecords)
		if err != nil {
			return st, fmt.Errorf("copy idempotency records of %s: %w", u.Code, err)
		}
	}

	// The audit log, entry by entry: the destination must assign the same
	// indexes.
	var size int64
	if err := src.View(ctx, func(tx zhengzhao.ReadTx) (err error) { size, err = tx.AuditSize(); return err }); err != nil {
		return st, fmt.Errorf("copy audit log: %w", err)
	}
	for start := int64(0); start < size; start += copyBatch {
		var es []*zhengzhao.AuditEntry
		if err := src.View(ctx, func(tx zhengzhao.ReadTx) (err error) { es, err = tx.AuditEntries(start, start+copyBatch); return err }); err != nil {
			return st, fmt.Errorf("copy audit log: %w", err)
		}
		err := dst.Update(ctx, func(tx zhengzhao.Tx) error {
			for _, e := range es {
				want := e.Index
				if err := tx.AppendAudit(e); err != nil {
					return err
				}
				if e.Index != want {
					return fmt.Errorf("audit entry %d landed at index %d: the source log has a gap", want, e.Index)
				}
			}
			return nil
		})
		if err != nil {
			return st, fmt.Errorf("copy audit log: %w", err)
		}
		st.AuditEntries += int64(len(es))
		progress("audit entries", st.AuditEntries)
	}

	// Rebuild the tree on the destination, then copy the checkpoints and
	// check each against it.
	for {
		var (
			head zhengzhao.TreeHead
			more bool
		)
		err := dst.Update(ctx, func(tx zhengzhao.Tx) (err error) { head, more, err = integrateTx(tx); return err })
		if err != nil {
			return st, fmt.Errorf("rebuild audit tree: %w", err)
		}
		st.TreeSize = head.Size
		if !more {
			break
		}
	}
	for after := int64(-1); ; {
		var cps []*zhengzhao.Checkpoint
		if err := src.View(ctx, func(tx zhengzhao.ReadTx) (err error) { cps, err = tx.FindCheckpoints(after, copyBatch); return err }); err != nil {
			return st, fmt.Errorf("copy checkpoints: %w", err)
		}
		if len(cps) == 0 {
			break
		}
		err := dst.Update(ctx, func(tx zhengzhao.Tx) error {
			for _, cp := range cps {
				root, err := rootAt(tx, cp.Size)
				if err != nil {
					return err
				}
				if !bytes.Equal(root, cp.Root) {
					return fmt.Errorf("checkpoint of size %d does not match the copied log", cp.Size)
				}
				if err := tx.CreateCheckpoint(cp); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return st, fmt.Errorf("copy checkpoints: %w", err)
		}
		st.Checkpoints += int64(len(cps))
		after = cps[len(cps)-1].Size
	}
	progress("checkpoints", st.Checkpoints)
	return st, nil
}

// requireEmpty refuses a destination that holds any unit or audit entry.
func requireEmpty(ctx context.Context, s zhengzhao.Store) error {
	return s.View(ctx, func(tx zhengzhao.ReadTx) error {
		_, units, _, err := tx.FindUnits(zhengzhao.UnitFilter{Page: zhengzhao.Page{Limit: 1}})
		if err != nil {
			return err
		}
		size, err := tx.AuditSize()
		if err != nil {
			return err
		}
		if units > 0 || size > 0 {
			return zhengzhao.Errorf(zhengzhao.ECONFLICT, "the destination is not empty (%d units, %d audit entries)", units, size)
		}
		return nil
	})
}

// copyPages reads pages from src and writes each page in one dst
// transaction.
func copyPages[T any](ctx context.Context, src, dst zhengzhao.Store,
	read func(tx zhengzhao.ReadTx, cursor string) ([]T, string, error),
	write func(tx zhengzhao.Tx, item T) error, count *int64) error {
	for cursor := ""; ; {
		var (
			page []T
			next string
		)
		if err := src.View(ctx, func(tx zhengzhao.ReadTx) (err error) { page, next, err = read(tx, cursor); return err }); err != nil {
			return err
		}
		if len(page) > 0 {
			err := dst.Update(ctx, func(tx zhengzhao.Tx) error {
				for _, it := range page {
					if err := write(tx, it); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
			*count += int64(len(page))
		}
		if next == "" {
			return nil
		}
		cursor = next
	}
}

// rootAt is the root of the stored tree at size.
func rootAt(tx zhengzhao.ReadTx, size int64) ([]byte, error) {
	return auditlog.RootAt(size, tx.FindTreeNodes)
}

package library

import (
	"bytes"
	"context"
	"errors"
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
	// Records counts the records of the feature areas' tables (import
	// jobs, objections, grants …) by table name.
	Records map[string]int64
}

// Copy moves a whole library from src to an empty dst (for example from the
// embedded SQLite store to PostgreSQL when a city grows): units and their
// keys, the catalog, every license version with its lifecycle, idempotency
// records, the records of every feature area (import jobs and their
// reports, increment receipts, outages; objections, notices, responsible
// staff, supervision counters, random checks; holder inboxes, the
// notification outbox, display keys, presentations, proxy authorizations;
// matters, usage lists, scenarios and grants), the audit log entry by entry
// and the signed checkpoints, each record as it is: same IDs, times and
// states. The Merkle tree is rebuilt on dst from the copied entries, and
// its root must equal the root of every copied checkpoint, so a faithful
// copy of the log is proven by the signatures the source made.
// CopiedTables and NotCopiedTables account for every table. progress, if
// not nil, is called after each batch.
func Copy(ctx context.Context, src, dst zhengzhao.Store, progress func(stage string, n int64)) (CopyStats, error) {
	st := CopyStats{Records: map[string]int64{}}
	if progress == nil {
		progress = func(string, int64) {}
	}
	if err := requireEmpty(ctx, dst); err != nil {
		return st, err
	}
	units, err := copyUnits(ctx, src, dst, &st)
	if err != nil {
		return st, err
	}
	progress("units", st.Units)
	if err := copyLicenses(ctx, src, dst, units, &st, progress); err != nil {
		return st, err
	}
	// The feature areas.
	codes := make([]string, len(units))
	for i, u := range units {
		codes[i] = u.Code
	}
	if err := copyAreas(ctx, src, dst, codes, st.Records, progress); err != nil {
		return st, err
	}
	if err := copyAuditLog(ctx, src, dst, &st, progress); err != nil {
		return st, err
	}
	if err := copyCheckpoints(ctx, src, dst, &st); err != nil {
		return st, err
	}
	progress("checkpoints", st.Checkpoints)
	return st, nil
}

// copyUnits copies the units with their API keys and signing keys, and
// returns the units.
func copyUnits(ctx context.Context, src, dst zhengzhao.Store, st *CopyStats) ([]*zhengzhao.Unit, error) {
	var units []*zhengzhao.Unit
	for cursor := ""; ; {
		var page []*zhengzhao.Unit
		var next string
		err := src.View(ctx, func(tx zhengzhao.ReadTx) (err error) {
			page, _, next, err = tx.FindUnits(zhengzhao.UnitFilter{Page: zhengzhao.Page{Limit: zhengzhao.MaxPageLimit, Cursor: cursor}})
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("copy units: %w", err)
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
			return nil, fmt.Errorf("copy unit %s: %w", u.Code, err)
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
			return nil, fmt.Errorf("copy unit %s: %w", u.Code, err)
		}
		st.Units++
		st.UnitKeys += int64(len(keys))
		st.SigningKeys += int64(len(sks))
	}
	return units, nil
}

// copyLicenses copies the catalog (public or not), every license version
// in the order stored with its lifecycle, and each unit's idempotency
// records.
func copyLicenses(ctx context.Context, src, dst zhengzhao.Store, units []*zhengzhao.Unit, st *CopyStats, progress func(string, int64)) error {
	err := copyPages(ctx, src, dst, func(tx zhengzhao.ReadTx, cursor string) ([]*zhengzhao.LicenseType, string, error) {
		ts, _, next, err := tx.FindLicenseTypes(zhengzhao.LicenseTypeFilter{Page: zhengzhao.Page{Limit: zhengzhao.MaxPageLimit, Cursor: cursor}})
		return ts, next, err
	}, func(tx zhengzhao.Tx, t *zhengzhao.LicenseType) error { return tx.CreateLicenseType(t) }, &st.LicenseTypes)
	if err != nil {
		return fmt.Errorf("copy license types: %w", err)
	}
	progress("license types", st.LicenseTypes)

	err = copyPages(ctx, src, dst, func(tx zhengzhao.ReadTx, cursor string) ([]*zhengzhao.License, string, error) {
		ls, _, next, err := tx.FindLicenses(zhengzhao.LicenseFilter{Page: zhengzhao.Page{Limit: copyBatch, Cursor: cursor}})
		progress("licenses", st.Licenses)
		return ls, next, err
	}, func(tx zhengzhao.Tx, l *zhengzhao.License) error { return tx.CreateLicense(l) }, &st.Licenses)
	if err != nil {
		return fmt.Errorf("copy licenses: %w", err)
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
			return fmt.Errorf("copy idempotency records of %s: %w", u.Code, err)
		}
	}
	return nil
}

// copyAuditLog copies the audit log entry by entry (the destination must
// assign the same indexes), then rebuilds the tree on the destination.
func copyAuditLog(ctx context.Context, src, dst zhengzhao.Store, st *CopyStats, progress func(string, int64)) error {
	var size int64
	if err := src.View(ctx, func(tx zhengzhao.ReadTx) (err error) { size, err = tx.AuditSize(); return err }); err != nil {
		return fmt.Errorf("copy audit log: %w", err)
	}
	for start := int64(0); start < size; start += copyBatch {
		var es []*zhengzhao.AuditEntry
		if err := src.View(ctx, func(tx zhengzhao.ReadTx) (err error) { es, err = tx.AuditEntries(start, start+copyBatch); return err }); err != nil {
			return fmt.Errorf("copy audit log: %w", err)
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
			return fmt.Errorf("copy audit log: %w", err)
		}
		st.AuditEntries += int64(len(es))
		progress("audit entries", st.AuditEntries)
	}
	for {
		var (
			head zhengzhao.TreeHead
			more bool
		)
		err := dst.Update(ctx, func(tx zhengzhao.Tx) (err error) { head, more, err = integrateTx(tx); return err })
		if err != nil {
			return fmt.Errorf("rebuild audit tree: %w", err)
		}
		st.TreeSize = head.Size
		if !more {
			return nil
		}
	}
}

// copyCheckpoints copies the checkpoints, checking each against the
// rebuilt tree: the source's signatures prove the copied log.
func copyCheckpoints(ctx context.Context, src, dst zhengzhao.Store, st *CopyStats) error {
	for after := int64(-1); ; {
		var cps []*zhengzhao.Checkpoint
		if err := src.View(ctx, func(tx zhengzhao.ReadTx) (err error) { cps, err = tx.FindCheckpoints(after, copyBatch); return err }); err != nil {
			return fmt.Errorf("copy checkpoints: %w", err)
		}
		if len(cps) == 0 {
			return nil
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
			return fmt.Errorf("copy checkpoints: %w", err)
		}
		st.Checkpoints += int64(len(cps))
		after = cps[len(cps)-1].Size
	}
}

// requireEmpty refuses a destination that holds any record of a table
// Copy moves: a copy never merges two libraries.
func requireEmpty(ctx context.Context, s zhengzhao.Store) error {
	for _, table := range CopiedTables {
		n := 0
		err := ReadTable(ctx, s, table, func(batch []any) error {
			n = len(batch)
			return errStopRead
		})
		if err != nil && !errors.Is(err, errStopRead) {
			return fmt.Errorf("check that the destination is empty: %w", err)
		}
		if n > 0 {
			return zhengzhao.Errorf(zhengzhao.ECONFLICT, "the destination is not empty: it has records in %s", table)
		}
	}
	return nil
}

// errStopRead ends a ReadTable early.
var errStopRead = errors.New("stop reading")

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

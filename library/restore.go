package library

import (
	"context"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"

	"github.com/zhengzhao-project/zhengzhao"
)

// LossReport says what AcceptLoss recorded.
type LossReport struct {
	// Lost are the license versions issued before the restore and lost by
	// it, now revoked stand-ins.
	Lost []string
	// Rerevoked are licenses whose revocation the restore lost, revoked
	// again.
	Rerevoked []string
	// Skipped are changes the restored library already has, or that
	// cannot be stood in for (their license type is lost too), with why.
	Skipped []string
}

// AcceptLoss records, in one transaction, that the restored library lacks
// the published changes lost (from the ledger published outside the
// database, entries at or beyond the restored log's size) and that the
// operator accepts it: one restore.accept_loss entry naming the published
// checkpoint, a revoked stand-in (ActionLicenseLost) for every lost
// license version with its ID and signature value, so that its document
// verifies as revoked online, an idempotency record that makes a retry of
// a lost issue answer with a conflict naming the lost license, and lost
// revocations applied again. The caller is the operator (system actor).
func (l *Licenses) AcceptLoss(ctx context.Context, lost []zhengzhao.LostChange, publishedSize int64, publishedRoot []byte) (*LossReport, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	lost = append([]zhengzhao.LostChange(nil), lost...)
	sort.Slice(lost, func(i, j int) bool { return lost[i].Index < lost[j].Index })
	var rep *LossReport
	err := l.store.Update(ctx, func(tx zhengzhao.Tx) error {
		rep = &LossReport{}
		size, err := tx.AuditSize()
		if err != nil {
			return err
		}
		if err := audit(ctx, tx, zhengzhao.AuditEntry{Action: zhengzhao.ActionRestoreAcceptLoss, Details: map[string]string{
			"published_size": strconv.FormatInt(publishedSize, 10), "published_root": hex.EncodeToString(publishedRoot),
			"restored_size": strconv.FormatInt(size, 10), "lost_changes": strconv.Itoa(len(lost))}}); err != nil {
			return err
		}
		for _, c := range lost {
			if err := l.standIn(ctx, tx, c, rep); err != nil {
				return fmt.Errorf("lost change at entry %d (%s %s): %w", c.Index, c.Action, c.License, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("accept loss: %w", err)
	}
	return rep, nil
}

func (l *core) standIn(ctx context.Context, tx zhengzhao.Tx, c zhengzhao.LostChange, rep *LossReport) error {
	cur, err := tx.FindLicenseByID(c.License)
	if err != nil && zhengzhao.ErrorCode(err) != zhengzhao.ENOTFOUND {
		return err
	}
	now := tx.Now()
	if c.Action == zhengzhao.ActionLicenseRevoke {
		switch {
		case cur == nil:
			rep.Skipped = append(rep.Skipped, c.License+": revoked, and not in the restored library (its issue is lost too)")
		case cur.Status != zhengzhao.StatusValid:
			rep.Skipped = append(rep.Skipped, c.License+": already "+cur.Status)
		default:
			cur.Status, cur.RevokedAt, cur.RevocationReason = zhengzhao.StatusRevoked, &now, zhengzhao.ReasonLostInRestore
			if err := tx.UpdateLicenseLifecycle(cur); err != nil {
				return err
			}
			rep.Rerevoked = append(rep.Rerevoked, c.License)
			return audit(ctx, tx, zhengzhao.AuditEntry{Action: zhengzhao.ActionLicenseRevoke, License: cur.ID, LicenseBase: cur.Base(),
				Details: map[string]string{"reason": zhengzhao.ReasonLostInRestore, "lost_index": strconv.FormatInt(c.Index, 10)}})
		}
		return nil
	}
	if cur != nil {
		rep.Skipped = append(rep.Skipped, c.License+": in the restored library")
		return nil
	}
	id, err := zhengzhao.ParseLicenseID(c.License)
	if err != nil && id.TypeCode == "" {
		return err
	}
	typ, err := tx.FindLicenseTypeByCode(id.TypeCode)
	if zhengzhao.ErrorCode(err) == zhengzhao.ENOTFOUND {
		rep.Skipped = append(rep.Skipped, c.License+": its license type "+id.TypeCode+" is lost too")
		return nil
	} else if err != nil {
		return err
	}
	unit := c.Unit
	if unit == "" {
		unit = id.IssuerCode
	}
	stub := newLicense(typ, zhengzhao.Party{Code: id.IssuerCode}, id, "", &zhengzhao.LicenseUpdate{})
	stub.ID, stub.SignedAt, stub.Proof = c.License, now, c.Proof
	stub.Status, stub.RevokedAt, stub.RevocationReason = zhengzhao.StatusRevoked, &now, zhengzhao.ReasonLostInRestore
	if err := tx.CreateLicense(stub); err != nil {
		return err
	}
	if c.IdempotencyKey != "" {
		// An empty request hash matches no request: see lostIssue.
		err := tx.CreateIdempotencyRecord(&zhengzhao.IdempotencyRecord{Unit: unit, Key: c.IdempotencyKey, RequestHash: []byte{},
			LicenseID: c.License, CreatedAt: now})
		if err != nil && zhengzhao.ErrorCode(err) != zhengzhao.ECONFLICT {
			return err
		}
	}
	rep.Lost = append(rep.Lost, c.License)
	return audit(ctx, tx, zhengzhao.AuditEntry{Action: zhengzhao.ActionLicenseLost, License: c.License, LicenseBase: id.Base(), Subject: typ.Code,
		Details: map[string]string{"reason": zhengzhao.ReasonLostInRestore, "lost_index": strconv.FormatInt(c.Index, 10), "lost_action": c.Action}})
}

// lostIssue is the answer to a retry of an issue that a restore lost: the
// idempotency record AcceptLoss made has no request hash.
func lostIssue(rec *zhengzhao.IdempotencyRecord) error {
	if len(rec.RequestHash) != 0 {
		return nil
	}
	return &zhengzhao.Error{Code: zhengzhao.ECONFLICT,
		Message: "license " + rec.LicenseID + ", issued for this Idempotency-Key, was lost in a restore and is revoked; issue again with a new key",
		Fields:  []zhengzhao.FieldError{{Field: "Idempotency-Key", Message: "its license " + rec.LicenseID + " was lost in a restore"}}}
}

package postgres

import (
	"fmt"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/sqlstore"
)

// The methods that need what only PostgreSQL has: array parameters
// (unnest) that write many rows in one statement and one round trip, and
// the audit counter row that keeps indexes gap-free across servers.

// AppendAudit appends e with the next index. The index comes from the
// audit_counter row, incremented in this transaction: the row stays
// locked until commit, so indexes are gap-free across servers, and a
// rollback (of the transaction or of the caller's savepoint) gives the
// index back.
func (t *Tx) AppendAudit(e *zhengzhao.AuditEntry) error {
	const op = "AppendAudit"
	at, details, err := t.AuditRow(op, e)
	if err != nil {
		return err
	}
	var idx int64
	err = t.q.QueryRow(t.ctx, `WITH c AS (UPDATE audit_counter SET next = next + 1 WHERE id = 1 RETURNING next - 1 AS idx)
		INSERT INTO audit_entries (`+sqlstore.AuditColumns+`)
		SELECT idx, $1, $2, $3, $4, $5, $6, $7 FROM c
		RETURNING idx`, at, e.Actor, e.Action, e.License, e.LicenseBase, e.Subject, details).Scan(&idx)
	if err != nil {
		return t.Err(op, err, "")
	}
	e.Index, e.Time = idx, at
	return nil
}

// ImportLicenses stores licenses and appends their audit entries with
// consecutive indexes, each in one statement. ECONFLICT when a license
// exists; the statement then inserts nothing and the transaction stays
// usable.
func (t *Tx) ImportLicenses(ls []*zhengzhao.License, es []*zhengzhao.AuditEntry) error {
	const op = "ImportLicenses"
	if n := len(ls); n > 0 {
		var (
			ids, types, issuers, serials, versions, holders = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
			statuses, supersededBy, reasons, docs           = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
			revokedAt                                       = make([]*time.Time, n)
			signedAt                                        = make([]time.Time, n)
		)
		for i, l := range ls {
			row, err := t.LicenseRow(op, l)
			if err != nil {
				return err
			}
			ids[i], types[i], issuers[i], serials[i], versions[i], holders[i] = l.ID, l.Type, l.Issuer.Code, l.Serial, l.Version, l.Holder.ID
			statuses[i], supersededBy[i], reasons[i], docs[i] = l.Status, l.SupersededBy, l.RevocationReason, row[len(row)-1].(string)
			revokedAt[i], signedAt[i] = l.RevokedAt, l.SignedAt
		}
		// ON CONFLICT DO NOTHING keeps the transaction usable; a short
		// count means a license existed, and the caller's savepoint
		// rollback removes the rest.
		tag, err := t.q.Exec(t.ctx, `INSERT INTO licenses (`+t.LicenseColumns()+`)
			SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
				$7::text[], $8::text[], $9::timestamptz[], $10::text[], $11::timestamptz[], $12::text[])
			ON CONFLICT DO NOTHING`,
			ids, types, issuers, serials, versions, holders, statuses, supersededBy, revokedAt, reasons, signedAt, docs)
		if err != nil {
			return t.Err(op, err, "")
		}
		if inserted := tag.RowsAffected(); inserted != int64(n) {
			return &zhengzhao.Error{Code: zhengzhao.ECONFLICT, Op: "postgres." + op,
				Message: fmt.Sprintf("%d of %d licenses exist", int64(n)-inserted, n)}
		}
	}
	n := len(es)
	if n == 0 {
		return nil
	}
	var (
		idxs                                   = make([]int64, n)
		times                                  = make([]time.Time, n)
		actors, actions, licenses, bases, subj = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		details                                = make([]*string, n)
	)
	for i, e := range es {
		at, d, err := t.AuditRow(op, e)
		if err != nil {
			return err
		}
		times[i] = at
		actors[i], actions[i], licenses[i], bases[i], subj[i] = e.Actor, e.Action, e.License, e.LicenseBase, e.Subject
		if s, ok := d.(string); ok {
			details[i] = &s
		}
	}
	// The counter row stays locked until commit: indexes are gap-free
	// across servers, as with AppendAudit.
	var first int64
	if err := t.q.QueryRow(t.ctx, `UPDATE audit_counter SET next = next + $1 WHERE id = 1 RETURNING next - $1`, n).Scan(&first); err != nil {
		return t.Err(op, err, "")
	}
	for i := range idxs {
		idxs[i] = first + int64(i)
	}
	if _, err := t.q.Exec(t.ctx, `INSERT INTO audit_entries (`+sqlstore.AuditColumns+`)
		SELECT i, tm, a, ac, l, b, s, d::jsonb FROM unnest($1::bigint[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
			AS u(i, tm, a, ac, l, b, s, d)`,
		idxs, times, actors, actions, licenses, bases, subj, details); err != nil {
		return t.Err(op, err, "")
	}
	for i, e := range es {
		e.Index, e.Time = idxs[i], times[i]
	}
	return nil
}

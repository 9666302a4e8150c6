package postgres

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/zhengzhao-project/zhengzhao"
)

// Aggregation: import jobs and reports, increment receipts, outages, and
// the bulk license insert of an import.

// Import jobs.

func scanImportJob(row pgx.Row, extra ...any) (*zhengzhao.ImportJob, error) {
	var doc []byte
	if err := row.Scan(append([]any{&doc}, extra...)...); err != nil {
		return nil, err
	}
	var j zhengzhao.ImportJob
	if err := json.Unmarshal(doc, &j); err != nil {
		return nil, fmt.Errorf("stored import job: %w", err)
	}
	return &j, nil
}

// nullString stores "" as NULL.
func nullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// CreateImportJob stores a new job. ECONFLICT when its ID, or its issuer
// and key, exist.
func (t *Tx) CreateImportJob(j *zhengzhao.ImportJob) error {
	const op = "postgres.CreateImportJob"
	doc, err := json.Marshal(j)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if err := checkText(op, j.ID, j.Issuer, j.Key, string(doc)); err != nil {
		return err
	}
	n, err := t.exec(op, "", `INSERT INTO import_jobs (id, issuer, key, rows, document) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT DO NOTHING`, j.ID, j.Issuer, nullString(j.Key), j.Rows, string(doc))
	if err != nil {
		return err
	}
	if n == 0 {
		return &zhengzhao.Error{Code: zhengzhao.ECONFLICT, Message: fmt.Sprintf("import job %s exists", j.ID), Op: op}
	}
	return nil
}

// UpdateImportJob stores j's progress if the stored job is still at
// prevRows. ECONFLICT otherwise; ENOTFOUND when there is no such job.
func (t *Tx) UpdateImportJob(j *zhengzhao.ImportJob, prevRows int64) error {
	const op = "postgres.UpdateImportJob"
	doc, err := json.Marshal(j)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if err := checkText(op, string(doc)); err != nil {
		return err
	}
	n, err := t.exec(op, "", `UPDATE import_jobs SET rows = $1, document = $2 WHERE id = $3 AND rows = $4`, j.Rows, string(doc), j.ID, prevRows)
	if err != nil {
		return err
	}
	if n == 1 {
		return nil
	}
	if _, err := t.FindImportJob(j.ID); err != nil {
		return err
	}
	return &zhengzhao.Error{Code: zhengzhao.ECONFLICT, Op: op,
		Message: fmt.Sprintf("import job %s advanced elsewhere: it is being imported by another process", j.ID)}
}

// FindImportJob returns the job with the ID. ENOTFOUND.
func (t *Tx) FindImportJob(id string) (*zhengzhao.ImportJob, error) {
	j, err := scanImportJob(t.q.QueryRow(t.ctx, `SELECT document FROM import_jobs WHERE id = $1`, id))
	if err != nil {
		return nil, findErr("postgres.FindImportJob", err, "import job %s not found", id)
	}
	return j, nil
}

// FindImportJobByKey returns the issuer's job with the key. ENOTFOUND.
func (t *Tx) FindImportJobByKey(issuer, key string) (*zhengzhao.ImportJob, error) {
	j, err := scanImportJob(t.q.QueryRow(t.ctx, `SELECT document FROM import_jobs WHERE issuer = $1 AND key = $2`, issuer, key))
	if err != nil {
		return nil, findErr("postgres.FindImportJobByKey", err, "import job with key %q not found", key)
	}
	return j, nil
}

// FindImportJobs returns matching jobs in the order they were created.
func (t *Tx) FindImportJobs(f zhengzhao.ImportJobFilter) ([]*zhengzhao.ImportJob, int, string, error) {
	var w where
	if f.Issuer != nil {
		w.add("issuer = ?", *f.Issuer)
	}
	return list(t, "postgres.FindImportJobs", "import_jobs", "document", "seq", w, f.Page, func(rows pgx.Rows) (*zhengzhao.ImportJob, int64, error) {
		var seq int64
		j, err := scanImportJob(rows, &seq)
		return j, seq, err
	})
}

// CreateImportProblems stores report lines in one statement.
func (t *Tx) CreateImportProblems(ps []*zhengzhao.ImportProblem) error {
	const op = "postgres.CreateImportProblems"
	if len(ps) == 0 {
		return nil
	}
	var (
		jobs, fields, reasons, outcomes = make([]string, len(ps)), make([]string, len(ps)), make([]string, len(ps)), make([]string, len(ps))
		rows                            = make([]int64, len(ps))
	)
	for i, p := range ps {
		jobs[i], rows[i], fields[i], reasons[i], outcomes[i] = p.Job, p.Row, p.Field, p.Reason, p.Outcome
		if err := checkText(op, p.Job, p.Field, p.Reason, p.Outcome); err != nil {
			return err
		}
	}
	_, err := t.exec(op, "", `INSERT INTO import_problems (job, row, field, reason, outcome)
		SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[])`, jobs, rows, fields, reasons, outcomes)
	return err
}

// FindImportProblems returns the job's problems after afterRow in row
// order, at most limit.
func (t *Tx) FindImportProblems(job string, afterRow int64, limit int) ([]*zhengzhao.ImportProblem, error) {
	const op = "postgres.FindImportProblems"
	rows, err := t.q.Query(t.ctx, `SELECT row, field, reason, outcome FROM import_problems
		WHERE job = $1 AND row > $2 ORDER BY row, seq LIMIT $3`, job, afterRow, limit)
	if err != nil {
		return nil, mapErr(op, err, "")
	}
	ps, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*zhengzhao.ImportProblem, error) {
		p := &zhengzhao.ImportProblem{Job: job}
		return p, row.Scan(&p.Row, &p.Field, &p.Reason, &p.Outcome)
	})
	if err != nil {
		return nil, mapErr(op, err, "")
	}
	return ps, nil
}

// Bulk license insert.

// FindLicenseBases returns those of bases the library has a license of.
func (t *Tx) FindLicenseBases(bases []string) ([]string, error) {
	const op = "postgres.FindLicenseBases"
	if len(bases) == 0 {
		return nil, nil
	}
	if err := checkText(op, bases...); err != nil {
		return nil, err
	}
	rows, err := t.q.Query(t.ctx, `SELECT DISTINCT base FROM licenses WHERE base = ANY($1::text[])`, bases)
	if err != nil {
		return nil, mapErr(op, err, "")
	}
	found, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, mapErr(op, err, "")
	}
	return found, nil
}

// ImportLicenses stores licenses and appends their audit entries with
// consecutive indexes, each in one statement. ECONFLICT when a license
// exists; the statement then inserts nothing and the transaction stays
// usable.
func (t *Tx) ImportLicenses(ls []*zhengzhao.License, es []*zhengzhao.AuditEntry) error {
	const op = "postgres.ImportLicenses"
	if n := len(ls); n > 0 {
		var (
			ids, types, issuers, serials, versions, holders = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
			statuses, supersededBy, reasons, docs           = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
			revokedAt                                       = make([]*time.Time, n)
			signedAt                                        = make([]time.Time, n)
		)
		for i, l := range ls {
			doc, err := encodeDocument(l)
			if err != nil {
				return &zhengzhao.Error{Code: zhengzhao.EINVALID, Message: "the license cannot be encoded as JSON", Op: op, Err: err}
			}
			if err := checkText(op, l.ID, l.Type, l.Issuer.Code, l.Serial, l.Version, l.Holder.ID, l.Status, l.SupersededBy, l.RevocationReason, doc); err != nil {
				return err
			}
			ids[i], types[i], issuers[i], serials[i], versions[i], holders[i] = l.ID, l.Type, l.Issuer.Code, l.Serial, l.Version, l.Holder.ID
			statuses[i], supersededBy[i], reasons[i], docs[i] = l.Status, l.SupersededBy, l.RevocationReason, doc
			revokedAt[i], signedAt[i] = l.RevokedAt, l.SignedAt
		}
		// ON CONFLICT DO NOTHING keeps the transaction usable; a short
		// count means a license existed, and the caller's savepoint
		// rollback removes the rest.
		inserted, err := t.exec(op, "", `INSERT INTO licenses (id, type, issuer, serial, version, holder_id,
				status, superseded_by, revoked_at, revocation_reason, signed_at, document)
			SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
				$7::text[], $8::text[], $9::timestamptz[], $10::text[], $11::timestamptz[], $12::text[])
			ON CONFLICT DO NOTHING`,
			ids, types, issuers, serials, versions, holders, statuses, supersededBy, revokedAt, reasons, signedAt, docs)
		if err != nil {
			return err
		}
		if inserted != int64(n) {
			return &zhengzhao.Error{Code: zhengzhao.ECONFLICT, Op: op,
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
		at := e.Time
		if at.IsZero() {
			at = t.now
		}
		times[i] = at.UTC().Truncate(time.Microsecond)
		actors[i], actions[i], licenses[i], bases[i], subj[i] = e.Actor, e.Action, e.License, e.LicenseBase, e.Subject
		if err := checkText(op, e.Actor, e.Action, e.License, e.LicenseBase, e.Subject); err != nil {
			return err
		}
		if len(e.Details) > 0 {
			b, err := json.Marshal(e.Details)
			if err != nil {
				return fmt.Errorf("%s: %w", op, err)
			}
			if err := checkJSONB(op, b); err != nil {
				return err
			}
			s := string(b)
			details[i] = &s
		}
	}
	// The counter row stays locked until commit: indexes are gap-free
	// across servers, as with AppendAudit.
	var first int64
	if err := t.q.QueryRow(t.ctx, `UPDATE audit_counter SET next = next + $1 WHERE id = 1 RETURNING next - $1`, n).Scan(&first); err != nil {
		return mapErr(op, err, "")
	}
	for i := range idxs {
		idxs[i] = first + int64(i)
	}
	if _, err := t.exec(op, "", `INSERT INTO audit_entries (idx, time, actor, action, license, license_base, subject, details)
		SELECT i, tm, a, ac, l, b, s, d::jsonb FROM unnest($1::bigint[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
			AS u(i, tm, a, ac, l, b, s, d)`,
		idxs, times, actors, actions, licenses, bases, subj, details); err != nil {
		return err
	}
	for i, e := range es {
		e.Index, e.Time = idxs[i], times[i]
	}
	return nil
}

// FindLicenseStates returns the issuer's current licenses with base >
// after, by base in byte order, at most limit.
func (t *Tx) FindLicenseStates(issuer, after string, limit int) ([]*zhengzhao.License, error) {
	const op = "postgres.FindLicenseStates"
	rows, err := t.q.Query(t.ctx, `SELECT `+licenseColumns+` FROM licenses
		WHERE issuer = $1 AND base COLLATE "C" > $2 AND status <> $3 ORDER BY base COLLATE "C" LIMIT $4`,
		issuer, after, zhengzhao.StatusSuperseded, limit)
	if err != nil {
		return nil, mapErr(op, err, "")
	}
	ls, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*zhengzhao.License, error) { return scanLicense(row) })
	if err != nil {
		return nil, mapErr(op, err, "")
	}
	return ls, nil
}

// Increment receipts.

// CreateIncrementReceipt stores a receipt. ECONFLICT when the issuer has
// one for the date.
func (t *Tx) CreateIncrementReceipt(r *zhengzhao.IncrementReceipt) error {
	const op = "postgres.CreateIncrementReceipt"
	doc, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if err := checkText(op, r.Issuer, r.Date, string(doc)); err != nil {
		return err
	}
	n, err := t.exec(op, "", `INSERT INTO increment_receipts (issuer, date, received_at, request_hash, document)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`, r.Issuer, r.Date, r.ReceivedAt, r.RequestHash, string(doc))
	if err != nil {
		return err
	}
	if n == 0 {
		return &zhengzhao.Error{Code: zhengzhao.ECONFLICT, Op: op,
			Message: fmt.Sprintf("an increment of %s for %s has been received", r.Issuer, r.Date)}
	}
	return nil
}

func scanReceipt(row pgx.Row) (*zhengzhao.IncrementReceipt, error) {
	var doc, hash []byte
	if err := row.Scan(&doc, &hash); err != nil {
		return nil, err
	}
	var r zhengzhao.IncrementReceipt
	if err := json.Unmarshal(doc, &r); err != nil {
		return nil, fmt.Errorf("stored increment receipt: %w", err)
	}
	r.RequestHash = hash
	return &r, nil
}

// FindIncrementReceipt returns the issuer's receipt for the date.
// ENOTFOUND.
func (t *Tx) FindIncrementReceipt(issuer, date string) (*zhengzhao.IncrementReceipt, error) {
	r, err := scanReceipt(t.q.QueryRow(t.ctx, `SELECT document, request_hash FROM increment_receipts WHERE issuer = $1 AND date = $2`, issuer, date))
	if err != nil {
		return nil, findErr("postgres.FindIncrementReceipt", err, "no increment of %s for %s", issuer, date)
	}
	return r, nil
}

// FindIncrementReceipts returns the issuer's receipts for dates in [from,
// to], by date.
func (t *Tx) FindIncrementReceipts(issuer, from, to string) ([]*zhengzhao.IncrementReceipt, error) {
	const op = "postgres.FindIncrementReceipts"
	rows, err := t.q.Query(t.ctx, `SELECT document, request_hash FROM increment_receipts
		WHERE issuer = $1 AND date >= $2 AND date <= $3 ORDER BY date COLLATE "C"`, issuer, from, to)
	if err != nil {
		return nil, mapErr(op, err, "")
	}
	rs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*zhengzhao.IncrementReceipt, error) { return scanReceipt(row) })
	if err != nil {
		return nil, mapErr(op, err, "")
	}
	return rs, nil
}

// Outages.

func scanOutage(row pgx.Row, extra ...any) (*zhengzhao.Outage, error) {
	var doc []byte
	if err := row.Scan(append([]any{&doc}, extra...)...); err != nil {
		return nil, err
	}
	var o zhengzhao.Outage
	if err := json.Unmarshal(doc, &o); err != nil {
		return nil, fmt.Errorf("stored outage: %w", err)
	}
	return &o, nil
}

// outageDoc returns the stored form of an outage: without the derived
// Late flag.
func outageDoc(o *zhengzhao.Outage) (string, error) {
	c := *o
	c.Late = false
	b, err := json.Marshal(&c)
	return string(b), err
}

// CreateOutage stores an outage. ECONFLICT when its ID exists.
func (t *Tx) CreateOutage(o *zhengzhao.Outage) error {
	const op = "postgres.CreateOutage"
	doc, err := outageDoc(o)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if err := checkText(op, o.ID, o.Issuer, doc); err != nil {
		return err
	}
	n, err := t.exec(op, "", `INSERT INTO outages (id, issuer, start, end_at, deadline, caught_up_at, document)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
		o.ID, o.Issuer, o.Start, o.End, o.Deadline, o.CaughtUpAt, doc)
	if err != nil {
		return err
	}
	if n == 0 {
		return &zhengzhao.Error{Code: zhengzhao.ECONFLICT, Message: fmt.Sprintf("outage %s exists", o.ID), Op: op}
	}
	return nil
}

// UpdateOutage stores an outage's end, deadline and catch-up. ENOTFOUND.
func (t *Tx) UpdateOutage(o *zhengzhao.Outage) error {
	const op = "postgres.UpdateOutage"
	doc, err := outageDoc(o)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if err := checkText(op, doc); err != nil {
		return err
	}
	n, err := t.exec(op, "", `UPDATE outages SET end_at = $1, deadline = $2, caught_up_at = $3, document = $4 WHERE id = $5`,
		o.End, o.Deadline, o.CaughtUpAt, doc, o.ID)
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound(op, "outage %s not found", o.ID)
	}
	return nil
}

// FindOutage returns the outage with the ID. ENOTFOUND.
func (t *Tx) FindOutage(id string) (*zhengzhao.Outage, error) {
	o, err := scanOutage(t.q.QueryRow(t.ctx, `SELECT document FROM outages WHERE id = $1`, id))
	if err != nil {
		return nil, findErr("postgres.FindOutage", err, "outage %s not found", id)
	}
	return o, nil
}

// FindOutages returns matching outages in the order they were recorded.
func (t *Tx) FindOutages(f zhengzhao.OutageFilter) ([]*zhengzhao.Outage, int, string, error) {
	var w where
	if f.Issuer != nil {
		w.add("issuer = ?", *f.Issuer)
	}
	if f.Open {
		w.add("end_at IS NULL")
	}
	if f.LateAt != nil {
		w.add("deadline IS NOT NULL AND ((caught_up_at IS NULL AND deadline < ?) OR caught_up_at > deadline)", *f.LateAt)
	}
	return list(t, "postgres.FindOutages", "outages", "document", "seq", w, f.Page, func(rows pgx.Rows) (*zhengzhao.Outage, int64, error) {
		var seq int64
		o, err := scanOutage(rows, &seq)
		return o, seq, err
	})
}

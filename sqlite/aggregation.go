package sqlite

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
)

// Aggregation: import jobs and reports, increment receipts, outages, and
// the bulk license insert of an import.

// Import jobs.

func scanImportJob(s scanner) (*zhengzhao.ImportJob, int64, error) {
	var (
		seq int64
		doc []byte
	)
	if err := s.Scan(&seq, &doc); err != nil {
		return nil, 0, err
	}
	var j zhengzhao.ImportJob
	if err := json.Unmarshal(doc, &j); err != nil {
		return nil, 0, fmt.Errorf("import job %d: %w", seq, err)
	}
	return &j, seq, nil
}

// nullString stores "" as NULL.
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// CreateImportJob stores a new job. ECONFLICT when its ID, or its issuer
// and key, exist.
func (tx *Tx) CreateImportJob(j *zhengzhao.ImportJob) error {
	const op = "sqlite.CreateImportJob"
	doc, err := json.Marshal(j)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	_, err = tx.exec(`INSERT INTO import_jobs (id, issuer, key, rows, document) VALUES (?, ?, ?, ?, ?)`,
		j.ID, j.Issuer, nullString(j.Key), j.Rows, doc)
	return mapErr(op, err, fmt.Sprintf("import job %s exists", j.ID))
}

// UpdateImportJob stores j's progress if the stored job is still at
// prevRows. ECONFLICT otherwise; ENOTFOUND when there is no such job.
func (tx *Tx) UpdateImportJob(j *zhengzhao.ImportJob, prevRows int64) error {
	const op = "sqlite.UpdateImportJob"
	doc, err := json.Marshal(j)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	res, err := tx.exec(`UPDATE import_jobs SET rows = ?, document = ? WHERE id = ? AND rows = ?`, j.Rows, doc, j.ID, prevRows)
	if err != nil {
		return mapErr(op, err, "")
	}
	if n, err := res.RowsAffected(); err != nil {
		return mapErr(op, err, "")
	} else if n == 1 {
		return nil
	}
	if _, err := tx.FindImportJob(j.ID); err != nil {
		return err
	}
	return &zhengzhao.Error{Code: zhengzhao.ECONFLICT, Op: op,
		Message: fmt.Sprintf("import job %s advanced elsewhere: it is being imported by another process", j.ID)}
}

// FindImportJob returns the job with the ID. ENOTFOUND.
func (tx *Tx) FindImportJob(id string) (*zhengzhao.ImportJob, error) {
	j, _, err := scanImportJob(tx.queryRow(`SELECT seq, document FROM import_jobs WHERE id = ?`, id))
	if err != nil {
		return nil, notFound("sqlite.FindImportJob", err, "import job %s not found", id)
	}
	return j, nil
}

// FindImportJobByKey returns the issuer's job with the key. ENOTFOUND.
func (tx *Tx) FindImportJobByKey(issuer, key string) (*zhengzhao.ImportJob, error) {
	j, _, err := scanImportJob(tx.queryRow(`SELECT seq, document FROM import_jobs WHERE issuer = ? AND key = ?`, issuer, key))
	if err != nil {
		return nil, notFound("sqlite.FindImportJobByKey", err, "import job with key %q not found", key)
	}
	return j, nil
}

// FindImportJobs returns matching jobs in the order they were created.
func (tx *Tx) FindImportJobs(f zhengzhao.ImportJobFilter) ([]*zhengzhao.ImportJob, int, string, error) {
	var w where
	if f.Issuer != nil {
		w.add("issuer = ?", *f.Issuer)
	}
	return list(tx, "sqlite.FindImportJobs", "import_jobs", "seq, document", "seq", w, f.Page, scanImportJob)
}

// CreateImportProblems stores report lines.
func (tx *Tx) CreateImportProblems(ps []*zhengzhao.ImportProblem) error {
	const op = "sqlite.CreateImportProblems"
	if len(ps) == 0 {
		return nil
	}
	ins, err := tx.q.PrepareContext(tx.ctx, `INSERT INTO import_problems (job, row, field, reason, outcome) VALUES (?, ?, ?, ?, ?)`)
	if err != nil {
		return mapErr(op, err, "")
	}
	defer ins.Close()
	for _, p := range ps {
		if _, err := ins.ExecContext(tx.ctx, p.Job, p.Row, p.Field, p.Reason, p.Outcome); err != nil {
			return mapErr(op, err, "")
		}
	}
	return nil
}

// FindImportProblems returns the job's problems after afterRow in row
// order, at most limit.
func (tx *Tx) FindImportProblems(job string, afterRow int64, limit int) ([]*zhengzhao.ImportProblem, error) {
	const op = "sqlite.FindImportProblems"
	rows, err := tx.query(`SELECT row, field, reason, outcome FROM import_problems WHERE job = ? AND row > ? ORDER BY row, seq LIMIT ?`,
		job, afterRow, limit)
	if err != nil {
		return nil, mapErr(op, err, "")
	}
	defer rows.Close()
	var ps []*zhengzhao.ImportProblem
	for rows.Next() {
		p := &zhengzhao.ImportProblem{Job: job}
		if err := rows.Scan(&p.Row, &p.Field, &p.Reason, &p.Outcome); err != nil {
			return nil, mapErr(op, err, "")
		}
		ps = append(ps, p)
	}
	return ps, mapErr(op, rows.Err(), "")
}

// Bulk license insert.

// FindLicenseBases returns those of bases the library has a license of.
func (tx *Tx) FindLicenseBases(bases []string) ([]string, error) {
	const op = "sqlite.FindLicenseBases"
	if len(bases) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(bases)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	rows, err := tx.query(`SELECT DISTINCT base FROM licenses WHERE base IN (SELECT value FROM json_each(?))`, string(b))
	if err != nil {
		return nil, mapErr(op, err, "")
	}
	defer rows.Close()
	var found []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, mapErr(op, err, "")
		}
		found = append(found, s)
	}
	return found, mapErr(op, rows.Err(), "")
}

// licenseBase returns l's base, also for a historical ID with a wrong
// check character.
func licenseBase(l *zhengzhao.License) string {
	if b := l.Base(); b != "" {
		return b
	}
	return l.Type + "." + l.Issuer.Code + "." + l.Serial
}

// ImportLicenses stores licenses and appends their audit entries with
// consecutive indexes. ECONFLICT when a license exists.
func (tx *Tx) ImportLicenses(ls []*zhengzhao.License, es []*zhengzhao.AuditEntry) error {
	const op = "sqlite.ImportLicenses"
	if len(ls) > 0 {
		ins, err := tx.q.PrepareContext(tx.ctx, `INSERT INTO licenses (id, type, issuer, serial, version, base, holder_id,
			status, superseded_by, revoked_at, revocation_reason, document)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return mapErr(op, err, "")
		}
		defer ins.Close()
		for _, l := range ls {
			signed := *l
			signed.Status, signed.SupersededBy, signed.RevokedAt, signed.RevocationReason = "", "", nil, ""
			doc, err := json.Marshal(&signed)
			if err != nil {
				return fmt.Errorf("%s: encode %s: %w", op, l.ID, err)
			}
			if _, err := ins.ExecContext(tx.ctx, l.ID, l.Type, l.Issuer.Code, l.Serial, l.Version, licenseBase(l), l.Holder.ID,
				l.Status, l.SupersededBy, nullTime(l.RevokedAt), l.RevocationReason, doc); err != nil {
				return mapErr(op, err, fmt.Sprintf("license %s exists", l.ID))
			}
		}
	}
	if len(es) == 0 {
		return nil
	}
	var next int64
	if err := tx.queryRow(`SELECT COALESCE(MAX(idx) + 1, 0) FROM audit_entries`).Scan(&next); err != nil {
		return mapErr(op, err, "")
	}
	ins, err := tx.q.PrepareContext(tx.ctx, `INSERT INTO audit_entries (idx, time, actor, action, license, license_base, subject, details)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return mapErr(op, err, "")
	}
	defer ins.Close()
	for i, e := range es {
		t := e.Time
		if t.IsZero() {
			t = tx.now
		}
		t = t.UTC().Truncate(time.Microsecond)
		var details any
		if len(e.Details) > 0 {
			b, err := json.Marshal(e.Details)
			if err != nil {
				return fmt.Errorf("%s: details: %w", op, err)
			}
			details = string(b)
		}
		idx := next + int64(i)
		if _, err := ins.ExecContext(tx.ctx, idx, formatTime(t), e.Actor, e.Action, e.License, e.LicenseBase, e.Subject, details); err != nil {
			return mapErr(op, err, "")
		}
		e.Index, e.Time = idx, t
	}
	return nil
}

// FindLicenseStates returns the issuer's current licenses with base >
// after, by base in byte order (SQLite's BINARY collation), at most limit.
func (tx *Tx) FindLicenseStates(issuer, after string, limit int) ([]*zhengzhao.License, error) {
	const op = "sqlite.FindLicenseStates"
	rows, err := tx.query(`SELECT `+licenseColumns+` FROM licenses INDEXED BY licenses_issuer_base
		WHERE issuer = ? AND base > ? AND status <> ? ORDER BY base LIMIT ?`,
		issuer, after, zhengzhao.StatusSuperseded, limit)
	if err != nil {
		return nil, mapErr(op, err, "")
	}
	defer rows.Close()
	var ls []*zhengzhao.License
	for rows.Next() {
		l, _, err := scanLicense(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		ls = append(ls, l)
	}
	return ls, mapErr(op, rows.Err(), "")
}

// Increment receipts.

// CreateIncrementReceipt stores a receipt. ECONFLICT when the issuer has
// one for the date.
func (tx *Tx) CreateIncrementReceipt(r *zhengzhao.IncrementReceipt) error {
	const op = "sqlite.CreateIncrementReceipt"
	doc, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	_, err = tx.exec(`INSERT INTO increment_receipts (issuer, date, received_at, request_hash, document) VALUES (?, ?, ?, ?, ?)`,
		r.Issuer, r.Date, formatTime(r.ReceivedAt), r.RequestHash, doc)
	return mapErr(op, err, fmt.Sprintf("an increment of %s for %s has been received", r.Issuer, r.Date))
}

func scanReceipt(s scanner) (*zhengzhao.IncrementReceipt, error) {
	var (
		doc  []byte
		hash []byte
	)
	if err := s.Scan(&doc, &hash); err != nil {
		return nil, err
	}
	var r zhengzhao.IncrementReceipt
	if err := json.Unmarshal(doc, &r); err != nil {
		return nil, fmt.Errorf("increment receipt: %w", err)
	}
	r.RequestHash = hash
	return &r, nil
}

// FindIncrementReceipt returns the issuer's receipt for the date.
// ENOTFOUND.
func (tx *Tx) FindIncrementReceipt(issuer, date string) (*zhengzhao.IncrementReceipt, error) {
	r, err := scanReceipt(tx.queryRow(`SELECT document, request_hash FROM increment_receipts WHERE issuer = ? AND date = ?`, issuer, date))
	if err != nil {
		return nil, notFound("sqlite.FindIncrementReceipt", err, "no increment of %s for %s", issuer, date)
	}
	return r, nil
}

// FindIncrementReceipts returns the issuer's receipts for dates in [from,
// to], by date.
func (tx *Tx) FindIncrementReceipts(issuer, from, to string) ([]*zhengzhao.IncrementReceipt, error) {
	const op = "sqlite.FindIncrementReceipts"
	rows, err := tx.query(`SELECT document, request_hash FROM increment_receipts WHERE issuer = ? AND date >= ? AND date <= ? ORDER BY date`,
		issuer, from, to)
	if err != nil {
		return nil, mapErr(op, err, "")
	}
	defer rows.Close()
	var rs []*zhengzhao.IncrementReceipt
	for rows.Next() {
		r, err := scanReceipt(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		rs = append(rs, r)
	}
	return rs, mapErr(op, rows.Err(), "")
}

// Outages.

func scanOutage(s scanner) (*zhengzhao.Outage, int64, error) {
	var (
		seq int64
		doc []byte
	)
	if err := s.Scan(&seq, &doc); err != nil {
		return nil, 0, err
	}
	var o zhengzhao.Outage
	if err := json.Unmarshal(doc, &o); err != nil {
		return nil, 0, fmt.Errorf("outage %d: %w", seq, err)
	}
	return &o, seq, nil
}

// outageDoc returns the stored form of an outage: without the derived
// Late flag.
func outageDoc(o *zhengzhao.Outage) ([]byte, error) {
	c := *o
	c.Late = false
	return json.Marshal(&c)
}

// CreateOutage stores an outage. ECONFLICT when its ID exists.
func (tx *Tx) CreateOutage(o *zhengzhao.Outage) error {
	const op = "sqlite.CreateOutage"
	doc, err := outageDoc(o)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	_, err = tx.exec(`INSERT INTO outages (id, issuer, start, end_at, deadline, caught_up_at, document) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		o.ID, o.Issuer, formatTime(o.Start), nullTime(o.End), nullTime(o.Deadline), nullTime(o.CaughtUpAt), doc)
	return mapErr(op, err, fmt.Sprintf("outage %s exists", o.ID))
}

// UpdateOutage stores an outage's end, deadline and catch-up. ENOTFOUND.
func (tx *Tx) UpdateOutage(o *zhengzhao.Outage) error {
	const op = "sqlite.UpdateOutage"
	doc, err := outageDoc(o)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	res, err := tx.exec(`UPDATE outages SET end_at = ?, deadline = ?, caught_up_at = ?, document = ? WHERE id = ?`,
		nullTime(o.End), nullTime(o.Deadline), nullTime(o.CaughtUpAt), doc, o.ID)
	if err != nil {
		return mapErr(op, err, "")
	}
	if n, err := res.RowsAffected(); err != nil {
		return mapErr(op, err, "")
	} else if n == 0 {
		return &zhengzhao.Error{Code: zhengzhao.ENOTFOUND, Message: fmt.Sprintf("outage %s not found", o.ID), Op: op}
	}
	return nil
}

// FindOutage returns the outage with the ID. ENOTFOUND.
func (tx *Tx) FindOutage(id string) (*zhengzhao.Outage, error) {
	o, _, err := scanOutage(tx.queryRow(`SELECT seq, document FROM outages WHERE id = ?`, id))
	if err != nil {
		return nil, notFound("sqlite.FindOutage", err, "outage %s not found", id)
	}
	return o, nil
}

// FindOutages returns matching outages in the order they were recorded.
func (tx *Tx) FindOutages(f zhengzhao.OutageFilter) ([]*zhengzhao.Outage, int, string, error) {
	var w where
	if f.Issuer != nil {
		w.add("issuer = ?", *f.Issuer)
	}
	if f.Open {
		w.add("end_at IS NULL")
	}
	if f.LateAt != nil {
		at := formatTime(*f.LateAt)
		w.add("deadline IS NOT NULL AND ((caught_up_at IS NULL AND deadline < ?) OR caught_up_at > deadline)", at)
	}
	return list(tx, "sqlite.FindOutages", "outages", "seq, document", "seq", w, f.Page, scanOutage)
}

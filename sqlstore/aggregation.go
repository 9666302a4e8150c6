package sqlstore

import (
	"encoding/json"
	"fmt"

	"github.com/zhengzhao-project/zhengzhao"
)

// Aggregation: import jobs and reports, increment receipts, outages, and
// the bulk license insert of an import.

// Import jobs.

func scanImportJob(row Row, extra ...any) (*zhengzhao.ImportJob, error) {
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
	const op = "CreateImportJob"
	doc, err := json.Marshal(j)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if err := t.checkText(op, j.ID, j.Issuer, j.Key, string(doc)); err != nil {
		return err
	}
	n, err := t.exec(op, `INSERT INTO import_jobs (id, issuer, key, rows, document) VALUES (?, ?, ?, ?, ?)
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
	const op = "UpdateImportJob"
	doc, err := json.Marshal(j)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if err := t.checkText(op, string(doc)); err != nil {
		return err
	}
	n, err := t.exec(op, `UPDATE import_jobs SET rows = ?, document = ? WHERE id = ? AND rows = ?`, j.Rows, string(doc), j.ID, prevRows)
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
	j, err := scanImportJob(t.queryRow(`SELECT document FROM import_jobs WHERE id = ?`, id))
	if err != nil {
		return nil, t.found("FindImportJob", err, fmt.Sprintf("import job %s not found", id))
	}
	return j, nil
}

// FindImportJobByKey returns the issuer's job with the key. ENOTFOUND.
func (t *Tx) FindImportJobByKey(issuer, key string) (*zhengzhao.ImportJob, error) {
	j, err := scanImportJob(t.queryRow(`SELECT document FROM import_jobs WHERE issuer = ? AND key = ?`, issuer, key))
	if err != nil {
		return nil, t.found("FindImportJobByKey", err, fmt.Sprintf("import job with key %q not found", key))
	}
	return j, nil
}

// FindImportJobs returns matching jobs in the order they were created.
func (t *Tx) FindImportJobs(f zhengzhao.ImportJobFilter) ([]*zhengzhao.ImportJob, int, string, error) {
	var w where
	if f.Issuer != nil {
		w.add("issuer = ?", *f.Issuer)
	}
	return list(t, "FindImportJobs", "import_jobs", "document", "seq", w, f.Page, func(r Row, k *int64) (*zhengzhao.ImportJob, error) { return scanImportJob(r, k) })
}

// CreateImportProblems stores report lines in one statement.
func (t *Tx) CreateImportProblems(ps []*zhengzhao.ImportProblem) error {
	const op = "CreateImportProblems"
	if len(ps) == 0 {
		return nil
	}
	args := make([]any, 0, 5*len(ps))
	for _, p := range ps {
		if err := t.checkText(op, p.Job, p.Field, p.Reason, p.Outcome); err != nil {
			return err
		}
		args = append(args, p.Job, p.Row, p.Field, p.Reason, p.Outcome)
	}
	_, err := t.exec(op, `INSERT INTO import_problems (job, row, field, reason, outcome) VALUES `+values(len(ps), 5), args...)
	return err
}

// FindImportProblems returns the job's problems after afterRow in row
// order, at most limit.
func (t *Tx) FindImportProblems(job string, afterRow int64, limit int) ([]*zhengzhao.ImportProblem, error) {
	const op = "FindImportProblems"
	rows, err := t.query(`SELECT row, field, reason, outcome FROM import_problems
		WHERE job = ? AND row > ? ORDER BY row, seq LIMIT ?`, job, afterRow, limit)
	if err != nil {
		return nil, t.Err(op, err, "")
	}
	ps, err := collectRows(rows, func(row Row) (*zhengzhao.ImportProblem, error) {
		p := &zhengzhao.ImportProblem{Job: job}
		return p, row.Scan(&p.Row, &p.Field, &p.Reason, &p.Outcome)
	})
	if err != nil {
		return nil, t.Err(op, err, "")
	}
	return ps, nil
}

// Bulk license insert.

// FindLicenseBases returns those of bases the library has a license of.
func (t *Tx) FindLicenseBases(bases []string) ([]string, error) {
	const op = "FindLicenseBases"
	if len(bases) == 0 {
		return nil, nil
	}
	if err := t.checkText(op, bases...); err != nil {
		return nil, err
	}
	rows, err := t.query("SELECT DISTINCT base FROM licenses WHERE "+t.d.In("base"), bases)
	if err != nil {
		return nil, t.Err(op, err, "")
	}
	found, err := collectRows(rows, scanString)
	if err != nil {
		return nil, t.Err(op, err, "")
	}
	return found, nil
}

// ImportLicenses stores licenses and appends their audit entries with
// consecutive indexes, one prepared statement a row. ECONFLICT when a
// license exists; the transaction stays usable. PostgreSQL overrides it
// with array inserts.
func (t *Tx) ImportLicenses(ls []*zhengzhao.License, es []*zhengzhao.AuditEntry) error {
	const op = "ImportLicenses"
	for _, l := range ls {
		if err := t.insertLicense(op, l); err != nil {
			return err
		}
	}
	if len(es) == 0 {
		return nil
	}
	// One writer holds the database: the entries take the indexes after
	// the last one, without a MAX for each.
	next, err := t.AuditSize()
	if err != nil {
		return err
	}
	for _, e := range es {
		at, details, err := t.AuditRow(op, e)
		if err != nil {
			return err
		}
		if _, err := t.exec(op, qImportAudit, next, at, e.Actor, e.Action, e.License, e.LicenseBase, e.Subject, details); err != nil {
			return err
		}
		e.Index, e.Time = next, at
		next++
	}
	return nil
}

var qImportAudit = hot("INSERT INTO audit_entries (" + AuditColumns + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)")

// FindLicenseStates returns the issuer's current licenses with base >
// after, by base in byte order, at most limit.
func (t *Tx) FindLicenseStates(issuer, after string, limit int) ([]*zhengzhao.License, error) {
	const op = "FindLicenseStates"
	rows, err := t.query(`SELECT `+licenseColumns+` FROM licenses
		WHERE issuer = ? AND base `+t.d.Bytewise+` > ? AND status <> ? ORDER BY base `+t.d.Bytewise+` LIMIT ?`,
		issuer, after, zhengzhao.StatusSuperseded, limit)
	if err != nil {
		return nil, t.Err(op, err, "")
	}
	ls, err := collectRows(rows, func(row Row) (*zhengzhao.License, error) { return scanLicense(row) })
	if err != nil {
		return nil, t.Err(op, err, "")
	}
	return ls, nil
}

// Increment receipts.

// CreateIncrementReceipt stores a receipt. ECONFLICT when the issuer has
// one for the date.
func (t *Tx) CreateIncrementReceipt(r *zhengzhao.IncrementReceipt) error {
	const op = "CreateIncrementReceipt"
	doc, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if err := t.checkText(op, r.Issuer, r.Date, string(doc)); err != nil {
		return err
	}
	n, err := t.exec(op, `INSERT INTO increment_receipts (issuer, date, received_at, request_hash, document)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, r.Issuer, r.Date, r.ReceivedAt, r.RequestHash, string(doc))
	if err != nil {
		return err
	}
	if n == 0 {
		return &zhengzhao.Error{Code: zhengzhao.ECONFLICT, Op: op,
			Message: fmt.Sprintf("an increment of %s for %s has been received", r.Issuer, r.Date)}
	}
	return nil
}

func scanReceipt(row Row) (*zhengzhao.IncrementReceipt, error) {
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
	r, err := scanReceipt(t.queryRow(`SELECT document, request_hash FROM increment_receipts WHERE issuer = ? AND date = ?`, issuer, date))
	if err != nil {
		return nil, t.found("FindIncrementReceipt", err, fmt.Sprintf("no increment of %s for %s", issuer, date))
	}
	return r, nil
}

// FindIncrementReceipts returns the issuer's receipts for dates in [from,
// to], by date.
func (t *Tx) FindIncrementReceipts(issuer, from, to string) ([]*zhengzhao.IncrementReceipt, error) {
	const op = "FindIncrementReceipts"
	rows, err := t.query(`SELECT document, request_hash FROM increment_receipts
		WHERE issuer = ? AND date >= ? AND date <= ? ORDER BY date `+t.d.Bytewise, issuer, from, to)
	if err != nil {
		return nil, t.Err(op, err, "")
	}
	rs, err := collectRows(rows, func(row Row) (*zhengzhao.IncrementReceipt, error) { return scanReceipt(row) })
	if err != nil {
		return nil, t.Err(op, err, "")
	}
	return rs, nil
}

// Outages.

func scanOutage(row Row, extra ...any) (*zhengzhao.Outage, error) {
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
	const op = "CreateOutage"
	doc, err := outageDoc(o)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if err := t.checkText(op, o.ID, o.Issuer, doc); err != nil {
		return err
	}
	n, err := t.exec(op, `INSERT INTO outages (id, issuer, start, end_at, deadline, caught_up_at, document)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
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
	const op = "UpdateOutage"
	doc, err := outageDoc(o)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if err := t.checkText(op, doc); err != nil {
		return err
	}
	n, err := t.exec(op, `UPDATE outages SET end_at = ?, deadline = ?, caught_up_at = ?, document = ? WHERE id = ?`,
		o.End, o.Deadline, o.CaughtUpAt, doc, o.ID)
	if err != nil {
		return err
	}
	if n == 0 {
		return t.notFound(op, "outage %s not found", o.ID)
	}
	return nil
}

// FindOutage returns the outage with the ID. ENOTFOUND.
func (t *Tx) FindOutage(id string) (*zhengzhao.Outage, error) {
	o, err := scanOutage(t.queryRow(`SELECT document FROM outages WHERE id = ?`, id))
	if err != nil {
		return nil, t.found("FindOutage", err, fmt.Sprintf("outage %s not found", id))
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
	return list(t, "FindOutages", "outages", "document", "seq", w, f.Page, func(r Row, k *int64) (*zhengzhao.Outage, error) { return scanOutage(r, k) })
}

package sqlstore

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
)

// Supervision: objections, notices, responsible staff, supervision counters
// and random checks (migration 0003_supervision.sql).

const objectionColumns = `id, license, license_base, type, issuer, filer, filed_by, fields, reason, attachments,
	status, filed_at, CAST(due_on AS TEXT), answered_at, answered_by, answer, correction`

func scanObjection(row Row, extra ...any) (*zhengzhao.Objection, error) {
	var (
		o      zhengzhao.Objection
		attach []byte
	)
	if err := row.Scan(append([]any{&o.ID, &o.License, &o.LicenseBase, &o.Type, &o.Issuer, &o.Filer, &o.FiledBy, &o.Fields, &o.Reason, &attach,
		&o.Status, &o.FiledAt, &o.DueOn, &o.AnsweredAt, &o.AnsweredBy, &o.Answer, &o.Correction}, extra...)...); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(attach, &o.Attachments); err != nil {
		return nil, fmt.Errorf("objection %s: attachments: %w", o.ID, err)
	}
	if o.Fields == nil {
		o.Fields = []string{}
	}
	return &o, nil
}

// parseDay returns s when it is a date YYYY-MM-DD, EINVALID otherwise.
// Dates go to the database as that text (PostgreSQL's DATE takes it) and
// come back with CAST(… AS TEXT).
func parseDay(op, s string) (string, error) {
	if _, err := time.Parse(zhengzhao.DateLayout, s); err != nil {
		return "", &zhengzhao.Error{Code: zhengzhao.EINVALID, Message: "a date is YYYY-MM-DD", Op: op}
	}
	return s, nil
}

// CreateObjection stores a new objection. ECONFLICT when its ID exists.
func (t *Tx) CreateObjection(o *zhengzhao.Objection) error {
	const op = "CreateObjection"
	attach, err := json.Marshal(orEmpty(o.Attachments))
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	texts := append([]string{o.ID, o.License, o.LicenseBase, o.Type, o.Issuer, o.Filer, o.FiledBy, o.Reason, o.Status,
		o.AnsweredBy, o.Answer, o.Correction}, o.Fields...)
	if err := t.checkText(op, texts...); err != nil {
		return err
	}
	if err := t.checkJSON(op, attach); err != nil {
		return err
	}
	due, err := parseDay(op, o.DueOn)
	if err != nil {
		return err
	}
	n, err := t.exec(op, `INSERT INTO objections (id, license, license_base, type, issuer, filer, filed_by, fields, reason, attachments,
		status, filed_at, due_on, answered_at, answered_by, answer, correction)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		o.ID, o.License, o.LicenseBase, o.Type, o.Issuer, o.Filer, o.FiledBy, orEmpty(o.Fields), o.Reason, attach,
		o.Status, o.FiledAt, due, o.AnsweredAt, o.AnsweredBy, o.Answer, o.Correction)
	if err != nil {
		return err
	}
	if n == 0 {
		return zhengzhao.Errorf(zhengzhao.ECONFLICT, "objection %s exists", o.ID)
	}
	return nil
}

// UpdateObjection stores the answer of an objection. ENOTFOUND.
func (t *Tx) UpdateObjection(o *zhengzhao.Objection) error {
	const op = "UpdateObjection"
	if err := t.checkText(op, o.Status, o.AnsweredBy, o.Answer, o.Correction); err != nil {
		return err
	}
	n, err := t.exec(op, `UPDATE objections SET status = ?, answered_at = ?, answered_by = ?, answer = ?, correction = ? WHERE id = ?`,
		o.Status, o.AnsweredAt, o.AnsweredBy, o.Answer, o.Correction, o.ID)
	if err != nil {
		return err
	}
	if n == 0 {
		return t.notFound(op, "objection %s not found", o.ID)
	}
	return nil
}

// FindObjectionByID returns an objection. ENOTFOUND.
func (t *Tx) FindObjectionByID(id string) (*zhengzhao.Objection, error) {
	const op = "FindObjectionByID"
	o, err := scanObjection(t.queryRow("SELECT "+objectionColumns+" FROM objections WHERE id = ?", id))
	if err != nil {
		return nil, t.found(op, err, fmt.Sprintf("objection %s not found", id))
	}
	return o, nil
}

// FindObjections returns matching objections in the order they were filed.
func (t *Tx) FindObjections(f zhengzhao.ObjectionFilter) ([]*zhengzhao.Objection, int, string, error) {
	const op = "FindObjections"
	var w where
	if f.Issuer != nil {
		w.add("issuer = ?", *f.Issuer)
	}
	if f.Filer != nil {
		w.add("filer = ?", *f.Filer)
	}
	if f.LicenseBase != nil {
		w.add("license_base = ?", *f.LicenseBase)
	}
	if f.Status != nil {
		w.add("status = ?", *f.Status)
	}
	if f.DueBefore != nil {
		d, err := parseDay(op, *f.DueBefore)
		if err != nil {
			return nil, 0, "", err
		}
		w.add("due_on < ?", d)
	}
	return list(t, op, "objections", objectionColumns, "seq", w, f.Page, func(r Row, k *int64) (*zhengzhao.Objection, error) { return scanObjection(r, k) })
}

// CountOpenObjections counts open objections per issuer.
func (t *Tx) CountOpenObjections(dueBefore string) ([]zhengzhao.ObjectionCount, error) {
	const op = "CountOpenObjections"
	d, err := parseDay(op, dueBefore)
	if err != nil {
		return nil, err
	}
	rows, err := t.query(`SELECT issuer, count(*), count(*) FILTER (WHERE due_on < ?) FROM objections
		WHERE status = ? GROUP BY issuer ORDER BY issuer`, d, zhengzhao.ObjectionOpen)
	if err != nil {
		return nil, t.Err(op, err, "")
	}
	out, err := collectRows(rows, func(row Row) (zhengzhao.ObjectionCount, error) {
		var (
			c             zhengzhao.ObjectionCount
			open, overdue int64
		)
		err := row.Scan(&c.Issuer, &open, &overdue)
		c.Open, c.Overdue = int(open), int(overdue)
		return c, err
	})
	return out, t.Err(op, err, "")
}

// Notices.

const noticeColumns = "id, recipient, kind, objection, license, message, created_at, read_at"

func scanNotice(row Row, extra ...any) (*zhengzhao.Notice, error) {
	var n zhengzhao.Notice
	if err := row.Scan(append([]any{&n.ID, &n.Recipient, &n.Kind, &n.Objection, &n.License, &n.Message, &n.CreatedAt, &n.ReadAt}, extra...)...); err != nil {
		return nil, err
	}
	return &n, nil
}

// CreateNotice stores a notice. ECONFLICT when its ID exists.
func (t *Tx) CreateNotice(n *zhengzhao.Notice) error {
	const op = "CreateNotice"
	if err := t.checkText(op, n.ID, n.Recipient, n.Kind, n.Objection, n.License, n.Message); err != nil {
		return err
	}
	c, err := t.exec(op, `INSERT INTO notices (id, recipient, kind, objection, license, message, created_at, read_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		n.ID, n.Recipient, n.Kind, n.Objection, n.License, n.Message, n.CreatedAt, n.ReadAt)
	if err != nil {
		return err
	}
	if c == 0 {
		return zhengzhao.Errorf(zhengzhao.ECONFLICT, "notice %s exists", n.ID)
	}
	return nil
}

// FindNotices returns a recipient's notices in the order they were created.
func (t *Tx) FindNotices(f zhengzhao.NoticeFilter) ([]*zhengzhao.Notice, int, string, error) {
	var w where
	w.add("recipient = ?", f.Recipient)
	if f.UnreadOnly {
		w.add("read_at IS NULL")
	}
	return list(t, "FindNotices", "notices", noticeColumns, "seq", w, f.Page, func(r Row, k *int64) (*zhengzhao.Notice, error) { return scanNotice(r, k) })
}

// MarkNoticeRead sets the read time of the recipient's notice once.
// ENOTFOUND.
func (t *Tx) MarkNoticeRead(id, recipient string, at time.Time) (*zhengzhao.Notice, error) {
	const op = "MarkNoticeRead"
	if err := t.checkText(op, id, recipient); err != nil {
		return nil, err
	}
	n, err := scanNotice(t.queryRow(`UPDATE notices SET read_at = COALESCE(read_at, ?) WHERE id = ? AND recipient = ?
		RETURNING `+noticeColumns, at, id, recipient))
	if err != nil {
		return nil, t.found(op, err, fmt.Sprintf("notice %s not found", id))
	}
	return n, nil
}

// Responsible staff.

const contactColumns = "id, unit, name, title, phone, email, created_at"

func scanContact(row Row, extra ...any) (*zhengzhao.UnitContact, error) {
	var c zhengzhao.UnitContact
	if err := row.Scan(append([]any{&c.ID, &c.Unit, &c.Name, &c.Title, &c.Phone, &c.Email, &c.CreatedAt}, extra...)...); err != nil {
		return nil, err
	}
	return &c, nil
}

// CreateUnitContact stores a responsible administrator. ECONFLICT when its
// ID exists, ENOTFOUND when the unit does not.
func (t *Tx) CreateUnitContact(c *zhengzhao.UnitContact) error {
	const op = "CreateUnitContact"
	if err := t.checkText(op, c.ID, c.Unit, c.Name, c.Title, c.Phone, c.Email); err != nil {
		return err
	}
	n, err := t.exec(op, `INSERT INTO unit_contacts (id, unit, name, title, phone, email, created_at)
		SELECT ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM units WHERE code = ?)
		ON CONFLICT DO NOTHING`,
		c.ID, c.Unit, c.Name, c.Title, c.Phone, c.Email, c.CreatedAt, c.Unit)
	if err != nil || n > 0 {
		return err
	}
	return t.missing(op, "units", "code", c.Unit, "unit", zhengzhao.Errorf(zhengzhao.ECONFLICT, "contact %s exists", c.ID))
}

// DeleteUnitContact removes a unit's contact. ENOTFOUND.
func (t *Tx) DeleteUnitContact(unit, id string) error {
	const op = "DeleteUnitContact"
	if err := t.checkText(op, unit, id); err != nil {
		return err
	}
	n, err := t.exec(op, "DELETE FROM unit_contacts WHERE unit = ? AND id = ?", unit, id)
	if err != nil {
		return err
	}
	if n == 0 {
		return t.notFound(op, "unit %s has no contact %s", unit, id)
	}
	return nil
}

// FindUnitContactByID returns a contact. ENOTFOUND.
func (t *Tx) FindUnitContactByID(id string) (*zhengzhao.UnitContact, error) {
	const op = "FindUnitContactByID"
	c, err := scanContact(t.queryRow("SELECT "+contactColumns+" FROM unit_contacts WHERE id = ?", id))
	if err != nil {
		return nil, t.found(op, err, fmt.Sprintf("contact %s not found", id))
	}
	return c, nil
}

// FindUnitContacts returns a unit's contacts in the order they were stored.
func (t *Tx) FindUnitContacts(unit string) ([]*zhengzhao.UnitContact, error) {
	const op = "FindUnitContacts"
	rows, err := t.query("SELECT "+contactColumns+" FROM unit_contacts WHERE unit = ? ORDER BY seq", unit)
	if err != nil {
		return nil, t.Err(op, err, "")
	}
	cs, err := collectRows(rows, func(row Row) (*zhengzhao.UnitContact, error) { return scanContact(row) })
	return cs, t.Err(op, err, "")
}

// CountUnitContacts returns the number of contacts per unit.
func (t *Tx) CountUnitContacts() (map[string]int, error) {
	const op = "CountUnitContacts"
	rows, err := t.query("SELECT unit, count(*) FROM unit_contacts GROUP BY unit")
	if err != nil {
		return nil, t.Err(op, err, "")
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var (
			unit string
			n    int64
		)
		if err := rows.Scan(&unit, &n); err != nil {
			return nil, t.Err(op, err, "")
		}
		out[unit] = int(n)
	}
	return out, t.Err(op, rows.Err(), "")
}

// FindUnitsWithoutContacts returns the units with no contact.
func (t *Tx) FindUnitsWithoutContacts(p zhengzhao.Page) ([]*zhengzhao.Unit, int, string, error) {
	var w where
	w.add("NOT EXISTS (SELECT 1 FROM unit_contacts WHERE unit_contacts.unit = units.code)")
	return list(t, "FindUnitsWithoutContacts", "units", unitColumns, "seq", w, p, func(r Row, k *int64) (*zhengzhao.Unit, error) { return scanUnit(r, k) })
}

// Supervision counters.

// AddStats adds the deltas to the daily, monthly and yearly counters in
// one statement. Deltas of the same counter are added up first: one INSERT …
// ON CONFLICT DO UPDATE may not touch a row twice.
func (t *Tx) AddStats(deltas []zhengzhao.StatDelta) error {
	const op = "AddStats"
	type key struct{ unit, g, period, metric, typ string }
	sums := map[key][2]int64{}
	var keys []key
	for _, d := range deltas {
		if len(d.Day) != 10 {
			return &zhengzhao.Error{Code: zhengzhao.EINVALID, Message: "a counter's day is YYYY-MM-DD", Op: op}
		}
		if err := t.checkText(op, d.Unit, d.Day, d.Metric, d.Type); err != nil {
			return err
		}
		// Only yearly counters keep the license type (see zhengzhao.StatYearly).
		for _, k := range []key{{d.Unit, zhengzhao.StatDaily, d.Day, d.Metric, ""}, {d.Unit, zhengzhao.StatMonthly, d.Day[:7], d.Metric, ""},
			{d.Unit, zhengzhao.StatYearly, d.Day[:4], d.Metric, d.Type}} {
			s, ok := sums[k]
			if !ok {
				keys = append(keys, k)
			}
			sums[k] = [2]int64{s[0] + d.N, s[1] + d.Sum}
		}
	}
	if len(keys) == 0 {
		return nil
	}
	// A fixed order keeps concurrent writers from deadlocking on rows.
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		return a.unit+"\x00"+a.g+"\x00"+a.period+"\x00"+a.metric+"\x00"+a.typ < b.unit+"\x00"+b.g+"\x00"+b.period+"\x00"+b.metric+"\x00"+b.typ
	})
	// Statements of at most statsPerInsert rows stay below SQLite's limit
	// of bound variables (32,766) for any batch size.
	for len(keys) > 0 {
		chunk := keys[:min(len(keys), statsPerInsert)]
		keys = keys[len(chunk):]
		args := make([]any, 0, 7*len(chunk))
		for _, k := range chunk {
			args = append(args, k.unit, k.g, k.period, k.metric, k.typ, sums[k][0], sums[k][1])
		}
		_, err := t.exec(op, `INSERT INTO stats (unit, g, period, metric, type, n, sum) VALUES `+values(len(chunk), 7)+`
		ON CONFLICT (unit, g, period, metric, type) DO UPDATE SET n = stats.n + excluded.n, sum = stats.sum + excluded.sum`, args...)
		if err != nil {
			return err
		}
	}
	return nil
}

// statsPerInsert is the most counter rows AddStats writes in one statement.
const statsPerInsert = 1000

// SumStats adds up the matching counters.
func (t *Tx) SumStats(f zhengzhao.StatFilter) ([]zhengzhao.StatSum, error) {
	const op = "SumStats"
	if len(f.Ranges) == 0 {
		return nil, nil
	}
	var w where
	if f.Unit != nil {
		w.add("unit = ?", *f.Unit)
	}
	if len(f.Metrics) > 0 {
		w.add(t.d.In("metric"), f.Metrics)
	}
	var ors []string
	for _, r := range f.Ranges {
		var sub where
		sub.args = w.args
		sub.add("g = ? AND period BETWEEN ? AND ?", r.Granularity, r.From, r.To)
		w.args = sub.args
		ors = append(ors, "("+sub.conds[0]+")")
	}
	w.conds = append(w.conds, "("+strings.Join(ors, " OR ")+")")
	var group []string
	for _, g := range f.GroupBy {
		switch g {
		case zhengzhao.StatByUnit, zhengzhao.StatByType, zhengzhao.StatByPeriod:
			group = append(group, g)
		default:
			return nil, &zhengzhao.Error{Code: zhengzhao.EINVALID, Message: "cannot group counters by " + g, Op: op}
		}
	}
	cols := strings.Join(append(group, "metric"), ", ")
	rows, err := t.query("SELECT "+cols+", CAST(SUM(n) AS BIGINT), CAST(SUM(sum) AS BIGINT) FROM stats WHERE "+w.String()+
		" GROUP BY "+cols+" ORDER BY "+cols, w.args...)
	if err != nil {
		return nil, t.Err(op, err, "")
	}
	out, err := collectRows(rows, func(row Row) (zhengzhao.StatSum, error) {
		var s zhengzhao.StatSum
		var dest []any
		for _, g := range group {
			switch g {
			case zhengzhao.StatByUnit:
				dest = append(dest, &s.Unit)
			case zhengzhao.StatByType:
				dest = append(dest, &s.Type)
			case zhengzhao.StatByPeriod:
				dest = append(dest, &s.Period)
			}
		}
		err := row.Scan(append(dest, &s.Metric, &s.N, &s.Sum)...)
		return s, err
	})
	return out, t.Err(op, err, "")
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// sample calls next, for each point in [0, 1), with the key at that
// position of the key range [lo, hi].
func sample(points []float64, lo, hi int64, next func(from int64) error) error {
	for _, p := range points {
		if p < 0 || p >= 1 {
			continue
		}
		if err := next(lo + int64(p*float64(hi-lo+1))); err != nil {
			return err
		}
	}
	return nil
}

// SampleLicenses returns licenses of the issuer at the given positions.
func (t *Tx) SampleLicenses(issuer string, points []float64) ([]*zhengzhao.License, error) {
	const op = "SampleLicenses"
	var lo, hi *int64
	if err := t.queryRow("SELECT min(seq), max(seq) FROM licenses WHERE issuer = ?", issuer).Scan(&lo, &hi); err != nil {
		return nil, t.Err(op, err, "")
	}
	if lo == nil {
		return nil, nil
	}
	var out []*zhengzhao.License
	seen := map[int64]bool{}
	err := sample(points, *lo, *hi, func(from int64) error {
		var seq int64
		l, err := scanLicense(t.queryRow("SELECT "+licenseColumns+", seq FROM licenses WHERE issuer = ? AND seq >= ? ORDER BY seq LIMIT 1",
			issuer, from), &seq)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		} else if err != nil {
			return t.Err(op, err, "")
		}
		if !seen[seq] {
			seen[seq] = true
			out = append(out, l)
		}
		return nil
	})
	return out, err
}

// SampleUses returns license reads by the actor at the given positions.
func (t *Tx) SampleUses(actor string, points []float64) ([]*zhengzhao.AuditEntry, error) {
	const op = "SampleUses"
	var lo, hi *int64
	if err := t.queryRow("SELECT min(idx), max(idx) FROM audit_entries WHERE actor = ? AND action = ?",
		actor, zhengzhao.ActionLicenseRead).Scan(&lo, &hi); err != nil {
		return nil, t.Err(op, err, "")
	}
	if lo == nil {
		return nil, nil
	}
	var out []*zhengzhao.AuditEntry
	seen := map[int64]bool{}
	err := sample(points, *lo, *hi, func(from int64) error {
		e, err := scanAuditEntry(t.queryRow("SELECT "+AuditColumns+" FROM audit_entries WHERE actor = ? AND action = ? AND idx >= ? ORDER BY idx LIMIT 1",
			actor, zhengzhao.ActionLicenseRead, from))
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		} else if err != nil {
			return t.Err(op, err, "")
		}
		if !seen[e.Index] {
			seen[e.Index] = true
			out = append(out, e)
		}
		return nil
	})
	return out, err
}

// Random checks.

const checkColumns = "id, unit, kind, created_at, created_by, items"

func scanCheck(row Row, extra ...any) (*zhengzhao.RandomCheck, error) {
	var (
		c     zhengzhao.RandomCheck
		items []byte
	)
	if err := row.Scan(append([]any{&c.ID, &c.Unit, &c.Kind, &c.CreatedAt, &c.CreatedBy, &items}, extra...)...); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(items, &c.Items); err != nil {
		return nil, fmt.Errorf("random check %s: items: %w", c.ID, err)
	}
	c.Tally()
	return &c, nil
}

// CreateRandomCheck stores a random check. ECONFLICT when its ID exists.
func (t *Tx) CreateRandomCheck(c *zhengzhao.RandomCheck) error {
	const op = "CreateRandomCheck"
	items, err := json.Marshal(orEmpty(c.Items))
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if err := t.checkText(op, c.ID, c.Unit, c.Kind, c.CreatedBy); err != nil {
		return err
	}
	if err := t.checkJSON(op, items); err != nil {
		return err
	}
	n, err := t.exec(op, `INSERT INTO random_checks (id, unit, kind, created_at, created_by, items)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, c.ID, c.Unit, c.Kind, c.CreatedAt, c.CreatedBy, items)
	if err != nil {
		return err
	}
	if n == 0 {
		return zhengzhao.Errorf(zhengzhao.ECONFLICT, "random check %s exists", c.ID)
	}
	return nil
}

// UpdateRandomCheck stores a random check's items. ENOTFOUND.
func (t *Tx) UpdateRandomCheck(c *zhengzhao.RandomCheck) error {
	const op = "UpdateRandomCheck"
	items, err := json.Marshal(orEmpty(c.Items))
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if err := t.checkJSON(op, items); err != nil {
		return err
	}
	n, err := t.exec(op, "UPDATE random_checks SET items = ? WHERE id = ?", items, c.ID)
	if err != nil {
		return err
	}
	if n == 0 {
		return t.notFound(op, "random check %s not found", c.ID)
	}
	return nil
}

// FindRandomCheckByID returns a random check. ENOTFOUND.
func (t *Tx) FindRandomCheckByID(id string) (*zhengzhao.RandomCheck, error) {
	const op = "FindRandomCheckByID"
	c, err := scanCheck(t.queryRow("SELECT "+checkColumns+" FROM random_checks WHERE id = ?", id))
	if err != nil {
		return nil, t.found(op, err, fmt.Sprintf("random check %s not found", id))
	}
	return c, nil
}

// FindRandomChecks returns matching random checks in the order they were
// created.
func (t *Tx) FindRandomChecks(f zhengzhao.RandomCheckFilter) ([]*zhengzhao.RandomCheck, int, string, error) {
	var w where
	if f.Unit != nil {
		w.add("unit = ?", *f.Unit)
	}
	return list(t, "FindRandomChecks", "random_checks", checkColumns, "seq", w, f.Page, func(r Row, k *int64) (*zhengzhao.RandomCheck, error) { return scanCheck(r, k) })
}

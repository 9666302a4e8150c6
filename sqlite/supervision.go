package sqlite

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
)

// Supervision: objections, notices, responsible staff, supervision counters
// and random checks (migration 0003_supervision.sql).

const objectionColumns = `seq, id, license, license_base, type, issuer, filer, filed_by, fields, reason, attachments,
	status, filed_at, due_on, answered_at, answered_by, answer, correction`

func scanObjection(s scanner) (*zhengzhao.Objection, int64, error) {
	var (
		o                     zhengzhao.Objection
		seq                   int64
		fields, attach, filed string
		answered              sql.NullString
	)
	if err := s.Scan(&seq, &o.ID, &o.License, &o.LicenseBase, &o.Type, &o.Issuer, &o.Filer, &o.FiledBy, &fields, &o.Reason, &attach,
		&o.Status, &filed, &o.DueOn, &answered, &o.AnsweredBy, &o.Answer, &o.Correction); err != nil {
		return nil, 0, err
	}
	if err := json.Unmarshal([]byte(fields), &o.Fields); err != nil {
		return nil, 0, fmt.Errorf("objection %s: fields: %w", o.ID, err)
	}
	if err := json.Unmarshal([]byte(attach), &o.Attachments); err != nil {
		return nil, 0, fmt.Errorf("objection %s: attachments: %w", o.ID, err)
	}
	var err error
	if o.FiledAt, err = parseTime(filed); err != nil {
		return nil, 0, err
	}
	if o.AnsweredAt, err = parseNullTime(answered); err != nil {
		return nil, 0, err
	}
	return &o, seq, nil
}

// CreateObjection stores a new objection. ECONFLICT when its ID exists.
func (tx *Tx) CreateObjection(o *zhengzhao.Objection) error {
	const op = "sqlite.CreateObjection"
	fields, err := jsonText(orEmpty(o.Fields))
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	attach, err := jsonText(orEmpty(o.Attachments))
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	_, err = tx.exec(`INSERT INTO objections (id, license, license_base, type, issuer, filer, filed_by, fields, reason, attachments,
		status, filed_at, due_on, answered_at, answered_by, answer, correction)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		o.ID, o.License, o.LicenseBase, o.Type, o.Issuer, o.Filer, o.FiledBy, fields, o.Reason, attach,
		o.Status, formatTime(o.FiledAt), o.DueOn, nullTime(o.AnsweredAt), o.AnsweredBy, o.Answer, o.Correction)
	return mapErr(op, err, fmt.Sprintf("objection %s exists", o.ID))
}

// UpdateObjection stores the answer of an objection. ENOTFOUND.
func (tx *Tx) UpdateObjection(o *zhengzhao.Objection) error {
	const op = "sqlite.UpdateObjection"
	res, err := tx.exec(`UPDATE objections SET status = ?, answered_at = ?, answered_by = ?, answer = ?, correction = ? WHERE id = ?`,
		o.Status, nullTime(o.AnsweredAt), o.AnsweredBy, o.Answer, o.Correction, o.ID)
	return affectedOne(op, res, err, "objection %s not found", o.ID)
}

// affectedOne maps the result of an UPDATE or DELETE of one row: no row is
// ENOTFOUND.
func affectedOne(op string, res sql.Result, err error, format string, args ...any) error {
	if err != nil {
		return mapErr(op, err, "")
	}
	n, err := res.RowsAffected()
	if err != nil {
		return mapErr(op, err, "")
	}
	if n == 0 {
		return &zhengzhao.Error{Code: zhengzhao.ENOTFOUND, Message: fmt.Sprintf(format, args...), Op: op}
	}
	return nil
}

// FindObjectionByID returns an objection. ENOTFOUND.
func (tx *Tx) FindObjectionByID(id string) (*zhengzhao.Objection, error) {
	o, _, err := scanObjection(tx.queryRow(`SELECT `+objectionColumns+` FROM objections WHERE id = ?`, id))
	if err != nil {
		return nil, notFound("sqlite.FindObjectionByID", err, "objection %s not found", id)
	}
	return o, nil
}

// FindObjections returns matching objections in the order they were filed.
func (tx *Tx) FindObjections(f zhengzhao.ObjectionFilter) ([]*zhengzhao.Objection, int, string, error) {
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
		w.add("due_on < ?", *f.DueBefore)
	}
	return list(tx, "sqlite.FindObjections", "objections", objectionColumns, "seq", w, f.Page, scanObjection)
}

// CountOpenObjections counts open objections per issuer.
func (tx *Tx) CountOpenObjections(dueBefore string) ([]zhengzhao.ObjectionCount, error) {
	const op = "sqlite.CountOpenObjections"
	rows, err := tx.query(`SELECT issuer, COUNT(*), COALESCE(SUM(due_on < ?), 0) FROM objections WHERE status = ? GROUP BY issuer ORDER BY issuer`,
		dueBefore, zhengzhao.ObjectionOpen)
	if err != nil {
		return nil, mapErr(op, err, "")
	}
	defer rows.Close()
	var out []zhengzhao.ObjectionCount
	for rows.Next() {
		var c zhengzhao.ObjectionCount
		if err := rows.Scan(&c.Issuer, &c.Open, &c.Overdue); err != nil {
			return nil, mapErr(op, err, "")
		}
		out = append(out, c)
	}
	return out, mapErr(op, rows.Err(), "")
}

// Notices.

const noticeColumns = "seq, id, recipient, kind, objection, license, message, created_at, read_at"

func scanNotice(s scanner) (*zhengzhao.Notice, int64, error) {
	var (
		n       zhengzhao.Notice
		seq     int64
		created string
		read    sql.NullString
	)
	if err := s.Scan(&seq, &n.ID, &n.Recipient, &n.Kind, &n.Objection, &n.License, &n.Message, &created, &read); err != nil {
		return nil, 0, err
	}
	var err error
	if n.CreatedAt, err = parseTime(created); err != nil {
		return nil, 0, err
	}
	if n.ReadAt, err = parseNullTime(read); err != nil {
		return nil, 0, err
	}
	return &n, seq, nil
}

// CreateNotice stores a notice. ECONFLICT when its ID exists.
func (tx *Tx) CreateNotice(n *zhengzhao.Notice) error {
	_, err := tx.exec(`INSERT INTO notices (id, recipient, kind, objection, license, message, created_at, read_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		n.ID, n.Recipient, n.Kind, n.Objection, n.License, n.Message, formatTime(n.CreatedAt), nullTime(n.ReadAt))
	return mapErr("sqlite.CreateNotice", err, fmt.Sprintf("notice %s exists", n.ID))
}

// FindNotices returns a recipient's notices in the order they were created.
func (tx *Tx) FindNotices(f zhengzhao.NoticeFilter) ([]*zhengzhao.Notice, int, string, error) {
	var w where
	w.add("recipient = ?", f.Recipient)
	if f.UnreadOnly {
		w.add("read_at IS NULL")
	}
	return list(tx, "sqlite.FindNotices", "notices", noticeColumns, "seq", w, f.Page, scanNotice)
}

// MarkNoticeRead sets the read time of the recipient's notice once.
// ENOTFOUND.
func (tx *Tx) MarkNoticeRead(id, recipient string, at time.Time) (*zhengzhao.Notice, error) {
	const op = "sqlite.MarkNoticeRead"
	if _, err := tx.exec(`UPDATE notices SET read_at = ? WHERE id = ? AND recipient = ? AND read_at IS NULL`,
		formatTime(at), id, recipient); err != nil {
		return nil, mapErr(op, err, "")
	}
	n, _, err := scanNotice(tx.queryRow(`SELECT `+noticeColumns+` FROM notices WHERE id = ? AND recipient = ?`, id, recipient))
	if err != nil {
		return nil, notFound(op, err, "notice %s not found", id)
	}
	return n, nil
}

// Responsible staff.

const contactColumns = "seq, id, unit, name, title, phone, email, created_at"

func scanContact(s scanner) (*zhengzhao.UnitContact, int64, error) {
	var (
		c       zhengzhao.UnitContact
		seq     int64
		created string
	)
	if err := s.Scan(&seq, &c.ID, &c.Unit, &c.Name, &c.Title, &c.Phone, &c.Email, &created); err != nil {
		return nil, 0, err
	}
	var err error
	c.CreatedAt, err = parseTime(created)
	return &c, seq, err
}

// CreateUnitContact stores a responsible administrator. ECONFLICT when its
// ID exists, ENOTFOUND when the unit does not.
func (tx *Tx) CreateUnitContact(c *zhengzhao.UnitContact) error {
	_, err := tx.exec(`INSERT INTO unit_contacts (id, unit, name, title, phone, email, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.Unit, c.Name, c.Title, c.Phone, c.Email, formatTime(c.CreatedAt))
	return mapErr("sqlite.CreateUnitContact", err, fmt.Sprintf("contact %s exists", c.ID))
}

// DeleteUnitContact removes a unit's contact. ENOTFOUND.
func (tx *Tx) DeleteUnitContact(unit, id string) error {
	res, err := tx.exec(`DELETE FROM unit_contacts WHERE unit = ? AND id = ?`, unit, id)
	return affectedOne("sqlite.DeleteUnitContact", res, err, "unit %s has no contact %s", unit, id)
}

// FindUnitContactByID returns a contact. ENOTFOUND.
func (tx *Tx) FindUnitContactByID(id string) (*zhengzhao.UnitContact, error) {
	c, _, err := scanContact(tx.queryRow(`SELECT `+contactColumns+` FROM unit_contacts WHERE id = ?`, id))
	if err != nil {
		return nil, notFound("sqlite.FindUnitContactByID", err, "contact %s not found", id)
	}
	return c, nil
}

// FindUnitContacts returns a unit's contacts in the order they were stored.
func (tx *Tx) FindUnitContacts(unit string) ([]*zhengzhao.UnitContact, error) {
	const op = "sqlite.FindUnitContacts"
	rows, err := tx.query(`SELECT `+contactColumns+` FROM unit_contacts WHERE unit = ? ORDER BY seq`, unit)
	if err != nil {
		return nil, mapErr(op, err, "")
	}
	defer rows.Close()
	var cs []*zhengzhao.UnitContact
	for rows.Next() {
		c, _, err := scanContact(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		cs = append(cs, c)
	}
	return cs, mapErr(op, rows.Err(), "")
}

// CountUnitContacts returns the number of contacts per unit.
func (tx *Tx) CountUnitContacts() (map[string]int, error) {
	const op = "sqlite.CountUnitContacts"
	rows, err := tx.query(`SELECT unit, COUNT(*) FROM unit_contacts GROUP BY unit`)
	if err != nil {
		return nil, mapErr(op, err, "")
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var (
			unit string
			n    int
		)
		if err := rows.Scan(&unit, &n); err != nil {
			return nil, mapErr(op, err, "")
		}
		out[unit] = n
	}
	return out, mapErr(op, rows.Err(), "")
}

// FindUnitsWithoutContacts returns the units with no contact.
func (tx *Tx) FindUnitsWithoutContacts(p zhengzhao.Page) ([]*zhengzhao.Unit, int, string, error) {
	var w where
	w.add("NOT EXISTS (SELECT 1 FROM unit_contacts WHERE unit_contacts.unit = units.code)")
	return list(tx, "sqlite.FindUnitsWithoutContacts", "units", unitColumns, "seq", w, p, scanUnit)
}

// Supervision counters.

// AddStats adds the deltas to the daily, monthly and yearly counters.
func (tx *Tx) AddStats(deltas []zhengzhao.StatDelta) error {
	const op = "sqlite.AddStats"
	for _, d := range deltas {
		if len(d.Day) != 10 {
			return &zhengzhao.Error{Code: zhengzhao.EINVALID, Message: "a counter's day is YYYY-MM-DD", Op: op}
		}
		// Only yearly counters keep the license type (see zhengzhao.StatYearly).
		for _, p := range [3][3]string{{zhengzhao.StatDaily, d.Day, ""}, {zhengzhao.StatMonthly, d.Day[:7], ""}, {zhengzhao.StatYearly, d.Day[:4], d.Type}} {
			if _, err := tx.exec(`INSERT INTO stats (unit, g, period, metric, type, n, sum) VALUES (?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (unit, g, period, metric, type) DO UPDATE SET n = n + excluded.n, sum = sum + excluded.sum`,
				d.Unit, p[0], p[1], d.Metric, p[2], d.N, d.Sum); err != nil {
				return mapErr(op, err, "")
			}
		}
	}
	return nil
}

// statDimensions are the columns a StatFilter may group by.
var statDimensions = map[string]bool{zhengzhao.StatByUnit: true, zhengzhao.StatByType: true, zhengzhao.StatByPeriod: true}

// SumStats adds up the matching counters. Each range is its own query, a
// range scan of an index (with a unit, the primary key; without, the
// period index), and the sums are merged here: one query with the ranges
// ORed together makes SQLite scan the whole index.
func (tx *Tx) SumStats(f zhengzhao.StatFilter) ([]zhengzhao.StatSum, error) {
	const op = "sqlite.SumStats"
	group := []string{}
	for _, g := range f.GroupBy {
		if !statDimensions[g] {
			return nil, &zhengzhao.Error{Code: zhengzhao.EINVALID, Message: "cannot group counters by " + g, Op: op}
		}
		group = append(group, g)
	}
	cols := strings.Join(append(append([]string(nil), group...), "metric"), ", ")
	from := " FROM stats"
	if f.Unit == nil {
		from = " FROM stats INDEXED BY stats_period"
	}
	type key struct{ unit, typ, period, metric string }
	sums := map[key]*zhengzhao.StatSum{}
	var out []*zhengzhao.StatSum
	for _, r := range f.Ranges {
		var w where
		if f.Unit != nil {
			w.add("unit = ?", *f.Unit)
		}
		w.add("g = ? AND period BETWEEN ? AND ?", r.Granularity, r.From, r.To)
		if len(f.Metrics) > 0 {
			w.add("metric IN (?"+strings.Repeat(", ?", len(f.Metrics)-1)+")", anys(f.Metrics)...)
		}
		rows, err := tx.query(`SELECT `+cols+`, SUM(n), SUM(sum)`+from+w.String()+` GROUP BY `+cols, w.args...)
		if err != nil {
			return nil, mapErr(op, err, "")
		}
		for rows.Next() {
			var s zhengzhao.StatSum
			dest := make([]any, 0, len(group)+3)
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
			if err := rows.Scan(append(dest, &s.Metric, &s.N, &s.Sum)...); err != nil {
				rows.Close()
				return nil, mapErr(op, err, "")
			}
			k := key{s.Unit, s.Type, s.Period, s.Metric}
			if acc := sums[k]; acc != nil {
				acc.N += s.N
				acc.Sum += s.Sum
				continue
			}
			sums[k] = &s
			out = append(out, &s)
		}
		if err := rows.Err(); err != nil {
			rows.Close()
			return nil, mapErr(op, err, "")
		}
		rows.Close()
	}
	return sortStats(out, group), nil
}

// sortStats orders sums by the grouped dimensions, then the metric.
func sortStats(ss []*zhengzhao.StatSum, group []string) []zhengzhao.StatSum {
	slices.SortFunc(ss, func(a, b *zhengzhao.StatSum) int {
		for _, g := range group {
			var c int
			switch g {
			case zhengzhao.StatByUnit:
				c = strings.Compare(a.Unit, b.Unit)
			case zhengzhao.StatByType:
				c = strings.Compare(a.Type, b.Type)
			case zhengzhao.StatByPeriod:
				c = strings.Compare(a.Period, b.Period)
			}
			if c != 0 {
				return c
			}
		}
		return strings.Compare(a.Metric, b.Metric)
	})
	out := make([]zhengzhao.StatSum, len(ss))
	for i, s := range ss {
		out[i] = *s
	}
	return out
}

func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// sample calls next, for each point in [0, 1), with the key at that
// position of the key range [lo, hi]; next finds the first row at or
// after it.
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
func (tx *Tx) SampleLicenses(issuer string, points []float64) ([]*zhengzhao.License, error) {
	const op = "sqlite.SampleLicenses"
	var lo, hi sql.NullInt64
	if err := tx.queryRow(`SELECT MIN(seq), MAX(seq) FROM licenses WHERE issuer = ?`, issuer).Scan(&lo, &hi); err != nil {
		return nil, mapErr(op, err, "")
	}
	if !lo.Valid {
		return nil, nil
	}
	var out []*zhengzhao.License
	seen := map[int64]bool{}
	err := sample(points, lo.Int64, hi.Int64, func(from int64) error {
		l, seq, err := scanLicense(tx.queryRow(`SELECT `+licenseColumns+` FROM licenses WHERE issuer = ? AND seq >= ? ORDER BY seq LIMIT 1`, issuer, from))
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		} else if err != nil {
			return mapErr(op, err, "")
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
func (tx *Tx) SampleUses(actor string, points []float64) ([]*zhengzhao.AuditEntry, error) {
	const op = "sqlite.SampleUses"
	var lo, hi sql.NullInt64
	if err := tx.queryRow(`SELECT MIN(idx), MAX(idx) FROM audit_entries WHERE actor = ? AND action = ?`, actor, zhengzhao.ActionLicenseRead).
		Scan(&lo, &hi); err != nil {
		return nil, mapErr(op, err, "")
	}
	if !lo.Valid {
		return nil, nil
	}
	var out []*zhengzhao.AuditEntry
	seen := map[int64]bool{}
	err := sample(points, lo.Int64, hi.Int64, func(from int64) error {
		e, idx, err := scanAuditEntry(tx.queryRow(`SELECT `+auditColumns+` FROM audit_entries WHERE actor = ? AND action = ? AND idx >= ? ORDER BY idx LIMIT 1`,
			actor, zhengzhao.ActionLicenseRead, from))
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		} else if err != nil {
			return mapErr(op, err, "")
		}
		if !seen[idx] {
			seen[idx] = true
			out = append(out, e)
		}
		return nil
	})
	return out, err
}

// Random checks.

const checkColumns = "seq, id, unit, kind, created_at, created_by, items"

func scanCheck(s scanner) (*zhengzhao.RandomCheck, int64, error) {
	var (
		c              zhengzhao.RandomCheck
		seq            int64
		created, items string
	)
	if err := s.Scan(&seq, &c.ID, &c.Unit, &c.Kind, &created, &c.CreatedBy, &items); err != nil {
		return nil, 0, err
	}
	if err := json.Unmarshal([]byte(items), &c.Items); err != nil {
		return nil, 0, fmt.Errorf("random check %s: items: %w", c.ID, err)
	}
	var err error
	c.CreatedAt, err = parseTime(created)
	c.Tally()
	return &c, seq, err
}

// CreateRandomCheck stores a random check. ECONFLICT when its ID exists.
func (tx *Tx) CreateRandomCheck(c *zhengzhao.RandomCheck) error {
	const op = "sqlite.CreateRandomCheck"
	items, err := jsonText(orEmpty(c.Items))
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	_, err = tx.exec(`INSERT INTO random_checks (id, unit, kind, created_at, created_by, items) VALUES (?, ?, ?, ?, ?, ?)`,
		c.ID, c.Unit, c.Kind, formatTime(c.CreatedAt), c.CreatedBy, items)
	return mapErr(op, err, fmt.Sprintf("random check %s exists", c.ID))
}

// UpdateRandomCheck stores a random check's items. ENOTFOUND.
func (tx *Tx) UpdateRandomCheck(c *zhengzhao.RandomCheck) error {
	const op = "sqlite.UpdateRandomCheck"
	items, err := jsonText(orEmpty(c.Items))
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	res, err := tx.exec(`UPDATE random_checks SET items = ? WHERE id = ?`, items, c.ID)
	return affectedOne(op, res, err, "random check %s not found", c.ID)
}

// FindRandomCheckByID returns a random check. ENOTFOUND.
func (tx *Tx) FindRandomCheckByID(id string) (*zhengzhao.RandomCheck, error) {
	c, _, err := scanCheck(tx.queryRow(`SELECT `+checkColumns+` FROM random_checks WHERE id = ?`, id))
	if err != nil {
		return nil, notFound("sqlite.FindRandomCheckByID", err, "random check %s not found", id)
	}
	return c, nil
}

// FindRandomChecks returns matching random checks in the order they were
// created.
func (tx *Tx) FindRandomChecks(f zhengzhao.RandomCheckFilter) ([]*zhengzhao.RandomCheck, int, string, error) {
	var w where
	if f.Unit != nil {
		w.add("unit = ?", *f.Unit)
	}
	return list(tx, "sqlite.FindRandomChecks", "random_checks", checkColumns, "seq", w, f.Page, scanCheck)
}

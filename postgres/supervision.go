package postgres

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/zhengzhao-project/zhengzhao"
)

// Supervision: objections, notices, responsible staff, supervision counters
// and random checks (migration 0003_supervision.sql).

const objectionColumns = `id, license, license_base, type, issuer, filer, filed_by, fields, reason, attachments,
	status, filed_at, due_on, answered_at, answered_by, answer, correction`

func scanObjection(row pgx.Row, extra ...any) (*zhengzhao.Objection, error) {
	var (
		o      zhengzhao.Objection
		attach []byte
		due    time.Time
	)
	if err := row.Scan(append([]any{&o.ID, &o.License, &o.LicenseBase, &o.Type, &o.Issuer, &o.Filer, &o.FiledBy, &o.Fields, &o.Reason, &attach,
		&o.Status, &o.FiledAt, &due, &o.AnsweredAt, &o.AnsweredBy, &o.Answer, &o.Correction}, extra...)...); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(attach, &o.Attachments); err != nil {
		return nil, fmt.Errorf("objection %s: attachments: %w", o.ID, err)
	}
	if o.Fields == nil {
		o.Fields = []string{}
	}
	o.FiledAt, o.AnsweredAt, o.DueOn = utc(o.FiledAt), utcPtr(o.AnsweredAt), due.Format(zhengzhao.DateLayout)
	return &o, nil
}

// parseDay parses a YYYY-MM-DD parameter, EINVALID otherwise.
func parseDay(op, s string) (time.Time, error) {
	d, err := time.Parse(zhengzhao.DateLayout, s)
	if err != nil {
		return d, &zhengzhao.Error{Code: zhengzhao.EINVALID, Message: "a date is YYYY-MM-DD", Op: op}
	}
	return d, nil
}

// CreateObjection stores a new objection. ECONFLICT when its ID exists.
func (t *Tx) CreateObjection(o *zhengzhao.Objection) error {
	const op = "postgres.CreateObjection"
	attach, err := json.Marshal(orEmpty(o.Attachments))
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	texts := append([]string{o.ID, o.License, o.LicenseBase, o.Type, o.Issuer, o.Filer, o.FiledBy, o.Reason, o.Status,
		o.AnsweredBy, o.Answer, o.Correction}, o.Fields...)
	if err := checkText(op, texts...); err != nil {
		return err
	}
	if err := checkJSONB(op, attach); err != nil {
		return err
	}
	due, err := parseDay(op, o.DueOn)
	if err != nil {
		return err
	}
	n, err := t.exec(op, "", `INSERT INTO objections (id, license, license_base, type, issuer, filer, filed_by, fields, reason, attachments,
		status, filed_at, due_on, answered_at, answered_by, answer, correction)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) ON CONFLICT DO NOTHING`,
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
	const op = "postgres.UpdateObjection"
	if err := checkText(op, o.Status, o.AnsweredBy, o.Answer, o.Correction); err != nil {
		return err
	}
	n, err := t.exec(op, "", `UPDATE objections SET status = $1, answered_at = $2, answered_by = $3, answer = $4, correction = $5 WHERE id = $6`,
		o.Status, o.AnsweredAt, o.AnsweredBy, o.Answer, o.Correction, o.ID)
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound(op, "objection %s not found", o.ID)
	}
	return nil
}

// FindObjectionByID returns an objection. ENOTFOUND.
func (t *Tx) FindObjectionByID(id string) (*zhengzhao.Objection, error) {
	const op = "postgres.FindObjectionByID"
	o, err := scanObjection(t.q.QueryRow(t.ctx, "SELECT "+objectionColumns+" FROM objections WHERE id = $1", id))
	if err != nil {
		return nil, findErr(op, err, "objection %s not found", id)
	}
	return o, nil
}

// FindObjections returns matching objections in the order they were filed.
func (t *Tx) FindObjections(f zhengzhao.ObjectionFilter) ([]*zhengzhao.Objection, int, string, error) {
	const op = "postgres.FindObjections"
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
	return list(t, op, "objections", objectionColumns, "seq", w, f.Page, func(rows pgx.Rows) (*zhengzhao.Objection, int64, error) {
		var seq int64
		o, err := scanObjection(rows, &seq)
		return o, seq, err
	})
}

// CountOpenObjections counts open objections per issuer.
func (t *Tx) CountOpenObjections(dueBefore string) ([]zhengzhao.ObjectionCount, error) {
	const op = "postgres.CountOpenObjections"
	d, err := parseDay(op, dueBefore)
	if err != nil {
		return nil, err
	}
	rows, err := t.q.Query(t.ctx, `SELECT issuer, count(*), count(*) FILTER (WHERE due_on < $1) FROM objections
		WHERE status = $2 GROUP BY issuer ORDER BY issuer`, d, zhengzhao.ObjectionOpen)
	if err != nil {
		return nil, mapErr(op, err, "")
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (zhengzhao.ObjectionCount, error) {
		var (
			c             zhengzhao.ObjectionCount
			open, overdue int64
		)
		err := row.Scan(&c.Issuer, &open, &overdue)
		c.Open, c.Overdue = int(open), int(overdue)
		return c, err
	})
	return out, mapErr(op, err, "")
}

// Notices.

const noticeColumns = "id, recipient, kind, objection, license, message, created_at, read_at"

func scanNotice(row pgx.Row, extra ...any) (*zhengzhao.Notice, error) {
	var n zhengzhao.Notice
	if err := row.Scan(append([]any{&n.ID, &n.Recipient, &n.Kind, &n.Objection, &n.License, &n.Message, &n.CreatedAt, &n.ReadAt}, extra...)...); err != nil {
		return nil, err
	}
	n.CreatedAt, n.ReadAt = utc(n.CreatedAt), utcPtr(n.ReadAt)
	return &n, nil
}

// CreateNotice stores a notice. ECONFLICT when its ID exists.
func (t *Tx) CreateNotice(n *zhengzhao.Notice) error {
	const op = "postgres.CreateNotice"
	if err := checkText(op, n.ID, n.Recipient, n.Kind, n.Objection, n.License, n.Message); err != nil {
		return err
	}
	c, err := t.exec(op, "", `INSERT INTO notices (id, recipient, kind, objection, license, message, created_at, read_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
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
	return list(t, "postgres.FindNotices", "notices", noticeColumns, "seq", w, f.Page, func(rows pgx.Rows) (*zhengzhao.Notice, int64, error) {
		var seq int64
		n, err := scanNotice(rows, &seq)
		return n, seq, err
	})
}

// MarkNoticeRead sets the read time of the recipient's notice once.
// ENOTFOUND.
func (t *Tx) MarkNoticeRead(id, recipient string, at time.Time) (*zhengzhao.Notice, error) {
	const op = "postgres.MarkNoticeRead"
	if err := checkText(op, id, recipient); err != nil {
		return nil, err
	}
	n, err := scanNotice(t.q.QueryRow(t.ctx, `UPDATE notices SET read_at = COALESCE(read_at, $1) WHERE id = $2 AND recipient = $3
		RETURNING `+noticeColumns, at, id, recipient))
	if err != nil {
		return nil, findErr(op, err, "notice %s not found", id)
	}
	return n, nil
}

// Responsible staff.

const contactColumns = "id, unit, name, title, phone, email, created_at"

func scanContact(row pgx.Row, extra ...any) (*zhengzhao.UnitContact, error) {
	var c zhengzhao.UnitContact
	if err := row.Scan(append([]any{&c.ID, &c.Unit, &c.Name, &c.Title, &c.Phone, &c.Email, &c.CreatedAt}, extra...)...); err != nil {
		return nil, err
	}
	c.CreatedAt = utc(c.CreatedAt)
	return &c, nil
}

// CreateUnitContact stores a responsible administrator. ECONFLICT when its
// ID exists, ENOTFOUND when the unit does not.
func (t *Tx) CreateUnitContact(c *zhengzhao.UnitContact) error {
	const op = "postgres.CreateUnitContact"
	if err := checkText(op, c.ID, c.Unit, c.Name, c.Title, c.Phone, c.Email); err != nil {
		return err
	}
	n, err := t.exec(op, "", `INSERT INTO unit_contacts (id, unit, name, title, phone, email, created_at)
		SELECT $1, $2, $3, $4, $5, $6, $7 WHERE EXISTS (SELECT FROM units WHERE code = $2)
		ON CONFLICT DO NOTHING`,
		c.ID, c.Unit, c.Name, c.Title, c.Phone, c.Email, c.CreatedAt)
	if err != nil || n > 0 {
		return err
	}
	return t.unitMissing(op, c.Unit, zhengzhao.Errorf(zhengzhao.ECONFLICT, "contact %s exists", c.ID))
}

// DeleteUnitContact removes a unit's contact. ENOTFOUND.
func (t *Tx) DeleteUnitContact(unit, id string) error {
	const op = "postgres.DeleteUnitContact"
	if err := checkText(op, unit, id); err != nil {
		return err
	}
	n, err := t.exec(op, "", "DELETE FROM unit_contacts WHERE unit = $1 AND id = $2", unit, id)
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound(op, "unit %s has no contact %s", unit, id)
	}
	return nil
}

// FindUnitContactByID returns a contact. ENOTFOUND.
func (t *Tx) FindUnitContactByID(id string) (*zhengzhao.UnitContact, error) {
	const op = "postgres.FindUnitContactByID"
	c, err := scanContact(t.q.QueryRow(t.ctx, "SELECT "+contactColumns+" FROM unit_contacts WHERE id = $1", id))
	if err != nil {
		return nil, findErr(op, err, "contact %s not found", id)
	}
	return c, nil
}

// FindUnitContacts returns a unit's contacts in the order they were stored.
func (t *Tx) FindUnitContacts(unit string) ([]*zhengzhao.UnitContact, error) {
	const op = "postgres.FindUnitContacts"
	rows, err := t.q.Query(t.ctx, "SELECT "+contactColumns+" FROM unit_contacts WHERE unit = $1 ORDER BY seq", unit)
	if err != nil {
		return nil, mapErr(op, err, "")
	}
	cs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*zhengzhao.UnitContact, error) { return scanContact(row) })
	return cs, mapErr(op, err, "")
}

// CountUnitContacts returns the number of contacts per unit.
func (t *Tx) CountUnitContacts() (map[string]int, error) {
	const op = "postgres.CountUnitContacts"
	rows, err := t.q.Query(t.ctx, "SELECT unit, count(*) FROM unit_contacts GROUP BY unit")
	if err != nil {
		return nil, mapErr(op, err, "")
	}
	out := map[string]int{}
	var (
		unit string
		n    int64
	)
	_, err = pgx.ForEachRow(rows, []any{&unit, &n}, func() error {
		out[unit] = int(n)
		return nil
	})
	return out, mapErr(op, err, "")
}

// FindUnitsWithoutContacts returns the units with no contact.
func (t *Tx) FindUnitsWithoutContacts(p zhengzhao.Page) ([]*zhengzhao.Unit, int, string, error) {
	var w where
	w.add("NOT EXISTS (SELECT FROM unit_contacts WHERE unit_contacts.unit = units.code)")
	return list(t, "postgres.FindUnitsWithoutContacts", "units", unitColumns, "seq", w, p, func(rows pgx.Rows) (*zhengzhao.Unit, int64, error) {
		var seq int64
		u, err := scanUnit(rows, &seq)
		return u, seq, err
	})
}

// Supervision counters.

// AddStats adds the deltas to the daily, monthly and yearly counters in
// one statement. Deltas of the same counter are added up first: one INSERT …
// ON CONFLICT DO UPDATE may not touch a row twice.
func (t *Tx) AddStats(deltas []zhengzhao.StatDelta) error {
	const op = "postgres.AddStats"
	type key struct{ unit, g, period, metric, typ string }
	sums := map[key][2]int64{}
	var keys []key
	for _, d := range deltas {
		if len(d.Day) != 10 {
			return &zhengzhao.Error{Code: zhengzhao.EINVALID, Message: "a counter's day is YYYY-MM-DD", Op: op}
		}
		if err := checkText(op, d.Unit, d.Day, d.Metric, d.Type); err != nil {
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
	cols := make([][]string, 5)
	var ns, ss []int64
	for _, k := range keys {
		for i, v := range []string{k.unit, k.g, k.period, k.metric, k.typ} {
			cols[i] = append(cols[i], v)
		}
		ns, ss = append(ns, sums[k][0]), append(ss, sums[k][1])
	}
	_, err := t.exec(op, "", `INSERT INTO stats (unit, g, period, metric, type, n, sum)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[])
		ON CONFLICT (unit, g, period, metric, type) DO UPDATE SET n = stats.n + EXCLUDED.n, sum = stats.sum + EXCLUDED.sum`,
		cols[0], cols[1], cols[2], cols[3], cols[4], ns, ss)
	return err
}

// SumStats adds up the matching counters.
func (t *Tx) SumStats(f zhengzhao.StatFilter) ([]zhengzhao.StatSum, error) {
	const op = "postgres.SumStats"
	if len(f.Ranges) == 0 {
		return nil, nil
	}
	var w where
	if f.Unit != nil {
		w.add("unit = ?", *f.Unit)
	}
	if len(f.Metrics) > 0 {
		w.add("metric = ANY (?)", f.Metrics)
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
	rows, err := t.q.Query(t.ctx, "SELECT "+cols+", sum(n)::bigint, sum(sum)::bigint FROM stats WHERE "+w.String()+
		" GROUP BY "+cols+" ORDER BY "+cols, w.args...)
	if err != nil {
		return nil, mapErr(op, err, "")
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (zhengzhao.StatSum, error) {
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
	return out, mapErr(op, err, "")
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
	const op = "postgres.SampleLicenses"
	var lo, hi *int64
	if err := t.q.QueryRow(t.ctx, "SELECT min(seq), max(seq) FROM licenses WHERE issuer = $1", issuer).Scan(&lo, &hi); err != nil {
		return nil, mapErr(op, err, "")
	}
	if lo == nil {
		return nil, nil
	}
	var out []*zhengzhao.License
	seen := map[int64]bool{}
	err := sample(points, *lo, *hi, func(from int64) error {
		var seq int64
		l, err := scanLicense(t.q.QueryRow(t.ctx, "SELECT "+licenseColumns+", seq FROM licenses WHERE issuer = $1 AND seq >= $2 ORDER BY seq LIMIT 1",
			issuer, from), &seq)
		if errors.Is(err, pgx.ErrNoRows) {
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
func (t *Tx) SampleUses(actor string, points []float64) ([]*zhengzhao.AuditEntry, error) {
	const op = "postgres.SampleUses"
	var lo, hi *int64
	if err := t.q.QueryRow(t.ctx, "SELECT min(idx), max(idx) FROM audit_entries WHERE actor = $1 AND action = $2",
		actor, zhengzhao.ActionLicenseRead).Scan(&lo, &hi); err != nil {
		return nil, mapErr(op, err, "")
	}
	if lo == nil {
		return nil, nil
	}
	var out []*zhengzhao.AuditEntry
	seen := map[int64]bool{}
	err := sample(points, *lo, *hi, func(from int64) error {
		e, err := scanAuditEntry(t.q.QueryRow(t.ctx, "SELECT "+auditColumns+" FROM audit_entries WHERE actor = $1 AND action = $2 AND idx >= $3 ORDER BY idx LIMIT 1",
			actor, zhengzhao.ActionLicenseRead, from))
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		} else if err != nil {
			return mapErr(op, err, "")
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

func scanCheck(row pgx.Row, extra ...any) (*zhengzhao.RandomCheck, error) {
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
	c.CreatedAt = utc(c.CreatedAt)
	c.Tally()
	return &c, nil
}

// CreateRandomCheck stores a random check. ECONFLICT when its ID exists.
func (t *Tx) CreateRandomCheck(c *zhengzhao.RandomCheck) error {
	const op = "postgres.CreateRandomCheck"
	items, err := json.Marshal(orEmpty(c.Items))
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if err := checkText(op, c.ID, c.Unit, c.Kind, c.CreatedBy); err != nil {
		return err
	}
	if err := checkJSONB(op, items); err != nil {
		return err
	}
	n, err := t.exec(op, "", `INSERT INTO random_checks (id, unit, kind, created_at, created_by, items)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`, c.ID, c.Unit, c.Kind, c.CreatedAt, c.CreatedBy, items)
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
	const op = "postgres.UpdateRandomCheck"
	items, err := json.Marshal(orEmpty(c.Items))
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if err := checkJSONB(op, items); err != nil {
		return err
	}
	n, err := t.exec(op, "", "UPDATE random_checks SET items = $1 WHERE id = $2", items, c.ID)
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound(op, "random check %s not found", c.ID)
	}
	return nil
}

// FindRandomCheckByID returns a random check. ENOTFOUND.
func (t *Tx) FindRandomCheckByID(id string) (*zhengzhao.RandomCheck, error) {
	const op = "postgres.FindRandomCheckByID"
	c, err := scanCheck(t.q.QueryRow(t.ctx, "SELECT "+checkColumns+" FROM random_checks WHERE id = $1", id))
	if err != nil {
		return nil, findErr(op, err, "random check %s not found", id)
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
	return list(t, "postgres.FindRandomChecks", "random_checks", checkColumns, "seq", w, f.Page, func(rows pgx.Rows) (*zhengzhao.RandomCheck, int64, error) {
		var seq int64
		c, err := scanCheck(rows, &seq)
		return c, seq, err
	})
}

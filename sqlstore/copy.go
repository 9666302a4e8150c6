package sqlstore

import (
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/zhengzhao-project/zhengzhao"
)

// The reads and writes of zhengzhao.CopyReadTx and zhengzhao.CopyTx:
// whole tables a page at a time, for library.Copy.

// seqRow scans a row whose last column is seq into *seq and the others
// through the wrapped row's destinations.
type seqRow struct {
	r   Row
	seq *int64
}

func (w seqRow) Scan(dest ...any) error { return w.r.Scan(append(dest, w.seq)...) }

// allBySeq returns the rows of table with seq after the cursor, by seq, at
// most p.Limit of them, without counting the table. columns are the
// columns scan reads; seq is selected after them.
func allBySeq[T any](t *Tx, op, table, columns string, p zhengzhao.Page, scan func(Row) (T, error)) ([]T, string, error) {
	p = p.Normalize()
	after, err := DecodeCursor(t.d.Name+"."+op, p.Cursor)
	if err != nil {
		return nil, "", err
	}
	rows, err := t.query("SELECT "+columns+", seq FROM "+table+" WHERE seq > ? ORDER BY seq LIMIT ?", after, p.Limit+1)
	if err != nil {
		return nil, "", t.Err(op, err, "")
	}
	defer rows.Close()
	var (
		items []T
		keys  []int64
	)
	for rows.Next() {
		var seq int64
		item, err := scan(seqRow{rows, &seq})
		if err != nil {
			return nil, "", t.Err(op, err, "")
		}
		items, keys = append(items, item), append(keys, seq)
	}
	if err := rows.Err(); err != nil {
		return nil, "", t.Err(op, err, "")
	}
	if len(items) > p.Limit {
		return items[:p.Limit], EncodeCursor(keys[p.Limit-1]), nil
	}
	return items, "", nil
}

// FindAllNotices returns every notice in the order stored.
func (t *Tx) FindAllNotices(p zhengzhao.Page) ([]*zhengzhao.Notice, string, error) {
	return allBySeq(t, "FindAllNotices", "notices", noticeColumns, p, func(r Row) (*zhengzhao.Notice, error) {
		return scanNotice(r)
	})
}

// FindAllInboxMessages returns every delivery message, oldest first.
func (t *Tx) FindAllInboxMessages(p zhengzhao.Page) ([]*zhengzhao.InboxMessage, string, error) {
	return allBySeq(t, "FindAllInboxMessages", "inbox_messages", inboxColumns, p, func(r Row) (*zhengzhao.InboxMessage, error) {
		return scanInboxMessage(r)
	})
}

// FindAllNotifications returns every notification in the order queued.
func (t *Tx) FindAllNotifications(p zhengzhao.Page) ([]*zhengzhao.Notification, string, error) {
	return allBySeq(t, "FindAllNotifications", "notifications", notificationColumns, p, scanNotification)
}

// FindAllProxyAuthorizations returns every authorization, oldest first.
func (t *Tx) FindAllProxyAuthorizations(p zhengzhao.Page) ([]*zhengzhao.ProxyAuthorization, string, error) {
	return allBySeq(t, "FindAllProxyAuthorizations", "proxy_authorizations", proxyColumns, p, scanProxy)
}

// FindAllGrants returns every grant, oldest first.
func (t *Tx) FindAllGrants(p zhengzhao.Page) ([]*zhengzhao.Grant, string, error) {
	const op = "FindAllGrants"
	return allBySeq(t, op, "grants", "doc", p, func(r Row) (*zhengzhao.Grant, error) {
		var doc string
		if err := r.Scan(&doc); err != nil {
			return nil, err
		}
		return decodeDoc[zhengzhao.Grant](op, doc)
	})
}

// Tables keyed by text: the cursor is the last row's key, as a JSON array
// of strings in base64url.

func encodeKeyCursor(key ...string) string {
	b, _ := json.Marshal(key)
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeKeyCursor returns the n key columns after which the page starts;
// nil for the first page.
func decodeKeyCursor(op, cursor string, n int) ([]any, error) {
	if cursor == "" {
		return nil, nil
	}
	var key []string
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err == nil {
		err = json.Unmarshal(b, &key)
	}
	valid := err == nil && len(key) == n
	for _, k := range key {
		valid = valid && ValidText(k)
	}
	if !valid {
		return nil, &zhengzhao.Error{Code: zhengzhao.EINVALID, Message: "invalid cursor", Op: op}
	}
	args := make([]any, n)
	for i, k := range key {
		args[i] = k
	}
	return args, nil
}

// FindAllPresentations returns every presentation, by nonce.
func (t *Tx) FindAllPresentations(p zhengzhao.Page) ([]*zhengzhao.Presentation, string, error) {
	const op = "FindAllPresentations"
	p = p.Normalize()
	after, err := decodeKeyCursor(op, p.Cursor, 1)
	if err != nil {
		return nil, "", err
	}
	if after == nil {
		after = []any{""}
	}
	rows, err := t.query(`SELECT `+presentationColumns+` FROM presentations
		WHERE nonce > ? ORDER BY nonce LIMIT ?`, after[0], p.Limit+1)
	if err != nil {
		return nil, "", t.Err(op, err, "")
	}
	defer rows.Close()
	var ps []*zhengzhao.Presentation
	for rows.Next() {
		var (
			pr     zhengzhao.Presentation
			fields string
		)
		if err := rows.Scan(&pr.Nonce, &pr.License, &pr.LicenseBase, &pr.Holder.IDType, &pr.Holder.ID, &fields, &pr.Disclosure,
			&pr.Purpose, &pr.Actor, &pr.LicenseInline, &pr.FieldsInline, &pr.CreatedAt, &pr.ExpiresAt); err != nil {
			return nil, "", t.Err(op, err, "")
		}
		if err := json.Unmarshal([]byte(fields), &pr.Fields); err != nil {
			return nil, "", fmt.Errorf("%s: fields: %w", op, err)
		}
		ps = append(ps, &pr)
	}
	if err := rows.Err(); err != nil {
		return nil, "", t.Err(op, err, "")
	}
	if len(ps) > p.Limit {
		return ps[:p.Limit], encodeKeyCursor(ps[p.Limit-1].Nonce), nil
	}
	return ps, "", nil
}

// FindAllStats returns every supervision counter by its primary key (in
// the database's collation: the order is stable, an index range scan).
func (t *Tx) FindAllStats(p zhengzhao.Page) ([]*zhengzhao.StatCounter, string, error) {
	const op = "FindAllStats"
	p = p.Normalize()
	after, err := decodeKeyCursor(op, p.Cursor, 5)
	if err != nil {
		return nil, "", err
	}
	const key = `(unit, g, period, metric, type)`
	cond, args := "", after
	if after != nil {
		cond = ` WHERE ` + key + ` > (?, ?, ?, ?, ?)`
	}
	args = append(args, p.Limit+1)
	rows, err := t.query(`SELECT unit, g, period, metric, type, n, sum FROM stats`+cond+
		` ORDER BY `+key[1:len(key)-1]+` LIMIT ?`, args...)
	if err != nil {
		return nil, "", t.Err(op, err, "")
	}
	defer rows.Close()
	var cs []*zhengzhao.StatCounter
	for rows.Next() {
		var c zhengzhao.StatCounter
		if err := rows.Scan(&c.Unit, &c.Granularity, &c.Period, &c.Metric, &c.Type, &c.N, &c.Sum); err != nil {
			return nil, "", t.Err(op, err, "")
		}
		cs = append(cs, &c)
	}
	if err := rows.Err(); err != nil {
		return nil, "", t.Err(op, err, "")
	}
	if len(cs) > p.Limit {
		c := cs[p.Limit-1]
		return cs[:p.Limit], encodeKeyCursor(c.Unit, c.Granularity, c.Period, c.Metric, c.Type), nil
	}
	return cs, "", nil
}

// PutStats stores counters as they are, in one statement. ECONFLICT when
// one exists.
func (t *Tx) PutStats(cs []*zhengzhao.StatCounter) error {
	const op = "PutStats"
	if len(cs) == 0 {
		return nil
	}
	for _, c := range cs {
		if err := c.Validate(); err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		if err := t.checkText(op, c.Unit, c.Granularity, c.Period, c.Metric, c.Type); err != nil {
			return err
		}
	}
	for _, c := range cs {
		n, err := t.exec(op, `INSERT INTO stats (unit, g, period, metric, type, n, sum) VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT DO NOTHING`, c.Unit, c.Granularity, c.Period, c.Metric, c.Type, c.N, c.Sum)
		if err != nil {
			return err
		}
		if n == 0 {
			return &zhengzhao.Error{Code: zhengzhao.ECONFLICT, Message: "a supervision counter exists", Op: t.d.Name + "." + op}
		}
	}
	return nil
}

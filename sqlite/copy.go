package sqlite

import (
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/zhengzhao-project/zhengzhao"
)

// The reads and writes of zhengzhao.CopyReadTx and zhengzhao.CopyTx:
// whole tables a page at a time, for library.Copy.

// seqScanner scans a row whose first column is seq into *seq and the rest
// through the wrapped scanner's destinations.
type seqScanner struct {
	s   scanner
	seq *int64
}

func (w seqScanner) Scan(dest ...any) error { return w.s.Scan(append([]any{w.seq}, dest...)...) }

// allBySeq returns the rows of table with seq after the cursor, by seq, at
// most p.Limit of them, without counting the table. columns are the
// columns scan reads; seq is selected before them.
func allBySeq[T any](tx *Tx, op, table, columns string, p zhengzhao.Page, scan func(scanner) (T, error)) ([]T, string, error) {
	p = p.Normalize()
	after, paged, err := decodeCursor(op, p.Cursor)
	if err != nil {
		return nil, "", err
	}
	if !paged {
		after = -1
	}
	rows, err := tx.query("SELECT seq, "+columns+" FROM "+table+" WHERE seq > ? ORDER BY seq LIMIT ?", after, p.Limit+1)
	if err != nil {
		return nil, "", mapErr(op, err, "")
	}
	defer rows.Close()
	var (
		items []T
		keys  []int64
	)
	for rows.Next() {
		var seq int64
		item, err := scan(seqScanner{rows, &seq})
		if err != nil {
			return nil, "", fmt.Errorf("%s: %w", op, err)
		}
		items, keys = append(items, item), append(keys, seq)
	}
	if err := rows.Err(); err != nil {
		return nil, "", mapErr(op, err, "")
	}
	if len(items) > p.Limit {
		return items[:p.Limit], encodeCursor(keys[p.Limit-1]), nil
	}
	return items, "", nil
}

// FindAllNotices returns every notice in the order stored.
func (tx *Tx) FindAllNotices(p zhengzhao.Page) ([]*zhengzhao.Notice, string, error) {
	return allBySeq(tx, "sqlite.FindAllNotices", "notices", noticeColumns, p, func(s scanner) (*zhengzhao.Notice, error) {
		n, _, err := scanNotice(s)
		return n, err
	})
}

// FindAllInboxMessages returns every delivery message, oldest first.
func (tx *Tx) FindAllInboxMessages(p zhengzhao.Page) ([]*zhengzhao.InboxMessage, string, error) {
	return allBySeq(tx, "sqlite.FindAllInboxMessages", "inbox_messages", inboxColumns, p, func(s scanner) (*zhengzhao.InboxMessage, error) {
		m, _, err := scanInboxMessage(s)
		return m, err
	})
}

// FindAllNotifications returns every notification in the order queued.
func (tx *Tx) FindAllNotifications(p zhengzhao.Page) ([]*zhengzhao.Notification, string, error) {
	return allBySeq(tx, "sqlite.FindAllNotifications", "notifications", notificationColumns, p, scanNotification)
}

// FindAllProxyAuthorizations returns every authorization, oldest first.
func (tx *Tx) FindAllProxyAuthorizations(p zhengzhao.Page) ([]*zhengzhao.ProxyAuthorization, string, error) {
	return allBySeq(tx, "sqlite.FindAllProxyAuthorizations", "proxy_authorizations", proxyColumns, p, scanProxy)
}

// FindAllGrants returns every grant, oldest first.
func (tx *Tx) FindAllGrants(p zhengzhao.Page) ([]*zhengzhao.Grant, string, error) {
	const op = "sqlite.FindAllGrants"
	return allBySeq(tx, op, "grants", "doc", p, func(s scanner) (*zhengzhao.Grant, error) {
		var doc string
		if err := s.Scan(&doc); err != nil {
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
	if err != nil || len(key) != n {
		return nil, &zhengzhao.Error{Code: zhengzhao.EINVALID, Message: "invalid cursor", Op: op}
	}
	args := make([]any, n)
	for i, k := range key {
		args[i] = k
	}
	return args, nil
}

// FindAllPresentations returns every presentation, by nonce.
func (tx *Tx) FindAllPresentations(p zhengzhao.Page) ([]*zhengzhao.Presentation, string, error) {
	const op = "sqlite.FindAllPresentations"
	p = p.Normalize()
	after, err := decodeKeyCursor(op, p.Cursor, 1)
	if err != nil {
		return nil, "", err
	}
	if after == nil {
		after = []any{""}
	}
	rows, err := tx.query(`SELECT nonce, license, license_base, holder_id_type, holder_id, fields, disclosure, purpose, actor,
		license_inline, fields_inline, created_at, expires_at FROM presentations WHERE nonce > ? ORDER BY nonce LIMIT ?`,
		after[0], p.Limit+1)
	if err != nil {
		return nil, "", mapErr(op, err, "")
	}
	defer rows.Close()
	var ps []*zhengzhao.Presentation
	for rows.Next() {
		var (
			pr               zhengzhao.Presentation
			fields           string
			created, expires string
		)
		if err := rows.Scan(&pr.Nonce, &pr.License, &pr.LicenseBase, &pr.Holder.IDType, &pr.Holder.ID, &fields, &pr.Disclosure,
			&pr.Purpose, &pr.Actor, &pr.LicenseInline, &pr.FieldsInline, &created, &expires); err != nil {
			return nil, "", mapErr(op, err, "")
		}
		if err := json.Unmarshal([]byte(fields), &pr.Fields); err != nil {
			return nil, "", fmt.Errorf("%s: fields: %w", op, err)
		}
		if pr.CreatedAt, err = parseTime(created); err == nil {
			pr.ExpiresAt, err = parseTime(expires)
		}
		if err != nil {
			return nil, "", fmt.Errorf("%s: %w", op, err)
		}
		ps = append(ps, &pr)
	}
	if err := rows.Err(); err != nil {
		return nil, "", mapErr(op, err, "")
	}
	if len(ps) > p.Limit {
		return ps[:p.Limit], encodeKeyCursor(ps[p.Limit-1].Nonce), nil
	}
	return ps, "", nil
}

// FindAllStats returns every supervision counter by its primary key.
func (tx *Tx) FindAllStats(p zhengzhao.Page) ([]*zhengzhao.StatCounter, string, error) {
	const op = "sqlite.FindAllStats"
	p = p.Normalize()
	after, err := decodeKeyCursor(op, p.Cursor, 5)
	if err != nil {
		return nil, "", err
	}
	cond := ""
	if after != nil {
		cond = ` WHERE (unit, g, period, metric, type) > (?, ?, ?, ?, ?)`
	}
	rows, err := tx.query(`SELECT unit, g, period, metric, type, n, sum FROM stats`+cond+
		` ORDER BY unit, g, period, metric, type LIMIT ?`, append(after, p.Limit+1)...)
	if err != nil {
		return nil, "", mapErr(op, err, "")
	}
	defer rows.Close()
	var cs []*zhengzhao.StatCounter
	for rows.Next() {
		var c zhengzhao.StatCounter
		if err := rows.Scan(&c.Unit, &c.Granularity, &c.Period, &c.Metric, &c.Type, &c.N, &c.Sum); err != nil {
			return nil, "", mapErr(op, err, "")
		}
		cs = append(cs, &c)
	}
	if err := rows.Err(); err != nil {
		return nil, "", mapErr(op, err, "")
	}
	if len(cs) > p.Limit {
		c := cs[p.Limit-1]
		return cs[:p.Limit], encodeKeyCursor(c.Unit, c.Granularity, c.Period, c.Metric, c.Type), nil
	}
	return cs, "", nil
}

// PutStats stores counters as they are. ECONFLICT when one exists.
func (tx *Tx) PutStats(cs []*zhengzhao.StatCounter) error {
	const op = "sqlite.PutStats"
	for _, c := range cs {
		if err := c.Validate(); err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		if _, err := tx.exec(`INSERT INTO stats (unit, g, period, metric, type, n, sum) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			c.Unit, c.Granularity, c.Period, c.Metric, c.Type, c.N, c.Sum); err != nil {
			return mapErr(op, err, fmt.Sprintf("counter %s/%s/%s/%s/%s exists", c.Unit, c.Granularity, c.Period, c.Metric, c.Type))
		}
	}
	return nil
}

package sqlite

import (
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
)

// stmt returns the transaction's copy of the prepared statement for query,
// or nil if query is not prepared. The copy is closed with the
// transaction.
func (tx *Tx) stmt(query string) *sql.Stmt {
	if st, ok := tx.stmts[query]; ok {
		return tx.q.StmtContext(tx.ctx, st)
	}
	return nil
}

func (tx *Tx) exec(query string, args ...any) (sql.Result, error) {
	if st := tx.stmt(query); st != nil {
		defer st.Close()
		return st.ExecContext(tx.ctx, args...)
	}
	return tx.q.ExecContext(tx.ctx, query, args...)
}

func (tx *Tx) query(query string, args ...any) (*sql.Rows, error) {
	if st := tx.stmt(query); st != nil {
		return st.QueryContext(tx.ctx, args...)
	}
	return tx.q.QueryContext(tx.ctx, query, args...)
}

func (tx *Tx) queryRow(query string, args ...any) *sql.Row {
	if st := tx.stmt(query); st != nil {
		return st.QueryRowContext(tx.ctx, args...)
	}
	return tx.q.QueryRowContext(tx.ctx, query, args...)
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// nullTime stores a time or NULL.
func nullTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return formatTime(*t)
}

// parseNullTime reads a time stored by nullTime.
func parseNullTime(s sql.NullString) (*time.Time, error) {
	if !s.Valid {
		return nil, nil
	}
	t, err := parseTime(s.String)
	return &t, err
}

// jsonText encodes v as a JSON column.
func jsonText(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

// Cursors are opaque to callers: base64url of the last row's key.

func encodeCursor(key int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(key, 10)))
}

// decodeCursor returns the key after which the page starts; ok is false
// for the first page.
func decodeCursor(op, cursor string) (key int64, ok bool, err error) {
	if cursor == "" {
		return 0, false, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err == nil {
		key, err = strconv.ParseInt(string(b), 10, 64)
	}
	if err != nil || key < 0 {
		return 0, false, &zhengzhao.Error{Code: zhengzhao.EINVALID, Message: "invalid cursor", Op: op}
	}
	return key, true, nil
}

// where builds the WHERE clause of a list query.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// list runs the page query of a list: the rows of table matching w after
// the cursor, ordered by key, at most p.Limit of them, scanned by scan
// (which returns each row's key). It returns the total number of matches
// and the next page's cursor.
func list[T any](tx *Tx, op, table, columns, key string, w where, p zhengzhao.Page, scan func(scanner) (T, int64, error)) ([]T, int, string, error) {
	p = p.Normalize()
	after, paged, err := decodeCursor(op, p.Cursor)
	if err != nil {
		return nil, 0, "", err
	}
	page := w
	page.conds = append([]string(nil), w.conds...)
	page.args = append([]any(nil), w.args...)
	if paged {
		page.add(key+" > ?", after)
	}
	rows, err := tx.query("SELECT "+columns+" FROM "+table+page.String()+" ORDER BY "+key+" LIMIT ?",
		append(page.args, p.Limit+1)...)
	if err != nil {
		return nil, 0, "", mapErr(op, err, "")
	}
	defer rows.Close()
	var (
		items []T
		keys  []int64
	)
	for rows.Next() {
		item, k, err := scan(rows)
		if err != nil {
			return nil, 0, "", fmt.Errorf("%s: %w", op, err)
		}
		items = append(items, item)
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, "", mapErr(op, err, "")
	}
	rows.Close()

	var next string
	if len(items) > p.Limit {
		items = items[:p.Limit]
		next = encodeCursor(keys[p.Limit-1])
	}
	total := len(items)
	if paged || next != "" {
		if err := tx.queryRow("SELECT COUNT(*) FROM "+table+w.String(), w.args...).Scan(&total); err != nil {
			return nil, 0, "", mapErr(op, err, "")
		}
	}
	return items, total, next, nil
}


// Shims for the areas not moved to sqlstore yet.

const unitColumns = "seq, code, name, roles, region, signing_alg, created_at"

func scanUnit(s scanner) (*zhengzhao.Unit, int64, error) {
	var (
		u              zhengzhao.Unit
		seq            int64
		roles, created string
	)
	if err := s.Scan(&seq, &u.Code, &u.Name, &roles, &u.Region, &u.SigningAlg, &created); err != nil {
		return nil, 0, err
	}
	if err := json.Unmarshal([]byte(roles), &u.Roles); err != nil {
		return nil, 0, fmt.Errorf("unit %s: roles: %w", u.Code, err)
	}
	var err error
	u.CreatedAt, err = parseTime(created)
	return &u, seq, err
}


const licenseColumns = "seq, status, superseded_by, revoked_at, revocation_reason, document"

func scanLicense(s scanner) (*zhengzhao.License, int64, error) {
	var (
		l       zhengzhao.License
		seq     int64
		revoked sql.NullString
		doc     []byte
		status  string
		by      string
		reason  string
	)
	if err := s.Scan(&seq, &status, &by, &revoked, &reason, &doc); err != nil {
		return nil, 0, err
	}
	if err := json.Unmarshal(doc, &l); err != nil {
		return nil, 0, fmt.Errorf("license document %d: %w", seq, err)
	}
	var err error
	if l.RevokedAt, err = parseNullTime(revoked); err != nil {
		return nil, 0, err
	}
	l.Status, l.SupersededBy, l.RevocationReason = status, by, reason
	return &l, seq, nil
}


const auditColumns = "idx, time, actor, action, license, license_base, subject, details"

func scanAuditEntry(s scanner) (*zhengzhao.AuditEntry, int64, error) {
	var (
		e       zhengzhao.AuditEntry
		t       string
		details sql.NullString
	)
	if err := s.Scan(&e.Index, &t, &e.Actor, &e.Action, &e.License, &e.LicenseBase, &e.Subject, &details); err != nil {
		return nil, 0, err
	}
	var err error
	if e.Time, err = parseTime(t); err != nil {
		return nil, 0, err
	}
	if details.Valid {
		if err := json.Unmarshal([]byte(details.String), &e.Details); err != nil {
			return nil, 0, fmt.Errorf("audit entry %d: details: %w", e.Index, err)
		}
	}
	return &e, e.Index, nil
}



package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/zhengzhao-project/zhengzhao"
)

var _ zhengzhao.Tx = (*Tx)(nil)

// Tx is a transaction: read-write inside Update, read-only inside View.
// Its statements run with the transaction's context, not the caller's.
// After a method returns an error the Tx stays usable: the methods avoid
// failing statements for outcomes the caller may handle.
type Tx struct {
	ctx   context.Context
	c     Conn
	d     *Dialect
	now   time.Time
	write bool
}

// New returns a transaction that sends its statements through c. now is
// the transaction's time (UTC, microseconds); write is true inside Update,
// where FindTreeHead locks the head.
func New(ctx context.Context, c Conn, d *Dialect, now time.Time, write bool) *Tx {
	return &Tx{ctx: ctx, c: c, d: d, now: now, write: write}
}

// Now returns the transaction's time, UTC at microsecond precision.
func (t *Tx) Now() time.Time { return t.now }

// Context returns the context the transaction's statements run with.
func (t *Tx) Context() context.Context { return t.ctx }

// Conn returns the connection the transaction's statements go through.
func (t *Tx) Conn() Conn { return t.c }

// Writable reports whether the transaction is an Update's.
func (t *Tx) Writable() bool { return t.write }

// exec runs a statement and returns the number of rows it affected.
func (t *Tx) exec(op, query string, args ...any) (int64, error) {
	n, err := t.c.Exec(t.ctx, t.d.Rebind(query), t.d.args(args)...)
	if err != nil {
		return 0, t.Err(op, err, "")
	}
	return n, nil
}

// queryRow runs a query of one row.
func (t *Tx) queryRow(query string, args ...any) Row {
	r := t.c.QueryRow(t.ctx, t.d.Rebind(query), t.d.args(args)...)
	if t.d.Dest != nil {
		return row{r, t.d}
	}
	return r
}

// query runs a query of several rows.
func (t *Tx) query(query string, args ...any) (Rows, error) {
	rs, err := t.c.Query(t.ctx, t.d.Rebind(query), t.d.args(args)...)
	if err != nil || t.d.Dest == nil {
		return rs, err
	}
	return rows{rs, t.d}, nil
}

// collect runs a query and scans each row with scan.
func collect[T any](t *Tx, op string, scan func(Row) (T, error), query string, args ...any) ([]T, error) {
	rs, err := t.query(query, args...)
	if err != nil {
		return nil, t.Err(op, err, "")
	}
	defer rs.Close()
	var out []T
	for rs.Next() {
		v, err := scan(rs)
		if err != nil {
			return nil, t.Err(op, err, "")
		}
		out = append(out, v)
	}
	if err := rs.Err(); err != nil {
		return nil, t.Err(op, err, "")
	}
	return out, nil
}

// find runs a query of one row, scanned by scan; no row is ENOTFOUND with
// the message.
func find[T any](t *Tx, op string, scan func(Row) (T, error), missing, query string, args ...any) (T, error) {
	v, err := scan(t.queryRow(query, args...))
	if err != nil {
		var zero T
		return zero, t.found(op, err, missing)
	}
	return v, nil
}

// found maps the error of a single-row query: no row is ENOTFOUND.
func (t *Tx) found(op string, err error, missing string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return &zhengzhao.Error{Code: zhengzhao.ENOTFOUND, Message: missing, Op: t.d.Name + "." + op}
	}
	return t.Err(op, err, "")
}

// insert runs a guarded INSERT … ON CONFLICT DO NOTHING: no row inserted
// is ECONFLICT with the message exists.
func (t *Tx) insert(op, exists, query string, args ...any) error {
	n, err := t.exec(op, query, args...)
	if err == nil && n == 0 {
		err = &zhengzhao.Error{Code: zhengzhao.ECONFLICT, Message: exists, Op: t.d.Name + "." + op}
	}
	return err
}

// update runs an UPDATE or DELETE of one row: none is ENOTFOUND with the
// message missing.
func (t *Tx) update(op, missing, query string, args ...any) error {
	n, err := t.exec(op, query, args...)
	if err == nil && n == 0 {
		err = &zhengzhao.Error{Code: zhengzhao.ENOTFOUND, Message: missing, Op: t.d.Name + "." + op}
	}
	return err
}

// exists reports whether the query (SELECT EXISTS …) is true.
func (t *Tx) exists(op, query string, args ...any) (bool, error) {
	var ok bool
	if err := t.queryRow(query, args...).Scan(&ok); err != nil {
		return false, t.Err(op, err, "")
	}
	return ok, nil
}

// missing returns ENOTFOUND when no row of table has column = value, else
// err: a guarded INSERT inserted nothing, because what it refers to is
// missing or because the object exists.
func (t *Tx) missing(op, table, column, value string, what string, err error) error {
	ok, qerr := t.exists(op, "SELECT EXISTS (SELECT 1 FROM "+table+" WHERE "+column+" = ?)", value)
	if qerr != nil {
		return qerr
	}
	if !ok {
		return &zhengzhao.Error{Code: zhengzhao.ENOTFOUND, Message: what + " " + value + " not found", Op: t.d.Name + "." + op}
	}
	return err
}

// Err maps a driver error to a domain error (see MapErr).
func (t *Tx) Err(op string, err error, conflict string) error { return MapErr(t.d, op, err, conflict) }

// MapErr turns a driver error into a domain error with Op d.Name.op.
// Domain errors pass unchanged; no rows is ENOTFOUND; a unique violation is
// ECONFLICT with the caller-safe message conflict; a foreign key violation
// ENOTFOUND; malformed data EINVALID; a busy or unreachable database
// EUNAVAILABLE. Anything else is wrapped with the Op and reports as
// internal.
func MapErr(d *Dialect, op string, err error, conflict string) error {
	if err == nil {
		return nil
	}
	var de *zhengzhao.Error
	if errors.As(err, &de) {
		return err
	}
	op = d.Name + "." + op
	if errors.Is(err, sql.ErrNoRows) {
		return &zhengzhao.Error{Code: zhengzhao.ENOTFOUND, Message: "not found", Op: op, Err: err}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w", op, err)
	}
	var msg string
	code := d.Code(err)
	switch code {
	case zhengzhao.ECONFLICT:
		msg = conflict
		if msg == "" {
			msg = "the object exists"
		}
	case zhengzhao.ENOTFOUND:
		msg = "an object it refers to does not exist"
	case zhengzhao.EINVALID:
		msg = "a value is malformed or out of range"
	case zhengzhao.EUNAVAILABLE:
		msg = "the database is unavailable; retry later"
	default:
		return fmt.Errorf("%s: %w", op, err)
	}
	return &zhengzhao.Error{Code: code, Message: msg, Op: op, Err: err}
}

// checkText returns EINVALID when a value cannot be stored as text: not
// valid UTF-8, or with a NUL character. PostgreSQL refuses such text and
// would abort the transaction; SQLite would keep bytes that no other store
// can hold. Checking first, on every store, keeps the transaction usable
// and the stores alike.
func (t *Tx) checkText(op string, values ...string) error {
	for _, v := range values {
		if !ValidText(v) {
			return &zhengzhao.Error{Code: zhengzhao.EINVALID, Message: "text must be valid UTF-8 without NUL characters", Op: t.d.Name + "." + op}
		}
	}
	return nil
}

// ValidText reports whether s can be stored as text on every store.
func ValidText(s string) bool { return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 }

// SafeText returns s with what cannot be stored as text (invalid UTF-8,
// NUL) replaced by U+FFFD.
func SafeText(s string) string {
	if ValidText(s) {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// checkJSON returns EINVALID when JSON holds an escaped NUL, which JSONB
// refuses.
func (t *Tx) checkJSON(op string, doc []byte) error {
	if bytes.Contains(doc, []byte(`\u0000`)) {
		return &zhengzhao.Error{Code: zhengzhao.EINVALID, Message: "text must not contain NUL characters", Op: t.d.Name + "." + op}
	}
	return nil
}

// insertOne runs an INSERT, made ON CONFLICT DO NOTHING: no row inserted
// is ECONFLICT with the message exists.
func (t *Tx) insertOne(op, exists, query string, args ...any) error {
	return t.insert(op, exists, query+" ON CONFLICT DO NOTHING", args...)
}

// notFound returns ENOTFOUND with the message.
func (t *Tx) notFound(op, format string, args ...any) error {
	return &zhengzhao.Error{Code: zhengzhao.ENOTFOUND, Message: fmt.Sprintf(format, args...), Op: t.d.Name + "." + op}
}

// collectRows scans each of rs with scan and closes rs.
func collectRows[T any](rs Rows, scan func(Row) (T, error)) ([]T, error) {
	defer rs.Close()
	var out []T
	for rs.Next() {
		v, err := scan(rs)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rs.Err()
}

func scanString(r Row) (string, error) {
	var s string
	err := r.Scan(&s)
	return s, err
}

// values returns the VALUES list of rows rows of width placeholders.
func values(rows, width int) string {
	one := "(?" + strings.Repeat(", ?", width-1) + ")"
	return one + strings.Repeat(", "+one, rows-1)
}

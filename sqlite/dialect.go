package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/sqlstore"
)

// dialect is SQLite's: ? placeholders, times as fixed-width text, string
// lists as JSON arrays, BINARY (byte-wise) collation, no row locks (one
// writer holds the database), extended result codes.
var dialect = &sqlstore.Dialect{
	Name: "sqlite",
	Arg:  encodeArg,
	Dest: decodeDest,
	ListHas: func(col string) string {
		return "EXISTS (SELECT 1 FROM json_each(" + col + ") WHERE json_each.value = ?)"
	},
	ListEmpty: func(col string) string { return "json_array_length(" + col + ") = 0" },
	In:        func(col string) string { return col + " IN (SELECT value FROM json_each(?))" },
	Code:      errCode,
}

// timeLayout is how times are stored: UTC, microseconds, fixed width, so
// that they sort as they compare.
const timeLayout = "2006-01-02T15:04:05.000000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("stored time %q: %w", s, err)
	}
	return t, nil
}

// encodeArg stores times as text and string lists as JSON.
func encodeArg(v any) any {
	switch v := v.(type) {
	case time.Time:
		return formatTime(v)
	case *time.Time:
		if v == nil {
			return nil
		}
		return formatTime(*v)
	case []string:
		b, _ := json.Marshal(v) // strings always encode
		return string(b)
	}
	return v
}

// decodeDest reads what encodeArg stored.
func decodeDest(dest any) any {
	switch p := dest.(type) {
	case *time.Time:
		return timeDest{p}
	case **time.Time:
		return nullTimeDest{p}
	case *[]string:
		return listDest{p}
	}
	return dest
}

type timeDest struct{ p *time.Time }

func (d timeDest) Scan(src any) error {
	s, ok := src.(string)
	if !ok {
		return fmt.Errorf("stored time is %T, not text", src)
	}
	t, err := parseTime(s)
	*d.p = t
	return err
}

type nullTimeDest struct{ p **time.Time }

func (d nullTimeDest) Scan(src any) error {
	if src == nil {
		*d.p = nil
		return nil
	}
	var t time.Time
	if err := (timeDest{&t}).Scan(src); err != nil {
		return err
	}
	*d.p = &t
	return nil
}

type listDest struct{ p *[]string }

func (d listDest) Scan(src any) error {
	var b []byte
	switch s := src.(type) {
	case string:
		b = []byte(s)
	case []byte:
		b = s
	default:
		return fmt.Errorf("stored list is %T, not text", src)
	}
	*d.p = nil
	return json.Unmarshal(b, d.p)
}

// errCode maps SQLite's extended result codes to domain codes.
func errCode(err error) string {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return ""
	}
	switch code := e.Code(); {
	case code == sqlite3.SQLITE_CONSTRAINT_UNIQUE || code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return zhengzhao.ECONFLICT
	case code == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return zhengzhao.ENOTFOUND
	case code&0xff == sqlite3.SQLITE_BUSY || code&0xff == sqlite3.SQLITE_LOCKED:
		return zhengzhao.EUNAVAILABLE
	}
	return ""
}

// mapErr turns a driver error into a domain error (sqlstore.MapErr); op
// is the method's name.
func mapErr(op string, err error, conflict string) error {
	return sqlstore.MapErr(dialect, op, err, conflict)
}

// stmts are a database's prepared hot statements (sqlstore.HotQueries).
type stmts map[string]*sql.Stmt

func prepareAll(ctx context.Context, db *sql.DB) (stmts, error) {
	m := make(stmts)
	for _, q := range sqlstore.HotQueries() {
		st, err := db.PrepareContext(ctx, q)
		if err != nil {
			m.close()
			return nil, fmt.Errorf("prepare %q: %w", q, err)
		}
		m[q] = st
	}
	return m, nil
}

func (m stmts) close() {
	for _, st := range m {
		st.Close()
	}
}

// conn is a transaction's sqlstore.Conn: hot statements run prepared,
// bound to the transaction once per call of Update or View.
type conn struct {
	tx    *sql.Tx
	stmts stmts
	bound map[string]*sql.Stmt
}

// stmt returns the transaction's copy of the hot statement query, or nil.
func (c *conn) stmt(ctx context.Context, query string) *sql.Stmt {
	st, ok := c.stmts[query]
	if !ok {
		return nil
	}
	if b, ok := c.bound[query]; ok {
		return b
	}
	if c.bound == nil {
		c.bound = make(map[string]*sql.Stmt)
	}
	b := c.tx.StmtContext(ctx, st) // closed with the transaction
	c.bound[query] = b
	return b
}

func (c *conn) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	if st := c.stmt(ctx, query); st != nil {
		return affected(st.ExecContext(ctx, args...))
	}
	return affected(c.tx.ExecContext(ctx, query, args...))
}

func affected(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (c *conn) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	if st := c.stmt(ctx, query); st != nil {
		return rowsOf(st.QueryContext(ctx, args...))
	}
	return rowsOf(c.tx.QueryContext(ctx, query, args...))
}

func rowsOf(rows *sql.Rows, err error) (sqlstore.Rows, error) {
	if err != nil {
		return nil, err
	}
	return sqlstore.SQLRows{Rows: rows}, nil
}

func (c *conn) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
	if st := c.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return c.tx.QueryRowContext(ctx, query, args...)
}

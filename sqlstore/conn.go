// Package sqlstore implements zhengzhao.Tx and zhengzhao.ReadTx once, for
// every SQL database the library runs on. A store package (sqlite,
// postgres) is a driver: it opens the database, runs its migrations, and
// hands each transaction to New as a Conn together with its Dialect, the
// value that holds every difference between the databases (placeholders,
// codecs, row locks, error codes). The methods are written in the form
// PostgreSQL needs, because a failed statement there aborts the whole
// transaction: INSERT … ON CONFLICT DO NOTHING and rows affected for
// duplicates, EXISTS guards for references, text checked before it is
// sent. SQLite runs the same statements.
//
// A driver overrides a method only for a native feature (COPY, SKIP
// LOCKED, the audit counter lock) by embedding *Tx in its own Tx.
package sqlstore

import (
	"context"
	"database/sql"
)

// Row is one result row: *sql.Row, pgx.Row.
type Row interface {
	Scan(dest ...any) error
}

// Rows is a result set: pgx.Rows, or *sql.Rows through SQLRows.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// Conn is what a Tx sends its statements through. Exec returns the number
// of rows affected.
type Conn interface {
	Exec(ctx context.Context, query string, args ...any) (int64, error)
	Query(ctx context.Context, query string, args ...any) (Rows, error)
	QueryRow(ctx context.Context, query string, args ...any) Row
}

// A CountQuerier runs a count and a page query in one round trip. When a
// Conn is one, lists cost a single round trip however many pages they
// have.
type CountQuerier interface {
	QueryCounted(ctx context.Context, count string, countArgs []any, query string, args []any) (int64, Rows, error)
}

// SQLRows adapts *sql.Rows to Rows.
type SQLRows struct{ *sql.Rows }

// Close closes the rows; an error closing them is reported by Err.
func (r SQLRows) Close() { r.Rows.Close() }

// sqlExecer is what SQLConn runs statements on.
type sqlExecer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// SQLConn adapts a *sql.Tx (or *sql.DB) to Conn.
type SQLConn struct{ Q sqlExecer }

func (c SQLConn) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := c.Q.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (c SQLConn) Query(ctx context.Context, query string, args ...any) (Rows, error) {
	rows, err := c.Q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return SQLRows{rows}, nil
}

func (c SQLConn) QueryRow(ctx context.Context, query string, args ...any) Row {
	return c.Q.QueryRowContext(ctx, query, args...)
}

// hotQueries are the statements run often enough that a driver should
// prepare them once per connection (SQLite spends more time parsing a
// statement than running it). PostgreSQL's pgx caches every statement.
var hotQueries []string

// hot registers query as hot and returns it.
func hot(query string) string {
	hotQueries = append(hotQueries, query)
	return query
}

// HotQueries returns the hot statements, as written (with ?).
func HotQueries() []string { return hotQueries }

package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/sqlstore"
)

// dialect is PostgreSQL's: $n placeholders, native TIMESTAMPTZ (read in
// UTC, see registerTypes), TEXT[] and JSONB, the "C" collation for byte
// order, row locks, SQLSTATE codes.
var dialect = &sqlstore.Dialect{
	Name:         "postgres",
	Numbered:     true,
	ListHas:      func(col string) string { return "? = ANY (" + col + ")" },
	ListEmpty:    func(col string) string { return "cardinality(" + col + ") = 0" },
	In:           func(col string) string { return col + " = ANY (?)" },
	Bytewise:     `COLLATE "C"`,
	LockRow:      " FOR UPDATE",
	SkipLocked:   " FOR UPDATE SKIP LOCKED",
	ComputedBase: true,
	GuardRefs:    true,
	Code:         errCode,
}

// registerTypes makes a connection read TIMESTAMPTZ values in UTC, as the
// stores hand times out.
func registerTypes(_ context.Context, c *pgx.Conn) error {
	c.TypeMap().RegisterType(&pgtype.Type{Name: "timestamptz", OID: pgtype.TimestamptzOID,
		Codec: &pgtype.TimestamptzCodec{ScanLocation: time.UTC}})
	return nil
}

// conn adapts a querier (pgx.Tx, the pipelined batch, the pool) to
// sqlstore.Conn. It counts and pages a list in one round trip.
type conn struct{ q querier }

func (c conn) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	tag, err := c.q.Exec(ctx, query, args...)
	return tag.RowsAffected(), err
}

func (c conn) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	return c.q.Query(ctx, query, args...)
}

func (c conn) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
	return c.q.QueryRow(ctx, query, args...)
}

func (c conn) QueryCounted(ctx context.Context, count string, countArgs []any, query string, args []any) (int64, sqlstore.Rows, error) {
	b := &pgx.Batch{}
	b.Queue(count, countArgs...)
	b.Queue(query, args...)
	br := c.q.SendBatch(ctx, b)
	var total int64
	if err := br.QueryRow().Scan(&total); err != nil {
		br.Close()
		return 0, nil, err
	}
	rows, err := br.Query()
	if err != nil {
		br.Close()
		return 0, nil, err
	}
	return total, batchRows{rows, br}, nil
}

// batchRows are the rows of a batch's last query; closing them closes the
// batch.
type batchRows struct {
	pgx.Rows
	br pgx.BatchResults
}

func (r batchRows) Close() {
	r.Rows.Close()
	r.br.Close()
}

// errCode maps SQLSTATE codes (never message text) to domain codes.
func errCode(err error) string {
	if code := pgErrCode(err); code != "" {
		return code
	}
	if unavailable(err) {
		return zhengzhao.EUNAVAILABLE
	}
	return ""
}

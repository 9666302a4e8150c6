package postgres

import (
	"context"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// querier is what a Tx sends its statements through: the pgx.Tx of a View,
// or the batch of an Update.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
	Conn() *pgx.Conn
}

var (
	_ querier = pgx.Tx(nil)
	_ querier = (*batch)(nil)
)

// batch is the transaction a group of Update calls shares: the
// groupcommit.Tx the committer drives and the querier of each call's Tx.
//
// A round trip to the server costs more than most of the statements the
// library sends, and the committer runs the calls of a batch one after
// another, so round trips per call bound the throughput of every server
// on the database. The batch therefore holds back the committer's
// SAVEPOINT and RELEASE SAVEPOINT statements and sends them in the same
// round trip as the next statement of a call (a pipeline: one Sync, so a
// failing savepoint statement stops the rest). A call that sends no
// statement gets no savepoint at all, and COMMIT releases the last
// savepoint itself. An issue (a license and its audit entry) thus takes
// two round trips instead of four. ROLLBACK TO SAVEPOINT is sent at once.
type batch struct {
	tx  pgx.Tx
	now time.Time

	held   []string // savepoint statements not sent yet, in order
	unsent string   // the savepoint whose SAVEPOINT is in held
	gone   string   // a savepoint dropped unsent, whose RELEASE is to be dropped too
}

// savepoint handles one of the committer's statements: SAVEPOINT,
// RELEASE SAVEPOINT or ROLLBACK TO SAVEPOINT.
func (b *batch) savepoint(ctx context.Context, stmt string) error {
	if name, ok := savepointName(stmt, "SAVEPOINT "); ok {
		b.held = append(b.held, stmt)
		b.unsent, b.gone = name, ""
		return nil
	}
	if name, ok := savepointName(stmt, "RELEASE SAVEPOINT "); ok {
		switch name {
		case b.unsent:
			b.held, b.unsent = b.held[:len(b.held)-1], ""
		case b.gone:
			b.gone = ""
		default:
			b.held = append(b.held, stmt)
		}
		return nil
	}
	if name, ok := savepointName(stmt, "ROLLBACK TO SAVEPOINT "); ok && name == b.unsent {
		// The call sent nothing: there is nothing to roll back.
		b.held, b.unsent, b.gone = b.held[:len(b.held)-1], "", name
		return nil
	}
	_, err := b.Exec(ctx, stmt)
	return err
}

// savepointName returns the savepoint stmt names after prefix.
func savepointName(stmt, prefix string) (string, bool) {
	name, ok := strings.CutPrefix(stmt, prefix)
	return name, ok && name != "" && !strings.ContainsAny(name, " ;")
}

// take returns the held statements and forgets them: they are being sent.
func (b *batch) take() []string {
	held := b.held
	b.held, b.unsent = nil, ""
	return held
}

// Exec runs a statement of a call, after the held ones.
func (b *batch) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	held := b.take()
	if len(held) == 0 {
		return b.tx.Exec(ctx, sql, args...)
	}
	br := b.sendBatch(ctx, held, sql, args)
	tag, err := br.Exec()
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return tag, err
}

// sendBatch sends the held statements and one more in one round trip and
// returns the results of the last, having read the others'.
func (b *batch) sendBatch(ctx context.Context, held []string, sql string, args []any) pgx.BatchResults {
	pb := &pgx.Batch{}
	for _, h := range held {
		pb.Queue(h)
	}
	pb.Queue(sql, args...)
	return skipHeld(b.tx.SendBatch(ctx, pb), len(held))
}

// skipHeld reads the results of the first n statements of br, which
// return no rows. If one failed, the statements after it were not run and
// br reports that error for every later result.
func skipHeld(br pgx.BatchResults, n int) pgx.BatchResults {
	for range n {
		if _, err := br.Exec(); err != nil {
			br.Close()
			return failedResults{err}
		}
	}
	return br
}

// failedResults is the pgx.BatchResults of a batch whose savepoint
// statement failed.
type failedResults struct{ err error }

func (r failedResults) Exec() (pgconn.CommandTag, error) { return pgconn.CommandTag{}, r.err }
func (r failedResults) Query() (pgx.Rows, error)         { return nil, r.err }
func (r failedResults) QueryRow() pgx.Row                { return errRow(r) }
func (r failedResults) Close() error                     { return r.err }
func (r failedResults) Tx() pgx.Tx                       { return nil }

// errRow is a pgx.Row that reports err.
type errRow struct{ err error }

func (r errRow) Scan(dest ...any) error { return r.err }

// QueryRow runs a query of a call after the held statements.
func (b *batch) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	held := b.take()
	if len(held) == 0 {
		return b.tx.QueryRow(ctx, sql, args...)
	}
	return &batchRow{br: b.sendBatch(ctx, held, sql, args)}
}

// batchRow is the row of a query sent after held statements.
type batchRow struct{ br pgx.BatchResults }

func (r *batchRow) Scan(dest ...any) error {
	err := r.br.QueryRow().Scan(dest...)
	if cerr := r.br.Close(); err == nil {
		err = cerr
	}
	return err
}

// Query runs a query of a call. Held statements go first in a round trip
// of their own: the rows would have to outlive the batch results that
// carry them, and the library's write transactions seldom begin with a
// multi-row query.
func (b *batch) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if err := b.flush(ctx); err != nil {
		return nil, err
	}
	return b.tx.Query(ctx, sql, args...)
}

// SendBatch sends a call's batch after the held statements, in the same
// round trip.
func (b *batch) SendBatch(ctx context.Context, pb *pgx.Batch) pgx.BatchResults {
	held := b.take()
	if len(held) == 0 {
		return b.tx.SendBatch(ctx, pb)
	}
	all := &pgx.Batch{}
	for _, h := range held {
		all.Queue(h)
	}
	all.QueuedQueries = append(all.QueuedQueries, pb.QueuedQueries...)
	return skipHeld(b.tx.SendBatch(ctx, all), len(held))
}

// flush sends the held statements.
func (b *batch) flush(ctx context.Context) error {
	held := b.take()
	if len(held) == 0 {
		return nil
	}
	_, err := b.tx.Exec(ctx, strings.Join(held, "; "))
	return err
}

// Conn returns the batch's connection.
func (b *batch) Conn() *pgx.Conn { return b.tx.Conn() }

// Commit commits the batch. Held statements can only be RELEASE
// SAVEPOINTs, which COMMIT does by itself.
func (b *batch) Commit(ctx context.Context) error {
	b.take()
	return b.tx.Commit(ctx)
}

// Rollback aborts the batch.
func (b *batch) Rollback(ctx context.Context) error {
	b.take()
	return b.tx.Rollback(ctx)
}

// gcTx adapts a batch to groupcommit.Tx.
type gcTx struct{ *batch }

// Exec runs one of the committer's savepoint statements.
func (t gcTx) Exec(ctx context.Context, stmt string) error { return t.savepoint(ctx, stmt) }

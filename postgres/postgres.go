// Package postgres implements zhengzhao.Store on PostgreSQL through pgx
// (pgxpool). Unlike the SQLite store it is meant for several server
// processes sharing one database.
//
// Writes go through a group committer (package internal/groupcommit):
// Update calls that arrive while a commit is in flight share the next
// transaction, each in its own savepoint, and N durable writes cost one
// WAL flush. Each process runs one committer. More would not help: every
// write transaction begins by locking the audit log's counter row, so
// the write transactions of all processes on the database take turns.
// That lock is what the gap-free audit log needs anyway (the counter row
// stays locked from the first AppendAudit to COMMIT); taking it first, at
// BEGIN, also means that write transactions never deadlock on each other's
// row locks, that a fn's reads are not changed under it by another server
// before it writes, and that identity columns (the licenses' storage
// order) are handed out in commit order.
//
// Reads (View) run in REPEATABLE READ READ ONLY transactions on other pool
// connections: a consistent snapshot that neither waits for writers nor
// holds them up.
//
// When the server restarts or a connection is terminated, the calls that
// were using it fail with EUNAVAILABLE and the pool opens new connections
// for the next ones; the process need not restart.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/internal/groupcommit"
)

var (
	_ zhengzhao.Store       = (*Store)(nil)
	_ zhengzhao.Pinger      = (*Store)(nil)
	_ zhengzhao.Peeker      = (*Store)(nil)
	_ zhengzhao.SoloUpdater = (*Store)(nil)
	_ zhengzhao.Tx          = (*Tx)(nil)
	_ groupcommit.Tx        = gcTx{}
)

// DefaultMaxBatch is the default number of Update calls committed in one
// transaction. Each call's savepoint that writes takes a subtransaction
// ID; a backend keeps up to 64 of them in shared memory, and past that
// (an "overflowed" snapshot) every other backend's visibility checks fall
// back to the pg_subtrans SLRU. A batch of at most 64 calls stays within
// the cache.
const DefaultMaxBatch = 64

// Pool defaults, used unless the DSN sets them (pool_max_conns,
// pool_health_check_period, connect_timeout).
const (
	defaultHealthCheckPeriod = 15 * time.Second
	defaultConnectTimeout    = 5 * time.Second
)

// lockTimeout bounds how long a write transaction waits for the audit
// counter (another server's batch) or any row lock before it fails with
// EUNAVAILABLE: a stuck server must not stall the others for ever.
const lockTimeout = "30s"

// beginWrite begins a write transaction in one round trip. If the lock
// is not had, the transaction is left aborted and the pool closes the
// connection rather than reuse it.
const beginWrite = "BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE; " +
	"SET LOCAL lock_timeout = '" + lockTimeout + "'; " +
	"SELECT FROM audit_counter WHERE id = 1 FOR NO KEY UPDATE"

// beginTimeout bounds beginning a write transaction, lock wait included:
// the committer begins with a context that is never cancelled, and a
// server that stops answering must not stall every Update for ever.
const beginTimeout = 45 * time.Second

// Store is a zhengzhao.Store on a PostgreSQL database. Its methods are safe
// for concurrent use.
type Store struct {
	pool      *pgxpool.Pool
	schema    string
	now       func() time.Time
	log       *slog.Logger
	committer *groupcommit.Committer[gcTx]

	closed    atomic.Bool
	closeOnce sync.Once
}

// Option configures a Store.
type Option func(*options)

type options struct {
	now      func() time.Time
	log      *slog.Logger
	schema   string
	maxBatch int
	replica  bool            // a read-only standby: no migrations (replica.go)
	tracer   pgx.QueryTracer // WithTracer (metrics.go)
}

// WithNow sets the clock the store takes transaction times from
// (time.Now by default).
func WithNow(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithLogger sets the logger for migrations and commit failures
// (discarded by default).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithSchema keeps the store's tables in the named schema: every pool
// connection gets it as its search_path, and Migrate creates it when it
// does not exist. Without it the store uses the search_path of the DSN or
// the server (usually public). Tests use one schema each.
func WithSchema(name string) Option { return func(o *options) { o.schema = name } }

// WithMaxBatch caps how many Update calls share one transaction
// (DefaultMaxBatch by default; 1 turns group commit off).
func WithMaxBatch(n int) Option { return func(o *options) { o.maxBatch = n } }

// Open connects to the database at dsn (a URL or key=value string as
// libpq takes it, plus pgxpool's pool_* settings), applies the migrations
// the schema lacks and returns the store. The pool opens connections as
// they are needed, at most 4×GOMAXPROCS (at least 8) unless the DSN says
// pool_max_conns. An unreachable server is EUNAVAILABLE.
func Open(ctx context.Context, dsn string, opts ...Option) (*Store, error) {
	o := options{now: time.Now, maxBatch: DefaultMaxBatch}
	for _, opt := range opts {
		opt(&o)
	}
	if o.log == nil {
		o.log = slog.New(slog.DiscardHandler)
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// The error may quote the DSN, password included; pgconn redacts it.
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	if !strings.Contains(dsn, "pool_max_conns") {
		cfg.MaxConns = int32(max(8, 4*runtime.GOMAXPROCS(0)))
	}
	if !strings.Contains(dsn, "pool_health_check_period") {
		cfg.HealthCheckPeriod = defaultHealthCheckPeriod
	}
	if !strings.Contains(dsn, "connect_timeout") {
		cfg.ConnConfig.ConnectTimeout = defaultConnectTimeout
	}
	if _, ok := cfg.ConnConfig.RuntimeParams["application_name"]; !ok {
		cfg.ConnConfig.RuntimeParams["application_name"] = "zhengzhao"
	}
	if _, ok := cfg.ConnConfig.RuntimeParams["jit"]; !ok {
		// Every query here is a short index lookup. With stale statistics
		// (after a bulk load, before autovacuum analyses) the planner
		// overestimates rows and JIT-compiles them: milliseconds of
		// compilation for a one-row answer. Measured: 25 ms instead of
		// 0.1 ms for list-by-holder at 2 million licenses.
		cfg.ConnConfig.RuntimeParams["jit"] = "off"
	}
	cfg.AfterConnect = registerTypes
	if o.schema != "" {
		// A startup parameter, so that it holds from the first statement
		// of every connection, including those the pool opens after a
		// server restart.
		cfg.ConnConfig.RuntimeParams["search_path"] = pgx.Identifier{o.schema}.Sanitize()
	}
	cfg.ConnConfig.Tracer = o.tracer
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	s := &Store{pool: pool, schema: o.schema, now: o.now, log: o.log}
	if o.replica {
		s.committer = groupcommit.New(s.begin, groupcommit.Options{MaxBatch: o.maxBatch, Logger: o.log})
		return s, nil
	}
	if err := s.Migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	s.committer = groupcommit.New(s.begin, groupcommit.Options{MaxBatch: o.maxBatch, Logger: o.log})
	return s, nil
}

// Pool returns the store's connection pool, for tools that need plain SQL
// on the same database (bulk import with CopyFrom, operations checks).
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// begin starts the write transaction of a batch: READ COMMITTED (the
// audit counter's UPDATE must see other servers' commits, which REPEATABLE
// READ would turn into serialization failures), a lock timeout, and the
// audit counter row locked before anything else. The batch's time is
// taken once the lock is held, so audit times follow index order across
// servers whose clocks agree.
func (s *Store) begin(ctx context.Context) (gcTx, error) {
	const op = "postgres.Update"
	ctx, cancel := context.WithTimeout(ctx, beginTimeout)
	defer cancel()
	var tx pgx.Tx
	err := s.retryConn(ctx, func() error {
		var err error
		tx, err = s.pool.BeginTx(ctx, pgx.TxOptions{BeginQuery: beginWrite})
		return err
	})
	switch {
	case err != nil && ctx.Err() != nil:
		return gcTx{}, &zhengzhao.Error{Code: zhengzhao.EUNAVAILABLE, Message: "the database did not answer in time; retry later", Op: op, Err: err}
	case err != nil:
		return gcTx{}, mapErr(op, err, "")
	}
	return gcTx{&batch{tx: tx, now: s.txTime()}}, nil
}

// retryConn runs begin, and when it fails because its connection was
// dead (the server restarted, or an administrator terminated it), empties
// the pool and runs it once more on a new connection. The idle
// connections of the pool likely died with the one that failed, and a
// pool checks an idle connection only after a second of idleness.
// begin must have no effects (BEGIN, a ping), so running it again is
// safe.
func (s *Store) retryConn(ctx context.Context, begin func() error) error {
	err := begin()
	if err == nil || !connLost(err) || ctx.Err() != nil || s.closed.Load() {
		return err
	}
	s.log.Warn("postgres: connection lost; reconnecting", "err", err)
	s.pool.Reset()
	return begin()
}

// txTime returns the current time as transactions see it.
func (s *Store) txTime() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// Update runs fn in a write transaction, usually shared with concurrent
// calls (see package groupcommit). fn runs in the calling goroutine; if it
// panics, its changes are rolled back and Update panics with the same
// value. Update returns fn's error, ctx.Err() when ctx ended before fn's
// changes were committed, EUNAVAILABLE when the database cannot be
// reached or the connection was lost, or the commit's error. fn's
// statements are not interrupted when ctx ends: cancelling a statement
// would break the transaction the other calls share. fn may call View; it
// must not call Update on the same store, which would wait for fn.
func (s *Store) Update(ctx context.Context, fn func(zhengzhao.Tx) error) error {
	const op = "postgres.Update"
	if s.closed.Load() {
		return closedErr(op, groupcommit.ErrClosed)
	}
	txCtx := context.WithoutCancel(ctx)
	err := s.committer.Do(ctx, func(b gcTx) error {
		return fn(newTx(txCtx, b.batch, b.now, true))
	})
	switch {
	case err == nil:
		return nil
	case errors.Is(err, groupcommit.ErrClosed):
		return closedErr(op, err)
	case ctx.Err() != nil && errors.Is(err, ctx.Err()):
		return err
	}
	return connErr(op, err)
}

// connErr maps the error of a write transaction whose begin or commit
// failed for want of a connection to EUNAVAILABLE; fn's own errors are
// domain errors or its own values, passed on as is.
func connErr(op string, err error) error {
	var de *zhengzhao.Error
	if err != nil && !errors.As(err, &de) && unavailable(err) {
		return mapErr(op, err, "")
	}
	return err
}

// UpdateAlone runs fn in a transaction of its own on a pooled connection,
// beside the group commit (zhengzhao.SoloUpdater): the audit integrator
// holds the tree head lock for many statements without making every
// audited read wait behind it. fn runs again if the connection is lost
// before the commit.
func (s *Store) UpdateAlone(ctx context.Context, fn func(zhengzhao.Tx) error) error {
	const op = "postgres.UpdateAlone"
	if s.closed.Load() {
		return closedErr(op, nil)
	}
	err := s.retryConn(ctx, func() error {
		tx, err := s.pool.Begin(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback(context.WithoutCancel(ctx))
		if err := fn(newTx(ctx, tx, s.txTime(), true)); err != nil {
			return err
		}
		return tx.Commit(ctx)
	})
	return connErr(op, err)
}

// View runs fn in a read-only transaction on a snapshot of the committed
// state (REPEATABLE READ). It does not wait for Update calls in progress.
// It returns fn's error, or EUNAVAILABLE when the database cannot be
// reached.
func (s *Store) View(ctx context.Context, fn func(zhengzhao.ReadTx) error) error {
	const op = "postgres.View"
	if s.closed.Load() {
		return closedErr(op, nil)
	}
	var tx pgx.Tx
	err := s.retryConn(ctx, func() error {
		var err error
		tx, err = s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
		return err
	})
	if err != nil {
		if s.closed.Load() {
			return closedErr(op, err)
		}
		return mapErr(op, err, "")
	}
	// A read-only transaction has nothing to commit; ending it with a
	// cancelled context would close the connection instead of returning it.
	defer tx.Rollback(context.WithoutCancel(ctx))
	return fn(newTx(ctx, tx, s.txTime(), false))
}

// Peek runs fn's reads on the pool outside any transaction
// (zhengzhao.Peeker): one round trip per statement instead of three for a
// one-statement read in View. It retries once when the connection was lost.
func (s *Store) Peek(ctx context.Context, fn func(zhengzhao.ReadTx) error) error {
	const op = "postgres.Peek"
	if s.closed.Load() {
		return closedErr(op, nil)
	}
	return s.retryConn(ctx, func() error {
		return fn(newTx(ctx, poolQuerier{s.pool}, s.txTime(), false))
	})
}

// poolQuerier lets a Tx read straight from the pool. It has no connection
// of its own: Conn is for write transactions only.
type poolQuerier struct{ *pgxpool.Pool }

func (poolQuerier) Conn() *pgx.Conn { return nil }

// Ping reports whether the database answers (zhengzhao.Pinger, for
// readiness checks). EUNAVAILABLE when it does not.
func (s *Store) Ping(ctx context.Context) error {
	if s.closed.Load() {
		return closedErr("postgres.Ping", nil)
	}
	return mapErr("postgres.Ping", s.retryConn(ctx, func() error { return s.pool.Ping(ctx) }), "")
}

// Close waits for the pending Update calls to commit, then closes the
// pool, which waits for the View calls in progress. Later calls fail with
// EUNAVAILABLE; Close may be called again.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.committer.Close()
		s.closed.Store(true)
		s.pool.Close()
	})
	return nil
}

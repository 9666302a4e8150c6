// Package sqlite implements zhengzhao.Store on SQLite, through the pure-Go
// driver modernc.org/sqlite: one file holds the whole library, and the
// server stays a single static binary.
//
// A Store keeps two connection pools on the file. Writes go through one
// connection (SQLite has one writer anyway) driven by a group committer:
// Update calls that arrive while a commit is in flight share the next
// transaction, each in its own savepoint, so that N concurrent writes cost
// one fsync. Reads go through a separate pool of query-only connections;
// in WAL mode they read the last committed state without waiting for the
// writer.
//
// Every commit is durable (synchronous=FULL): a license the library has
// acknowledged survives a power loss.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/internal/groupcommit"
	"github.com/zhengzhao-project/zhengzhao/sqlstore"
)

// migrations are SQLite's schema changes (see internal/migration).
//
//go:embed migration/*.sql
var migrations embed.FS

// A Store is also a zhengzhao.Pinger and a zhengzhao.Peeker.
var _ interface {
	zhengzhao.Store
	zhengzhao.Pinger
	zhengzhao.Peeker
} = (*Store)(nil)

// Connection settings. busy_timeout matters when another process (a
// backup, the sqlite3 shell) holds a lock; foreign_keys is off by default
// in SQLite.
var (
	// writerPragmas are set on the one write connection: WAL so readers do
	// not block the writer, FULL so every commit is fsynced (WAL's NORMAL
	// may lose the last commits on power loss), and BEGIN IMMEDIATE so a
	// write transaction takes the write lock at once instead of failing
	// with SQLITE_BUSY on its first write.
	writerPragmas = []string{"busy_timeout(5000)", "foreign_keys(1)", "journal_mode(WAL)", "synchronous(FULL)", "temp_store(MEMORY)"}
	// readerPragmas are set on the read connections; query_only makes a
	// write through View fail instead of competing with the writer.
	readerPragmas = []string{"busy_timeout(5000)", "foreign_keys(1)", "query_only(1)"}
)

// Store is a zhengzhao.Store on an SQLite database file. Its methods are
// safe for concurrent use.
type Store struct {
	path string
	now  func() time.Time
	log  *slog.Logger

	wdb       *sql.DB // one connection: all writes and migrations
	rdb       *sql.DB // query-only pool for View
	wstmts    stmts
	rstmts    stmts
	committer *groupcommit.Committer[*batch]

	stopOptimize chan struct{} // closed by Close
	optimized    sync.WaitGroup

	closeOnce sync.Once
	closeErr  error
}

// optimizeEvery is how often a long-running store refreshes the planner's
// statistics with PRAGMA optimize, as SQLite recommends for applications
// that keep a database open for a long time.
const optimizeEvery = time.Hour

// optimize runs PRAGMA optimize every optimizeEvery until Close. It only
// analyses tables whose size has changed much since their last analysis,
// within SQLite's own analysis limit, so it is cheap when nothing
// changed. A failure is logged: the statistics are an aid to the planner,
// not data.
func (s *Store) optimize() {
	defer s.optimized.Done()
	t := time.NewTicker(optimizeEvery)
	defer t.Stop()
	for {
		select {
		case <-s.stopOptimize:
			return
		case <-t.C:
			if _, err := s.wdb.Exec(`PRAGMA optimize`); err != nil {
				s.log.Warn("sqlite: PRAGMA optimize failed", "err", err)
			}
		}
	}
}

// Option configures a Store.
type Option func(*options)

type options struct {
	now      func() time.Time
	log      *slog.Logger
	maxBatch int
}

// WithNow sets the clock the store takes transaction times from
// (time.Now by default).
func WithNow(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithLogger sets the logger for commit failures (discarded by default).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithMaxBatch caps how many Update calls share one transaction
// (groupcommit.DefaultMaxBatch by default; 1 turns group commit off).
func WithMaxBatch(n int) Option { return func(o *options) { o.maxBatch = n } }

// Open opens the SQLite database at path, creating it if needed, and
// applies the migrations it lacks. path is a file name: the store opens it
// several times, so an in-memory database does not work.
func Open(path string, opts ...Option) (*Store, error) {
	o := options{now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	if o.log == nil {
		o.log = slog.New(slog.DiscardHandler)
	}
	if path == "" || path == ":memory:" || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("sqlite: open %q: the path must name a file", path)
	}
	s := &Store{path: path, now: o.now, log: o.log}

	var err error
	if s.wdb, err = sql.Open("sqlite", dsn(path, writerPragmas, "_txlock=immediate")); err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	s.wdb.SetMaxOpenConns(1)
	s.wdb.SetMaxIdleConns(1)
	s.wdb.SetConnMaxLifetime(0)
	s.wdb.SetConnMaxIdleTime(0)
	ctx := context.Background()
	if err := s.wdb.PingContext(ctx); err != nil {
		s.wdb.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if err := s.Migrate(ctx); err != nil {
		s.wdb.Close()
		return nil, err
	}
	// Planner statistics for the tables that lack them or have grown much
	// since (SQLite's recommendation at open): without them SQLite may
	// pick a poor index (see migration 0007). Before the readers open, so
	// that they plan with them.
	if _, err := s.wdb.ExecContext(ctx, `PRAGMA optimize=0x10002`); err != nil {
		s.wdb.Close()
		return nil, fmt.Errorf("sqlite: open %s: optimize: %w", path, err)
	}

	if s.rdb, err = sql.Open("sqlite", dsn(path, readerPragmas)); err != nil {
		s.wdb.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	readers := max(4, runtime.GOMAXPROCS(0))
	s.rdb.SetMaxOpenConns(readers)
	s.rdb.SetMaxIdleConns(readers)
	s.rdb.SetConnMaxIdleTime(0)
	if err := s.rdb.PingContext(ctx); err != nil {
		s.rdb.Close()
		s.wdb.Close()
		return nil, fmt.Errorf("sqlite: open %s for reading: %w", path, err)
	}

	if s.wstmts, err = prepareAll(ctx, s.wdb); err == nil {
		s.rstmts, err = prepareAll(ctx, s.rdb)
	}
	if err != nil {
		s.wstmts.close()
		s.rdb.Close()
		s.wdb.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}

	s.committer = groupcommit.New(s.begin, groupcommit.Options{MaxBatch: o.maxBatch, Logger: o.log})
	s.stopOptimize = make(chan struct{})
	s.optimized.Add(1)
	go s.optimize()
	return s, nil
}

// dsn returns the driver's data source name for path with the pragmas and
// further query parameters.
func dsn(path string, pragmas []string, params ...string) string {
	q := make([]string, 0, len(pragmas)+len(params))
	for _, p := range pragmas {
		q = append(q, "_pragma="+url.QueryEscape(p))
	}
	q = append(q, params...)
	return path + "?" + strings.Join(q, "&")
}

// Tx is a transaction on the store: read-write inside Update, read-only
// inside View. Its statements run with the transaction's context, not the
// caller's: a transaction shared by several Update calls must not be
// interrupted because one caller gives up (SQLite would roll all of it
// back). The methods are sqlstore's.
type Tx struct {
	*sqlstore.Tx
	ctx   context.Context
	q     *sql.Tx
	now   time.Time
	stmts stmts
}

func newTx(ctx context.Context, tx *sql.Tx, now time.Time, st stmts, write bool) *Tx {
	return &Tx{Tx: sqlstore.New(ctx, &conn{tx: tx, stmts: st}, dialect, now, write), ctx: ctx, q: tx, now: now, stmts: st}
}

// Path returns the database file's path.
func (s *Store) Path() string { return s.path }

// batch is the transaction a group of Update calls shares.
type batch struct {
	groupcommit.SQLTx
	ctx context.Context
	now time.Time
}

// begin starts the write transaction of a batch. Its time is the time of
// every call in the batch.
func (s *Store) begin(ctx context.Context) (*batch, error) {
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return nil, mapErr("sqlite.Update", err, "")
	}
	return &batch{SQLTx: groupcommit.SQLTx{Tx: tx}, ctx: ctx, now: s.txTime()}, nil
}

// txTime returns the current time as transactions see it.
func (s *Store) txTime() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// Update runs fn in a write transaction, usually shared with concurrent
// calls (see package groupcommit). fn runs in the calling goroutine; if it
// panics, its changes are rolled back and Update panics with the same
// value. Update returns fn's error, ctx.Err() when ctx ended before fn's
// changes were committed, or the commit's error. fn may call View; it
// must not call Update on the same store, which would wait for fn.
func (s *Store) Update(ctx context.Context, fn func(zhengzhao.Tx) error) error {
	err := s.committer.Do(ctx, func(b *batch) error {
		return fn(newTx(b.ctx, b.Tx, b.now, s.wstmts, true))
	})
	if errors.Is(err, groupcommit.ErrClosed) {
		return &zhengzhao.Error{Code: zhengzhao.EUNAVAILABLE, Message: "the store is closed", Op: "sqlite.Update", Err: err}
	}
	return err
}

// View runs fn in a read-only transaction on a snapshot of the committed
// state. It does not wait for Update calls in progress.
func (s *Store) View(ctx context.Context, fn func(zhengzhao.ReadTx) error) error {
	tx, err := s.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return mapErr("sqlite.View", err, "")
	}
	defer tx.Rollback()
	return fn(newTx(ctx, tx, s.txTime(), s.rstmts, false))
}

// Peek is View (zhengzhao.Peeker): an in-process SQLite transaction costs
// no round trip, so a snapshot is as cheap as none.
func (s *Store) Peek(ctx context.Context, fn func(zhengzhao.ReadTx) error) error {
	return s.View(ctx, fn)
}

// Ping reports whether the database can be read.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.rdb.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return mapErr("sqlite.Ping", err, "")
	}
	return nil
}

// Close waits for the pending Update calls to commit and closes the
// database. Later calls fail; Close may be called again.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		close(s.stopOptimize)
		s.optimized.Wait()
		s.committer.Close()
		s.rstmts.close()
		s.wstmts.close()
		s.closeErr = errors.Join(s.rdb.Close(), s.wdb.Close())
		if s.closeErr != nil {
			s.closeErr = fmt.Errorf("sqlite: close %s: %w", s.path, s.closeErr)
		}
	})
	return s.closeErr
}

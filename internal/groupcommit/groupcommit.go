// Package groupcommit commits many concurrent write transactions as one
// database transaction (group commit).
//
// A database that makes every commit durable pays one fsync (SQLite with
// synchronous=FULL) or one WAL flush (PostgreSQL) per commit. When many
// callers write at once, most of that cost is waiting for the disk. A
// Committer lets the calls that arrive while a commit is in flight queue
// up; a single committer goroutine then takes the queue, begins one
// transaction, gives each call its own savepoint, commits once, and only
// then answers every caller. N durable writes cost one flush.
//
// Each call's function runs in the caller's own goroutine, with the shared
// transaction handed to it in turn, so that a panic or runtime.Goexit (a
// t.Fatal in a test) unwinds the caller's stack as if there were no
// batching. The committer rolls the call's savepoint back and carries on
// with the rest of the batch.
//
// The package knows nothing about a particular database. The store
// supplies a begin function returning its own transaction type, which
// implements Tx; the sqlite and postgres stores share the machinery.
package groupcommit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Tx is a database transaction as a Committer drives it. For database/sql
// wrap the *sql.Tx (see SQLTx); for pgx wrap the pgx.Tx in a type whose
// Exec drops the command tag.
type Tx interface {
	// Exec runs stmt, which takes no arguments and returns no rows. The
	// committer runs only SAVEPOINT, RELEASE SAVEPOINT and ROLLBACK TO
	// SAVEPOINT statements through it.
	Exec(ctx context.Context, stmt string) error
	// Commit commits the transaction; when it returns nil the changes are
	// durable.
	Commit(ctx context.Context) error
	// Rollback aborts the transaction.
	Rollback(ctx context.Context) error
}

// ErrClosed is returned by Do after Close has been called. The store is
// shutting down; the caller should not retry on the same store.
var ErrClosed = errors.New("groupcommit: closed")

// ErrAborted is the error the committer records for a call whose function
// panicked or called runtime.Goexit. The caller never sees it (its
// goroutine is unwinding); it shows up in logs.
var ErrAborted = errors.New("groupcommit: function panicked or exited")

// DefaultMaxBatch is the default number of calls committed in one
// transaction.
const DefaultMaxBatch = 256

// maxAttempts bounds how many broken transactions a call goes through
// before it fails with the error that broke the last one.
const maxAttempts = 3

// Options configure a Committer. The zero value is valid.
type Options struct {
	// MaxBatch caps the calls per transaction (DefaultMaxBatch when <= 0).
	// A cap bounds the work lost when a commit fails and the time the
	// first caller of a large batch waits.
	MaxBatch int
	// Logger receives batch failures; nil discards them.
	Logger *slog.Logger
}

// Stats counts a Committer's work since it was created.
type Stats struct {
	// Batches is the number of transactions begun.
	Batches int64
	// Calls is the number of functions run (a function run again after a
	// broken batch counts twice).
	Calls int64
	// Commits is the number of transactions committed successfully.
	Commits int64
}

// Committer runs functions in shared transactions. Its methods are safe
// for concurrent use.
type Committer[T Tx] struct {
	begin    func(ctx context.Context) (T, error)
	maxBatch int
	log      *slog.Logger

	mu     sync.Mutex
	queue  []*call[T]
	closed bool

	wake chan struct{} // capacity 1: the queue changed or Close was called
	done chan struct{} // closed when the committer goroutine exits

	batches, calls, commits atomic.Int64

	observer atomic.Pointer[func(Batch)] // see SetObserver
}

// New starts a Committer that begins its transactions with begin. begin is
// called with a context that is never cancelled: a transaction shared by
// several callers must not be interrupted because one of them gives up.
func New[T Tx](begin func(ctx context.Context) (T, error), opts Options) *Committer[T] {
	c := &Committer[T]{
		begin:    begin,
		maxBatch: opts.MaxBatch,
		log:      opts.Logger,
		wake:     make(chan struct{}, 1),
		done:     make(chan struct{}),
	}
	if c.maxBatch <= 0 {
		c.maxBatch = DefaultMaxBatch
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	go c.loop()
	return c
}

// call states.
const (
	queued    int32 = iota // in the queue; the caller may still abandon it
	claimed                // taken into a batch; the caller must wait
	abandoned              // the caller's context ended while queued
)

// message is what the committer sends a caller: either its turn to run fn
// in tx, or the final outcome.
type message[T Tx] struct {
	turn bool
	tx   T
	err  error
}

type call[T Tx] struct {
	ctx      context.Context
	queued   time.Time // when Do queued the call
	fn       func(T) error
	state    atomic.Int32
	attempts int // broken transactions the call was in; committer goroutine only

	msg chan message[T] // committer → caller, capacity 1
	ran chan error      // caller → committer, capacity 1: fn's outcome
}

// Do runs fn in a transaction shared with other concurrent calls and
// returns once that transaction has committed (nil), or with fn's error
// (fn's changes undone, the others' kept), or with the commit's error.
//
// fn runs in the calling goroutine inside its own savepoint. If fn panics
// or calls runtime.Goexit, its savepoint is rolled back and the panic
// continues in the caller's goroutine; the other calls of the batch are not
// affected. fn must not keep tx after it returns, must not call Do itself
// (the batch would wait for itself) and must not have effects outside the
// transaction: if another call breaks the shared transaction, fn may run
// again in the next one. fn is not interrupted when ctx ends.
//
// When ctx ends before fn's changes are released into the batch, Do
// returns ctx.Err() and nothing of fn is committed. Once fn has returned nil
// with ctx still live, the outcome is that of the commit: Do waits for it
// and never reports ctx.Err() for changes that were committed.
func (c *Committer[T]) Do(ctx context.Context, fn func(tx T) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	cl := &call[T]{
		ctx:    ctx,
		queued: time.Now(),
		fn:     fn,
		msg:    make(chan message[T], 1),
		ran:    make(chan error, 1),
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	c.queue = append(c.queue, cl)
	c.mu.Unlock()
	c.signal()

	for {
		var m message[T]
		select {
		case m = <-cl.msg:
		case <-ctx.Done():
			if cl.state.CompareAndSwap(queued, abandoned) {
				return ctx.Err()
			}
			m = <-cl.msg
		}
		if !m.turn {
			return m.err
		}
		cl.run(m.tx)
	}
}

// run runs fn in the caller's goroutine and reports its outcome to the
// committer, also when fn panics or exits the goroutine.
func (cl *call[T]) run(tx T) {
	if err := cl.ctx.Err(); err != nil {
		cl.ran <- err
		return
	}
	returned := false
	defer func() {
		if !returned {
			cl.ran <- ErrAborted
		}
	}()
	err := cl.fn(tx)
	returned = true
	if err == nil {
		err = cl.ctx.Err()
	}
	cl.ran <- err
}

// Close waits for the queued calls to commit and stops the committer.
// Later calls to Do return ErrClosed. Close is idempotent.
func (c *Committer[T]) Close() error {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.signal()
	<-c.done
	return nil
}

// Batch describes one transaction of a Committer, as its observer sees it.
type Batch struct {
	// Calls is the number of calls taken into the transaction.
	Calls int
	// Wait is how long the oldest of them waited in the queue (including
	// earlier broken transactions) before this one began.
	Wait time.Duration
	// Duration is the time from begin to commit or failure.
	Duration time.Duration
	// Committed reports whether the transaction committed.
	Committed bool
}

// SetObserver registers fn to be called after every transaction, from the
// committer's goroutine: it must be fast and must not call Do. A later call
// replaces fn; nil removes it. Metrics use it for batch sizes and waits.
func (c *Committer[T]) SetObserver(fn func(Batch)) {
	if fn == nil {
		c.observer.Store(nil)
		return
	}
	c.observer.Store(&fn)
}

// Stats returns the committer's counters.
func (c *Committer[T]) Stats() Stats {
	return Stats{Batches: c.batches.Load(), Calls: c.calls.Load(), Commits: c.commits.Load()}
}

func (c *Committer[T]) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func (c *Committer[T]) loop() {
	defer close(c.done)
	for {
		batch, closed := c.take()
		if len(batch) > 0 {
			c.commit(batch)
			continue
		}
		if closed {
			return
		}
		<-c.wake
	}
}

// take removes up to maxBatch live calls from the queue and claims them.
// Abandoned calls are dropped on the way.
func (c *Committer[T]) take() (batch []*call[T], closed bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	i := 0
	for ; i < len(c.queue) && len(batch) < c.maxBatch; i++ {
		cl := c.queue[i]
		if cl.state.CompareAndSwap(queued, claimed) {
			batch = append(batch, cl)
		}
	}
	n := copy(c.queue, c.queue[i:])
	clear(c.queue[n:])
	c.queue = c.queue[:n]
	return batch, c.closed && len(c.queue) == 0
}

// requeue puts the calls of a broken transaction back at the head of the
// queue, in order, so that they run in the next transaction. Calls that
// were in too many broken transactions fail with err instead.
func (c *Committer[T]) requeue(calls []*call[T], err error) {
	var again []*call[T]
	for _, cl := range calls {
		cl.attempts++
		if cl.attempts >= maxAttempts {
			cl.msg <- message[T]{err: err}
			continue
		}
		cl.state.Store(queued)
		again = append(again, cl)
	}
	if len(again) == 0 {
		return
	}
	c.mu.Lock()
	c.queue = append(again, c.queue...)
	c.mu.Unlock()
}

// commit runs one batch in one transaction and answers every caller.
func (c *Committer[T]) commit(batch []*call[T]) {
	ctx := context.Background()
	c.batches.Add(1)
	if fn := c.observer.Load(); fn != nil {
		// Only this goroutine counts commits, so a changed count means
		// this batch committed.
		start, before := time.Now(), c.commits.Load()
		b := Batch{Calls: len(batch), Wait: start.Sub(batch[0].queued)}
		defer func() {
			b.Duration = time.Since(start)
			b.Committed = c.commits.Load() > before
			(*fn)(b)
		}()
	}
	tx, err := c.begin(ctx)
	if err != nil {
		err = fmt.Errorf("begin transaction: %w", err)
		c.log.Error("group commit: begin", "err", err, "calls", len(batch))
		for _, cl := range batch {
			cl.msg <- message[T]{err: err}
		}
		return
	}

	var done []*call[T] // fn returned nil; its changes wait for COMMIT
	for i, cl := range batch {
		c.calls.Add(1)
		sp := "gc" + strconv.Itoa(i)
		if err := tx.Exec(ctx, "SAVEPOINT "+sp); err != nil {
			c.broken(ctx, tx, done, batch[i:], fmt.Errorf("savepoint: %w", err))
			return
		}
		cl.msg <- message[T]{turn: true, tx: tx}
		fnErr := <-cl.ran
		if fnErr == nil {
			if err := tx.Exec(ctx, "RELEASE SAVEPOINT "+sp); err != nil {
				c.broken(ctx, tx, done, batch[i:], fmt.Errorf("release savepoint: %w", err))
				return
			}
			done = append(done, cl)
			continue
		}
		if errors.Is(fnErr, ErrAborted) {
			c.log.Warn("group commit: function panicked or exited; its changes are rolled back")
		}
		// ROLLBACK TO keeps the savepoint open; RELEASE pops it.
		err := tx.Exec(ctx, "ROLLBACK TO SAVEPOINT "+sp)
		if err == nil {
			err = tx.Exec(ctx, "RELEASE SAVEPOINT "+sp)
		}
		// fn's changes are gone whatever happens to the transaction, so
		// its caller need not wait for the commit.
		cl.msg <- message[T]{err: fnErr}
		if err != nil {
			// fn's error has broken the transaction (a database error that
			// aborts more than the statement). The others run again in a
			// fresh transaction.
			c.broken(ctx, tx, done, batch[i+1:], fmt.Errorf("roll back to savepoint: %w", err))
			return
		}
	}

	if err := tx.Commit(ctx); err != nil {
		err = fmt.Errorf("commit: %w", err)
		c.log.Error("group commit: commit", "err", err, "calls", len(done))
		for _, cl := range done {
			cl.msg <- message[T]{err: err}
		}
		return
	}
	c.commits.Add(1)
	for _, cl := range done {
		cl.msg <- message[T]{}
	}
}

// broken handles a transaction that can no longer be used: it rolls it
// back and queues again the calls whose functions ran successfully (ran)
// and those not yet run (rest). Calls in neither list have had their
// answer already.
func (c *Committer[T]) broken(ctx context.Context, tx T, ran, rest []*call[T], err error) {
	c.log.Error("group commit: transaction broken; its calls run again", "err", err,
		"ran", len(ran), "not_run", len(rest))
	if rerr := tx.Rollback(ctx); rerr != nil {
		c.log.Error("group commit: rollback", "err", rerr)
	}
	c.requeue(append(append([]*call[T]{}, ran...), rest...), err)
}

package groupcommit

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeDB is an in-memory key-value database with transactions and
// savepoints, enough to check what a Committer commits.
type fakeDB struct {
	mu        sync.Mutex
	committed map[string]int

	commitDelay time.Duration
	commitErr   error
	beginErr    error
	batchSizes  []int // functions run in each committed transaction
}

// errBreak, returned through fakeTx.fail, makes ROLLBACK TO fail as if the
// error had aborted the whole transaction.
var errBreak = errors.New("breaks the transaction")

type savepoint struct {
	name string
	data map[string]int
}

type fakeTx struct {
	db   *fakeDB
	data map[string]int
	sps  []savepoint
	// lastErr is the error the last function returned (set by tests'
	// functions through fail).
	lastErr error
	fns     int
	broken  bool
}

func newFakeDB() *fakeDB { return &fakeDB{committed: map[string]int{}} }

func (db *fakeDB) begin(ctx context.Context) (*fakeTx, error) {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.beginErr != nil {
		return nil, db.beginErr
	}
	return &fakeTx{db: db, data: maps.Clone(db.committed)}, nil
}

func (db *fakeDB) get(k string) (int, bool) {
	db.mu.Lock()
	defer db.mu.Unlock()
	v, ok := db.committed[k]
	return v, ok
}

func (db *fakeDB) len() int {
	db.mu.Lock()
	defer db.mu.Unlock()
	return len(db.committed)
}

func (tx *fakeTx) find(name string) int {
	for i := len(tx.sps) - 1; i >= 0; i-- {
		if tx.sps[i].name == name {
			return i
		}
	}
	return -1
}

func (tx *fakeTx) Exec(ctx context.Context, stmt string) error {
	if tx.broken {
		return errors.New("transaction is broken")
	}
	switch {
	case strings.HasPrefix(stmt, "SAVEPOINT "):
		tx.fns++
		tx.lastErr = nil
		tx.sps = append(tx.sps, savepoint{strings.TrimPrefix(stmt, "SAVEPOINT "), maps.Clone(tx.data)})
	case strings.HasPrefix(stmt, "RELEASE SAVEPOINT "):
		i := tx.find(strings.TrimPrefix(stmt, "RELEASE SAVEPOINT "))
		if i < 0 {
			return fmt.Errorf("no such savepoint: %s", stmt)
		}
		tx.sps = tx.sps[:i]
	case strings.HasPrefix(stmt, "ROLLBACK TO SAVEPOINT "):
		if errors.Is(tx.lastErr, errBreak) {
			tx.broken = true
			return errors.New("no such savepoint (transaction was rolled back)")
		}
		i := tx.find(strings.TrimPrefix(stmt, "ROLLBACK TO SAVEPOINT "))
		if i < 0 {
			return fmt.Errorf("no such savepoint: %s", stmt)
		}
		tx.data = maps.Clone(tx.sps[i].data)
		tx.sps = tx.sps[:i+1]
	default:
		return fmt.Errorf("unexpected statement %q", stmt)
	}
	return nil
}

func (tx *fakeTx) Commit(ctx context.Context) error {
	if tx.broken {
		return errors.New("transaction is broken")
	}
	if len(tx.sps) != 0 {
		return fmt.Errorf("commit with %d open savepoints", len(tx.sps))
	}
	tx.db.mu.Lock()
	defer tx.db.mu.Unlock()
	time.Sleep(tx.db.commitDelay)
	tx.db.batchSizes = append(tx.db.batchSizes, tx.fns)
	if tx.db.commitErr != nil {
		return tx.db.commitErr
	}
	tx.db.committed = tx.data
	return nil
}

func (tx *fakeTx) Rollback(ctx context.Context) error { return nil }

// put is what test functions do in a transaction.
func (tx *fakeTx) put(k string, v int) { tx.data[k] = v }

// fail records err so that the fake can break the transaction on it.
func (tx *fakeTx) fail(err error) error { tx.lastErr = err; return err }

func newCommitter(t *testing.T, db *fakeDB, opts Options) *Committer[*fakeTx] {
	t.Helper()
	c := New(db.begin, opts)
	t.Cleanup(func() { c.Close() })
	return c
}

func TestDoCommits(t *testing.T) {
	db := newFakeDB()
	c := newCommitter(t, db, Options{})
	if err := c.Do(context.Background(), func(tx *fakeTx) error { tx.put("a", 1); return nil }); err != nil {
		t.Fatal(err)
	}
	if v, ok := db.get("a"); !ok || v != 1 {
		t.Fatalf("got %d, %v; want 1, true", v, ok)
	}
	want := errors.New("no")
	if err := c.Do(context.Background(), func(tx *fakeTx) error { tx.put("b", 1); return want }); err != want {
		t.Fatalf("got %v, want %v", err, want)
	}
	if _, ok := db.get("b"); ok {
		t.Fatal("the changes of a failed function were committed")
	}
}

// TestConcurrentBatches checks that concurrent calls share transactions and
// that a failing call undoes only its own changes.
func TestConcurrentBatches(t *testing.T) {
	db := newFakeDB()
	db.commitDelay = 2 * time.Millisecond
	c := newCommitter(t, db, Options{MaxBatch: 16})
	const n = 200
	errBad := errors.New("bad")
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			errs[i] = c.Do(context.Background(), func(tx *fakeTx) error {
				tx.put(fmt.Sprint(i), i)
				if i%5 == 0 {
					return errBad
				}
				return nil
			})
		})
	}
	wg.Wait()
	for i, err := range errs {
		_, committed := db.get(fmt.Sprint(i))
		if i%5 == 0 {
			if err != errBad || committed {
				t.Errorf("call %d: got %v, committed %v; want %v, not committed", i, err, committed, errBad)
			}
		} else if err != nil || !committed {
			t.Errorf("call %d: got %v, committed %v; want nil, committed", i, err, committed)
		}
	}
	st := c.Stats()
	if st.Calls != n {
		t.Errorf("Stats().Calls = %d, want %d", st.Calls, n)
	}
	if st.Batches >= n/2 {
		t.Errorf("%d batches for %d concurrent calls: calls are not grouped", st.Batches, n)
	}
	for _, size := range db.batchSizes {
		if size > 16 {
			t.Errorf("batch of %d calls exceeds MaxBatch 16", size)
		}
	}
	t.Logf("%d calls in %d batches", st.Calls, st.Batches)
}

// blockCommitter occupies the committer with a call whose function waits
// until the returned release function is called.
func blockCommitter(t *testing.T, c *Committer[*fakeTx]) (release func() error) {
	t.Helper()
	entered := make(chan struct{})
	unblock := make(chan struct{})
	res := make(chan error, 1)
	go func() {
		res <- c.Do(context.Background(), func(tx *fakeTx) error {
			tx.put("blocker", 1)
			close(entered)
			<-unblock
			return nil
		})
	}()
	<-entered
	return func() error { close(unblock); return <-res }
}

// waitQueued waits until n calls are in the committer's queue.
func waitQueued(t *testing.T, c *Committer[*fakeTx], n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		c.mu.Lock()
		l := len(c.queue)
		c.mu.Unlock()
		if l >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d calls queued, want %d", l, n)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestPanicDoesNotPoisonBatch(t *testing.T) {
	db := newFakeDB()
	c := newCommitter(t, db, Options{})
	release := blockCommitter(t, c)

	var wg sync.WaitGroup
	var okErr error
	var recovered any
	wg.Go(func() {
		okErr = c.Do(context.Background(), func(tx *fakeTx) error { tx.put("before", 1); return nil })
	})
	waitQueued(t, c, 1)
	wg.Go(func() {
		defer func() { recovered = recover() }()
		c.Do(context.Background(), func(tx *fakeTx) error {
			tx.put("panicker", 1)
			panic("boom")
		})
	})
	waitQueued(t, c, 2)
	var afterErr error
	wg.Go(func() {
		afterErr = c.Do(context.Background(), func(tx *fakeTx) error { tx.put("after", 1); return nil })
	})
	waitQueued(t, c, 3)
	if err := release(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if recovered != "boom" {
		t.Errorf("recovered %v, want the original panic value boom", recovered)
	}
	if okErr != nil || afterErr != nil {
		t.Errorf("other calls of the batch: %v, %v; want nil, nil", okErr, afterErr)
	}
	for k, want := range map[string]bool{"blocker": true, "before": true, "panicker": false, "after": true} {
		if _, ok := db.get(k); ok != want {
			t.Errorf("%s committed: %v, want %v", k, ok, want)
		}
	}
}

func TestGoexitDoesNotPoisonBatch(t *testing.T) {
	db := newFakeDB()
	c := newCommitter(t, db, Options{})
	release := blockCommitter(t, c)

	exited := make(chan bool)
	go func() {
		returned := false
		defer func() { exited <- !returned }()
		c.Do(context.Background(), func(tx *fakeTx) error {
			tx.put("exiter", 1)
			runtime.Goexit()
			return nil
		})
		returned = true
	}()
	waitQueued(t, c, 1)
	var afterErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		afterErr = c.Do(context.Background(), func(tx *fakeTx) error { tx.put("after", 1); return nil })
	}()
	waitQueued(t, c, 2)
	if err := release(); err != nil {
		t.Fatal(err)
	}
	if !<-exited {
		t.Error("Do returned after fn called runtime.Goexit")
	}
	<-done
	if afterErr != nil {
		t.Errorf("got %v, want nil", afterErr)
	}
	if _, ok := db.get("exiter"); ok {
		t.Error("changes of an exited function were committed")
	}
	if _, ok := db.get("after"); !ok {
		t.Error("changes after an exited function were not committed")
	}
}

func TestContextCancelledWhileQueued(t *testing.T) {
	db := newFakeDB()
	c := newCommitter(t, db, Options{})
	release := blockCommitter(t, c)

	ctx, cancel := context.WithCancel(context.Background())
	var ran atomic.Bool
	res := make(chan error, 1)
	go func() {
		res <- c.Do(ctx, func(tx *fakeTx) error { ran.Store(true); tx.put("x", 1); return nil })
	}()
	waitQueued(t, c, 1)
	cancel()
	select {
	case err := <-res:
		if err != context.Canceled {
			t.Errorf("got %v, want %v", err, context.Canceled)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Do did not return after its context was cancelled")
	}
	if err := release(); err != nil {
		t.Fatal(err)
	}
	// One more call to be sure the committer has passed the abandoned one.
	if err := c.Do(context.Background(), func(tx *fakeTx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if ran.Load() {
		t.Error("the function of an abandoned call ran")
	}
	if _, ok := db.get("x"); ok {
		t.Error("an abandoned call was committed")
	}
}

func TestContextCancelledBeforeCommit(t *testing.T) {
	db := newFakeDB()
	c := newCommitter(t, db, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	err := c.Do(ctx, func(tx *fakeTx) error { tx.put("x", 1); cancel(); return nil })
	if err != context.Canceled {
		t.Errorf("got %v, want %v", err, context.Canceled)
	}
	if _, ok := db.get("x"); ok {
		t.Error("changes were committed after the context was cancelled")
	}
	if err := c.Do(ctx, func(tx *fakeTx) error { t.Error("fn ran with a cancelled context"); return nil }); err != context.Canceled {
		t.Errorf("got %v, want %v", err, context.Canceled)
	}
}

func TestCommitErrorGoesToEveryCall(t *testing.T) {
	db := newFakeDB()
	errDisk := errors.New("disk on fire")
	db.commitErr = errDisk
	c := newCommitter(t, db, Options{})
	release := blockCommitter(t, c)
	errOwn := errors.New("own")
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			errs[i] = c.Do(context.Background(), func(tx *fakeTx) error {
				tx.put(fmt.Sprint(i), i)
				if i == 2 {
					return errOwn
				}
				return nil
			})
		})
	}
	waitQueued(t, c, len(errs))
	if err := release(); !errors.Is(err, errDisk) {
		t.Errorf("blocker: got %v, want %v", err, errDisk)
	}
	wg.Wait()
	for i, err := range errs {
		want := errDisk
		if i == 2 {
			want = errOwn
		}
		if !errors.Is(err, want) {
			t.Errorf("call %d: got %v, want %v", i, err, want)
		}
	}
	if n := db.len(); n != 0 {
		t.Errorf("%d keys committed, want 0", n)
	}
}

func TestBeginError(t *testing.T) {
	db := newFakeDB()
	errDown := errors.New("database down")
	db.beginErr = errDown
	c := newCommitter(t, db, Options{})
	err := c.Do(context.Background(), func(tx *fakeTx) error { t.Error("fn ran without a transaction"); return nil })
	if !errors.Is(err, errDown) {
		t.Errorf("got %v, want %v", err, errDown)
	}
}

// TestBrokenTransactionRunsOthersAgain checks that when a function's error
// breaks the shared transaction, the function gets its error and the
// other calls of the batch run again and commit.
func TestBrokenTransactionRunsOthersAgain(t *testing.T) {
	db := newFakeDB()
	c := newCommitter(t, db, Options{})
	release := blockCommitter(t, c)
	var wg sync.WaitGroup
	errs := make([]error, 5)
	runs := make([]atomic.Int32, 5)
	for i := range errs {
		wg.Go(func() {
			errs[i] = c.Do(context.Background(), func(tx *fakeTx) error {
				runs[i].Add(1)
				tx.put(fmt.Sprint(i), i)
				if i == 2 {
					return tx.fail(errBreak)
				}
				return nil
			})
		})
		waitQueued(t, c, i+1)
	}
	if err := release(); err != nil {
		t.Fatalf("blocker: %v", err)
	}
	wg.Wait()
	for i, err := range errs {
		if i == 2 {
			if err != errBreak {
				t.Errorf("call 2: got %v, want %v", err, errBreak)
			}
			if _, ok := db.get("2"); ok {
				t.Error("the breaking call was committed")
			}
			continue
		}
		if err != nil {
			t.Errorf("call %d: got %v, want nil", i, err)
		}
		if _, ok := db.get(fmt.Sprint(i)); !ok {
			t.Errorf("call %d was not committed", i)
		}
	}
	if n := runs[0].Load(); n != 2 {
		t.Errorf("call 0 ran %d times, want 2 (once in the broken transaction)", n)
	}
	if n := runs[4].Load(); n != 1 {
		t.Errorf("call 4 ran %d times, want 1", n)
	}
	if n := runs[2].Load(); n != 1 {
		t.Errorf("the breaking call ran %d times, want 1", n)
	}
}

// TestBrokenTransactionGivesUp checks that a call is not run forever when
// every transaction it is in breaks.
func TestBrokenTransactionGivesUp(t *testing.T) {
	db := newFakeDB()
	alwaysBroken := New(func(ctx context.Context) (*fakeTx, error) {
		return &fakeTx{db: db, data: map[string]int{}, broken: true}, nil
	}, Options{})
	defer alwaysBroken.Close()
	var runs int
	err := alwaysBroken.Do(context.Background(), func(tx *fakeTx) error { runs++; return nil })
	if err == nil || runs > maxAttempts {
		t.Errorf("got %v after %d runs; want an error after at most %d", err, runs, maxAttempts)
	}
}

func TestCloseDrainsQueue(t *testing.T) {
	db := newFakeDB()
	c := New(db.begin, Options{})
	release := blockCommitter(t, c)
	var wg sync.WaitGroup
	errs := make([]error, 10)
	for i := range errs {
		wg.Go(func() {
			errs[i] = c.Do(context.Background(), func(tx *fakeTx) error { tx.put(fmt.Sprint(i), i); return nil })
		})
	}
	waitQueued(t, c, len(errs))
	closed := make(chan struct{})
	go func() { c.Close(); close(closed) }()
	select {
	case <-closed:
		t.Fatal("Close returned before the queued calls committed")
	case <-time.After(20 * time.Millisecond):
	}
	if err := release(); err != nil {
		t.Fatal(err)
	}
	<-closed
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("call %d: %v", i, err)
		}
	}
	if n := db.len(); n != len(errs)+1 {
		t.Errorf("%d keys committed, want %d", n, len(errs)+1)
	}
	if err := c.Do(context.Background(), func(tx *fakeTx) error { return nil }); err != ErrClosed {
		t.Errorf("Do after Close: got %v, want %v", err, ErrClosed)
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

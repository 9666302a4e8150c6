package groupcommit

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// TestObserverSeesEveryBatch checks that the observer is told of every
// transaction, with the calls it held summing to the calls made, and of a
// failed commit as not committed.
func TestObserverSeesEveryBatch(t *testing.T) {
	db := newFakeDB()
	db.commitDelay = time.Millisecond
	c := newCommitter(t, db, Options{MaxBatch: 8})
	seen := make(chan Batch, 1000)
	c.SetObserver(func(b Batch) { seen <- b })
	// next returns the next batch observed; the observer runs after the
	// callers have their answer, so it may come a little later.
	next := func() Batch {
		t.Helper()
		select {
		case b := <-seen:
			return b
		case <-time.After(10 * time.Second):
			t.Fatal("no batch observed")
			return Batch{}
		}
	}

	const n = 100
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if err := c.Do(context.Background(), func(tx *fakeTx) error { tx.put(fmt.Sprint(i), i); return nil }); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	calls, batches := 0, 0
	for calls < n {
		b := next()
		calls += b.Calls
		batches++
		if !b.Committed || b.Calls < 1 || b.Calls > 8 || b.Wait < 0 || b.Duration <= 0 {
			t.Errorf("batch %+v: want committed, 1..8 calls, wait >= 0, duration > 0", b)
		}
	}
	if calls != n || int64(batches) != c.Stats().Batches {
		t.Errorf("observer saw %d calls in %d batches; want %d calls in %d batches", calls, batches, n, c.Stats().Batches)
	}

	db.mu.Lock()
	db.commitErr = errors.New("disk full")
	db.mu.Unlock()
	if err := c.Do(context.Background(), func(tx *fakeTx) error { return nil }); err == nil {
		t.Fatal("commit error not reported")
	}
	if b := next(); b.Committed || b.Calls != 1 {
		t.Fatalf("after a failed commit the observer saw %+v; want 1 call, not committed", b)
	}
	c.SetObserver(nil)
}

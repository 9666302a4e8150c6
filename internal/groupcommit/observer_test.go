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
	var (
		mu      sync.Mutex
		batches []Batch
	)
	c.SetObserver(func(b Batch) {
		mu.Lock()
		batches = append(batches, b)
		mu.Unlock()
	})
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

	mu.Lock()
	calls := 0
	for _, b := range batches {
		calls += b.Calls
		if !b.Committed || b.Calls < 1 || b.Calls > 8 || b.Wait < 0 || b.Duration <= 0 {
			t.Errorf("batch %+v: want committed, 1..8 calls, wait >= 0, duration > 0", b)
		}
	}
	if calls != n || int64(len(batches)) != c.Stats().Batches {
		t.Errorf("observer saw %d calls in %d batches; want %d calls in %d batches", calls, len(batches), n, c.Stats().Batches)
	}
	batches = nil
	mu.Unlock()

	db.mu.Lock()
	db.commitErr = errors.New("disk full")
	db.mu.Unlock()
	if err := c.Do(context.Background(), func(tx *fakeTx) error { return nil }); err == nil {
		t.Fatal("commit error not reported")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(batches) != 1 || batches[0].Committed {
		t.Fatalf("after a failed commit the observer saw %+v; want one batch, not committed", batches)
	}

	c.SetObserver(nil)
}

package postgres

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
)

// AsReplica opens the database as a read-only hot standby: no migrations
// (a standby cannot run them; the primary's are replicated). Only View
// and Peek may be used on such a store.
func AsReplica() Option { return func(o *options) { o.replica = true } }

// Replicated is a zhengzhao.Store that sends the reads of anonymous
// callers — online verification, the public catalog, audit proofs and
// checkpoints, the published keys — to a streaming standby while the
// standby's replay lag is within a bound, and everything else to the
// primary: every write, and every read of an authenticated caller, so
// that a unit reads its own writes. A read of the standby is stale by at
// most MaxLag plus the lag sampling interval; when the lag is larger or
// unknown, or the standby fails, the read goes to the primary.
type Replicated struct {
	*Store  // the primary
	replica *Store
	maxLag  time.Duration
	log     *slog.Logger

	lag     atomic.Int64 // nanoseconds; -1 unknown
	sampled atomic.Int64 // unix nanoseconds of the last sample
	stop    chan struct{}
	done    sync.WaitGroup
	once    sync.Once
}

var (
	_ zhengzhao.Store       = (*Replicated)(nil)
	_ zhengzhao.Peeker      = (*Replicated)(nil)
	_ zhengzhao.SoloUpdater = (*Replicated)(nil)
	_ zhengzhao.Pinger      = (*Replicated)(nil)
)

// NewReplicated routes reads as Replicated says; maxLag is the staleness
// bound. It samples the standby's lag every min(maxLag/2, 1 s) until
// Close, which closes both stores.
func NewReplicated(primary, replica *Store, maxLag time.Duration, log *slog.Logger) *Replicated {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &Replicated{Store: primary, replica: replica, maxLag: maxLag, log: log, stop: make(chan struct{})}
	r.lag.Store(-1)
	every := min(maxLag/2, time.Second)
	every = max(every, 50*time.Millisecond)
	r.sample()
	r.done.Add(1)
	go func() {
		defer r.done.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-r.stop:
				return
			case <-t.C:
				r.sample()
			}
		}
	}()
	return r
}

// lagQuery is the standby's replay lag in seconds: 0 when it has applied
// everything it received and it is streaming, the age of the last applied
// transaction otherwise (a standby cut off from its primary falls
// behind by the time since); 0 on a primary (a promoted standby).
const lagQuery = `SELECT CASE
	WHEN NOT pg_is_in_recovery() THEN 0
	WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()
		AND EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming') THEN 0
	ELSE COALESCE(EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp()), 1e9)::float8
	END`

func (r *Replicated) sample() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	var secs float64
	if err := r.replica.pool.QueryRow(ctx, lagQuery).Scan(&secs); err != nil {
		if r.lag.Swap(-1) >= 0 {
			r.log.Warn("postgres replica: lag unknown; reads go to the primary", "err", err)
		}
		return
	}
	r.lag.Store(int64(secs * float64(time.Second)))
	r.sampled.Store(time.Now().UnixNano())
}

// Lag returns the last sampled replay lag of the standby, and false when
// it is unknown.
func (r *Replicated) Lag() (time.Duration, bool) {
	l := r.lag.Load()
	return time.Duration(l), l >= 0
}

// fresh reports whether the standby's lag, as of its sample, plus the
// sample's age is within the bound.
func (r *Replicated) fresh() bool {
	l := r.lag.Load()
	if l < 0 {
		return false
	}
	age := time.Since(time.Unix(0, r.sampled.Load()))
	return time.Duration(l)+age <= r.maxLag
}

// toReplica reports whether a read in ctx may go to the standby.
func (r *Replicated) toReplica(ctx context.Context) bool {
	k := zhengzhao.ActorFromContext(ctx).Kind
	return (k == zhengzhao.ActorAnonymous || k == "") && r.fresh()
}

// View reads from the standby for anonymous callers within the bound,
// from the primary otherwise or when the standby fails.
func (r *Replicated) View(ctx context.Context, fn func(zhengzhao.ReadTx) error) error {
	if r.toReplica(ctx) {
		err := r.replica.View(ctx, fn)
		if zhengzhao.ErrorCode(err) != zhengzhao.EUNAVAILABLE {
			return err
		}
	}
	return r.Store.View(ctx, fn)
}

// Peek is View's routing for reads outside a transaction.
func (r *Replicated) Peek(ctx context.Context, fn func(zhengzhao.ReadTx) error) error {
	if r.toReplica(ctx) {
		err := r.replica.Peek(ctx, fn)
		if zhengzhao.ErrorCode(err) != zhengzhao.EUNAVAILABLE {
			return err
		}
	}
	return r.Store.Peek(ctx, fn)
}

// Close stops sampling and closes both stores.
func (r *Replicated) Close() error {
	r.once.Do(func() { close(r.stop) })
	r.done.Wait()
	err := r.Store.Close()
	if rerr := r.replica.Close(); err == nil {
		err = rerr
	}
	return err
}

package postgres

import (
	"github.com/jackc/pgx/v5"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/internal/groupcommit"
)

var (
	_ zhengzhao.PoolStatser    = (*Store)(nil)
	_ zhengzhao.CommitObserver = (*Store)(nil)
)

// WithTracer traces every query of the store's connections with t, e.g.
// an OpenTelemetry tracer (github.com/exaring/otelpgx). nil (the default)
// traces nothing.
func WithTracer(t pgx.QueryTracer) Option { return func(o *options) { o.tracer = t } }

// PoolStats reports the pgx pool (pgxpool.Stat). Waits are the
// acquisitions that found no idle connection.
func (s *Store) PoolStats() []zhengzhao.PoolStats {
	st := s.pool.Stat()
	return []zhengzhao.PoolStats{{
		Pool:         "main",
		MaxOpen:      int(st.MaxConns()),
		Open:         int(st.TotalConns()),
		InUse:        int(st.AcquiredConns()),
		Idle:         int(st.IdleConns()),
		WaitCount:    st.EmptyAcquireCount(),
		WaitDuration: st.EmptyAcquireWaitTime(),
	}}
}

// ObserveCommits reports every group-commit transaction to fn.
func (s *Store) ObserveCommits(fn func(zhengzhao.CommitBatch)) {
	observeCommits(s.committer, fn)
}

func observeCommits[T groupcommit.Tx](c *groupcommit.Committer[T], fn func(zhengzhao.CommitBatch)) {
	if fn == nil {
		c.SetObserver(nil)
		return
	}
	c.SetObserver(func(b groupcommit.Batch) {
		fn(zhengzhao.CommitBatch{Calls: b.Calls, Wait: b.Wait, Duration: b.Duration, Committed: b.Committed})
	})
}

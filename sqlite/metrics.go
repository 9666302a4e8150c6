package sqlite

import (
	"database/sql"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/internal/groupcommit"
)

var (
	_ zhengzhao.PoolStatser    = (*Store)(nil)
	_ zhengzhao.CommitObserver = (*Store)(nil)
)

// PoolStats reports the store's two database/sql pools: the single writer
// connection and the readers.
func (s *Store) PoolStats() []zhengzhao.PoolStats {
	return []zhengzhao.PoolStats{poolStats("write", s.wdb.Stats()), poolStats("read", s.rdb.Stats())}
}

func poolStats(name string, st sql.DBStats) zhengzhao.PoolStats {
	return zhengzhao.PoolStats{
		Pool:         name,
		MaxOpen:      st.MaxOpenConnections,
		Open:         st.OpenConnections,
		InUse:        st.InUse,
		Idle:         st.Idle,
		WaitCount:    st.WaitCount,
		WaitDuration: st.WaitDuration,
	}
}

// ObserveCommits reports every group-commit transaction to fn.
func (s *Store) ObserveCommits(fn func(zhengzhao.CommitBatch)) {
	if fn == nil {
		s.committer.SetObserver(nil)
		return
	}
	s.committer.SetObserver(func(b groupcommit.Batch) {
		fn(zhengzhao.CommitBatch{Calls: b.Calls, Wait: b.Wait, Duration: b.Duration, Committed: b.Committed})
	})
}

package zhengzhao

import "time"

// PoolStats is a snapshot of one database connection pool, for metrics.
type PoolStats struct {
	// Pool names the pool within its store ("write", "read", "main").
	Pool string
	// MaxOpen is the largest number of connections the pool opens
	// (0: unlimited).
	MaxOpen int
	// Open, InUse and Idle count the connections now.
	Open, InUse, Idle int
	// WaitCount is the number of times a caller waited for a connection;
	// WaitDuration the total time they waited, since the pool opened.
	WaitCount    int64
	WaitDuration time.Duration
}

// PoolStatser is implemented by stores that can report their connection
// pools (sql.DBStats, pgxpool.Stat). It is optional: metrics check for it
// at run time.
type PoolStatser interface {
	PoolStats() []PoolStats
}

// CommitBatch describes one group-commit transaction: how many write
// calls shared it, how long its oldest call waited in the queue before the
// transaction began, how long the transaction took from begin to commit,
// and whether it committed.
type CommitBatch struct {
	Calls     int
	Wait      time.Duration
	Duration  time.Duration
	Committed bool
}

// CommitObserver is implemented by stores that batch writes into shared
// transactions (group commit). ObserveCommits registers fn, which is
// called after every batch from the committer's goroutine and must be
// fast; a later call replaces fn, nil removes it.
type CommitObserver interface {
	ObserveCommits(fn func(CommitBatch))
}

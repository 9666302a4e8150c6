package groupcommit

import (
	"context"
	"database/sql"
)

// SQLTx adapts a database/sql transaction to Tx.
type SQLTx struct {
	Tx *sql.Tx
}

// Exec runs stmt in the transaction.
func (t SQLTx) Exec(ctx context.Context, stmt string) error {
	_, err := t.Tx.ExecContext(ctx, stmt)
	return err
}

// Commit commits the transaction. database/sql takes no context here; the
// context of BeginTx governs the transaction.
func (t SQLTx) Commit(ctx context.Context) error { return t.Tx.Commit() }

// Rollback aborts the transaction.
func (t SQLTx) Rollback(ctx context.Context) error { return t.Tx.Rollback() }

var _ Tx = SQLTx{}

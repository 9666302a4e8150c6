package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// Snapshot writes a consistent copy of the database file src to dst (which
// must not exist) with VACUUM INTO, while other connections and processes
// keep reading and writing src: the copy is the state of one read
// transaction, as a reader would see it, and never a half-written page. A
// file copy of a live database in WAL mode is not: it may miss commits
// still in the -wal file or mix pages of two states. dst is fsynced.
func Snapshot(ctx context.Context, src, dst string) error {
	const op = "sqlite.Snapshot"
	if _, err := os.Stat(src); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if _, err := os.Stat(dst); !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s: %s exists", op, dst)
	}
	db, err := sql.Open("sqlite", dsn(src, []string{"busy_timeout(10000)"}))
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, dst); err != nil {
		return fmt.Errorf("%s: vacuum into %s: %w", op, dst, err)
	}
	f, err := os.Open(dst)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}

package sqlite

import (
	"context"
	"fmt"

	"github.com/zhengzhao-project/zhengzhao/internal/migration"
)

// Migrate applies the migrations the database lacks, each in its own
// transaction, and records them in schema_migrations. It is idempotent:
// on an up-to-date database it changes nothing. It refuses a database
// migrated by a newer version of the program, whose schema this one does
// not know. Open calls Migrate.
func (s *Store) Migrate(ctx context.Context) error {
	_, err := s.wdb.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at TEXT NOT NULL
	)`)
	var ms []migration.Migration
	if err == nil {
		ms, err = migration.Load(migrations)
	}
	if err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	for _, m := range ms {
		if err := s.apply(ctx, m, ms[len(ms)-1].Version); err != nil {
			return fmt.Errorf("sqlite: migrate %s: %w", m.Name, err)
		}
	}
	return nil
}

// apply runs m unless it has been applied. latest is the newest version
// this program knows. The check runs inside the write transaction, so two
// processes opening one new database do not both apply m.
func (s *Store) apply(ctx context.Context, m migration.Migration, latest int) error {
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var current int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return err
	}
	if current > latest {
		return fmt.Errorf("the database has schema version %d, newer than this program's %d", current, latest)
	}
	var applied bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = ?)`, m.Version).Scan(&applied); err != nil {
		return err
	}
	if applied {
		return nil
	}
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		m.Version, m.Name, formatTime(s.now())); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	s.log.Info("sqlite: applied migration", "path", s.path, "migration", m.Name)
	return nil
}

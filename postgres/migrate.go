package postgres

import (
	"context"
	"embed"
	"fmt"
	"hash/fnv"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/zhengzhao-project/zhengzhao/internal/migration"
)

// migrations are the schema changes, applied in the order of the number
// each file name starts with (0001_init.sql). A migration is never edited
// once released; a change is a new file.
//
//go:embed migration/*.sql
var migrations embed.FS

// Migrate applies the migrations the schema lacks, each in its own
// transaction, and records them in schema_migrations. It is idempotent: on
// an up-to-date schema it changes nothing. It refuses a schema migrated by
// a newer version of the program, whose tables this one does not know.
// Open calls Migrate.
//
// Several processes may start at once on one database: Migrate holds a
// session-level advisory lock, keyed by the schema's name, on a connection
// of its own while it works, so that one of them migrates and the others
// wait and then find nothing to do. Closing that connection releases the
// lock even when Migrate fails half-way.
func (s *Store) Migrate(ctx context.Context) error {
	const op = "postgres.Migrate"
	ms, err := migration.Load(migrations)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	conn, err := pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig)
	if err != nil {
		return mapErr(op, err, "")
	}
	defer conn.Close(context.WithoutCancel(ctx))

	schema := s.schema
	if schema == "" {
		var current *string
		if err := conn.QueryRow(ctx, "SELECT current_schema()").Scan(&current); err != nil {
			return mapErr(op, err, "")
		}
		if current == nil {
			return fmt.Errorf("%s: the search_path names no schema that exists", op)
		}
		schema = *current
	}
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", migrationLockKey(schema)); err != nil {
		return mapErr(op, err, "")
	}
	// The lock goes with the connection; no unlock is needed.

	if s.schema != "" {
		if _, err := conn.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{s.schema}.Sanitize()); err != nil {
			return mapErr(op, err, "")
		}
	}
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at TIMESTAMPTZ NOT NULL
	)`); err != nil {
		return mapErr(op, err, "")
	}
	rows, err := conn.Query(ctx, "SELECT version FROM schema_migrations")
	if err != nil {
		return mapErr(op, err, "")
	}
	applied, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		return mapErr(op, err, "")
	}
	latest := ms[len(ms)-1].Version
	if len(applied) > 0 {
		if current := int(slices.Max(applied)); current > latest {
			return fmt.Errorf("%s: schema %s has version %d, newer than this program's %d", op, schema, current, latest)
		}
	}
	for _, m := range ms {
		if slices.Contains(applied, int32(m.Version)) {
			continue
		}
		if err := s.apply(ctx, conn, m); err != nil {
			return mapErr(op, fmt.Errorf("%s: %w", m.Name, err), "")
		}
		s.log.Info("postgres: applied migration", "schema", schema, "migration", m.Name)
	}
	return nil
}

// apply runs m and records it in one transaction: PostgreSQL's DDL is
// transactional, so a failing migration leaves nothing behind.
func (s *Store) apply(ctx context.Context, conn *pgx.Conn, m migration.Migration) error {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if _, err := tx.Exec(ctx, m.SQL); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
		m.Version, m.Name, s.txTime()); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// migrationLockKey returns the advisory lock key of the schema's
// migrations. Advisory locks are per database, so the key includes the
// schema: stores in different schemas migrate independently.
func migrationLockKey(schema string) int64 {
	h := fnv.New64a()
	h.Write([]byte("zhengzhao migrate\x00" + schema))
	return int64(h.Sum64())
}

package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/internal/migration"
	"github.com/zhengzhao-project/zhengzhao/storetest"
)

func openTest(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "zhengzhao.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestPragmas(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	// The writer has one connection, so these read its settings.
	tests := []struct {
		db     string
		pragma string
		want   string
	}{
		{"writer", "journal_mode", "wal"},
		{"writer", "synchronous", "2"}, // FULL
		{"writer", "foreign_keys", "1"},
		{"writer", "busy_timeout", "5000"},
		{"writer", "query_only", "0"},
		{"reader", "journal_mode", "wal"},
		{"reader", "foreign_keys", "1"},
		{"reader", "busy_timeout", "5000"},
		{"reader", "query_only", "1"},
	}
	for _, tt := range tests {
		db := s.wdb
		if tt.db == "reader" {
			db = s.rdb
		}
		var got string
		if err := db.QueryRowContext(ctx, "PRAGMA "+tt.pragma).Scan(&got); err != nil {
			t.Fatalf("%s: PRAGMA %s: %v", tt.db, tt.pragma, err)
		}
		if got != tt.want {
			t.Errorf("%s: PRAGMA %s = %s, want %s", tt.db, tt.pragma, got, tt.want)
		}
	}
	if n := s.wdb.Stats().MaxOpenConnections; n != 1 {
		t.Errorf("writer allows %d connections, want 1", n)
	}
}

func TestReaderCannotWrite(t *testing.T) {
	s := openTest(t)
	_, err := s.rdb.ExecContext(context.Background(), `INSERT INTO tree_head (id, size) VALUES (1, 0)`)
	if err == nil {
		t.Fatal("a write through the read pool succeeded")
	}
}

func TestMigrateIdempotent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "zhengzhao.db")
	schema := func(s *Store) (string, int) {
		t.Helper()
		var sqls string
		var n int
		ctx := context.Background()
		if err := s.wdb.QueryRowContext(ctx, `SELECT group_concat(sql, ';') FROM (SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL ORDER BY name)`).Scan(&sqls); err != nil {
			t.Fatal(err)
		}
		if err := s.wdb.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return sqls, n
	}
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	first, n1 := schema(s)
	ms, err := migration.Load(migrations)
	if err != nil {
		t.Fatal(err)
	}
	if n1 != len(ms) {
		t.Errorf("%d migrations recorded, want %d", n1, len(ms))
	}
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("Migrate again: %v", err)
	}
	s.Close()

	s, err = Open(path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	again, n2 := schema(s)
	if again != first || n2 != n1 {
		t.Errorf("reopening changed the schema or the migration records (%d, then %d)", n1, n2)
	}
}

func TestMigrateRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "zhengzhao.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.wdb.ExecContext(context.Background(), `INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_future.sql', '')`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err := Open(path); err == nil {
		s.Close()
		t.Fatal("Open accepted a database with a newer schema")
	}
}

func TestDocumentBytes(t *testing.T) {
	s := openTest(t)
	storetest.DocumentBytes(t, s, func(id string) (doc string, err error) {
		err = s.rdb.QueryRowContext(t.Context(), "SELECT document FROM licenses WHERE id = ?", id).Scan(&doc)
		return doc, err
	})
}

// TestUpgradeFromVersion5 opens a database as the store before sqlstore
// left it (schema_migrations at version 5, licenses without signed_at)
// with a license in it: Open applies 0006 and later, the old license reads
// back, and new licenses are stored.
func TestUpgradeFromVersion5(t *testing.T) {
	path := filepath.Join(t.TempDir(), "zhengzhao.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	unit := &zhengzhao.Unit{Code: "91310115000000001X", Name: "局", Roles: []zhengzhao.Role{zhengzhao.RoleIssuer}, Region: "310115"}
	typ := &zhengzhao.LicenseType{Code: "91310115000000001X001", Name: "证", Definer: unit.Code, HolderKind: zhengzhao.HolderOrganization,
		Level: zhengzhao.LevelMunicipal, CollectSince: "2022-07-01", Owner: unit.Code}
	license := func(serial string) *zhengzhao.License {
		id := zhengzhao.LicenseID{TypeCode: typ.Code, IssuerCode: unit.Code, Serial: serial, Version: 1}
		return &zhengzhao.License{ID: id.String(), Type: typ.Code, Serial: serial, Version: id.VersionString(),
			Issuer: zhengzhao.Party{Code: unit.Code}, Holder: zhengzhao.Holder{ID: "h"}, Status: zhengzhao.StatusValid}
	}
	old := license("S1")
	if err := s.Update(ctx, func(tx zhengzhao.Tx) error {
		if err := tx.CreateUnit(unit); err != nil {
			return err
		}
		if err := tx.CreateLicenseType(typ); err != nil {
			return err
		}
		return tx.CreateLicense(old)
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.wdb.ExecContext(ctx, `DROP INDEX licenses_issuer_holder; ALTER TABLE licenses DROP COLUMN signed_at; DELETE FROM schema_migrations WHERE version >= 6`); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s, err = Open(path)
	if err != nil {
		t.Fatalf("open the version 5 database: %v", err)
	}
	defer s.Close()
	var version int
	if err := s.wdb.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&version); err != nil || version != 7 {
		t.Fatalf("schema version %d, %v; want 7", version, err)
	}
	if err := s.Update(ctx, func(tx zhengzhao.Tx) error {
		if _, err := tx.FindLicenseByID(old.ID); err != nil {
			return err
		}
		return tx.CreateLicense(license("S2"))
	}); err != nil {
		t.Fatal(err)
	}
}

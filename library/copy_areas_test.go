package library_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/library"
	"github.com/zhengzhao-project/zhengzhao/sqlite"
)

// TestEveryTableAccountedFor reads every migration of both stores: each
// table they create is either copied by library.Copy or named, with a
// reason, among the tables it leaves behind, and neither list names a
// table no migration creates.
func TestEveryTableAccountedFor(t *testing.T) {
	createTable := regexp.MustCompile(`(?i)CREATE TABLE (?:IF NOT EXISTS )?([a-z_]+)`)
	created := map[string]bool{}
	for _, dir := range []string{"../sqlite/migration", "../postgres/migration"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.sql"))
		if err != nil || len(files) == 0 {
			t.Fatalf("migrations in %s: %v (%d files)", dir, err, len(files))
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range createTable.FindAllSubmatch(b, -1) {
				created[string(m[1])] = true
			}
		}
	}
	created["schema_migrations"] = true // created by the stores' migrate.go
	for table := range created {
		copied := slices.Contains(library.CopiedTables, table)
		reason, left := library.NotCopiedTables[table]
		switch {
		case copied && left:
			t.Errorf("table %s is both copied and left behind", table)
		case !copied && !left:
			t.Errorf("table %s is neither copied by library.Copy nor listed in NotCopiedTables with a reason", table)
		case left && reason == "":
			t.Errorf("table %s is left behind without a reason", table)
		}
	}
	for _, table := range library.CopiedTables {
		if !created[table] {
			t.Errorf("CopiedTables names %s, which no migration creates", table)
		}
	}
	for table := range library.NotCopiedTables {
		if !created[table] {
			t.Errorf("NotCopiedTables names %s, which no migration creates", table)
		}
	}

	// ReadTable reads every copied table, and no other.
	store, err := sqlite.Open(filepath.Join(t.TempDir(), "zhengzhao.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	for _, table := range library.CopiedTables {
		err := library.ReadTable(t.Context(), store, table, func(batch []any) error {
			t.Errorf("%s: %d records in an empty store", table, len(batch))
			return nil
		})
		if err != nil {
			t.Errorf("ReadTable(%s): %v", table, err)
		}
	}
	if err := library.ReadTable(t.Context(), store, "holder_sessions", func([]any) error { return nil }); zhengzhao.ErrorCode(err) != zhengzhao.EINVALID {
		t.Errorf("ReadTable(holder_sessions): %v, want %s", err, zhengzhao.EINVALID)
	}
}

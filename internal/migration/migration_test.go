package migration

import (
	"testing"
	"testing/fstest"
)

func TestLoad(t *testing.T) {
	ms, err := Load(fstest.MapFS{
		"migration/0010_later.sql": {Data: []byte("B")},
		"migration/0002_first.sql": {Data: []byte("A")},
		"migration/README.md":      {Data: []byte("not a migration")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 || ms[0].Version != 2 || ms[0].SQL != "A" || ms[1].Name != "0010_later.sql" {
		t.Fatalf("got %+v", ms)
	}
	for name, fsys := range map[string]fstest.MapFS{
		"fail/no number": {"migration/init.sql": {}},
		"fail/zero":      {"migration/0000_x.sql": {}},
		"fail/duplicate": {"migration/0001_a.sql": {}, "migration/01_b.sql": {}},
	} {
		if _, err := Load(fsys); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/sqlite"
	"github.com/zhengzhao-project/zhengzhao/storetest"
)

// MustOpenStore opens a store on a new database file in a temporary
// directory and closes it when the test ends.
func MustOpenStore(tb testing.TB, opts ...sqlite.Option) *sqlite.Store {
	tb.Helper()
	s, err := sqlite.Open(filepath.Join(tb.TempDir(), "zhengzhao.db"), opts...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Error(err)
		}
	})
	return s
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) zhengzhao.Store { return MustOpenStore(t) })
}

func TestStoreWithoutGroupCommit(t *testing.T) {
	if testing.Short() {
		t.Skip("the suite once more with one call per transaction")
	}
	storetest.Run(t, func(t *testing.T) zhengzhao.Store { return MustOpenStore(t, sqlite.WithMaxBatch(1)) })
}

func TestReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "zhengzhao.db")
	s, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	u := &zhengzhao.Unit{Code: "91310115000000001X", Name: "上海市浦东新区市场监督管理局", Roles: []zhengzhao.Role{zhengzhao.RoleIssuer}, Region: "310115"}
	e := &zhengzhao.AuditEntry{Actor: "admin", Action: zhengzhao.ActionUnitCreate, Subject: u.Code}
	err = s.Update(context.Background(), func(tx zhengzhao.Tx) error {
		if err := tx.CreateUnit(u); err != nil {
			return err
		}
		return tx.AppendAudit(e)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = sqlite.Open(path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	err = s.View(context.Background(), func(tx zhengzhao.ReadTx) error {
		got, err := tx.FindUnitByCode(u.Code)
		if err != nil {
			return err
		}
		if got.Name != u.Name {
			t.Errorf("unit name %q, want %q", got.Name, u.Name)
		}
		es, err := tx.AuditEntries(0, 10)
		if err != nil {
			return err
		}
		if len(es) != 1 || es[0].Subject != u.Code || !es[0].Time.Equal(e.Time) {
			t.Errorf("audit entries after reopen: %+v", es)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The log continues where it ended.
	e2 := &zhengzhao.AuditEntry{Actor: "admin", Action: zhengzhao.ActionUnitCreate}
	if err := s.Update(context.Background(), func(tx zhengzhao.Tx) error { return tx.AppendAudit(e2) }); err != nil {
		t.Fatal(err)
	}
	if e2.Index != 1 {
		t.Errorf("index after reopen %d, want 1", e2.Index)
	}
}

func TestWithNow(t *testing.T) {
	fixed := time.Date(2026, 7, 1, 9, 30, 0, 123456789, time.FixedZone("CST", 8*3600))
	s := MustOpenStore(t, sqlite.WithNow(func() time.Time { return fixed }))
	want := fixed.UTC().Truncate(time.Microsecond)
	e := &zhengzhao.AuditEntry{Actor: "system", Action: zhengzhao.ActionUnitCreate}
	err := s.Update(context.Background(), func(tx zhengzhao.Tx) error {
		if got := tx.Now(); !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("Update: Now() = %v, want %v", got, want)
		}
		return tx.AppendAudit(e)
	})
	if err != nil {
		t.Fatal(err)
	}
	if !e.Time.Equal(want) {
		t.Errorf("audit time %v, want %v", e.Time, want)
	}
	err = s.View(context.Background(), func(tx zhengzhao.ReadTx) error {
		if got := tx.Now(); !got.Equal(want) {
			t.Errorf("View: Now() = %v, want %v", got, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestOpenRejectsMemory(t *testing.T) {
	for _, path := range []string{"", ":memory:", "x.db?mode=memory"} {
		if s, err := sqlite.Open(path); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded", path)
		}
	}
}

func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, func(b *testing.B) zhengzhao.Store { return MustOpenStore(b) })
}

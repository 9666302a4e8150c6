// Package libtest opens a real library for the tests of other packages:
// SQLite in a temporary directory, a library CA, a master key and an audit
// log key, made the way serve makes them. Tests of the library package
// itself cannot use it (it imports library).
package libtest

import (
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/zhengzhao-project/zhengzhao/auditlog"
	"github.com/zhengzhao-project/zhengzhao/library"
	"github.com/zhengzhao-project/zhengzhao/sign"
	"github.com/zhengzhao-project/zhengzhao/sqlite"
)

// Origin is the audit log origin of a test library.
const Origin = "zhengzhao.test/audit"

// Library is a test library with what tests look at beside its services.
type Library struct {
	*library.Services
	Store       *sqlite.Store
	CA          *sign.CA
	LogVerifier note.Verifier
	// Dir is the data directory; DB the database file in it.
	Dir, DB string
}

// Open returns a library on a new SQLite database in t.TempDir, closed
// when the test ends.
func Open(t testing.TB) *Library {
	t.Helper()
	dir := t.TempDir()
	db := filepath.Join(dir, "zhengzhao.db")
	store, err := sqlite.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	ca, _, err := sign.LoadOrCreateCA(dir, "Zhengzhao Test", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	sealer, _, err := sign.LoadOrCreateMasterKey(filepath.Join(dir, "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	ls, lv, err := auditlog.LoadOrCreateLogKey(filepath.Join(dir, "log.key"), Origin)
	if err != nil {
		t.Fatal(err)
	}
	lib, err := library.New(library.Config{Store: store, CA: ca, Sealer: sealer, LogSigner: ls, LogVerifier: lv, Origin: Origin})
	if err != nil {
		t.Fatal(err)
	}
	return &Library{Services: lib, Store: store, CA: ca, LogVerifier: lv, Dir: dir, DB: db}
}

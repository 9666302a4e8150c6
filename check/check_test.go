package check_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/auditlog"
	"github.com/zhengzhao-project/zhengzhao/check"
	"github.com/zhengzhao-project/zhengzhao/demo"
	"github.com/zhengzhao-project/zhengzhao/internal/libtest"
	"github.com/zhengzhao-project/zhengzhao/library"
	"github.com/zhengzhao-project/zhengzhao/sign"
	"github.com/zhengzhao-project/zhengzhao/sqlite"
)

// demoLibrary is the demo data set on SQLite, checkpointed.
func demoLibrary(t *testing.T) (*library.Services, *sqlite.Store, check.Config, string) {
	t.Helper()
	l := libtest.Open(t)
	lib, store, ca, v := l.Services, l.Store, l.CA, l.LogVerifier
	sys := zhengzhao.NewContextWithActor(context.Background(), zhengzhao.Actor{Kind: zhengzhao.ActorSystem})
	if _, err := demo.Load(sys, demo.Services{Units: lib.Units, Catalog: lib.Catalog, Licenses: lib.Licenses,
		Aggregation: lib.Aggregation, Supervision: lib.Supervision, Use: lib.Use}, demo.Options{Licenses: 40}); err != nil {
		t.Fatal(err)
	}
	if _, err := lib.Audit.SignCheckpoint(sys); err != nil {
		t.Fatal(err)
	}
	trust, err := sign.NewTrustStore(ca.CertPEM())
	if err != nil {
		t.Fatal(err)
	}
	return lib, store, check.Config{LogVerifier: v, Trust: trust}, l.DB
}

func run(t *testing.T, store zhengzhao.Store, c check.Config) *check.Report {
	t.Helper()
	rep, err := check.Run(context.Background(), store, c)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestCleanAndChanged: the demo library (issues, updates, revocations,
// imports) is clean; a document changed in the file is named.
func TestCleanAndChanged(t *testing.T) {
	_, store, c, path := demoLibrary(t)
	rep := run(t, store, c)
	if !rep.OK() || rep.Licenses == 0 || rep.Entries == 0 {
		t.Fatalf("demo library: %d licenses, %d entries, problems %v", rep.Licenses, rep.Entries, rep.Problems)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var id string
	if err := db.QueryRow(`SELECT id FROM licenses WHERE status = 'valid' ORDER BY seq LIMIT 1`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE licenses SET document = replace(document, '"issued_on":"', '"issued_on":"1') WHERE id = ?`, id); err != nil {
		t.Fatal(err)
	}
	rep = run(t, store, c)
	var named bool
	for _, p := range rep.Problems {
		named = named || p.License == id && p.Kind == check.KindDocument
	}
	if !named {
		t.Fatalf("changed document of %s not named: %v", id, rep.Problems)
	}
}

// TestPublished: a published checkpoint of this log passes; one larger
// than the log says the database is behind; one of the same size with
// another root says the log was replaced.
func TestPublished(t *testing.T) {
	lib, store, c, _ := demoLibrary(t)
	sys := zhengzhao.NewContextWithActor(context.Background(), zhengzhao.Actor{Kind: zhengzhao.ActorSystem})
	cp, err := lib.Audit.LatestCheckpoint(sys)
	if err != nil {
		t.Fatal(err)
	}
	c.Published = []string{cp.Note}
	if rep := run(t, store, c); !rep.OK() || rep.Published != 1 {
		t.Fatalf("own checkpoint: %v", rep.Problems)
	}
	// Signed with the library's own key, as its publisher would.
	s, _, err := auditlog.LoadOrCreateLogKey(filepath.Join(filepath.Dir(store.Path()), "log.key"), libtest.Origin)
	if err != nil {
		t.Fatal(err)
	}
	ahead, _ := auditlog.SignCheckpoint(s, libtest.Origin, cp.Size+5, cp.Root)
	other := append([]byte(nil), cp.Root...)
	other[0] ^= 1
	replaced, _ := auditlog.SignCheckpoint(s, libtest.Origin, cp.Size, other)
	c.Published = []string{ahead, replaced}
	rep := run(t, store, c)
	text := ""
	for _, p := range rep.Problems {
		text += p.String() + "\n"
	}
	if !strings.Contains(text, "behind") || !strings.Contains(text, "another root") {
		t.Fatalf("published checkpoints not reported:\n%s", text)
	}
}

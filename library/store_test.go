package library_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/internal/pgtest"
	"github.com/zhengzhao-project/zhengzhao/postgres"
	"github.com/zhengzhao-project/zhengzhao/sqlite"
)

// The rules' tests run on both stores: eachStore runs a test as subtests
// "sqlite" and "postgres", and openStore opens the store the subtest's
// name asks for. PostgreSQL-only behaviour (Peek on the read pool,
// UpdateAlone, text checks, SKIP LOCKED claims) is thereby covered where
// the rules are. The PostgreSQL runs skip without ZHENGZHAO_TEST_POSTGRES
// and fail instead with CI=true (internal/pgtest).

// eachStore runs f once on SQLite and once on PostgreSQL.
func eachStore(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	t.Run("sqlite", f)
	t.Run("postgres", f)
}

// onPostgres reports whether tb runs under eachStore's postgres subtest.
func onPostgres(tb testing.TB) bool { return strings.Contains(tb.Name()+"/", "/postgres/") }

// openStore opens a fresh store for tb: PostgreSQL (a database of its own)
// under eachStore's postgres subtest, else SQLite in dir. A nil now is
// time.Now.
func openStore(tb testing.TB, dir string, now func() time.Time) zhengzhao.Store {
	tb.Helper()
	if now == nil {
		now = time.Now
	}
	var (
		s   zhengzhao.Store
		err error
	)
	if onPostgres(tb) {
		// A schema of its own in the test server's database: quicker
		// to make than a database.
		dsn, b := pgtest.DSN(tb), make([]byte, 8)
		_, _ = rand.Read(b)
		schema := "zz_lib_" + hex.EncodeToString(b)
		tb.Cleanup(func() { pgtest.Exec(tb, dsn, "DROP SCHEMA IF EXISTS "+schema+" CASCADE") })
		s, err = postgres.Open(context.Background(), dsn, postgres.WithNow(now), postgres.WithSchema(schema))
	} else {
		s, err = sqlite.Open(filepath.Join(dir, "zhengzhao.db"), sqlite.WithNow(now))
	}
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

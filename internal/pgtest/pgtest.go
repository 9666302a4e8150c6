// Package pgtest gives tests a PostgreSQL server: optional on a developer's
// machine, required in CI. ZHENGZHAO_TEST_POSTGRES names the server as a
// DSN (postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable); with
// CI=true a missing DSN or an unreachable server fails the test instead of
// skipping it.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Var is the environment variable that names the test server.
const Var = "ZHENGZHAO_TEST_POSTGRES"

var (
	reachOnce sync.Once
	reachErr  error
)

var required = flag.Bool("postgres.required", false, "fail, not skip, the PostgreSQL tests when "+Var+" is unset or the server cannot be reached")

// Required reports whether PostgreSQL tests must run: CI=true or the
// -postgres.required flag.
func Required() bool { return *required || os.Getenv("CI") == "true" }

// DSN returns the test server's DSN, or skips the test (fails it when
// Required) when there is none or it does not answer.
func DSN(tb testing.TB) string {
	tb.Helper()
	dsn := os.Getenv(Var)
	if dsn == "" {
		if Required() {
			tb.Fatalf("%s is not set; the PostgreSQL tests are required in CI", Var)
		}
		tb.Skipf("%s is not set; skipping a PostgreSQL test", Var)
	}
	reachOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			reachErr = err
			return
		}
		defer conn.Close(ctx)
		reachErr = conn.Ping(ctx)
	})
	if reachErr != nil {
		if Required() {
			tb.Fatalf("%s is set but the server cannot be reached: %v", Var, reachErr)
		}
		tb.Skipf("%s is set but the server cannot be reached: %v", Var, reachErr)
	}
	return dsn
}

// NewDatabase creates an empty database for the test, drops it when the
// test ends, and returns its DSN.
func NewDatabase(tb testing.TB) string {
	tb.Helper()
	dsn := DSN(tb)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "zz_test_" + hex.EncodeToString(b)
	execSQL(tb, dsn, `CREATE DATABASE `+name)
	tb.Cleanup(func() { execSQL(tb, dsn, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`) })
	u, err := url.Parse(dsn)
	if err != nil {
		tb.Fatalf("%s: %v", Var, err)
	}
	u.Path = "/" + name
	return u.String()
}

// Exec runs statements on a connection of its own.
func Exec(tb testing.TB, dsn string, stmts ...string) { execSQL(tb, dsn, stmts...) }

func execSQL(tb testing.TB, dsn string, stmts ...string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		tb.Fatalf("connect to %s: %v", Var, err)
	}
	defer conn.Close(ctx)
	for _, s := range stmts {
		if _, err := conn.Exec(ctx, s); err != nil {
			tb.Fatalf("%s: %v", s, err)
		}
	}
}

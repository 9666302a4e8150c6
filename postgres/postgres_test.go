package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/internal/migration"
	"github.com/zhengzhao-project/zhengzhao/internal/pgtest"
	"github.com/zhengzhao-project/zhengzhao/sqlstore"
	"github.com/zhengzhao-project/zhengzhao/storetest"
)

// The PostgreSQL tests need a server; pgtest.DSN skips them locally when
// there is none and fails them in CI (CI=true or -postgres.required).
func testDSN(tb testing.TB) string { return pgtest.DSN(tb) }

// adminExec runs statements on a connection of its own.
func adminExec(tb testing.TB, dsn string, stmts ...string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		tb.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	for _, stmt := range stmts {
		if _, err := conn.Exec(ctx, stmt); err != nil {
			tb.Fatalf("%s: %v", stmt, err)
		}
	}
}

// newSchema returns the name of a schema for one test and drops it, with
// everything in it, when the test ends. The schema itself is created by
// the store's Migrate.
func newSchema(tb testing.TB, dsn string) string {
	tb.Helper()
	b := make([]byte, 8)
	rand.Read(b)
	schema := "zz_" + hex.EncodeToString(b)
	tb.Cleanup(func() {
		adminExec(tb, dsn, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE")
	})
	return schema
}

// openStore opens a store on schema and closes it when the test ends.
func openStore(tb testing.TB, dsn, schema string, opts ...Option) *Store {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := Open(ctx, dsn, append([]Option{WithSchema(schema)}, opts...)...)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return s
}

// MustOpenStore opens a store on a fresh schema of the test server,
// dropped when the test ends.
func MustOpenStore(tb testing.TB, opts ...Option) *Store {
	tb.Helper()
	dsn := testDSN(tb)
	return openStore(tb, dsn, newSchema(tb, dsn), opts...)
}

func TestStore(t *testing.T) {
	testDSN(t)
	storetest.Run(t, func(t *testing.T) zhengzhao.Store { return MustOpenStore(t) })
}

// Fixtures of the PostgreSQL-specific tests.

func uscc(n int) string {
	first := fmt.Sprintf("91310115%09d", n)
	c, ok := zhengzhao.USCCCheckChar(first)
	if !ok {
		panic("bad credit code " + first)
	}
	return first + string(c)
}

var (
	testIssuer = uscc(1)
	testType   = uscc(2) + "001"
	t0         = time.Date(2026, 5, 20, 1, 2, 3, 456789000, time.UTC)
)

// seed stores the unit and license type the test licenses refer to.
func seed(tb testing.TB, s zhengzhao.Store) {
	tb.Helper()
	err := s.Update(context.Background(), func(tx zhengzhao.Tx) error {
		u := &zhengzhao.Unit{Code: testIssuer, Name: "市场监督管理局", Roles: []zhengzhao.Role{zhengzhao.RoleIssuer},
			Region: "310115", SigningAlg: zhengzhao.AlgSM2SM3, CreatedAt: t0}
		if err := tx.CreateUnit(u); err != nil {
			return err
		}
		return tx.CreateLicenseType(&zhengzhao.LicenseType{Code: testType, Name: "食品经营许可证", Definer: testType[:18],
			HolderKind: zhengzhao.HolderOrganization, Level: zhengzhao.LevelMunicipal, Public: true,
			CollectSince: "2022-07-01", CreatedAt: t0})
	})
	if err != nil {
		tb.Fatalf("seed: %v", err)
	}
}

// testLicense returns the nth test license, with face fields whose
// numbers JSONB would rewrite.
func testLicense(n int64) *zhengzhao.License {
	id := zhengzhao.LicenseID{TypeCode: testType, IssuerCode: testIssuer, Serial: fmt.Sprintf("S%d", n), Version: 1}
	until := "2031-05-19"
	return &zhengzhao.License{
		ID: id.String(), Type: testType, TypeName: "食品经营许可证", Version: id.VersionString(), Serial: id.Serial,
		Number: "JY" + id.Serial, Issuer: zhengzhao.Party{Code: testIssuer, Name: "市场监督管理局"},
		Holder:   zhengzhao.Holder{Kind: zhengzhao.HolderOrganization, IDType: zhengzhao.IDTypeUSCC, ID: uscc(3), Name: "示范餐饮管理有限公司"},
		IssuedOn: "2026-05-20", ValidFrom: "2026-05-20", ValidUntil: &until,
		Fields:   map[string]any{"capital": "1.0", "ratio": json.Number("1.0"), "tiny": json.Number("1E-7"), "big": json.Number("123456789012345678901234567890")},
		SignedAt: t0, Status: zhengzhao.StatusValid,
		Proof: &zhengzhao.Proof{Alg: zhengzhao.AlgSM2SM3, KID: "kid-1", Value: "MEUCIQDx"},
	}
}

// issue stores license n and its audit entry, as the library's issue does.
func issue(tx zhengzhao.Tx, n int64) (*zhengzhao.AuditEntry, error) {
	l := testLicense(n)
	if err := tx.CreateLicense(l); err != nil {
		return nil, err
	}
	e := &zhengzhao.AuditEntry{Actor: "unit:" + testIssuer, Action: zhengzhao.ActionLicenseIssue, License: l.ID,
		LicenseBase: l.Base(), Details: map[string]string{"n": fmt.Sprint(n)}}
	return e, tx.AppendAudit(e)
}

func wantCode(tb testing.TB, err error, code string) {
	tb.Helper()
	if got := zhengzhao.ErrorCode(err); got != code {
		tb.Fatalf("got error %v (code %q), want code %q", err, got, code)
	}
}

func TestDocumentKeptExactly(t *testing.T) {
	s := MustOpenStore(t)
	seed(t, s)
	l := testLicense(1)
	want, err := sqlstore.EncodeDocument(l)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Update(t.Context(), func(tx zhengzhao.Tx) error { return tx.CreateLicense(l) }); err != nil {
		t.Fatal(err)
	}
	var doc string
	if err := s.pool.QueryRow(t.Context(), "SELECT document FROM licenses WHERE id = $1", l.ID).Scan(&doc); err != nil {
		t.Fatal(err)
	}
	if doc != want {
		t.Errorf("stored document\n%s\nwant\n%s", doc, want)
	}
	for _, num := range []string{`"ratio":1.0`, `"tiny":1E-7`, `"big":123456789012345678901234567890`} {
		if !strings.Contains(doc, num) {
			t.Errorf("stored document lacks %s: %s", num, doc)
		}
	}
	err = s.View(t.Context(), func(tx zhengzhao.ReadTx) error {
		got, err := tx.FindLicenseByID(l.ID)
		if err != nil {
			return err
		}
		if g, w := got.Fields["tiny"], l.Fields["tiny"]; g != w {
			t.Errorf("tiny = %#v, want %#v", g, w)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestTwoProcesses runs two stores (two pools, as two server processes
// would have) on one schema: concurrent writers on both, plus integrators
// that extend the tree head under its lock. Audit indexes must be 0..n-1
// without gaps or duplicates, licenses must be stored in the order of
// their audit entries (identity values follow commit order), and no
// integrator may see the tree head move under it.
func TestTwoProcesses(t *testing.T) {
	dsn := testDSN(t)
	schema := newSchema(t, dsn)
	stores := []*Store{openStore(t, dsn, schema), openStore(t, dsn, schema)}
	seed(t, stores[0])

	const writers, perWriter = 16, 25
	var (
		wg         sync.WaitGroup
		next       atomic.Int64
		integrated atomic.Int64
	)
	errs := make(chan error, writers+4)
	for w := range writers {
		s := stores[w%2]
		wg.Go(func() {
			for range perWriter {
				n := next.Add(1)
				err := s.Update(context.Background(), func(tx zhengzhao.Tx) error {
					_, err := issue(tx, n)
					return err
				})
				if err != nil {
					errs <- fmt.Errorf("writer %d, license %d: %w", w, n, err)
					return
				}
			}
		})
	}
	for i := range 4 {
		s := stores[i%2]
		wg.Go(func() {
			for range 10 {
				err := s.Update(context.Background(), func(tx zhengzhao.Tx) error {
					head, err := tx.FindTreeHead()
					if err != nil {
						return err
					}
					size, err := tx.AuditSize()
					if err != nil {
						return err
					}
					if size < head.Size {
						return fmt.Errorf("tree head at %d, beyond the audit log's %d entries", head.Size, size)
					}
					time.Sleep(time.Millisecond) // hold the lock a while
					if again, err := tx.FindTreeHead(); err != nil || again.Size != head.Size {
						return fmt.Errorf("tree head moved under its lock: %d, then %d (%v)", head.Size, again.Size, err)
					}
					integrated.Add(1)
					return tx.SetTreeHead(zhengzhao.TreeHead{Size: size, Root: []byte(fmt.Sprint(size))})
				})
				if err != nil {
					errs <- fmt.Errorf("integrator %d: %w", i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		return
	}

	const total = writers * perWriter
	err := stores[1].View(t.Context(), func(tx zhengzhao.ReadTx) error {
		size, err := tx.AuditSize()
		if err != nil {
			return err
		}
		if size != total {
			t.Errorf("AuditSize = %d, want %d", size, total)
		}
		es, err := tx.AuditEntries(0, total+10)
		if err != nil {
			return err
		}
		ls, n, _, err := tx.FindLicenses(zhengzhao.LicenseFilter{Page: zhengzhao.Page{Limit: zhengzhao.MaxPageLimit}})
		if err != nil {
			return err
		}
		if len(es) != total || n != total || len(ls) != total {
			t.Fatalf("%d audit entries, %d licenses (total %d); want %d", len(es), len(ls), n, total)
		}
		seen := map[string]bool{}
		for i, e := range es {
			if e.Index != int64(i) {
				t.Errorf("entry %d has index %d", i, e.Index)
			}
			if seen[e.License] {
				t.Errorf("license %s audited twice", e.License)
			}
			seen[e.License] = true
			if ls[i].ID != e.License {
				t.Errorf("license %d in storage order is %s, audit entry %d is about %s", i, ls[i].ID, i, e.License)
			}
		}
		head, err := tx.FindTreeHead()
		if err != nil {
			return err
		}
		if head.Size > total {
			t.Errorf("tree head size %d > %d", head.Size, total)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if integrated.Load() != 40 {
		t.Errorf("%d integrations, want 40", integrated.Load())
	}
	var batches, calls int64
	for _, s := range stores {
		st := s.committer.Stats()
		batches += st.Batches
		calls += st.Calls
	}
	t.Logf("%d calls in %d batches", calls, batches)
}

// TestConcurrentMigrations opens three stores on a new schema at once, as
// three servers starting together would: the advisory lock lets one
// migrate while the others wait.
func TestConcurrentMigrations(t *testing.T) {
	dsn := testDSN(t)
	schema := newSchema(t, dsn)
	var wg sync.WaitGroup
	stores := make([]*Store, 3)
	errs := make([]error, 3)
	for i := range stores {
		wg.Go(func() {
			stores[i], errs[i] = Open(context.Background(), dsn, WithSchema(schema))
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Open %d: %v", i, err)
			continue
		}
		defer stores[i].Close()
	}
	if t.Failed() {
		return
	}
	ms, err := migration.Load(migrations)
	if err != nil {
		t.Fatal(err)
	}
	var versions []int32
	rows, err := stores[0].pool.Query(t.Context(), "SELECT version FROM schema_migrations ORDER BY version")
	if err == nil {
		versions, err = pgx.CollectRows(rows, pgx.RowTo[int32])
	}
	if err != nil {
		t.Fatal(err)
	}
	if len(versions) != len(ms) {
		t.Errorf("schema_migrations holds %v, want each of %d migrations once", versions, len(ms))
	}
	// Migrate again: nothing to do.
	if err := stores[1].Migrate(t.Context()); err != nil {
		t.Errorf("Migrate on an up-to-date schema: %v", err)
	}
	err = stores[2].Update(t.Context(), func(tx zhengzhao.Tx) error {
		return tx.AppendAudit(&zhengzhao.AuditEntry{Actor: "admin", Action: zhengzhao.ActionUnitCreate})
	})
	if err != nil {
		t.Errorf("Update after concurrent migrations: %v", err)
	}
}

func TestMigrateRefusesNewerSchema(t *testing.T) {
	s := MustOpenStore(t)
	if _, err := s.pool.Exec(t.Context(), "INSERT INTO schema_migrations VALUES (9999, '9999_future.sql', now())"); err != nil {
		t.Fatal(err)
	}
	err := s.Migrate(t.Context())
	if err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("Migrate on a schema of a newer program: %v, want a refusal", err)
	}
}

// backendPID returns the server process behind tx.
func backendPID(tx any) uint32 {
	return tx.(*Tx).q.Conn().PgConn().PID()
}

// terminate ends server processes from another connection, as an
// administrator or a server restart would, and waits until they are gone.
func terminate(tb testing.TB, dsn string, where string, args ...any) int {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		tb.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE "+where, args...).Scan(&n); err != nil {
		tb.Fatalf("terminate backends: %v", err)
	}
	for {
		var left int
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE "+where, args...).Scan(&left); err != nil {
			tb.Fatalf("count backends: %v", err)
		}
		if left == 0 {
			return n
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestConnectionLoss terminates the server processes behind the store, as
// a PostgreSQL restart would (the shared test server itself is never
// restarted): the calls using them fail with EUNAVAILABLE, and the next
// calls work on new connections without reopening the store.
func TestConnectionLoss(t *testing.T) {
	admin := testDSN(t)
	app := "zz_test_" + strings.ReplaceAll(t.Name(), "/", "_")
	dsn, err := withParam(admin, "application_name", app)
	if err != nil {
		t.Fatal(err)
	}
	s := openStore(t, dsn, newSchema(t, admin))
	seed(t, s)
	ctx := t.Context()

	t.Run("duringView", func(t *testing.T) {
		err := s.View(ctx, func(tx zhengzhao.ReadTx) error {
			terminate(t, admin, "pid = $1", backendPID(tx))
			_, err := tx.AuditSize()
			return err
		})
		wantCode(t, err, zhengzhao.EUNAVAILABLE)
		if err := s.View(ctx, func(tx zhengzhao.ReadTx) error { _, err := tx.AuditSize(); return err }); err != nil {
			t.Fatalf("View after the connection was lost: %v", err)
		}
	})

	t.Run("duringUpdate", func(t *testing.T) {
		err := s.Update(ctx, func(tx zhengzhao.Tx) error {
			if _, err := issue(tx, 1); err != nil {
				return err
			}
			terminate(t, admin, "pid = $1", backendPID(tx))
			_, err := issue(tx, 2)
			return err
		})
		wantCode(t, err, zhengzhao.EUNAVAILABLE)
		var e *zhengzhao.AuditEntry
		err = s.Update(ctx, func(tx zhengzhao.Tx) (err error) {
			e, err = issue(tx, 3)
			return err
		})
		if err != nil {
			t.Fatalf("Update after the connection was lost: %v", err)
		}
		if e.Index != 0 {
			t.Errorf("audit index after a lost transaction = %d, want 0", e.Index)
		}
	})

	t.Run("idlePool", func(t *testing.T) {
		// Fill the pool with idle connections, then end them all.
		var wg sync.WaitGroup
		for range 6 {
			wg.Go(func() {
				s.View(ctx, func(tx zhengzhao.ReadTx) error { time.Sleep(50 * time.Millisecond); return nil })
			})
		}
		wg.Wait()
		if n := terminate(t, admin, "application_name = $1", app); n < 2 {
			t.Fatalf("terminated %d connections, want the pool's idle ones", n)
		}
		// The first calls may fail, with EUNAVAILABLE only; the store
		// retries a dead connection once, so they should not.
		for i := range 3 {
			err := s.Update(ctx, func(tx zhengzhao.Tx) error { _, err := issue(tx, int64(10+i)); return err })
			if err != nil {
				wantCode(t, err, zhengzhao.EUNAVAILABLE)
				t.Logf("Update %d after the connections died: %v", i, err)
			}
			err = s.View(ctx, func(tx zhengzhao.ReadTx) error { _, err := tx.AuditSize(); return err })
			if err != nil {
				wantCode(t, err, zhengzhao.EUNAVAILABLE)
				t.Logf("View %d after the connections died: %v", i, err)
			}
		}
		if err := s.Ping(ctx); err != nil {
			t.Fatalf("Ping: %v", err)
		}
		if err := s.Update(ctx, func(tx zhengzhao.Tx) error { _, err := issue(tx, 20); return err }); err != nil {
			t.Fatalf("Update: %v", err)
		}
		var size int64
		if err := s.View(ctx, func(tx zhengzhao.ReadTx) (err error) { size, err = tx.AuditSize(); return err }); err != nil {
			t.Fatalf("View: %v", err)
		}
		if size < 2 {
			t.Errorf("AuditSize = %d, want at least 2", size)
		}
	})
}

// withParam returns dsn with a connection parameter set.
func withParam(dsn, key, value string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", err
		}
		q := u.Query()
		q.Set(key, value)
		u.RawQuery = q.Encode()
		return u.String(), nil
	}
	return dsn + " " + key + "='" + value + "'", nil
}

// TestUnreachable needs no server: nothing listens on port 1.
func TestUnreachable(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	_, err := Open(ctx, "postgres://postgres@127.0.0.1:1/postgres?sslmode=disable&connect_timeout=5")
	wantCode(t, err, zhengzhao.EUNAVAILABLE)
}

func TestMapErr(t *testing.T) {
	domain := zhengzhao.Errorf(zhengzhao.EFORBIDDEN, "no")
	tests := map[string]struct {
		err  error
		code string
	}{
		"noRows":          {pgx.ErrNoRows, zhengzhao.ENOTFOUND},
		"unique":          {&pgconn.PgError{Code: "23505"}, zhengzhao.ECONFLICT},
		"foreignKey":      {&pgconn.PgError{Code: "23503"}, zhengzhao.ENOTFOUND},
		"badText":         {&pgconn.PgError{Code: "22021"}, zhengzhao.EINVALID},
		"adminShutdown":   {&pgconn.PgError{Code: "57P01"}, zhengzhao.EUNAVAILABLE},
		"cannotConnect":   {&pgconn.PgError{Code: "57P03"}, zhengzhao.EUNAVAILABLE},
		"connException":   {&pgconn.PgError{Code: "08006"}, zhengzhao.EUNAVAILABLE},
		"lockTimeout":     {&pgconn.PgError{Code: "55P03"}, zhengzhao.EUNAVAILABLE},
		"serialization":   {&pgconn.PgError{Code: "40001"}, zhengzhao.EUNAVAILABLE},
		"syntax":          {&pgconn.PgError{Code: "42601"}, zhengzhao.EINTERNAL},
		"eof":             {fmt.Errorf("receive message: %w", io.ErrUnexpectedEOF), zhengzhao.EUNAVAILABLE},
		"net":             {&net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}, zhengzhao.EUNAVAILABLE},
		"domain":          {fmt.Errorf("wrapped: %w", domain), zhengzhao.EFORBIDDEN},
		"canceled":        {fmt.Errorf("query: %w", context.Canceled), zhengzhao.EINTERNAL},
		"plain":           {errors.New("something"), zhengzhao.EINTERNAL},
		"uniqueByMessage": {errors.New("duplicate key value violates unique constraint"), zhengzhao.EINTERNAL},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			err := mapErr("op", tt.err, "")
			if got := zhengzhao.ErrorCode(err); got != tt.code {
				t.Errorf("mapErr(%v) code %q, want %q", tt.err, got, tt.code)
			}
			if !errors.Is(err, tt.err) {
				t.Errorf("mapErr(%v) = %v, which does not wrap the cause", tt.err, err)
			}
		})
	}
}

// TestBatchSavepoints runs calls of every shape in one batch: calls that
// send no statement (their savepoints are never sent), calls that fail
// after writing, calls that begin with a multi-row query or a list (the
// held savepoint statements go first) and a call that handles a conflict
// and goes on. Each call's changes must stay or go as its fn says, and no
// call may run twice (a broken transaction).
func TestBatchSavepoints(t *testing.T) {
	s := MustOpenStore(t)
	errFn := errors.New("fn fails")
	unit := func(n int) *zhengzhao.Unit {
		return &zhengzhao.Unit{Code: uscc(100 + n), Name: fmt.Sprint("unit ", n), Roles: []zhengzhao.Role{zhengzhao.RoleUser},
			Region: "310115", CreatedAt: t0}
	}
	calls := []struct {
		name string
		fn   func(tx zhengzhao.Tx) error
		want error
	}{
		{"noop", func(tx zhengzhao.Tx) error { return nil }, nil},
		{"noopFails", func(tx zhengzhao.Tx) error { return errFn }, errFn},
		{"write", func(tx zhengzhao.Tx) error { return tx.CreateUnit(unit(1)) }, nil},
		{"writeFails", func(tx zhengzhao.Tx) error {
			if err := tx.CreateUnit(unit(2)); err != nil {
				return err
			}
			return errFn
		}, errFn},
		{"noopAfterFailure", func(tx zhengzhao.Tx) error { return nil }, nil},
		{"queryFirst", func(tx zhengzhao.Tx) error {
			if _, err := tx.FindSigningKeys(zhengzhao.SigningKeyFilter{}); err != nil {
				return err
			}
			return tx.CreateUnit(unit(3))
		}, nil},
		{"listFirst", func(tx zhengzhao.Tx) error {
			if _, _, _, err := tx.FindUnits(zhengzhao.UnitFilter{}); err != nil {
				return err
			}
			return tx.CreateUnit(unit(4))
		}, nil},
		{"conflictHandled", func(tx zhengzhao.Tx) error {
			if err := tx.CreateUnit(unit(1)); zhengzhao.ErrorCode(err) != zhengzhao.ECONFLICT {
				return fmt.Errorf("CreateUnit of a unit of this batch: %v, want conflict", err)
			}
			if err := tx.CreateUnit(unit(5)); err != nil {
				return err
			}
			return tx.AppendAudit(&zhengzhao.AuditEntry{Actor: "admin", Action: zhengzhao.ActionUnitCreate})
		}, nil},
		{"noopFailsLast", func(tx zhengzhao.Tx) error { return errFn }, errFn},
	}

	entered, release := make(chan struct{}), make(chan struct{})
	blocked := make(chan error, 1)
	go func() {
		blocked <- s.Update(context.Background(), func(tx zhengzhao.Tx) error {
			close(entered)
			<-release
			return nil
		})
	}()
	<-entered
	errs := make([]error, len(calls))
	var wg sync.WaitGroup
	for i, c := range calls {
		wg.Go(func() { errs[i] = s.Update(context.Background(), c.fn) })
		time.Sleep(20 * time.Millisecond) // queue in order
	}
	close(release)
	wg.Wait()
	if err := <-blocked; err != nil {
		t.Fatalf("blocking Update: %v", err)
	}
	for i, c := range calls {
		if !errors.Is(errs[i], c.want) || (c.want == nil) != (errs[i] == nil) {
			t.Errorf("%s: got %v, want %v", c.name, errs[i], c.want)
		}
	}
	if st := s.committer.Stats(); st.Batches != 2 || st.Calls != int64(len(calls)+1) || st.Commits != 2 {
		t.Errorf("committer stats %+v; want the calls in one batch after the blocking one, each run once", st)
	}
	err := s.View(t.Context(), func(tx zhengzhao.ReadTx) error {
		for n, want := range map[int]bool{1: true, 2: false, 3: true, 4: true, 5: true} {
			if _, err := tx.FindUnitByCode(unit(n).Code); (err == nil) != want {
				t.Errorf("unit %d stored: %v, want %v", n, err == nil, want)
			}
		}
		size, err := tx.AuditSize()
		if size != 1 {
			t.Errorf("AuditSize = %d, want 1", size)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestDocumentBytes(t *testing.T) {
	s := MustOpenStore(t)
	storetest.DocumentBytes(t, s, func(id string) (doc string, err error) {
		err = s.pool.QueryRow(t.Context(), "SELECT document FROM licenses WHERE id = $1", id).Scan(&doc)
		return doc, err
	})
}

func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, func(b *testing.B) zhengzhao.Store { return MustOpenStore(b) })
}

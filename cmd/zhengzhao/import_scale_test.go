package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/csv"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/zhengzhao-project/zhengzhao/demo"
)

// TestImportScale measures a large import through the binary — parse,
// validate, sign, store, audit — against a raw insert of the same rows,
// and the import process's peak memory. It runs only when
// ZHENGZHAO_IMPORT_SCALE_ROWS is set (1000000 for the figures in
// docs/performance.md); ZHENGZHAO_TEST_POSTGRES adds a run on PostgreSQL.
//
//	ZHENGZHAO_IMPORT_SCALE_ROWS=1000000 go test ./cmd/zhengzhao -run TestImportScale -v -timeout 2h
func TestImportScale(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("ZHENGZHAO_IMPORT_SCALE_ROWS"))
	if n <= 0 {
		t.Skip("set ZHENGZHAO_IMPORT_SCALE_ROWS to run")
	}
	bin, err := buildBinary()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "scale.csv")
	writeScaleFile(t, path, n)
	st, _ := os.Stat(path)
	t.Logf("file: %d rows, %.1f MiB", n, float64(st.Size())/(1<<20))

	t.Run("sqlite", func(t *testing.T) {
		data := preparedData(t)
		rate, rss := runScaleImport(t, bin, path, n, "--data", data)
		raw := rawSQLite(t, filepath.Join(data, "zhengzhao.db"), filepath.Join(t.TempDir(), "raw.db"))
		t.Logf("SQLITE: import %.0f rows/s, raw insert of the same rows %.0f rows/s (%.0f%%), import peak RSS %.1f MiB",
			rate, raw, 100*rate/raw, rss)
	})
	dsn := os.Getenv("ZHENGZHAO_TEST_POSTGRES")
	if dsn == "" {
		return
	}
	t.Run("postgres", func(t *testing.T) {
		db := freshDatabase(t, dsn)
		keys := t.TempDir() // the CA, master key and log key
		srv := startServer(t, keys, "--db", db)
		setupAt(t, srv.url)
		srv.cmd.Process.Signal(syscall.SIGTERM)
		srv.cmd.Wait()
		rate, rss := runScaleImport(t, bin, path, n, "--db", db, "--data", keys)
		raw := rawPostgres(t, db)
		t.Logf("POSTGRES: import %.0f rows/s, raw COPY of the same rows %.0f rows/s (%.0f%%), import peak RSS %.1f MiB",
			rate, raw, 100*rate/raw, rss)
	})
}

// writeScaleFile writes n valid rows.
func writeScaleFile(t *testing.T, path string, n int) {
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	w := csv.NewWriter(bw)
	w.Write([]string{"number", "holder_id", "holder_name", "issued_on", "valid_until", "legal_representative", "registered_capital", "entity_type", "established_on"})
	for i := 1; i <= n; i++ {
		w.Write([]string{fmt.Sprintf("3101%011d", i), demo.USCC(fmt.Sprintf("91310115%09d", i)), fmt.Sprintf("上海第%d号贸易有限公司", i),
			"2018-03-01", "2038-02-28", "法定代表人" + strconv.Itoa(i%9973), strconv.Itoa(50 + i%5000), "有限责任公司", "2017-12-01"})
	}
	w.Flush()
	if err := errorsJoin(w.Error(), bw.Flush(), f.Close()); err != nil {
		t.Fatal(err)
	}
}

func errorsJoin(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// runScaleImport runs the import and returns its rate and peak RSS (MiB).
func runScaleImport(t *testing.T, bin, path string, n int, store ...string) (float64, float64) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"import", path, "--issuer", issuerCode, "--type", typeCode, "--progress", "log"}, store...)...)
	cmd.Stderr = os.Stderr
	start := time.Now()
	out, err := cmd.Output()
	el := time.Since(start)
	if err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), fmt.Sprintf("%d imported", n)) {
		t.Fatalf("import: %s", out)
	}
	rss := float64(cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss) / 1024 // KiB on Linux
	t.Logf("import of %d rows: %v, %s", n, el.Round(time.Millisecond), strings.TrimSpace(string(out)))
	return float64(n) / el.Seconds(), rss
}

// rawSQLite copies the imported licenses and audit entries into bare
// tables of another database on the same disk (WAL, synchronous=FULL, 1000
// rows per transaction) and returns the rate of the inserts alone.
func rawSQLite(t *testing.T, from, to string) float64 {
	t.Helper()
	src, err := sql.Open("sqlite", from+"?_pragma=query_only(1)")
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := sql.Open("sqlite", to+"?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)")
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	dst.SetMaxOpenConns(1)
	if _, err := dst.Exec(`CREATE TABLE raw_licenses (id TEXT, type TEXT, issuer TEXT, serial TEXT, version TEXT, base TEXT, holder_id TEXT,
		status TEXT, superseded_by TEXT, revoked_at TEXT, revocation_reason TEXT, document TEXT);
		CREATE TABLE raw_audit (idx INTEGER, time TEXT, actor TEXT, action TEXT, license TEXT, license_base TEXT, subject TEXT, details TEXT)`); err != nil {
		t.Fatal(err)
	}
	type pair struct{ lic, audit []any }
	rows, err := src.Query(`SELECT l.id, l.type, l.issuer, l.serial, l.version, l.base, l.holder_id, l.status, l.superseded_by, l.revoked_at,
		l.revocation_reason, l.document, a.idx, a.time, a.actor, a.action, a.license, a.license_base, a.subject, a.details
		FROM licenses l JOIN audit_entries a ON a.license = l.id AND a.action = 'license.import'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var (
		batch []pair
		spent time.Duration
		total int
	)
	flush := func() {
		start := time.Now()
		tx, err := dst.Begin()
		if err != nil {
			t.Fatal(err)
		}
		il, _ := tx.Prepare(`INSERT INTO raw_licenses VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		ia, _ := tx.Prepare(`INSERT INTO raw_audit VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
		for _, p := range batch {
			if _, err := il.Exec(p.lic...); err != nil {
				t.Fatal(err)
			}
			if _, err := ia.Exec(p.audit...); err != nil {
				t.Fatal(err)
			}
		}
		il.Close()
		ia.Close()
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		spent += time.Since(start)
		total += len(batch)
		batch = batch[:0]
	}
	for rows.Next() {
		v := make([]any, 20)
		ptrs := make([]any, 20)
		for i := range v {
			ptrs[i] = &v[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		batch = append(batch, pair{v[:12], v[12:]})
		if len(batch) == 1000 {
			flush()
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(batch) > 0 {
		flush()
	}
	return float64(total) / spent.Seconds()
}

// freshDatabase creates an empty database for the run and returns its URL.
func freshDatabase(t *testing.T, dsn string) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	name := fmt.Sprintf("zz_scale_%d", time.Now().UnixNano())
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), dsn)
		if err == nil {
			c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			c.Close(context.Background())
		}
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// rawPostgres copies the imported licenses and audit entries into bare
// tables with COPY, 1000 rows per CopyFrom, and returns the rate of the
// copies alone.
func rawPostgres(t *testing.T, db string) float64 {
	t.Helper()
	ctx := context.Background()
	src, err := pgx.Connect(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close(ctx)
	dst, err := pgx.Connect(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close(ctx)
	if _, err := dst.Exec(ctx, `CREATE TABLE raw_licenses (id TEXT, type TEXT, issuer TEXT, serial TEXT, version TEXT, holder_id TEXT, status TEXT,
		superseded_by TEXT, revoked_at TIMESTAMPTZ, revocation_reason TEXT, signed_at TIMESTAMPTZ, document TEXT);
		CREATE TABLE raw_audit (idx BIGINT, time TIMESTAMPTZ, actor TEXT, action TEXT, license TEXT, license_base TEXT, subject TEXT, details JSONB)`); err != nil {
		t.Fatal(err)
	}
	rows, err := src.Query(ctx, `SELECT l.id, l.type, l.issuer, l.serial, l.version, l.holder_id, l.status, l.superseded_by, l.revoked_at,
		l.revocation_reason, l.signed_at, l.document, a.idx, a.time, a.actor, a.action, a.license, a.license_base, a.subject, a.details
		FROM licenses l JOIN audit_entries a ON a.license = l.id AND a.action = 'license.import'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var (
		lics, auds [][]any
		spent      time.Duration
		total      int
	)
	flush := func() {
		start := time.Now()
		if _, err := dst.CopyFrom(ctx, pgx.Identifier{"raw_licenses"}, []string{"id", "type", "issuer", "serial", "version", "holder_id", "status",
			"superseded_by", "revoked_at", "revocation_reason", "signed_at", "document"}, pgx.CopyFromRows(lics)); err != nil {
			t.Fatal(err)
		}
		if _, err := dst.CopyFrom(ctx, pgx.Identifier{"raw_audit"}, []string{"idx", "time", "actor", "action", "license", "license_base", "subject", "details"},
			pgx.CopyFromRows(auds)); err != nil {
			t.Fatal(err)
		}
		spent += time.Since(start)
		total += len(lics)
		lics, auds = lics[:0], auds[:0]
	}
	for rows.Next() {
		v, err := rows.Values()
		if err != nil {
			t.Fatal(err)
		}
		lics, auds = append(lics, v[:12]), append(auds, v[12:])
		if len(lics) == 1000 {
			flush()
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(lics) > 0 {
		flush()
	}
	return float64(total) / spent.Seconds()
}

package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	_ "modernc.org/sqlite"
)

// TestCheckNamesChangedLicenses builds a library through the API (issues,
// an update, a revocation, an idempotent issue), checks it clean, then
// changes rows directly in the database as someone with the database's
// password would: a holder's name inside the signed document, a status, a
// whole document swapped for another license's, a revocation undone.
// zhengzhao check must name each of those licenses, on SQLite and on
// PostgreSQL, while audit verify (which checks only the log) stays intact.
func TestCheckNamesChangedLicenses(t *testing.T) { forEachStore(t, testCheckNamesChangedLicenses) }

func testCheckNamesChangedLicenses(t *testing.T, db string) {
	m := MustRunMainDB(t, db)
	_, issuer, _ := setup(t, m)
	var ids []string
	for i := range 6 {
		body := issueBody()
		body["number"] = fmt.Sprintf("N%03d", i)
		ids = append(ids, issuer.do("POST", "/v1/licenses", body, "Idempotency-Key", fmt.Sprintf("order-%d", i)).want(t, 201).json(t)["id"].(string))
	}
	up := issueBody()
	delete(up, "type")
	up["number"] = "N000"
	up["fields"].(map[string]any)["legal_representative"] = "李四"
	v2 := issuer.do("PUT", "/v1/licenses/"+ids[0], up).want(t, 200).json(t)["id"].(string)
	issuer.do("POST", "/v1/licenses/"+ids[1]+"/revoke", map[string]any{"reason": "企业申请注销"}).want(t, 200)
	data := m.Config.DataDir
	m.Close()

	if out, err := runCheckCmd(data, db); err != nil {
		t.Fatalf("check before tampering: %v\n%s", err, out)
	}

	tamper := []struct{ id, stmt, want string }{
		{ids[2], `UPDATE licenses SET document = replace(document, '上海示例科技有限公司', '上海冒名科技有限公司') WHERE id = $1`, "document"},
		{ids[3], `UPDATE licenses SET status = 'revoked' WHERE id = $1`, "lifecycle"},
		{ids[4], `UPDATE licenses SET document = (SELECT document FROM licenses WHERE id = '` + ids[5] + `') WHERE id = $1`, "missing"},
		{ids[1], `UPDATE licenses SET status = 'valid', revoked_at = NULL, revocation_reason = '' WHERE id = $1`, "lifecycle"},
		{v2, `UPDATE licenses SET superseded_by = 'X' WHERE id = $1`, "lifecycle"},
	}
	for _, c := range tamper {
		execStore(t, data, db, c.stmt, c.id)
	}
	if out, err := auditVerifyDB(data, db); err != nil {
		t.Fatalf("audit verify checks only the log and should still pass: %v\n%s", err, out)
	}
	out, err := runCheckCmd(data, db)
	var ee exitError
	if !errors.As(err, &ee) || ee.code != 1 {
		t.Fatalf("check after tampering: err %v, want exit status 1\n%s", err, out)
	}
	for _, c := range tamper {
		if !strings.Contains(out, c.want+": license "+c.id) {
			t.Errorf("check does not name %s (%s):\n%s", c.id, c.want, out)
		}
	}
	if strings.Contains(out, "上海") {
		t.Errorf("check output carries holder data:\n%s", out)
	}
	if !strings.Contains(out, "document: license "+ids[5]) {
		t.Errorf("check does not name %s, whose document now shows twice:\n%s", ids[5], out)
	}
	for _, id := range []string{ids[0]} {
		if strings.Contains(out, "license "+id+":") {
			t.Errorf("check names untouched license %s:\n%s", id, out)
		}
	}
}

// execStore runs one statement with $1 = arg on the test's store.
func execStore(t *testing.T, data, db, stmt, arg string) {
	t.Helper()
	if db == "" {
		h, err := sql.Open("sqlite", filepath.Join(data, "zhengzhao.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer h.Close()
		if _, err := h.Exec(strings.ReplaceAll(stmt, "$1", "?"), arg); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
		return
	}
	conn, err := pgx.Connect(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), stmt, arg); err != nil {
		t.Fatalf("%s: %v", stmt, err)
	}
}

func runCheckCmd(data, db string, extra ...string) (string, error) {
	return runCmd(append([]string{"check", "--data", data, "--db", db}, extra...)...)
}

func auditVerifyDB(data, db string) (string, error) {
	return runCmd("audit", "verify", "--data", data, "--db", db)
}

// runCmd runs the zhengzhao command line in-process.
func runCmd(args ...string) (string, error) {
	var out bytes.Buffer
	cmd := newRootCommand()
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	err := cmd.ExecuteContext(context.Background())
	return out.String(), err
}

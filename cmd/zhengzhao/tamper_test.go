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

	_ "modernc.org/sqlite"
)

// TestAuditVerifyNamesTamperedEntry builds a real library (the demo data
// set), signs a checkpoint, then changes, deletes or appends audit rows
// directly in the SQLite file: audit verify must fail with exit status 1
// and name the entry.
func TestAuditVerifyNamesTamperedEntry(t *testing.T) {
	cases := []struct {
		name string
		sql  string
		want string
	}{
		{"changed actor", `UPDATE audit_entries SET actor = 'admin' WHERE idx = 40`, "entry 40"},
		{"changed details", `UPDATE audit_entries SET details = '{"reason":"nothing"}' WHERE idx = 77`, "entry 77"},
		{"deleted middle entry", `DELETE FROM audit_entries WHERE idx = 100`, "entry 100"},
		{"deleted newest entries", `DELETE FROM audit_entries WHERE idx >= (SELECT MAX(idx) - 2 FROM audit_entries)`, "missing"},
		{"inserted entry", `UPDATE audit_entries SET idx = idx + 1000000 WHERE idx >= 120; UPDATE audit_entries SET idx = idx - 1000000 + 1 WHERE idx >= 1000000;
			INSERT INTO audit_entries (idx, time, actor, action, license, license_base, subject) VALUES (120, '2026-01-01T00:00:00.000000Z', 'admin', 'license.read', '', '', '')`, "entry 120"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := MustRunMain(t)
			admin, issuer, _ := setup(t, m)
			data := m.Config.DataDir
			// Enough history to tamper with: 70 licenses, each read once.
			for i := range 70 {
				body := issueBody()
				body["number"] = fmt.Sprintf("N%03d", i)
				id := issuer.do("POST", "/v1/licenses", body).want(t, 201).json(t)["id"].(string)
				issuer.do("GET", "/v1/licenses/"+id, nil).want(t, 200)
			}
			admin.do("POST", "/v1/audit/checkpoint", nil).want(t, 200)
			m.Close()

			if out, err := auditVerify(data); err != nil {
				t.Fatalf("audit verify before tampering: %v\n%s", err, out)
			}
			db, err := sql.Open("sqlite", filepath.Join(data, "zhengzhao.db"))
			if err != nil {
				t.Fatal(err)
			}
			// An attacker with the file first removes the store's
			// append-only triggers; the log must still give them away.
			rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_entries'`)
			if err != nil {
				t.Fatal(err)
			}
			var triggers []string
			for rows.Next() {
				var n string
				rows.Scan(&n)
				triggers = append(triggers, n)
			}
			rows.Close()
			for _, n := range triggers {
				if _, err := db.Exec(`DROP TRIGGER "` + n + `"`); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := db.Exec(c.sql); err != nil {
				t.Fatalf("tamper: %v", err)
			}
			db.Close()

			out, err := auditVerify(data)
			var ee exitError
			if !errors.As(err, &ee) || ee.code != 1 {
				t.Fatalf("audit verify after tampering: err %v, want exit status 1\n%s", err, out)
			}
			if !strings.Contains(out, c.want) || !strings.Contains(out, "TAMPERED") {
				t.Fatalf("audit verify output does not name %q:\n%s", c.want, out)
			}
		})
	}
}

func auditVerify(data string) (string, error) {
	var out bytes.Buffer
	cmd := newRootCommand()
	cmd.SetArgs([]string{"audit", "verify", "--data", data})
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	err := cmd.ExecuteContext(context.Background())
	return out.String(), err
}

package main

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/demo"
	"github.com/zhengzhao-project/zhengzhao/internal/pgtest"
	"github.com/zhengzhao-project/zhengzhao/postgres"
)

// TestREADMEWalkthrough runs scripts/walkthrough: the README's two
// walkthroughs, exactly as written, with their shown outputs checked — on
// SQLite and on two fresh PostgreSQL databases. scripts/test runs it as a
// step of its own (race builds skip it: the script builds a plain binary).
func TestREADMEWalkthrough(t *testing.T) {
	if raceEnabled {
		t.Skip("scripts/test runs the walkthrough in its own step")
	}
	if testing.Short() {
		t.Skip("builds the binary and runs two servers")
	}
	for _, tool := range []string{"bash", "curl", "jq", "python3"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("the walkthrough needs %s", tool)
			}
			t.Skipf("the walkthrough needs %s", tool)
		}
	}
	t.Run("sqlite", func(t *testing.T) { runWalkthrough(t, nil) })
	t.Run("postgres", func(t *testing.T) {
		db1, db2 := pgtest.NewDatabase(t), pgtest.NewDatabase(t)
		runWalkthrough(t, []string{"ZHENGZHAO_WALKTHROUGH_DB_1=" + db1, "ZHENGZHAO_WALKTHROUGH_DB_2=" + db2})
		// The servers really used the databases: one unit in the first,
		// the demo's in the second.
		for db, want := range map[string]int{db1: 1, db2: len(demo.Units)} {
			s, err := postgres.Open(context.Background(), db)
			if err != nil {
				t.Fatal(err)
			}
			var n int
			err = s.View(context.Background(), func(tx zhengzhao.ReadTx) (err error) {
				_, n, _, err = tx.FindUnits(zhengzhao.UnitFilter{Page: zhengzhao.Page{Limit: 1}})
				return err
			})
			s.Close()
			if err != nil || n < want {
				t.Fatalf("the walkthrough's database has %d units (%v), want at least %d", n, err, want)
			}
		}
	})
}

func runWalkthrough(t *testing.T, env []string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", filepath.Join(root, "scripts", "walkthrough"))
	cmd.Dir = root
	cmd.Env = append(os.Environ(), append(env, "PORT="+strconv.Itoa(port), "TMPDIR="+t.TempDir(),
		"ZHENGZHAO_ADMIN_TOKEN=", "ZHENGZHAO_DB=", "ZHENGZHAO_DATA=", "ZHENGZHAO_ADDR=")...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("scripts/walkthrough: %v\n%s", err, out)
	}
}

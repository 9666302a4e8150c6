package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	nethttp "net/http"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/auditlog"
	"github.com/zhengzhao-project/zhengzhao/internal/pgtest"
)

// TestThreeServersOnePostgres runs three server processes on one
// PostgreSQL database and one shared key directory, issues licenses through
// all three at once, kills one mid-load, and checks: no duplicate serial or
// ID, every acknowledged license readable through every server, one
// gap-free audit log whose checkpoints — signed by whichever process — are
// consistent with each other, and audit verify passes.
func TestThreeServersOnePostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three server processes")
	}
	db := pgtest.NewDatabase(t)
	data := t.TempDir() // the configuration directory every node mounts
	servers := []*server{startServer(t, data, "--db", db)}
	// The first node created the CA and keys; the others load them.
	servers = append(servers, startServer(t, data, "--db", db), startServer(t, data, "--db", db))
	_, issuer, _ := setupAt(t, servers[0].url)
	key := issuer.token

	var (
		mu          sync.Mutex
		acked       = map[string]int{} // license ID → how many times acknowledged
		checkpoints []zhengzhao.Checkpoint
		wg          sync.WaitGroup
		stop        = make(chan struct{})
	)
	for s := range servers {
		issueUntil(&wg, stop, servers[s].url, key, fmt.Sprintf("S%d", s), 5, func(status int, id string, err error) bool {
			switch {
			case err != nil && s == 1:
				return false // the killed node
			case err != nil:
				t.Errorf("server %d: %v", s, err)
				return false
			case status == 201:
				mu.Lock()
				acked[id]++
				mu.Unlock()
			case s != 1:
				t.Errorf("server %d: status %d", s, status)
			}
			return true
		})
		// A watcher per server collects the checkpoints it serves.
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				case <-time.After(150 * time.Millisecond):
				}
				res, err := nethttp.Get(servers[s].url + "/v1/audit/checkpoint")
				if err != nil {
					continue
				}
				var cp zhengzhao.Checkpoint
				if json.NewDecoder(res.Body).Decode(&cp) == nil && res.StatusCode == 200 {
					mu.Lock()
					checkpoints = append(checkpoints, cp)
					mu.Unlock()
				}
				res.Body.Close()
			}
		})
	}
	time.Sleep(1500 * time.Millisecond)
	servers[1].cmd.Process.Signal(syscall.SIGKILL) // one node dies mid-load
	time.Sleep(1500 * time.Millisecond)
	close(stop)
	wg.Wait()

	if len(acked) < 50 {
		t.Fatalf("only %d licenses acknowledged: the load proved little", len(acked))
	}
	for id, n := range acked {
		if n != 1 {
			t.Fatalf("license ID %s acknowledged %d times", id, n)
		}
	}
	// Every acknowledged license is readable through each surviving node.
	for _, s := range []*server{servers[0], servers[2]} {
		c := client{t, s.url, key}
		for id := range acked {
			c.do("GET", "/v1/licenses/"+id, nil).want(t, 200)
		}
	}
	// Checkpoints from all nodes lie on one tree: each later one extends
	// each earlier one (consistency proofs from a surviving node).
	admin := client{t, servers[0].url, testAdminToken}
	var final zhengzhao.Checkpoint
	json.Unmarshal(admin.do("POST", "/v1/audit/checkpoint", nil).want(t, 200).body, &final)
	checkpoints = append(checkpoints, final)
	seen := 0
	for _, cp := range checkpoints {
		if cp.Size == 0 || cp.Size == final.Size {
			continue
		}
		var p zhengzhao.ConsistencyProof
		json.Unmarshal(admin.do("GET", fmt.Sprintf("/v1/audit/consistency?size1=%d&size2=%d", cp.Size, final.Size), nil).want(t, 200).body, &p)
		if err := auditlog.VerifyConsistency(cp.Size, final.Size, p.Hashes, cp.Root, final.Root); err != nil {
			t.Fatalf("checkpoint %d is not consistent with %d: %v", cp.Size, final.Size, err)
		}
		seen++
	}
	if seen == 0 {
		t.Fatal("no intermediate checkpoint was observed")
	}
	t.Logf("%d licenses through 3 servers (one killed), %d checkpoints checked for consistency, log size %d", len(acked), seen, final.Size)

	var out bytes.Buffer
	cmd := newRootCommand()
	cmd.SetArgs([]string{"audit", "verify", "--data", data, "--db", db})
	cmd.SetOut(&out)
	if err := cmd.ExecuteContext(context.Background()); err != nil {
		t.Fatalf("audit verify: %v\n%s", err, out.String())
	}
}

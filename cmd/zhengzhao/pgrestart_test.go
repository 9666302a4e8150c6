package main

import (
	"bytes"
	"context"
	"fmt"
	nethttp "net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zhengzhao-project/zhengzhao/internal/pgtest"
)

// TestPostgresRestartMidLoad restarts the database under two servers that
// are issuing licenses: the servers answer 503 while it is down, recover on
// their own when it is back, and lose nothing they acknowledged.
func TestPostgresRestartMidLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a private PostgreSQL and two servers")
	}
	pg := pgtest.StartServer(t)
	data := t.TempDir()
	servers := []*server{startServer(t, data, "--db", pg.DSN)}
	servers = append(servers, startServer(t, data, "--db", pg.DSN))
	_, issuer, _ := setupAt(t, servers[0].url)

	var (
		mu           sync.Mutex
		acked        []string
		afterRestart atomic.Int64
		restarted    atomic.Bool
		statuses     = map[int]int{}
		wg           sync.WaitGroup
		stop         = make(chan struct{})
	)
	for s := range servers {
		issueUntil(&wg, stop, servers[s].url, issuer.token, fmt.Sprintf("P%d", s), 4, func(status int, id string, err error) bool {
			if err != nil {
				t.Errorf("server %d stopped answering: %v", s, err)
				return false
			}
			mu.Lock()
			statuses[status]++
			if status == 201 {
				acked = append(acked, id)
				if restarted.Load() {
					afterRestart.Add(1)
				}
			}
			mu.Unlock()
			if status != 201 {
				time.Sleep(50 * time.Millisecond)
			}
			return true
		})
	}
	time.Sleep(time.Second)
	pg.Stop(t)
	time.Sleep(time.Second) // the servers answer without a database
	if ready, err := nethttp.Get(servers[0].url + "/readyz"); err == nil {
		ready.Body.Close()
		if ready.StatusCode != 503 {
			t.Errorf("/readyz with the database down: %d, want 503", ready.StatusCode)
		}
	}
	pg.Start(t)
	restarted.Store(true)
	deadline := time.Now().Add(20 * time.Second)
	for afterRestart.Load() < 20 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	t.Logf("responses by status: %v; %d acknowledged, %d after the restart", statuses, len(acked), afterRestart.Load())
	if afterRestart.Load() < 20 {
		t.Fatalf("the servers did not recover after the database restart: %d licenses issued since", afterRestart.Load())
	}
	for code := range statuses {
		if code != 201 && code != 503 {
			t.Errorf("unexpected status %d during the restart (want 201 or 503)", code)
		}
	}
	for _, s := range servers {
		c := client{t, s.url, issuer.token}
		for _, id := range acked {
			c.do("GET", "/v1/licenses/"+id, nil).want(t, 200)
		}
	}
	var out bytes.Buffer
	cmd := newRootCommand()
	cmd.SetArgs([]string{"audit", "verify", "--data", data, "--db", pg.DSN})
	cmd.SetOut(&out)
	if err := cmd.ExecuteContext(context.Background()); err != nil {
		t.Fatalf("audit verify: %v\n%s", err, out.String())
	}
}

package main

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/zhengzhao-project/zhengzhao/internal/pgtest"
)

// startStandby starts a private primary with database zz and a streaming
// hot standby of it (pg_basebackup -R on another port).
func startStandby(t *testing.T) (primary, standby *pgtest.Server) {
	t.Helper()
	primary = pgtest.StartArchivingServer(t)
	pgtest.Exec(t, primary.DSN, `CREATE DATABASE zz`)
	base := primary.BaseBackup(t, true)
	standby = primary.FromBaseBackup(t, base, true)
	waitFor(t, "the standby streams", func() bool {
		var n int
		queryRow(t, primary.DSN, `SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'`, &n)
		return n == 1
	})
	return primary, standby
}

func queryRow(t *testing.T, dsn, q string, dst ...any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	if err := c.QueryRow(ctx, q).Scan(dst...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestReplicaReadsAreBounded: serve --db-replica sends anonymous
// verification to the hot standby while its lag is within
// --db-replica-max-lag, and to the primary beyond it; an issuer's read of
// its own license always goes to the primary. Replay on the standby is
// paused to make it fall behind on purpose.
func TestReplicaReadsAreBounded(t *testing.T) {
	primary, standby := startStandby(t)
	m := runMainWith(t, t.TempDir(), func(c *Config) {
		c.DB = primary.DatabaseDSN("zz")
		c.Recovery.DBReplica = standby.DatabaseDSN("zz")
		c.Recovery.ReplicaMaxLag = 1500 * time.Millisecond
		c.VerifyStatusTTL = 0
	})
	_, issuer, _ := setup(t, m)
	anon := client{t, m.URL, ""}
	first := issuer.do("POST", "/v1/licenses", issueBody()).want(t, 201).body
	waitFor(t, "the standby verifies the first license", func() bool {
		return anon.do("POST", "/v1/verify", first).json(t)["status"] == "valid"
	})

	pgtest.Exec(t, standby.DatabaseDSN("zz"), `SELECT pg_wal_replay_pause()`)
	body := issueBody()
	body["number"] = "N2"
	second := issuer.do("POST", "/v1/licenses", body).want(t, 201)
	id := second.json(t)["id"].(string)
	issuer.do("GET", "/v1/licenses/"+id, nil).want(t, 200) // the issuer reads its own write
	if v := anon.do("POST", "/v1/verify", second.body).want(t, 200).json(t); v["status"] != "unknown" {
		t.Fatalf("a verification within the lag bound went to the primary (status %v); it should have read the paused standby", v["status"])
	}
	// Beyond the bound the standby is too stale: reads go to the primary.
	waitFor(t, "verification falls back to the primary", func() bool {
		return anon.do("POST", "/v1/verify", second.body).json(t)["status"] == "valid"
	})
	pgtest.Exec(t, standby.DatabaseDSN("zz"), `SELECT pg_wal_replay_resume()`)
}

// TestPostgresFailover is the failover drill: synchronous replication to
// a hot standby, two servers on a multi-host URL with
// target_session_attrs=read-write issuing under load (8 clients, each
// retrying a failed issue with its Idempotency-Key), kill -9 of the
// primary, pg_ctl promote of the standby; the servers reconnect by
// themselves, every acknowledged license is on the new primary, none
// twice, and zhengzhao check is clean there.
func TestPostgresFailover(t *testing.T) {
	primary, standby := startStandby(t)
	primary.Set(t, "synchronous_standby_names = '*'", "synchronous_commit = on")
	primary.Reload(t)
	waitFor(t, "replication is synchronous", func() bool {
		var n int
		queryRow(t, primary.DSN, `SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'`, &n)
		return n == 1
	})
	multi := fmt.Sprintf("postgres://postgres@127.0.0.1:%d,127.0.0.1:%d/zz?sslmode=disable&target_session_attrs=read-write&connect_timeout=2",
		primary.Port(), standby.Port())
	data := t.TempDir()
	a := runMainWith(t, data, func(c *Config) { c.DB = multi })
	b := runMainWith(t, data, func(c *Config) { c.DB = multi })
	_, issuer, _ := setup(t, a)
	servers := []string{a.URL, b.URL}

	var (
		mu      sync.Mutex
		acked   = map[string]string{} // key → license ID
		retries int
		stop    = make(chan struct{})
		wg      sync.WaitGroup
	)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				key := fmt.Sprintf("w%d-%d", w, i)
				body := issueBody()
				body["number"] = key
				deadline := time.Now().Add(60 * time.Second)
				for try := 0; ; try++ {
					c := client{t, servers[(w+i+try)%2], issuer.token}
					r := c.do("POST", "/v1/licenses", body, "Idempotency-Key", key)
					if r.status == 201 {
						mu.Lock()
						acked[key] = r.json(t)["id"].(string)
						mu.Unlock()
						break
					}
					if r.status != 503 || time.Now().After(deadline) {
						t.Errorf("issue %s: %d %s", key, r.status, r.body)
						return
					}
					mu.Lock()
					retries++
					mu.Unlock()
					time.Sleep(100 * time.Millisecond)
				}
			}
		}()
	}
	time.Sleep(1500 * time.Millisecond)
	mu.Lock()
	beforeKill := len(acked)
	mu.Unlock()
	primary.Kill(t)
	killed := time.Now()
	time.Sleep(500 * time.Millisecond)
	standby.Promote(t)
	waitFor(t, "both servers issue again after the failover", func() bool {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		return n > beforeKill+40
	})
	recovered := time.Since(killed)
	time.Sleep(500 * time.Millisecond)
	close(stop)
	wg.Wait()
	a.Close()
	b.Close()

	newPrimary := standby.DatabaseDSN("zz")
	var rows, numbers int
	queryRow(t, newPrimary, `SELECT count(*), count(DISTINCT document::json->>'number') FROM licenses`, &rows, &numbers)
	if rows != numbers {
		t.Errorf("%d licenses for %d orders: an order was issued twice", rows, numbers)
	}
	if rows != len(acked) {
		t.Errorf("the new primary holds %d licenses, %d were acknowledged", rows, len(acked))
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, newPrimary)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for key, id := range acked {
		var n int
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM licenses WHERE id = $1 AND document::json->>'number' = $2`, id, key).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("acknowledged license %s (order %s) is not on the new primary", id, key)
		}
	}
	if out, err := runCheckCmd(data, newPrimary); err != nil {
		t.Fatalf("check on the new primary: %v\n%s", err, out)
	}
	t.Logf("failover: %d acknowledged (%d before the kill), %d retried requests, issuing through both servers again %v after kill -9",
		len(acked), beforeKill, retries, recovered.Round(time.Millisecond))
}

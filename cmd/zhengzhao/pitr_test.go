package main

import (
	"fmt"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/zhengzhao-project/zhengzhao/internal/pgtest"
)

// TestPostgresPointInTimeRestore is the PostgreSQL backup drill on a
// private cluster with continuous WAL archiving (archive_command,
// archive_timeout 1 s) and a base backup (pg_basebackup): batch A is
// issued, then batch B, then issuing goes on until the primary is killed
// (kill -9). Drill 1 restores the base backup and replays the archive to
// a time between A and B: the result holds exactly batch A, zhengzhao
// check is clean and every license verifies online. Drill 2 replays the
// archive to its end, as after losing the primary's disk: it measures the
// recovery point (acknowledged issues missing, and the time between the
// last acknowledged issue and the newest one restored) and the recovery
// time (restore start to a serving, ready library).
func TestPostgresPointInTimeRestore(t *testing.T) {
	pg := pgtest.StartArchivingServer(t, "archive_timeout = 1")
	pgtest.Exec(t, pg.DSN, `CREATE DATABASE zz`)
	db := pg.DatabaseDSN("zz")
	data := t.TempDir()
	m := runMainWith(t, data, func(c *Config) { c.DB = db; c.CheckpointInterval = 200 * time.Millisecond })
	admin, issuer, _ := setup(t, m)
	base := pg.BaseBackup(t, false)

	type acked struct {
		id  string
		doc []byte
		at  time.Time
	}
	var (
		mu  sync.Mutex
		all []acked
	)
	issueN := func(prefix string, n int) []acked {
		var out []acked
		for i := range n {
			body := issueBody()
			body["number"] = fmt.Sprintf("%s%03d", prefix, i)
			r := issuer.do("POST", "/v1/licenses", body)
			if r.status != 201 {
				t.Logf("issue %s: %d %.200s", body["number"], r.status, r.body)
				return out // the primary is gone
			}
			a := acked{r.json(t)["id"].(string), r.body, time.Now()}
			mu.Lock()
			all = append(all, a)
			mu.Unlock()
			out = append(out, a)
		}
		return out
	}
	batchA := issueN("A", 5)
	admin.do("POST", "/v1/audit/checkpoint", nil).want(t, 200)
	time.Sleep(1100 * time.Millisecond)
	target := time.Now().UTC()
	time.Sleep(1100 * time.Millisecond)
	batchB := issueN("B", 5)
	if len(batchA) != 5 || len(batchB) != 5 {
		t.Fatal("issuing failed")
	}
	// Load until the crash.
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			if len(issueN(fmt.Sprintf("C%d-", i), 10)) < 10 {
				return
			}
		}
	}()
	time.Sleep(2500 * time.Millisecond)
	killed := time.Now()
	pg.Kill(t)
	<-done
	m.Close()

	// Drill 1: point in time between batch A and batch B.
	r1 := pg.FromBaseBackup(t, base, false, "recovery_target_time = '"+target.Format("2006-01-02 15:04:05.000000-07")+"'", "recovery_target_inclusive = off")
	db1 := r1.DatabaseDSN("zz")
	if out, err := runCheckCmd(data, db1); err != nil {
		t.Fatalf("check after the point-in-time restore: %v\n%s", err, out)
	}
	m1 := runMainWith(t, data, func(c *Config) { c.DB = db1 })
	got := licenseIDs(t, m1)
	want := map[string]bool{}
	for _, a := range batchA {
		want[a.id] = true
	}
	if len(got) != len(want) {
		t.Errorf("restored to %s: %d licenses, want batch A's %d", target.Format(time.RFC3339Nano), len(got), len(want))
	}
	for id := range got {
		if !want[id] {
			t.Errorf("restored to a time before it was issued: %s", id)
		}
	}
	anon := client{t, m1.URL, ""}
	for _, a := range batchA {
		if v := anon.do("POST", "/v1/verify", a.doc).want(t, 200).json(t); v["valid"] != true {
			t.Errorf("license %s of batch A does not verify after the restore: %v", a.id, v["reasons"])
		}
	}
	m1.Close()

	// Drill 2: to the end of the archive (the primary's disk is lost).
	start := time.Now()
	r2 := pg.FromBaseBackup(t, base, false)
	db2 := r2.DatabaseDSN("zz")
	m2 := runMainWith(t, data, func(c *Config) { c.DB = db2 })
	client{t, m2.URL, ""}.do("GET", "/readyz", nil).want(t, 200)
	rto := time.Since(start)
	restored := licenseIDs(t, m2)
	m2.Close()
	mu.Lock()
	defer mu.Unlock()
	sort.Slice(all, func(i, j int) bool { return all[i].at.Before(all[j].at) })
	var lost int
	var newest time.Time
	for _, a := range all {
		if restored[a.id] {
			newest = a.at
		} else {
			lost++
		}
	}
	if len(restored) > len(all) {
		t.Errorf("restored %d licenses, only %d were acknowledged", len(restored), len(all))
	}
	for _, a := range append(batchA, batchB...) {
		if !restored[a.id] {
			t.Errorf("license %s, acknowledged seconds before the crash, is not in the archive", a.id)
		}
	}
	if out, err := runCheckCmd(data, db2); err != nil {
		t.Fatalf("check after the restore to the end of the archive: %v\n%s", err, out)
	}
	last := all[len(all)-1].at
	t.Logf("RPO: %d of %d acknowledged issues lost; the newest restored was acknowledged %v before the last acknowledged one, %v before the kill",
		lost, len(all), last.Sub(newest).Round(time.Millisecond), killed.Sub(newest).Round(time.Millisecond))
	t.Logf("RTO: %v from the start of the restore (copy of the base backup, WAL replay, promotion) to a ready server", rto.Round(time.Millisecond))
	if segs, _ := filepath.Glob(filepath.Join(pg.ArchiveDir(), "0*")); len(segs) == 0 {
		t.Error("nothing was archived")
	}
}

// licenseIDs lists every license ID the server's store holds.
func licenseIDs(t *testing.T, m *Main) map[string]bool {
	t.Helper()
	admin := client{t, m.URL, testAdminToken}
	ids := map[string]bool{}
	cursor := ""
	for {
		r := admin.do("GET", "/v1/licenses?limit=1000&cursor="+cursor, nil).want(t, 200).json(t)
		for _, it := range r["items"].([]any) {
			ids[it.(map[string]any)["id"].(string)] = true
		}
		next, _ := r["next"].(string)
		if next == "" {
			return ids
		}
		cursor = next
	}
}

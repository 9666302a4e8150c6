package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestSoak is the CI form of the soak: it builds and starts the real
// server (its own process, so that its RSS is its own), drives the mixed
// load for 30 s (ZHENGZHAO_SOAK_DURATION to change) at rates a shared CI
// machine sustains, and requires no error and the server's own request
// counters to equal what was sent. -short skips it.
func TestSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("soak: skipped with -short")
	}
	d := 30 * time.Second
	if s := os.Getenv("ZHENGZHAO_SOAK_DURATION"); s != "" {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "zhengzhao")
	if out, err := exec.Command("go", "build", "-o", bin, "../zhengzhao").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	const token = "soak-test-admin-token-0123456789abcdef"
	srv := exec.Command(bin, "serve", "--data", filepath.Join(dir, "data"), "--addr", addr)
	srv.Env = append(os.Environ(), "ZHENGZHAO_ADMIN_TOKEN="+token)
	var logs bytes.Buffer
	srv.Stdout, srv.Stderr = &logs, &logs
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		srv.Process.Kill()
		srv.Wait()
	})
	base := "http://" + addr
	for i := 0; ; i++ {
		res, err := http.Get(base + "/healthz")
		if err == nil && res.StatusCode == 200 {
			res.Body.Close()
			break
		}
		if i > 100 {
			t.Fatalf("the server did not start: %v\n%s", err, logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}

	var out bytes.Buffer
	rep, err := soak(context.Background(), soakConfig{
		URL: base, Admin: token, Duration: d, Every: d / 6,
		Verify: 200, Get: 20, List: 10, Issue: 10, Use: 10, Seed: 50, MaxInFlight: 256,
		PID: srv.Process.Pid, Baseline: 5 * time.Second, Out: &out,
	})
	t.Logf("\n%s", out.String())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Errors != 0 {
		t.Errorf("%d errors", rep.Errors)
	}
	for _, o := range rep.Ops {
		if o.Sent == 0 {
			t.Errorf("%s: nothing sent", o.Name)
		}
		if got := rep.ServerCounts[o.Name]; got != float64(o.Sent) {
			t.Errorf("%s: the server counted %v requests, the soak sent %d", o.Name, got, o.Sent)
		}
	}
	if len(rep.RSS) < 3 {
		t.Errorf("only %d RSS samples", len(rep.RSS))
	}
}

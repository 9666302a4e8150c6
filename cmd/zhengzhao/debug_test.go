package main

import (
	"io"
	"net"
	nethttp "net/http"
	"os/exec"
	"strings"
	"testing"
)

// TestDebugAddr: --debug-addr serves the profiler's index on loopback, and
// an address off loopback is refused before the server starts.
func TestDebugAddr(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	startServer(t, t.TempDir(), "--debug-addr", addr)
	res, err := nethttp.Get("http://" + addr + "/debug/pprof/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), "goroutine") {
		t.Errorf("GET /debug/pprof/ = %d, want the profiler's index", res.StatusCode)
	}

	bin, err := buildBinary()
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "serve", "--data", t.TempDir(), "--addr", "127.0.0.1:0", "--debug-addr", "0.0.0.0:0").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "loopback only") {
		t.Errorf("serve --debug-addr 0.0.0.0:0: %v, %s; want a refusal naming loopback", err, out)
	}
}

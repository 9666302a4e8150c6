package pgtest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"
)

// Server is a private PostgreSQL cluster that a test may stop and start at
// will, without disturbing the shared test server other packages use.
type Server struct {
	// DSN connects to the cluster's postgres database.
	DSN  string
	bin  string
	dir  string
	port int
	run  func(name string, args ...string) *exec.Cmd
}

// StartServer creates a private cluster with initdb in a temporary
// directory and starts it on a free loopback port; it is stopped when the
// test ends. It needs the PostgreSQL server binaries (Debian's postgresql
// package); like DSN it skips locally and fails in CI when they are
// missing. Run as root, the cluster runs as the postgres user.
func StartServer(tb testing.TB) *Server {
	tb.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	sort.Strings(bins)
	if len(bins) == 0 {
		if Required() {
			tb.Fatal("PostgreSQL server binaries (initdb) not found; install Debian's postgresql")
		}
		tb.Skip("PostgreSQL server binaries (initdb) not found")
	}
	s := &Server{bin: filepath.Dir(bins[len(bins)-1])}
	dir, err := os.MkdirTemp("", "zz-pg-")
	if err != nil {
		tb.Fatal(err)
	}
	s.dir = dir
	tb.Cleanup(func() { os.RemoveAll(dir) })
	s.run = exec.Command
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			tb.Fatalf("running as root needs the postgres user: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			tb.Fatal(err)
		}
		s.run = func(name string, args ...string) *exec.Cmd {
			return exec.Command("runuser", append([]string{"-u", "postgres", "--", name}, args...)...)
		}
	}
	data := filepath.Join(dir, "data")
	if out, err := s.run(filepath.Join(s.bin, "initdb"), "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync").CombinedOutput(); err != nil {
		tb.Fatalf("initdb: %v\n%s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	s.port = l.Addr().(*net.TCPAddr).Port
	l.Close()
	s.DSN = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", s.port)
	s.Start(tb)
	tb.Cleanup(func() { s.Stop(tb) })
	return s
}

// Start starts the cluster and waits until it accepts connections.
func (s *Server) Start(tb testing.TB) {
	tb.Helper()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=on", s.port, s.dir)
	cmd := s.run(filepath.Join(s.bin, "pg_ctl"), "-D", filepath.Join(s.dir, "data"), "-l", filepath.Join(s.dir, "log"), "-o", opts, "-w", "-t", "60", "start")
	if out, err := cmd.CombinedOutput(); err != nil {
		log, _ := os.ReadFile(filepath.Join(s.dir, "log"))
		tb.Fatalf("pg_ctl start: %v\n%s\n%s", err, out, log)
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", s.port)); err == nil {
			c.Close()
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	tb.Fatal("private PostgreSQL did not start")
}

// Stop stops the cluster, disconnecting every client (fast shutdown).
func (s *Server) Stop(tb testing.TB) {
	tb.Helper()
	cmd := s.run(filepath.Join(s.bin, "pg_ctl"), "-D", filepath.Join(s.dir, "data"), "-m", "fast", "-w", "stop")
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Logf("pg_ctl stop: %v\n%s", err, out)
	}
}

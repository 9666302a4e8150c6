package pgtest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Port returns the cluster's TCP port on 127.0.0.1.
func (s *Server) Port() int { return s.port }

// ArchiveDir is where an archiving cluster's archive_command copies WAL
// segments (StartArchivingServer).
func (s *Server) ArchiveDir() string { return filepath.Join(s.dir, "archive") }

// StartArchivingServer is StartServer with continuous WAL archiving:
// archive_mode on, archive_command copying each finished segment into
// ArchiveDir (test -f first, so a segment is never overwritten), and the
// given further settings ("archive_timeout = 1", …). It also allows
// replication connections for pg_basebackup and standbys.
func StartArchivingServer(tb testing.TB, settings ...string) *Server {
	tb.Helper()
	s := StartServer(tb)
	s.Stop(tb)
	if out, err := s.run("mkdir", "-p", s.ArchiveDir()).CombinedOutput(); err != nil {
		tb.Fatalf("archive dir: %v\n%s", err, out)
	}
	conf := append([]string{
		"wal_level = replica",
		"archive_mode = on",
		fmt.Sprintf("archive_command = 'test ! -f %[1]s/%%f && cp %%p %[1]s/%%f'", s.ArchiveDir()),
		"max_wal_senders = 10",
		"wal_keep_size = '256MB'",
		"hot_standby = on",
	}, settings...)
	s.appendConf(tb, conf...)
	s.Start(tb)
	return s
}

// appendConf appends lines to the cluster's postgresql.auto.conf (read
// last, so they win).
func (s *Server) appendConf(tb testing.TB, lines ...string) {
	tb.Helper()
	f, err := os.OpenFile(filepath.Join(s.dir, "data", "postgresql.auto.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(strings.Join(lines, "\n") + "\n"); err != nil {
		tb.Fatal(err)
	}
}

// BaseBackup takes a base backup of the running cluster with
// pg_basebackup (WAL streamed alongside, fast checkpoint) and returns its
// directory. With standby, pg_basebackup -R writes the standby's
// connection settings and standby.signal.
func (s *Server) BaseBackup(tb testing.TB, standby bool) string {
	tb.Helper()
	dir := s.newDir(tb, "zz-pgbase-")
	args := []string{"-D", filepath.Join(dir, "data"), "-h", "127.0.0.1", "-p", strconv.Itoa(s.port), "-U", "postgres",
		"-X", "stream", "-c", "fast", "--no-sync"}
	if standby {
		args = append(args, "-R")
	}
	if out, err := s.run(filepath.Join(s.bin, "pg_basebackup"), args...).CombinedOutput(); err != nil {
		tb.Fatalf("pg_basebackup: %v\n%s", err, out)
	}
	return dir
}

// newDir makes a temporary directory the cluster's user owns, removed
// when the test ends.
func (s *Server) newDir(tb testing.TB, prefix string) string {
	tb.Helper()
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			tb.Fatal(err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			tb.Fatal(err)
		}
	}
	return dir
}

// Kill ends the cluster as a crash would: SIGKILL to the postmaster (its
// backends and archiver exit when they see it gone), without a shutdown
// checkpoint or a last archived segment.
func (s *Server) Kill(tb testing.TB) {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(s.dir, "data", "postmaster.pid"))
	if err != nil {
		tb.Fatalf("kill: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
	if err != nil {
		tb.Fatalf("kill: postmaster.pid: %v", err)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		tb.Fatalf("kill -9 %d: %v", pid, err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", s.port))
		if err != nil {
			// Wait for the children too: they hold the shared memory.
			if syscall.Kill(pid, 0) != nil {
				time.Sleep(200 * time.Millisecond)
				return
			}
		} else {
			c.Close()
		}
		time.Sleep(50 * time.Millisecond)
	}
	tb.Fatal("killed PostgreSQL still accepts connections")
}

// FromBaseBackup starts a new cluster on a free port from a copy of the
// base backup in base (as BaseBackup returned it). With recovery lines it
// first recovers from the archive of from (restore_command copying from
// from.ArchiveDir), e.g. "recovery_target_time = '…'", and is promoted at
// the end of recovery; with standby it stays a streaming standby of from
// (a base backup taken with standby true). It is stopped when the test
// ends. It returns once the cluster accepts connections (as a primary,
// unless standby).
func (s *Server) FromBaseBackup(tb testing.TB, base string, standby bool, recovery ...string) *Server {
	tb.Helper()
	n := &Server{bin: s.bin, run: s.run}
	n.dir = s.newDir(tb, "zz-pgrestore-")
	if out, err := s.run("cp", "-a", filepath.Join(base, "data"), filepath.Join(n.dir, "data")).CombinedOutput(); err != nil {
		tb.Fatalf("copy base backup: %v\n%s", err, out)
	}
	if !standby {
		conf := append([]string{fmt.Sprintf("restore_command = 'cp %s/%%f %%p'", s.ArchiveDir()), "recovery_target_action = 'promote'",
			// The copy must not archive into the source's archive.
			"archive_mode = off"}, recovery...)
		n.appendConf(tb, conf...)
		if out, err := s.run("touch", filepath.Join(n.dir, "data", "recovery.signal")).CombinedOutput(); err != nil {
			tb.Fatalf("recovery.signal: %v\n%s", err, out)
		}
	} else {
		n.appendConf(tb, "archive_mode = off")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	n.port = l.Addr().(*net.TCPAddr).Port
	l.Close()
	n.DSN = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", n.port)
	n.Start(tb)
	tb.Cleanup(func() { n.Stop(tb) })
	if standby {
		return n
	}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if rec, err := n.InRecovery(); err == nil && !rec {
			return n
		}
		time.Sleep(100 * time.Millisecond)
	}
	log, _ := os.ReadFile(filepath.Join(n.dir, "log"))
	tb.Fatalf("restored PostgreSQL did not finish recovery\n%s", log)
	return nil
}

// InRecovery reports pg_is_in_recovery().
func (s *Server) InRecovery() (bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, s.DSN)
	if err != nil {
		return false, err
	}
	defer c.Close(ctx)
	var rec bool
	err = c.QueryRow(ctx, `SELECT pg_is_in_recovery()`).Scan(&rec)
	return rec, err
}

// Promote promotes a standby to primary (pg_ctl promote) and waits.
func (s *Server) Promote(tb testing.TB) {
	tb.Helper()
	if out, err := s.run(filepath.Join(s.bin, "pg_ctl"), "-D", filepath.Join(s.dir, "data"), "-w", "-t", "60", "promote").CombinedOutput(); err != nil {
		tb.Fatalf("pg_ctl promote: %v\n%s", err, out)
	}
}

// Reload makes the cluster reread its configuration after Set.
func (s *Server) Reload(tb testing.TB) {
	tb.Helper()
	if out, err := s.run(filepath.Join(s.bin, "pg_ctl"), "-D", filepath.Join(s.dir, "data"), "reload").CombinedOutput(); err != nil {
		tb.Fatalf("pg_ctl reload: %v\n%s", err, out)
	}
}

// Set appends settings to the cluster's configuration; Reload or a
// restart applies them.
func (s *Server) Set(tb testing.TB, lines ...string) { tb.Helper(); s.appendConf(tb, lines...) }

// DatabaseDSN returns the DSN of database name on the cluster.
func (s *Server) DatabaseDSN(name string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.port, name)
}

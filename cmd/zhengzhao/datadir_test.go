package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDataDirFileModes: the database was created 0644 and a 0755 data
// directory was accepted, so any local user could read every holder's ID
// number and name. On a fresh directory every file the server writes (the
// database, its WAL and shared memory, keys, tokens) is 0600 inside a 0700
// directory.
func TestDataDirFileModes(t *testing.T) {
	t.Setenv("ZHENGZHAO_ADMIN_TOKEN", testAdminToken)
	dir := filepath.Join(t.TempDir(), "data")
	m := NewMain()
	m.Config.DataDir = dir
	m.Config.Addr = "127.0.0.1:0"
	m.Stdout = io.Discard
	m.Logger = newLogger("text", io.Discard)
	if err := m.Run(context.Background()); err != nil {
		t.Fatalf("Run: %v", err)
	}
	defer m.Close()
	_, issuer, _ := setup(t, m)
	issuer.do("POST", "/v1/licenses", issueBody()).want(t, 201)
	st, err := os.Stat(dir)
	if err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("data directory: %v %v", st.Mode(), err)
	}
	// Public material may stay readable: the CA certificate and the audit
	// log's public key.
	public := map[string]bool{"ca.pem": true, "log.key.pub": true}
	seen := map[string]bool{}
	err = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		seen[rel] = true
		switch {
		case d.IsDir() && info.Mode().Perm()&0o077 != 0:
			t.Errorf("directory %s has mode %04o", rel, info.Mode().Perm())
		case !d.IsDir() && info.Mode().Perm()&0o077 != 0 && !public[rel]:
			t.Errorf("file %s has mode %04o", rel, info.Mode().Perm())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("files: %v", seen)
	for _, f := range []string{"zhengzhao.db", "zhengzhao.db-wal", "zhengzhao.db-shm", "ca.key", "log.key", "master.key"} {
		if !seen[f] {
			t.Errorf("%s not found (files: %v)", f, seen)
		}
	}
}

// TestDataDirOpenToOthersRefused: a data directory group or others may
// reach is refused at start with the path and the fix; an old 0644
// database in a private directory is narrowed to 0600.
func TestDataDirOpenToOthersRefused(t *testing.T) {
	t.Setenv("ZHENGZHAO_ADMIN_TOKEN", testAdminToken)
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil { // whatever the umask
		t.Fatal(err)
	}
	m := NewMain()
	m.Config.DataDir = dir
	m.Config.Addr = "127.0.0.1:0"
	m.Stdout = io.Discard
	m.Logger = newLogger("text", io.Discard)
	err := m.Run(context.Background())
	if err == nil {
		m.Close()
		t.Fatal("a 0755 data directory was accepted")
	}
	if !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "chmod 700 "+dir) {
		t.Fatalf("error %q names neither the path nor the fix", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "zhengzhao.db")); err == nil {
		t.Fatal("a database was created in the refused directory")
	}

	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "zhengzhao.db"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chmod(filepath.Join(dir, "zhengzhao.db"), 0o644)
	m = NewMain()
	m.Config.DataDir = dir
	m.Config.Addr = "127.0.0.1:0"
	m.Stdout = io.Discard
	m.Logger = newLogger("text", io.Discard)
	if err := m.Run(context.Background()); err != nil {
		t.Fatalf("Run on the fixed directory: %v", err)
	}
	defer m.Close()
	if st, err := os.Stat(filepath.Join(dir, "zhengzhao.db")); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("old database file: %v %v", st.Mode(), err)
	}
}

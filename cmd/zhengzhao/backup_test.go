package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/auditlog"
	"github.com/zhengzhao-project/zhengzhao/sqlite"
)

// runMainWith starts a server on SQLite in dir with the configuration
// changed by edit.
func runMainWith(t *testing.T, dir string, edit func(*Config)) *Main {
	t.Helper()
	t.Setenv("ZHENGZHAO_ADMIN_TOKEN", testAdminToken)
	m := NewMain()
	m.Config.DataDir = dir
	m.Config.Addr = "127.0.0.1:0"
	if edit != nil {
		edit(&m.Config)
	}
	m.Stdout = io.Discard
	m.Logger = newLogger("text", io.Discard)
	if os.Getenv("ZHENGZHAO_TEST_LOG") != "" {
		m.Logger = newLogger("text", os.Stderr)
	}
	if err := m.Run(context.Background()); err != nil {
		t.Fatalf("Run: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// storeLicenses returns the IDs of every license version in the SQLite
// library in dir, and its audit entries.
func storeLicenses(t *testing.T, dir string) (map[string]bool, []*zhengzhao.AuditEntry) {
	t.Helper()
	s, err := sqlite.Open(filepath.Join(dir, "zhengzhao.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ids := map[string]bool{}
	var entries []*zhengzhao.AuditEntry
	err = s.View(context.Background(), func(tx zhengzhao.ReadTx) error {
		cursor := ""
		for {
			ls, _, next, err := tx.FindLicenses(zhengzhao.LicenseFilter{Page: zhengzhao.Page{Limit: 1000, Cursor: cursor}})
			if err != nil {
				return err
			}
			for _, l := range ls {
				ids[l.ID] = true
			}
			if next == "" {
				break
			}
			cursor = next
		}
		n, err := tx.AuditSize()
		if err != nil {
			return err
		}
		entries, err = tx.AuditEntries(0, n)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids, entries
}

// TestBackupWhileIssuing takes an online backup while 8 clients issue
// licenses, restores it into a new directory, and shows that the restored
// library holds every license acknowledged before the backup started,
// nothing that was not acknowledged, and exactly the licenses of the live
// log's first entries (a prefix: no license half there); that the audit
// log and zhengzhao check pass on it; and that a consistency proof from
// the backup's checkpoint to the live log's newest checkpoint verifies.
func TestBackupWhileIssuing(t *testing.T) {
	data := t.TempDir()
	m := runMainWith(t, data, func(c *Config) { c.CheckpointInterval = 50 * time.Millisecond })
	admin, issuer, _ := setup(t, m)

	var (
		mu    sync.Mutex
		acked = map[string]bool{}
		stop  = make(chan struct{})
		wg    sync.WaitGroup
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
				body := issueBody()
				body["number"] = fmt.Sprintf("W%d-%05d", w, i)
				r := issuer.do("POST", "/v1/licenses", body, "Idempotency-Key", fmt.Sprintf("w%d-%d", w, i))
				if r.status != 201 {
					t.Errorf("issue: status %d", r.status)
					return
				}
				id := r.json(t)["id"].(string)
				mu.Lock()
				acked[id] = true
				mu.Unlock()
			}
		}()
	}
	time.Sleep(700 * time.Millisecond)
	mu.Lock()
	before := make([]string, 0, len(acked))
	for id := range acked {
		before = append(before, id)
	}
	mu.Unlock()
	archive := filepath.Join(t.TempDir(), "zz.backup")
	out, err := runCmd("backup", "--data", data, "--out", archive)
	if err != nil {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	t.Log(strings.TrimSpace(out))
	time.Sleep(300 * time.Millisecond)
	close(stop)
	wg.Wait()
	live := admin.do("POST", "/v1/audit/checkpoint", nil).want(t, 200).json(t)
	if len(before) < 8 {
		t.Fatalf("only %d licenses issued before the backup", len(before))
	}

	restored := filepath.Join(t.TempDir(), "restored")
	out, err = runCmd("restore", "--from", archive, "--data", restored, "--log-key", filepath.Join(data, "log.key.pub"))
	if err != nil {
		t.Fatalf("restore: %v\n%s", err, out)
	}
	t.Log(strings.TrimSpace(out))
	if !strings.Contains(out, "library consistent with its audit log") || !strings.Contains(out, "audit log intact") {
		t.Fatalf("restore did not report its checks:\n%s", out)
	}

	ids, entries := storeLicenses(t, restored)
	for _, id := range before {
		if !ids[id] {
			t.Errorf("license %s, acknowledged before the backup started, is not in the restored library", id)
		}
	}
	mu.Lock()
	for id := range ids {
		if !acked[id] {
			t.Errorf("restored license %s was never acknowledged", id)
		}
	}
	nAcked := len(acked)
	mu.Unlock()
	// The restored log is a prefix of the live one, and its licenses are
	// exactly those the prefix issues.
	_, liveEntries := storeLicenses(t, data)
	issuedInPrefix := map[string]bool{}
	for i, e := range entries {
		if auditlog.LeafHash(e) == nil || string(auditlog.LeafHash(e)) != string(auditlog.LeafHash(liveEntries[i])) {
			t.Fatalf("restored entry %d differs from the live log's", i)
		}
		if e.Action == zhengzhao.ActionLicenseIssue {
			issuedInPrefix[e.License] = true
		}
	}
	if len(issuedInPrefix) != len(ids) {
		t.Errorf("the restored log issues %d licenses, the restored table holds %d", len(issuedInPrefix), len(ids))
	}
	for id := range issuedInPrefix {
		if !ids[id] {
			t.Errorf("the restored log issues %s but its table lacks it", id)
		}
	}
	if len(ids) >= nAcked {
		t.Errorf("restored %d of %d acknowledged licenses: the backup was not taken while issuing", len(ids), nAcked)
	}

	// Consistency: backup's checkpoint → live checkpoint, proved by the
	// live server and verified here.
	rs, err := sqlite.Open(filepath.Join(restored, "zhengzhao.db"))
	if err != nil {
		t.Fatal(err)
	}
	var cp *zhengzhao.Checkpoint
	rs.View(context.Background(), func(tx zhengzhao.ReadTx) (err error) { cp, err = tx.LatestCheckpoint(); return err })
	rs.Close()
	if cp == nil || cp.Size == 0 {
		t.Fatal("the backup holds no checkpoint")
	}
	size2 := int64(live["size"].(float64))
	proof := admin.do("GET", fmt.Sprintf("/v1/audit/consistency?size1=%d&size2=%d", cp.Size, size2), nil).want(t, 200).json(t)
	var hashes [][]byte
	for _, h := range proof["hashes"].([]any) {
		hashes = append(hashes, b64(t, h.(string)))
	}
	if err := auditlog.VerifyConsistency(cp.Size, size2, hashes, cp.Root, b64(t, live["root_hash"].(string))); err != nil {
		t.Fatalf("consistency proof from the backup's checkpoint %d to the live %d: %v", cp.Size, size2, err)
	}
	t.Logf("acknowledged %d, before backup %d, restored %d; backup checkpoint %d, live %d", nAcked, len(before), len(ids), cp.Size, size2)
}

// TestRestoreRefusesDamagedBackup changes one byte of a backup, or cuts
// its end: restore fails with an error that says the archive is damaged
// and leaves the target absent, and nothing of its work beside it. A
// non-empty target is refused before anything is read.
func TestRestoreRefusesDamagedBackup(t *testing.T) {
	data := t.TempDir()
	m := runMainWith(t, data, nil)
	admin, issuer, _ := setup(t, m)
	for i := range 5 {
		body := issueBody()
		body["number"] = fmt.Sprintf("N%d", i)
		issuer.do("POST", "/v1/licenses", body).want(t, 201)
	}
	admin.do("POST", "/v1/audit/checkpoint", nil).want(t, 200)
	archive := filepath.Join(t.TempDir(), "zz.backup")
	if out, err := runCmd("backup", "--data", data, "--out", archive); err != nil {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	good, err := os.ReadFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	damage := map[string]func([]byte) []byte{
		"one byte changed at the middle": func(b []byte) []byte { b[len(b)/2] ^= 0x01; return b },
		"one byte changed near the end":  func(b []byte) []byte { b[len(b)-40] ^= 0x80; return b },
		"one byte changed at the start":  func(b []byte) []byte { b[20] ^= 0x01; return b },
		"truncated by 100 bytes":         func(b []byte) []byte { return b[:len(b)-100] },
		"truncated by 1 byte":            func(b []byte) []byte { return b[:len(b)-1] },
		"truncated to half":              func(b []byte) []byte { return b[:len(b)/2] },
	}
	for name, f := range damage {
		t.Run(name, func(t *testing.T) {
			bad := filepath.Join(t.TempDir(), "bad.backup")
			if err := os.WriteFile(bad, f(append([]byte(nil), good...)), 0o600); err != nil {
				t.Fatal(err)
			}
			parent := t.TempDir()
			target := filepath.Join(parent, "restored")
			out, err := runCmd("restore", "--from", bad, "--data", target)
			if err == nil {
				t.Fatalf("restore of a damaged archive succeeded:\n%s", out)
			}
			if !strings.Contains(err.Error(), "damaged") || !strings.Contains(err.Error(), "untouched") {
				t.Errorf("error does not say the archive is damaged: %v", err)
			}
			if es, _ := os.ReadDir(parent); len(es) != 0 {
				t.Errorf("restore left %v beside the target", es)
			}
		})
	}
	full := t.TempDir()
	os.WriteFile(filepath.Join(full, "keep"), []byte("x"), 0o600)
	if _, err := runCmd("restore", "--from", archive, "--data", full); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("restore into a non-empty directory: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(full, "keep")); string(b) != "x" {
		t.Error("restore touched the non-empty directory")
	}
	// The intact archive restores into an existing empty directory.
	empty := t.TempDir()
	if out, err := runCmd("restore", "--from", archive, "--data", empty); err != nil {
		t.Fatalf("restore: %v\n%s", err, out)
	}
}

func b64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestScheduledBackups: serve --backup-dir --backup-every --backup-keep
// writes backups on its schedule, keeps only the newest, and the newest
// restores.
func TestScheduledBackups(t *testing.T) {
	dir := t.TempDir()
	m := runMainWith(t, t.TempDir(), func(c *Config) {
		c.Recovery = RecoveryConfig{BackupDir: dir, BackupEvery: 100 * time.Millisecond, BackupKeep: 2}
	})
	_, issuer, _ := setup(t, m)
	list := func() []string {
		ms, _ := filepath.Glob(filepath.Join(dir, "zhengzhao-*.backup"))
		return ms
	}
	deadline := time.Now().Add(20 * time.Second)
	for i := 0; len(list()) < 2 || i < 6; i++ {
		if time.Now().After(deadline) {
			t.Fatalf("scheduled backups: %v", list())
		}
		body := issueBody()
		body["number"] = fmt.Sprintf("N%d", i)
		issuer.do("POST", "/v1/licenses", body).want(t, 201)
		time.Sleep(100 * time.Millisecond)
	}
	m.Close()
	got := list()
	if len(got) != 2 {
		t.Fatalf("kept %d backups, want 2: %v", len(got), got)
	}
	if out, err := runCmd("restore", "--from", got[len(got)-1], "--data", filepath.Join(t.TempDir(), "r")); err != nil {
		t.Fatalf("restore of the newest scheduled backup: %v\n%s", err, out)
	}
}

// TestEncryptedBackup: backup --encrypt-to writes an age-encrypted
// archive (no member name or key readable in it); restore refuses it
// without --identity, restores it with the identity, and refuses it with
// one byte changed.
func TestEncryptedBackup(t *testing.T) {
	data := t.TempDir()
	m := runMainWith(t, data, nil)
	admin, issuer, _ := setup(t, m)
	issuer.do("POST", "/v1/licenses", issueBody()).want(t, 201)
	admin.do("POST", "/v1/audit/checkpoint", nil).want(t, 200)
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	idFile := filepath.Join(t.TempDir(), "backup.key")
	os.WriteFile(idFile, []byte(id.String()+"\n"), 0o600)
	archive := filepath.Join(t.TempDir(), "zz.backup.age")
	if out, err := runCmd("backup", "--data", data, "--out", archive, "--encrypt-to", id.Recipient().String()); err != nil {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	b, _ := os.ReadFile(archive)
	master, _ := os.ReadFile(filepath.Join(data, "master.key"))
	if bytes.Contains(b, []byte("MANIFEST")) || bytes.Contains(b, []byte("master.key")) || bytes.Contains(b, master) {
		t.Fatal("the encrypted archive shows its contents")
	}
	if _, err := runCmd("restore", "--from", archive, "--data", filepath.Join(t.TempDir(), "r")); err == nil || !strings.Contains(err.Error(), "encrypted") {
		t.Errorf("restore without --identity: %v", err)
	}
	bad := filepath.Join(t.TempDir(), "bad.age")
	b[len(b)/2] ^= 1
	os.WriteFile(bad, b, 0o600)
	if _, err := runCmd("restore", "--from", bad, "--data", filepath.Join(t.TempDir(), "r"), "--identity", idFile); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Errorf("restore of a damaged encrypted archive: %v", err)
	}
	if out, err := runCmd("restore", "--from", archive, "--data", filepath.Join(t.TempDir(), "r"), "--identity", idFile); err != nil {
		t.Fatalf("restore with the identity: %v\n%s", err, out)
	}
}

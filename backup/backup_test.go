package backup_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/zhengzhao-project/zhengzhao/auditlog"
	"github.com/zhengzhao-project/zhengzhao/backup"
)

func archive(t *testing.T) ([]byte, string) {
	t.Helper()
	skey, vkey, err := auditlog.GenerateLogKey("example.test/log")
	if err != nil {
		t.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "zhengzhao.db"), bytes.Repeat([]byte("database page "), 5000), 0o600)
	os.WriteFile(filepath.Join(dir, "log.key.pub"), []byte(vkey+"\n"), 0o644)
	var buf bytes.Buffer
	if _, err := backup.Write(&buf, dir, []string{"zhengzhao.db", "log.key.pub"}, backup.Manifest{Created: time.Now(), Origin: "example.test/log", AuditSize: 7}, s); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), vkey
}

// TestRoundTrip extracts what Write wrote: same bytes, manifest intact.
func TestRoundTrip(t *testing.T) {
	b, vkey := archive(t)
	dir := t.TempDir()
	m, err := backup.Extract(bytes.NewReader(b), dir, vkey)
	if err != nil {
		t.Fatal(err)
	}
	if m.AuditSize != 7 || len(m.Files) != 2 || m.Format != backup.Format {
		t.Fatalf("manifest %+v", m)
	}
	got, _ := os.ReadFile(filepath.Join(dir, "zhengzhao.db"))
	if !bytes.Equal(got, bytes.Repeat([]byte("database page "), 5000)) {
		t.Fatal("extracted database differs")
	}
}

// TestExtractRefusesDamage flips every 97th byte in turn and cuts the
// archive at several lengths: each is ErrCorrupt, never a success.
func TestExtractRefusesDamage(t *testing.T) {
	good, vkey := archive(t)
	try := func(name string, b []byte) {
		_, err := backup.Extract(bytes.NewReader(b), t.TempDir(), vkey)
		if !errors.Is(err, backup.ErrCorrupt) {
			t.Errorf("%s: %v, want ErrCorrupt", name, err)
		}
	}
	for i := 0; i < len(good); i += 97 {
		b := append([]byte(nil), good...)
		b[i] ^= 0x10
		try("byte "+string(rune('0'+i%10)), b)
	}
	for _, n := range []int{0, 10, len(good) / 3, len(good) - 1} {
		try("truncated", good[:n])
	}
	_, other, _ := auditlog.GenerateLogKey("example.test/log")
	if _, err := backup.Extract(bytes.NewReader(good), t.TempDir(), other); !errors.Is(err, backup.ErrCorrupt) {
		t.Errorf("manifest signed with another key: %v", err)
	}
}

package ledger_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/auditlog"
	"github.com/zhengzhao-project/zhengzhao/ledger"
)

func keys(t *testing.T) (note.Signer, note.Verifier) {
	t.Helper()
	skey, vkey, err := auditlog.GenerateLogKey("example.test/log")
	if err != nil {
		t.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return s, v
}

func checkpoint(t *testing.T, s note.Signer, size int64) *zhengzhao.Checkpoint {
	t.Helper()
	root := make([]byte, 32)
	root[0] = byte(size)
	text, err := auditlog.SignCheckpoint(s, "example.test/log", size, root)
	if err != nil {
		t.Fatal(err)
	}
	return &zhengzhao.Checkpoint{Origin: "example.test/log", Size: size, Root: root, Note: text}
}

// TestPublishAndReadChanges publishes three checkpoints with their
// changes and reads back the changes beyond a restored size, in index
// order, each file's signature verified; the newest checkpoint opens.
func TestPublishAndReadChanges(t *testing.T) {
	dir := t.TempDir()
	s, v := keys(t)
	steps := []struct {
		from, to int64
		changes  []zhengzhao.LostChange
	}{
		{0, 4, []zhengzhao.LostChange{{Index: 1, Action: zhengzhao.ActionLicenseIssue, License: "A", IdempotencyKey: "k1"}}},
		{4, 9, []zhengzhao.LostChange{{Index: 5, Action: zhengzhao.ActionLicenseIssue, License: "B"}, {Index: 8, Action: zhengzhao.ActionLicenseRevoke, License: "A"}}},
		{9, 12, []zhengzhao.LostChange{{Index: 10, Action: zhengzhao.ActionLicenseUpdate, License: "C"}}},
	}
	for _, st := range steps {
		if err := ledger.Publish(dir, s, st.from, st.changes, checkpoint(t, s, st.to)); err != nil {
			t.Fatal(err)
		}
	}
	p, err := ledger.OpenLatest(dir, v)
	if err != nil || p == nil || p.Size != 12 {
		t.Fatalf("latest: %+v, %v", p, err)
	}
	got, err := ledger.Changes(dir, v, 6)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Index != 8 || got[1].License != "C" {
		t.Fatalf("changes from 6: %+v", got)
	}
	cps, err := ledger.Checkpoints(dir)
	if err != nil || len(cps) != 3 {
		t.Fatalf("checkpoints: %d, %v", len(cps), err)
	}
	all, err := ledger.Changes(dir, v, 0)
	if err != nil || len(all) != 4 || all[0].IdempotencyKey != "k1" {
		t.Fatalf("all changes: %+v, %v", all, err)
	}
}

// TestChangesRefusesGapsAndForgeries: a missing changes file, or one whose
// text was changed, makes Changes fail rather than return a partial list.
func TestChangesRefusesGapsAndForgeries(t *testing.T) {
	s, v := keys(t)
	publish := func(dir string) {
		for _, r := range [][2]int64{{0, 4}, {4, 9}} {
			c := []zhengzhao.LostChange{{Index: r[0], Action: zhengzhao.ActionLicenseIssue, License: "L"}}
			if err := ledger.Publish(dir, s, r[0], c, checkpoint(t, s, r[1])); err != nil {
				t.Fatal(err)
			}
		}
	}
	gap := t.TempDir()
	publish(gap)
	if err := os.Remove(filepath.Join(gap, "changes", "00000000000000000000-00000000000000000004")); err != nil {
		t.Fatal(err)
	}
	if _, err := ledger.Changes(gap, v, 2); err == nil || !strings.Contains(err.Error(), "not covered") {
		t.Errorf("a missing changes file: %v", err)
	}
	forged := t.TempDir()
	publish(forged)
	f := filepath.Join(forged, "changes", "00000000000000000004-00000000000000000009")
	b, _ := os.ReadFile(f)
	os.WriteFile(f, []byte(strings.Replace(string(b), `"license":"L"`, `"license":"X"`, 1)), 0o644)
	if _, err := ledger.Changes(forged, v, 0); err == nil {
		t.Error("a changed changes file was accepted")
	}
	_, other := keys(t)
	if _, err := ledger.OpenLatest(forged, other); err == nil {
		t.Error("a checkpoint signed with another key was accepted")
	}
}

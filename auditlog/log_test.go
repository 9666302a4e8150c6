package auditlog_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/auditlog"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

var update = flag.Bool("update", false, "update the golden files in testdata")

// testOrigin is the name of the key in testdata/log.key.
const testOrigin = "audit.zhengzhao.example/test"

// testEntry returns a deterministic entry with the given index.
func testEntry(i int64) *zhengzhao.AuditEntry {
	base := time.Date(2024, 3, 1, 8, 0, 0, 0, time.UTC)
	e := &zhengzhao.AuditEntry{
		Index:  i,
		Time:   base.Add(time.Duration(i) * 1500 * time.Microsecond),
		Actor:  fmt.Sprintf("unit:1100%02d", i%7),
		Action: []string{zhengzhao.ActionLicenseIssue, zhengzhao.ActionLicenseRead, zhengzhao.ActionLicenseRevoke}[i%3],
	}
	if i%5 != 0 {
		e.LicenseBase = fmt.Sprintf("BL-%06d", i/3)
		e.License = e.LicenseBase + "-1"
	}
	if i%4 == 1 {
		e.Details = map[string]string{"reason": fmt.Sprintf("check %d", i), "digest": "sha256:00"}
	}
	return e
}

// memLog is an in-memory Source: the fixture standing in for a store.
// AuditEntries behaves like "WHERE index >= start AND index < end ORDER BY
// index" over entries, which the tests keep sorted.
type memLog struct {
	entries     []*zhengzhao.AuditEntry
	nodes       map[nodeID][]byte
	head        zhengzhao.TreeHead
	checkpoints []*zhengzhao.Checkpoint
}

type nodeID struct {
	level uint8
	index int64
}

var _ auditlog.Source = (*memLog)(nil)

func newMemLog() *memLog { return &memLog{nodes: map[nodeID][]byte{}} }

func (m *memLog) AuditSize() (int64, error) { return int64(len(m.entries)), nil }

func (m *memLog) AuditEntries(start, end int64) ([]*zhengzhao.AuditEntry, error) {
	var out []*zhengzhao.AuditEntry
	for _, e := range m.entries {
		if e.Index >= start && e.Index < end {
			c := *e
			out = append(out, &c)
		}
	}
	return out, nil
}

func (m *memLog) FindTreeNodes(ids []zhengzhao.TreeNode) ([][]byte, error) {
	out := make([][]byte, len(ids))
	for i, id := range ids {
		h, ok := m.nodes[nodeID{id.Level, id.Index}]
		if !ok {
			return nil, zhengzhao.Errorf(zhengzhao.ENOTFOUND, "tree node (%d, %d) not found", id.Level, id.Index)
		}
		out[i] = slices.Clone(h)
	}
	return out, nil
}

func (m *memLog) FindTreeHead() (zhengzhao.TreeHead, error) { return m.head, nil }

func (m *memLog) FindCheckpoints(afterSize int64, limit int) ([]*zhengzhao.Checkpoint, error) {
	var out []*zhengzhao.Checkpoint
	for _, c := range m.checkpoints {
		if c.Size > afterSize && len(out) < limit {
			c := *c
			out = append(out, &c)
		}
	}
	return out, nil
}

// add appends n new entries.
func (m *memLog) add(n int) {
	for range n {
		m.entries = append(m.entries, testEntry(int64(len(m.entries))))
	}
}

// integrate does what the integrator in package library does: it resumes
// the stored tree, extends it over the new entries, stores the nodes and the
// head, and signs a checkpoint (if s is not nil).
func (m *memLog) integrate(s note.Signer) error {
	ids := auditlog.ResumeNodes(m.head.Size)
	var hashes [][]byte
	if len(ids) > 0 {
		var err error
		if hashes, err = m.FindTreeNodes(ids); err != nil {
			return err
		}
	}
	tree, err := auditlog.NewTree(m.head.Size, hashes)
	if err != nil {
		return err
	}
	for _, e := range m.entries[m.head.Size:] {
		nodes, err := tree.Append(auditlog.LeafHash(e))
		if err != nil {
			return err
		}
		for _, n := range nodes {
			m.nodes[nodeID{n.Level, n.Index}] = n.Hash
		}
	}
	root, err := tree.Root()
	if err != nil {
		return err
	}
	m.head = zhengzhao.TreeHead{Size: tree.Size(), Root: root}
	if s == nil {
		return nil
	}
	text, err := auditlog.SignCheckpoint(s, s.Name(), m.head.Size, root)
	if err != nil {
		return err
	}
	m.checkpoints = append(m.checkpoints, &zhengzhao.Checkpoint{
		Origin: s.Name(), Size: m.head.Size, Root: root, Note: text,
		Time: time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC),
	})
	return nil
}

// recompute is the attack someone with write access to the database can
// mount: rebuild the stored tree and tree head over the first size entries
// as they are now.
func (m *memLog) recompute(size int) error {
	m.nodes = map[nodeID][]byte{}
	m.head = zhengzhao.TreeHead{}
	tail := m.entries[size:]
	m.entries = m.entries[:size]
	err := m.integrate(nil)
	m.entries = append(m.entries, tail...)
	return err
}

// buildLog returns a log of n entries, integrated and checkpointed every
// `every` entries, plus tail entries that are not integrated yet.
func buildLog(tb testing.TB, s note.Signer, n, every, tail int) *memLog {
	tb.Helper()
	m := newMemLog()
	for len(m.entries) < n {
		m.add(min(every, n-len(m.entries)))
		if err := m.integrate(s); err != nil {
			tb.Fatal(err)
		}
	}
	m.add(tail)
	return m
}

// testKey returns the signer and verifier of the fixed key in testdata.
func testKey(tb testing.TB) (note.Signer, note.Verifier) {
	tb.Helper()
	skey, err := os.ReadFile(filepath.Join("testdata", "log.key"))
	if err != nil {
		tb.Fatal(err)
	}
	vkey, err := os.ReadFile(filepath.Join("testdata", "log.key.pub"))
	if err != nil {
		tb.Fatal(err)
	}
	s, err := note.NewSigner(strings.TrimSpace(string(skey)))
	if err != nil {
		tb.Fatal(err)
	}
	v, err := note.NewVerifier(strings.TrimSpace(string(vkey)))
	if err != nil {
		tb.Fatal(err)
	}
	return s, v
}

// reference is an independent implementation of the tree: golang.org/x/mod/sumdb/tlog,
// which computes RFC 6962 hashes with its own code.
type reference struct {
	stored []tlog.Hash
	n      int64
}

func newReference(tb testing.TB, entries []*zhengzhao.AuditEntry) *reference {
	tb.Helper()
	r := &reference{}
	for _, e := range entries {
		hs, err := tlog.StoredHashes(r.n, auditlog.LeafData(e), r)
		if err != nil {
			tb.Fatal(err)
		}
		r.stored = append(r.stored, hs...)
		r.n++
	}
	return r
}

func (r *reference) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		out[i] = r.stored[x]
	}
	return out, nil
}

func (r *reference) root(tb testing.TB, size int64) []byte {
	tb.Helper()
	h, err := tlog.TreeHash(size, r)
	if err != nil {
		tb.Fatal(err)
	}
	return h[:]
}

func hashes(hs []tlog.Hash) [][]byte {
	out := make([][]byte, len(hs))
	for i := range hs {
		out[i] = hs[i][:]
	}
	return out
}

// golden compares got with testdata/name, or writes it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs from the golden file:\ngot:\n%s\nwant:\n%s", name, got, want)
	}
}

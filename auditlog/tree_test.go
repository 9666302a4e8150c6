package auditlog_test

import (
	"bytes"
	"math/bits"
	"testing"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/auditlog"
	"golang.org/x/mod/sumdb/tlog"
)

const maxSize = 300

func TestTreeRoot(t *testing.T) {
	m := newMemLog()
	m.add(maxSize)
	ref := newReference(t, m.entries)
	tree, err := auditlog.NewTree(0, nil)
	if err != nil {
		t.Fatal(err)
	}
	var stored []zhengzhao.TreeNode
	for size := int64(0); ; size++ {
		root, err := tree.Root()
		if err != nil {
			t.Fatal(err)
		}
		if want := ref.root(t, size); !bytes.Equal(root, want) {
			t.Fatalf("size %d: got root %x, want %x", size, root, want)
		}
		if tree.Size() != size {
			t.Fatalf("got Size %d, want %d", tree.Size(), size)
		}
		if size == maxSize {
			break
		}
		nodes, err := tree.Append(auditlog.LeafHash(m.entries[size]))
		if err != nil {
			t.Fatal(err)
		}
		if nodes[0].Level != 0 || nodes[0].Index != size {
			t.Fatalf("size %d: first node is (%d, %d), want the leaf", size, nodes[0].Level, nodes[0].Index)
		}
		stored = append(stored, nodes...)
	}

	// Every perfect subtree is returned once, with tlog's hash for it.
	if got, want := len(stored), 2*maxSize-bits.OnesCount(maxSize); got != want {
		t.Errorf("Append returned %d nodes, want %d", got, want)
	}
	for _, n := range stored {
		want := ref.stored[tlog.StoredHashIndex(int(n.Level), n.Index)]
		if !bytes.Equal(n.Hash, want[:]) {
			t.Errorf("node (%d, %d): got %x, want %x", n.Level, n.Index, n.Hash, want)
		}
	}
}

func TestTreeResume(t *testing.T) {
	s, _ := testKey(t)
	m := buildLog(t, s, maxSize, maxSize, 0)
	want := m.head.Root
	for size := int64(0); size <= maxSize; size++ {
		ids := auditlog.ResumeNodes(size)
		if got, want := len(ids), bits.OnesCount64(uint64(size)); got != want {
			t.Fatalf("size %d: ResumeNodes returned %d nodes, want %d", size, got, want)
		}
		hashes, err := m.FindTreeNodes(ids)
		if err != nil {
			t.Fatal(err)
		}
		tree, err := auditlog.NewTree(size, hashes)
		if err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		root, err := tree.Root()
		if err != nil {
			t.Fatal(err)
		}
		if want, _ := auditlog.RootAt(size, m.FindTreeNodes); !bytes.Equal(root, want) {
			t.Fatalf("size %d: got root %x, RootAt says %x", size, root, want)
		}
		for _, e := range m.entries[size:] {
			nodes, err := tree.Append(auditlog.LeafHash(e))
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range nodes {
				if stored := m.nodes[nodeID{n.Level, n.Index}]; !bytes.Equal(n.Hash, stored) {
					t.Fatalf("resumed at %d: node (%d, %d) differs", size, n.Level, n.Index)
				}
			}
		}
		if root, _ := tree.Root(); !bytes.Equal(root, want) {
			t.Fatalf("resumed at %d: got root %x, want %x", size, root, want)
		}
	}
}

func TestRootAt(t *testing.T) {
	m := newMemLog()
	m.add(maxSize)
	must(t, m.integrate(nil))
	ref := newReference(t, m.entries)
	for size := int64(0); size <= maxSize; size++ {
		got, err := auditlog.RootAt(size, m.FindTreeNodes)
		if err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		if want := ref.root(t, size); !bytes.Equal(got, want) {
			t.Fatalf("size %d: got %x, want %x", size, got, want)
		}
	}
	if _, err := auditlog.RootAt(maxSize+1, m.FindTreeNodes); zhengzhao.ErrorCode(err) != zhengzhao.ENOTFOUND {
		t.Errorf("RootAt beyond the stored tree: got %v, want a not_found error", err)
	}
	if _, err := auditlog.RootAt(-1, m.FindTreeNodes); err == nil {
		t.Error("RootAt(-1) succeeded")
	}
}

func TestNewTreeErrors(t *testing.T) {
	h := make([]byte, 32)
	tests := map[string]struct {
		size   int64
		hashes [][]byte
	}{
		"negative":   {-1, nil},
		"too few":    {3, [][]byte{h}},
		"too many":   {4, [][]byte{h, h}},
		"none":       {1, nil},
		"short hash": {1, [][]byte{h[:31]}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := auditlog.NewTree(tt.size, tt.hashes); err == nil {
				t.Error("NewTree succeeded")
			}
		})
	}
	tree, _ := auditlog.NewTree(0, nil)
	if _, err := tree.Append(h[:20]); err == nil {
		t.Error("Append of a 20-byte hash succeeded")
	}
	if tree.Size() != 0 {
		t.Errorf("failed Append grew the tree to %d", tree.Size())
	}
}

func TestTreeDoesNotAlias(t *testing.T) {
	leaf := bytes.Repeat([]byte{1}, 32)
	tree, _ := auditlog.NewTree(0, nil)
	nodes, _ := tree.Append(leaf)
	root, _ := tree.Root()
	leaf[0], nodes[0].Hash[1], root[2] = 9, 9, 9
	got, _ := tree.Root()
	if want := bytes.Repeat([]byte{1}, 32); !bytes.Equal(got, want) {
		t.Errorf("tree changed through returned slices: root %x", got)
	}
}

func BenchmarkAppend(b *testing.B) {
	leaf := auditlog.LeafHash(testEntry(1))
	tree, _ := auditlog.NewTree(0, nil)
	for b.Loop() {
		if _, err := tree.Append(leaf); err != nil {
			b.Fatal(err)
		}
	}
}

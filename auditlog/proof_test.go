package auditlog_test

import (
	"bytes"
	"fmt"
	"slices"
	"testing"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/auditlog"
	"golang.org/x/mod/sumdb/tlog"
)

// samples returns every i in [0, n) for small n, else a spread including
// both ends.
func samples(n int64) []int64 {
	var out []int64
	for i := int64(0); i < n; i++ {
		if n <= 40 || i < 3 || i >= n-3 || i%13 == 0 || i == n/2 {
			out = append(out, i)
		}
	}
	return out
}

// sizes returns the tree sizes to test: all small ones, then a spread
// including those around powers of two.
func sizes() []int64 {
	var out []int64
	for n := int64(1); n <= maxSize; n++ {
		if n <= 70 || n%7 == 0 || (n+1)&n == 0 || n&(n-1) == 0 || (n-1)&(n-2) == 0 || n == maxSize {
			out = append(out, n)
		}
	}
	return out
}

// flipped returns copies of proof with one bit of one hash flipped, each
// hash in turn, plus the proof with a hash missing and one added.
func flipped(proof [][]byte) map[string][][]byte {
	out := map[string][][]byte{}
	for i := range proof {
		p := slices.Clone(proof)
		p[i] = slices.Clone(p[i])
		p[i][i%32] ^= 1
		out[fmt.Sprintf("flip %d", i)] = p
	}
	if len(proof) > 0 {
		out["short"] = proof[:len(proof)-1]
	}
	out["long"] = append(slices.Clone(proof), make([]byte, 32))
	return out
}

func TestInclusionProof(t *testing.T) {
	m := newMemLog()
	m.add(maxSize)
	must(t, m.integrate(nil))
	ref := newReference(t, m.entries)
	for _, size := range sizes() {
		root := ref.root(t, size)
		for _, index := range samples(size) {
			leaf := auditlog.LeafHash(m.entries[index])
			proof, err := auditlog.InclusionProof(index, size, m.FindTreeNodes)
			if err != nil {
				t.Fatalf("InclusionProof(%d, %d): %v", index, size, err)
			}
			want, err := tlog.ProveRecord(size, index, ref)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.EqualFunc(proof, hashes(want), bytes.Equal) {
				t.Fatalf("InclusionProof(%d, %d) differs from tlog's", index, size)
			}
			if err := auditlog.VerifyInclusion(index, size, leaf, proof, root); err != nil {
				t.Fatalf("VerifyInclusion(%d, %d): %v", index, size, err)
			}
			for name, bad := range flipped(proof) {
				if err := auditlog.VerifyInclusion(index, size, leaf, bad, root); err == nil {
					t.Fatalf("VerifyInclusion(%d, %d) accepted a proof with %s", index, size, name)
				}
			}
			other := auditlog.LeafHash(m.entries[(index+1)%maxSize])
			if err := auditlog.VerifyInclusion(index, size, other, proof, root); err == nil {
				t.Fatalf("VerifyInclusion(%d, %d) accepted another leaf", index, size)
			}
			if err := auditlog.VerifyInclusion(index, size, leaf, proof, ref.root(t, size-1)); err == nil && size > 1 {
				t.Fatalf("VerifyInclusion(%d, %d) accepted another root", index, size)
			}
		}
	}
}

func TestConsistencyProof(t *testing.T) {
	m := newMemLog()
	m.add(maxSize)
	must(t, m.integrate(nil))
	ref := newReference(t, m.entries)
	for _, size2 := range sizes() {
		root2 := ref.root(t, size2)
		for _, size1 := range append(samples(size2), size2) {
			root1 := ref.root(t, size1)
			proof, err := auditlog.ConsistencyProof(size1, size2, m.FindTreeNodes)
			if err != nil {
				t.Fatalf("ConsistencyProof(%d, %d): %v", size1, size2, err)
			}
			if size1 > 0 {
				want, err := tlog.ProveTree(size2, size1, ref)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.EqualFunc(proof, hashes(want), bytes.Equal) {
					t.Fatalf("ConsistencyProof(%d, %d) differs from tlog's", size1, size2)
				}
			} else if len(proof) != 0 {
				t.Fatalf("ConsistencyProof(0, %d) is not empty", size2)
			}
			if err := auditlog.VerifyConsistency(size1, size2, proof, root1, root2); err != nil {
				t.Fatalf("VerifyConsistency(%d, %d): %v", size1, size2, err)
			}
			if size1 == 0 {
				continue // Every tree extends the empty tree.
			}
			for name, bad := range flipped(proof) {
				if err := auditlog.VerifyConsistency(size1, size2, bad, root1, root2); err == nil {
					t.Fatalf("VerifyConsistency(%d, %d) accepted a proof with %s", size1, size2, name)
				}
			}
			if err := auditlog.VerifyConsistency(size1, size2, proof, ref.root(t, size1-1), root2); err == nil {
				t.Fatalf("VerifyConsistency(%d, %d) accepted another root1", size1, size2)
			}
		}
	}
}

func TestProofErrors(t *testing.T) {
	m := newMemLog()
	m.add(10)
	must(t, m.integrate(nil))
	short := func(ids []zhengzhao.TreeNode) ([][]byte, error) {
		h, err := m.FindTreeNodes(ids)
		return h[1:], err
	}
	truncated := func(ids []zhengzhao.TreeNode) ([][]byte, error) {
		h, err := m.FindTreeNodes(ids)
		h[0] = h[0][:16]
		return h, err
	}
	tests := map[string]func() error{
		"inclusion/index=size": func() error { _, err := auditlog.InclusionProof(10, 10, m.FindTreeNodes); return err },
		"inclusion/negative":   func() error { _, err := auditlog.InclusionProof(-1, 10, m.FindTreeNodes); return err },
		"inclusion/beyond":     func() error { _, err := auditlog.InclusionProof(3, 11, m.FindTreeNodes); return err },
		"inclusion/short":      func() error { _, err := auditlog.InclusionProof(3, 10, short); return err },
		"inclusion/truncated":  func() error { _, err := auditlog.InclusionProof(3, 10, truncated); return err },
		"consistency/order":    func() error { _, err := auditlog.ConsistencyProof(5, 4, m.FindTreeNodes); return err },
		"consistency/negative": func() error { _, err := auditlog.ConsistencyProof(-1, 4, m.FindTreeNodes); return err },
		"consistency/beyond":   func() error { _, err := auditlog.ConsistencyProof(3, 12, m.FindTreeNodes); return err },
		"verify/inclusion": func() error {
			return auditlog.VerifyInclusion(10, 10, m.head.Root, nil, m.head.Root)
		},
		"verify/consistency": func() error {
			return auditlog.VerifyConsistency(5, 4, nil, m.head.Root, m.head.Root)
		},
	}
	for name, f := range tests {
		t.Run(name, func(t *testing.T) {
			if err := f(); err == nil {
				t.Error("succeeded")
			}
		})
	}
	if _, err := auditlog.InclusionProof(3, 11, m.FindTreeNodes); zhengzhao.ErrorCode(err) != zhengzhao.ENOTFOUND {
		t.Errorf("proof beyond the stored tree: got %v, want the fetcher's not_found error", err)
	}
}

func BenchmarkInclusionProof(b *testing.B) {
	m := newMemLog()
	m.add(1 << 12)
	must(b, m.integrate(nil))
	size := int64(len(m.entries)) - 1 // not a perfect tree, so an ephemeral node is rehashed
	index := int64(0)
	for b.Loop() {
		if _, err := auditlog.InclusionProof(index, size, m.FindTreeNodes); err != nil {
			b.Fatal(err)
		}
		index = (index + 1) % size
	}
}

package auditlog

import (
	"fmt"

	"github.com/transparency-dev/merkle/proof"
	"github.com/zhengzhao-project/zhengzhao"
)

// NodeFetcher returns the hashes of stored tree nodes, in the order asked
// for. zhengzhao.ReadTx.FindTreeNodes satisfies it.
type NodeFetcher func(ids []zhengzhao.TreeNode) ([][]byte, error)

// InclusionProof returns the RFC 6962 inclusion proof (audit path) of the
// leaf at index in the tree of the given size, which must not exceed the
// integrated size. The hashes of the proof's ephemeral node, the one right
// subtree that is not yet perfect in a tree of that size, are recomputed
// from the stored nodes below it.
func InclusionProof(index, size int64, fetch NodeFetcher) ([][]byte, error) {
	if index < 0 || index >= size {
		return nil, fmt.Errorf("inclusion proof: index %d out of range for tree size %d", index, size)
	}
	nodes, err := proof.Inclusion(uint64(index), uint64(size))
	if err != nil {
		return nil, fmt.Errorf("inclusion proof of %d in %d: %w", index, size, err)
	}
	p, err := rehash(nodes, fetch)
	if err != nil {
		return nil, fmt.Errorf("inclusion proof of %d in %d: %w", index, size, err)
	}
	return p, nil
}

// ConsistencyProof returns the RFC 6962 consistency proof between the trees
// of size1 and size2 leaves, 0 ≤ size1 ≤ size2 ≤ integrated size. It is empty
// when size1 is 0 or equal to size2.
func ConsistencyProof(size1, size2 int64, fetch NodeFetcher) ([][]byte, error) {
	if size1 < 0 || size2 < size1 {
		return nil, fmt.Errorf("consistency proof: invalid sizes %d and %d", size1, size2)
	}
	nodes, err := proof.Consistency(uint64(size1), uint64(size2))
	if err != nil {
		return nil, fmt.Errorf("consistency proof from %d to %d: %w", size1, size2, err)
	}
	p, err := rehash(nodes, fetch)
	if err != nil {
		return nil, fmt.Errorf("consistency proof from %d to %d: %w", size1, size2, err)
	}
	return p, nil
}

// rehash fetches the nodes of a proof and folds the ephemeral node's
// children into it.
func rehash(nodes proof.Nodes, fetch NodeFetcher) ([][]byte, error) {
	if len(nodes.IDs) == 0 {
		return [][]byte{}, nil
	}
	hashes, err := fetchHashes(treeNodes(nodes.IDs), fetch)
	if err != nil {
		return nil, err
	}
	return nodes.Rehash(hashes, hasher.HashChildren)
}

// RootAt returns the root hash of the tree of the given size, which must not
// exceed the integrated size, from the stored nodes of its compact range.
func RootAt(size int64, fetch NodeFetcher) ([]byte, error) {
	if size < 0 {
		return nil, fmt.Errorf("root at negative size %d", size)
	}
	var hashes [][]byte
	if ids := ResumeNodes(size); len(ids) > 0 {
		var err error
		if hashes, err = fetchHashes(ids, fetch); err != nil {
			return nil, fmt.Errorf("root at size %d: %w", size, err)
		}
	}
	t, err := NewTree(size, hashes)
	if err != nil {
		return nil, err
	}
	return t.Root()
}

// fetchHashes calls fetch and checks that it kept its side of the bargain.
func fetchHashes(ids []zhengzhao.TreeNode, fetch NodeFetcher) ([][]byte, error) {
	hashes, err := fetch(ids)
	if err != nil {
		return nil, fmt.Errorf("fetch %d tree nodes: %w", len(ids), err)
	}
	if len(hashes) != len(ids) {
		return nil, fmt.Errorf("fetch %d tree nodes: got %d hashes", len(ids), len(hashes))
	}
	out := make([][]byte, len(hashes))
	for i, h := range hashes {
		if len(h) != hashSize {
			return nil, fmt.Errorf("tree node (%d, %d) has %d bytes, want %d", ids[i].Level, ids[i].Index, len(h), hashSize)
		}
		out[i] = h
	}
	return out, nil
}

// VerifyInclusion checks that leafHash is the leaf at index of the tree of
// the given size and root hash, using an RFC 6962 inclusion proof.
func VerifyInclusion(index, size int64, leafHash []byte, proofHashes [][]byte, root []byte) error {
	if index < 0 || index >= size {
		return fmt.Errorf("verify inclusion: index %d out of range for tree size %d", index, size)
	}
	if err := proof.VerifyInclusion(hasher, uint64(index), uint64(size), leafHash, proofHashes, root); err != nil {
		return fmt.Errorf("verify inclusion of %d in %d: %w", index, size, err)
	}
	return nil
}

// VerifyConsistency checks that the tree of size2 leaves and root2 extends
// the tree of size1 leaves and root1, using an RFC 6962 consistency proof.
func VerifyConsistency(size1, size2 int64, proofHashes [][]byte, root1, root2 []byte) error {
	if size1 < 0 || size2 < size1 {
		return fmt.Errorf("verify consistency: invalid sizes %d and %d", size1, size2)
	}
	if err := proof.VerifyConsistency(hasher, uint64(size1), uint64(size2), proofHashes, root1, root2); err != nil {
		return fmt.Errorf("verify consistency from %d to %d: %w", size1, size2, err)
	}
	return nil
}

package auditlog

import (
	"fmt"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/zhengzhao-project/zhengzhao"
)

// hashSize is the size of every hash in the tree (SHA-256).
const hashSize = 32

var (
	hasher  = rfc6962.DefaultHasher
	factory = &compact.RangeFactory{Hash: hasher.HashChildren}
)

// Tree extends the audit log's Merkle tree one leaf at a time. It holds only
// the compact range [0, Size), at most one hash per level, so resuming it
// costs a handful of stored nodes. A Tree is not safe for concurrent use.
type Tree struct {
	r *compact.Range
}

// ResumeNodes lists the nodes needed to resume a tree of the given size: the
// perfect subtrees of the compact range [0, size), largest first. Level and
// Index are set and Hash is nil. It returns nil for size 0 or less.
func ResumeNodes(size int64) []zhengzhao.TreeNode {
	if size <= 0 {
		return nil
	}
	return treeNodes(compact.RangeNodes(0, uint64(size), nil))
}

// NewTree resumes a tree of size leaves from the hashes of ResumeNodes(size),
// in that order; hashes is empty for size 0.
func NewTree(size int64, hashes [][]byte) (*Tree, error) {
	if size < 0 {
		return nil, fmt.Errorf("negative tree size %d", size)
	}
	if want := compact.RangeSize(0, uint64(size)); len(hashes) != want {
		return nil, fmt.Errorf("resume tree of size %d: got %d hashes, want %d", size, len(hashes), want)
	}
	hs := make([][]byte, len(hashes))
	for i, h := range hashes {
		if len(h) != hashSize {
			return nil, fmt.Errorf("resume tree of size %d: hash %d has %d bytes, want %d", size, i, len(h), hashSize)
		}
		hs[i] = clone(h)
	}
	r, err := factory.NewRange(0, uint64(size), hs)
	if err != nil {
		return nil, fmt.Errorf("resume tree of size %d: %w", size, err)
	}
	return &Tree{r: r}, nil
}

// Append adds a leaf hash to the tree and returns every node completed by
// it, to be stored: the leaf itself at level 0 first, then its ancestors
// that became perfect subtrees, from lower to higher levels.
func (t *Tree) Append(leafHash []byte) ([]zhengzhao.TreeNode, error) {
	if len(leafHash) != hashSize {
		return nil, fmt.Errorf("append leaf %d: hash has %d bytes, want %d", t.Size(), len(leafHash), hashSize)
	}
	var nodes []zhengzhao.TreeNode
	visit := func(id compact.NodeID, hash []byte) {
		// The range keeps some of these hashes; the caller owns the copies.
		nodes = append(nodes, zhengzhao.TreeNode{Level: uint8(id.Level), Index: int64(id.Index), Hash: clone(hash)})
	}
	if err := t.r.Append(clone(leafHash), visit); err != nil {
		return nil, fmt.Errorf("append leaf %d: %w", t.Size(), err)
	}
	return nodes, nil
}

// Size returns the number of leaves in the tree.
func (t *Tree) Size() int64 { return int64(t.r.End()) }

// Root returns the RFC 6962 root hash of the tree: the hash of the empty
// string for size 0.
func (t *Tree) Root() ([]byte, error) {
	if t.r.End() == 0 {
		return hasher.EmptyRoot(), nil
	}
	root, err := t.r.GetRootHash(nil)
	if err != nil {
		return nil, fmt.Errorf("root of tree of size %d: %w", t.Size(), err)
	}
	// For a perfect tree root is the range's own hash; do not hand it out.
	return clone(root), nil
}

// treeNodes converts node IDs to TreeNodes with nil hashes.
func treeNodes(ids []compact.NodeID) []zhengzhao.TreeNode {
	nodes := make([]zhengzhao.TreeNode, len(ids))
	for i, id := range ids {
		nodes[i] = zhengzhao.TreeNode{Level: uint8(id.Level), Index: int64(id.Index)}
	}
	return nodes
}

func clone(b []byte) []byte { return append([]byte(nil), b...) }

package auditlog

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/zhengzhao-project/zhengzhao"
	"golang.org/x/mod/sumdb/note"
)

// Problem kinds reported by Check.
const (
	// KindChanged: an entry no longer matches its stored leaf hash.
	KindChanged = "changed"
	// KindMissing: entries are missing, from the middle of the log or from
	// its end (then a checkpoint or the tree head still covers them).
	KindMissing = "missing"
	// KindInserted: an entry repeats an index or is out of order.
	KindInserted = "inserted"
	// KindCheckpoint: a checkpoint does not verify, disagrees with its stored
	// fields, or does not match the entries although every entry matched its
	// stored leaf hash: the entries and the stored tree were changed together.
	KindCheckpoint = "checkpoint"
	// KindTree: the stored tree nodes or tree head do not match the entries,
	// or stored nodes are missing.
	KindTree = "tree"
)

const (
	entryBatch      = 10000 // entries per AuditEntries call
	nodeBatch       = 1000  // nodes per FindTreeNodes call, well below SQL parameter limits
	checkpointBatch = 100   // checkpoints per FindCheckpoints call
	maxProblems     = 20
)

// Source is what Check reads. zhengzhao.ReadTx satisfies it.
type Source interface {
	AuditSize() (int64, error)
	AuditEntries(start, end int64) ([]*zhengzhao.AuditEntry, error)
	FindTreeNodes(ids []zhengzhao.TreeNode) ([][]byte, error)
	FindTreeHead() (zhengzhao.TreeHead, error)
	FindCheckpoints(afterSize int64, limit int) ([]*zhengzhao.Checkpoint, error)
}

// Problem is one inconsistency found by Check.
type Problem struct {
	// Index is the lowest index of the entries the problem concerns, or -1
	// when it concerns none (a checkpoint that does not verify, a wrong tree
	// head root).
	Index int64
	// Kind is one of the Kind constants.
	Kind string
	// Message says what is wrong, for people.
	Message string
}

// Report is the outcome of Check.
type Report struct {
	// Entries is the number of entries read.
	Entries int64
	// Checkpoints is the number of checkpoints read.
	Checkpoints int
	// TreeSize is the size of the stored tree head.
	TreeSize int64
	// Problems lists at most 20 problems, by Index (lowest first).
	Problems []Problem
}

// OK reports whether Check found no problem.
func (r *Report) OK() bool { return len(r.Problems) == 0 }

// Check is the auditor's fsck. It reads every entry, recomputes the leaf
// hashes and the tree, and compares them with the stored tree nodes, the
// tree head and every checkpoint, whose signatures it verifies with v. It
// should read one consistent snapshot: call it inside one read transaction.
//
// A problem with an entry explains every mismatch of the roots of larger
// trees, so those are not reported again. In particular a checkpoint whose
// root differs from the recomputed one is reported only when the entries it
// covers all matched their stored leaf hashes: then the entries and the
// stored tree were changed together, and only the signature still tells.
// Deleting the newest entries shows as "missing" once a checkpoint or the
// tree head covers them; entries covered by neither can be changed or
// deleted without trace, which is why checkpoints should be signed promptly
// and published.
//
// Check returns an error only when src fails; a missing stored tree node is
// a problem, not an error.
func Check(src Source, v note.Verifier) (*Report, error) {
	return check(src, v, entryBatch)
}

func check(src Source, v note.Verifier, batch int64) (*Report, error) {
	head, err := src.FindTreeHead()
	if err != nil {
		return nil, fmt.Errorf("check audit log: find tree head: %w", err)
	}
	n, err := src.AuditSize()
	if err != nil {
		return nil, fmt.Errorf("check audit log: audit size: %w", err)
	}
	tree, err := NewTree(0, nil)
	if err != nil {
		return nil, err
	}
	c := &checker{
		v:           v,
		head:        head,
		tree:        tree,
		bad:         -1,
		lastBadLeaf: -1,
		cps:         checkpoints{src: src, after: -1},
		src:         src,
	}
	c.r.TreeSize = head.Size
	if err := c.run(n, batch); err != nil {
		return nil, fmt.Errorf("check audit log: %w", err)
	}
	return &c.r, nil
}

// checker holds the state of one Check.
type checker struct {
	src  Source
	v    note.Verifier
	r    Report
	head zhengzhao.TreeHead
	cps  checkpoints

	// tree is the tree recomputed from the entries; nil once their sequence
	// breaks, since no later root can match.
	tree *Tree
	// next is the index expected next.
	next int64
	// bad is the lowest index of an entry found wrong, or -1. Roots of
	// trees larger than bad cannot match and are not compared.
	bad int64
	// lastBadLeaf is the highest index of an entry found wrong, or -1.
	// Stored nodes above it cannot match and are not compared.
	lastBadLeaf int64
	// proven is the largest size at which a checkpoint matched the entries.
	proven int64
	// endMissing is set once entries missing at the end were reported.
	endMissing bool
	// beyondHead is set once a checkpoint beyond the tree head was reported.
	beyondHead bool

	// Work for the current batch of entries.
	nodes  []zhengzhao.TreeNode // recomputed nodes to compare with stored ones
	checks []rootCheck          // roots to compare with checkpoints or the head
}

// rootCheck is a root of the recomputed tree to compare with a checkpoint's
// root or, if cp is nil, with the tree head's.
type rootCheck struct {
	size int64
	got  []byte
	want []byte
	cp   *zhengzhao.Checkpoint
}

func (c *checker) run(n, batch int64) error {
	for start := int64(0); ; start += batch {
		end := start + batch
		entries, err := c.src.AuditEntries(start, end)
		if err != nil {
			return fmt.Errorf("read entries [%d, %d): %w", start, end, err)
		}
		for _, e := range entries {
			if err := c.entry(e); err != nil {
				return err
			}
		}
		// Read up to the tree head too, and on while entries keep coming, in
		// case the size is a count that a gap has made smaller than the last
		// index.
		last := end >= max(n, c.head.Size) && (len(entries) == 0 || c.next < end)
		if last && c.tree != nil {
			if err := c.collect(); err != nil {
				return err
			}
		}
		if err := c.flush(); err != nil {
			return err
		}
		if last {
			break
		}
	}
	return c.finish()
}

// entry checks the sequence of indexes and extends the recomputed tree.
func (c *checker) entry(e *zhengzhao.AuditEntry) error {
	c.r.Entries++
	switch {
	case e.Index < c.next:
		c.problem(e.Index, KindInserted, "entry %d appears again or out of order before entry %d", e.Index, c.next)
		c.markBad(e.Index)
		return nil
	case e.Index > c.next:
		c.problem(c.next, KindMissing, "%s missing", span(c.next, e.Index))
		if c.tree != nil {
			// Checkpoints up to the gap can still be compared.
			if err := c.collect(); err != nil {
				return err
			}
			c.tree = nil
		}
		c.markBad(c.next)
	}
	c.next = e.Index + 1
	leaf := LeafHash(e)
	if c.tree == nil {
		if e.Index < c.head.Size {
			c.nodes = append(c.nodes, zhengzhao.TreeNode{Level: 0, Index: e.Index, Hash: leaf})
		}
		return nil
	}
	if err := c.collect(); err != nil {
		return err
	}
	nodes, err := c.tree.Append(leaf)
	if err != nil {
		return err
	}
	if e.Index < c.head.Size {
		c.nodes = append(c.nodes, nodes...)
	}
	return nil
}

// collect queues the comparisons due at the current size of the recomputed
// tree: with the tree head and with every checkpoint of that size.
func (c *checker) collect() error {
	size := c.tree.Size()
	var root []byte
	rootAt := func() ([]byte, error) {
		if root != nil {
			return root, nil
		}
		var err error
		root, err = c.tree.Root()
		return root, err
	}
	if size == c.head.Size && size > 0 {
		got, err := rootAt()
		if err != nil {
			return err
		}
		c.checks = append(c.checks, rootCheck{size: size, got: got, want: c.head.Root})
	}
	for {
		cp, err := c.cps.peek()
		if err != nil || cp == nil || cp.Size > size {
			return err
		}
		c.cps.pop()
		want, ok := c.open(cp)
		if !ok || cp.Size < size { // cp.Size < size only if the source mis-orders them.
			continue
		}
		if size > c.head.Size && !c.beyondHead {
			c.beyondHead = true
			c.problem(c.head.Size, KindTree, "checkpoint of size %d is beyond the tree head of size %d", size, c.head.Size)
		}
		got, err := rootAt()
		if err != nil {
			return err
		}
		c.checks = append(c.checks, rootCheck{size: size, got: got, want: want, cp: cp})
	}
}

// open verifies a checkpoint's note and that it matches the stored fields,
// and returns the signed root.
func (c *checker) open(cp *zhengzhao.Checkpoint) ([]byte, bool) {
	c.r.Checkpoints++
	origin, size, root, err := OpenCheckpoint(cp.Note, c.v)
	if err != nil {
		c.problem(-1, KindCheckpoint, "checkpoint of size %d: %s", cp.Size, err)
		return nil, false
	}
	if origin != cp.Origin || size != cp.Size || !bytes.Equal(root, cp.Root) {
		c.problem(-1, KindCheckpoint, "checkpoint of size %d: stored origin, size or root differ from its signed note (%q, %d, %x)", cp.Size, origin, size, root)
		return nil, false
	}
	return root, true
}

// flush compares the recomputed nodes with the stored ones, then the
// queued roots.
func (c *checker) flush() error {
	for len(c.nodes) > 0 {
		chunk := c.nodes[:min(nodeBatch, len(c.nodes))]
		c.nodes = c.nodes[len(chunk):]
		if err := c.compareNodes(chunk); err != nil {
			return err
		}
	}
	c.nodes = nil
	for _, rc := range c.checks {
		c.compareRoot(rc)
	}
	c.checks = nil
	return nil
}

func (c *checker) compareNodes(nodes []zhengzhao.TreeNode) error {
	stored, err := c.findNodes(nodes)
	if zhengzhao.ErrorCode(err) == zhengzhao.ENOTFOUND && len(nodes) > 1 {
		// Find out which ones are missing, one at a time.
		for i := range nodes {
			if err := c.compareNodes(nodes[i : i+1]); err != nil {
				return err
			}
		}
		return nil
	}
	if zhengzhao.ErrorCode(err) == zhengzhao.ENOTFOUND {
		nd := nodes[0]
		begin, end := coverage(nd)
		c.problem(begin, KindTree, "stored tree node (%d, %d) over entries [%d, %d) is missing", nd.Level, nd.Index, begin, end)
		return nil
	}
	if err != nil {
		return err
	}
	for i, nd := range nodes {
		if bytes.Equal(stored[i], nd.Hash) {
			continue
		}
		if nd.Level == 0 {
			c.problem(nd.Index, KindChanged, "entry %d does not match its stored leaf hash", nd.Index)
			c.markBad(nd.Index)
			c.lastBadLeaf = max(c.lastBadLeaf, nd.Index)
			continue
		}
		if begin, end := coverage(nd); c.lastBadLeaf < begin {
			c.problem(begin, KindTree, "stored tree node (%d, %d) over entries [%d, %d) does not match them", nd.Level, nd.Index, begin, end)
		}
	}
	return nil
}

// findNodes fetches the stored hashes of nodes.
func (c *checker) findNodes(nodes []zhengzhao.TreeNode) ([][]byte, error) {
	ids := make([]zhengzhao.TreeNode, len(nodes))
	for i, nd := range nodes {
		ids[i] = zhengzhao.TreeNode{Level: nd.Level, Index: nd.Index}
	}
	stored, err := c.src.FindTreeNodes(ids)
	if err != nil {
		return nil, fmt.Errorf("find %d tree nodes: %w", len(ids), err)
	}
	if len(stored) != len(ids) {
		return nil, fmt.Errorf("find %d tree nodes: got %d hashes", len(ids), len(stored))
	}
	return stored, nil
}

func (c *checker) compareRoot(rc rootCheck) {
	if c.bad >= 0 && c.bad < rc.size {
		return // Already explained by a problem with an entry.
	}
	if bytes.Equal(rc.got, rc.want) {
		if rc.cp != nil {
			c.proven = max(c.proven, rc.size)
		}
		return
	}
	if rc.cp == nil {
		c.problem(-1, KindTree, "tree head root %x for size %d does not match the entries (%x)", rc.want, rc.size, rc.got)
		return
	}
	c.problem(c.proven, KindCheckpoint, "checkpoint of size %d does not match the entries, although they match the stored tree: entries in [%d, %d) differ from what was signed", rc.size, c.proven, rc.size)
	c.markBad(c.proven)
}

// finish reads the checkpoints beyond the recomputed tree and compares the
// sizes of the checkpoints and the tree head with the number of entries.
func (c *checker) finish() error {
	for {
		cp, err := c.cps.peek()
		if err != nil {
			return err
		}
		if cp == nil {
			break
		}
		c.cps.pop()
		if _, ok := c.open(cp); ok && cp.Size > c.next {
			c.missingEnd("checkpoint", cp.Size)
		}
	}
	if c.head.Size > c.next {
		c.missingEnd("tree head", c.head.Size)
	}
	return nil
}

func (c *checker) missingEnd(what string, size int64) {
	if c.endMissing {
		return
	}
	c.endMissing = true
	c.problem(c.next, KindMissing, "the %s of size %d covers entries up to %d, but %s missing", what, size, size-1, span(c.next, size))
	c.markBad(c.next)
}

func (c *checker) markBad(index int64) {
	if c.bad < 0 || index < c.bad {
		c.bad = index
	}
}

// problem records a problem, keeping the lowest maxProblems by index.
func (c *checker) problem(index int64, kind, format string, args ...any) {
	p := Problem{Index: index, Kind: kind, Message: fmt.Sprintf(format, args...)}
	i, _ := slices.BinarySearchFunc(c.r.Problems, p, func(a, b Problem) int {
		if a.Index <= b.Index {
			return -1 // After problems with the same index.
		}
		return 1
	})
	if i >= maxProblems {
		return
	}
	c.r.Problems = slices.Insert(c.r.Problems, i, p)
	if len(c.r.Problems) > maxProblems {
		c.r.Problems = c.r.Problems[:maxProblems]
	}
}

// span names the entries [begin, end) for a message.
func span(begin, end int64) string {
	if end == begin+1 {
		return fmt.Sprintf("entry %d is", begin)
	}
	return fmt.Sprintf("entries [%d, %d) are", begin, end)
}

// coverage returns the entries [begin, end) under a node.
func coverage(nd zhengzhao.TreeNode) (begin, end int64) {
	return nd.Index << nd.Level, (nd.Index + 1) << nd.Level
}

// checkpoints reads checkpoints in order of size, a page at a time.
type checkpoints struct {
	src   Source
	after int64
	page  []*zhengzhao.Checkpoint
	done  bool
}

// peek returns the next checkpoint, or nil after the last.
func (c *checkpoints) peek() (*zhengzhao.Checkpoint, error) {
	for len(c.page) == 0 && !c.done {
		page, err := c.src.FindCheckpoints(c.after, checkpointBatch)
		if err != nil {
			return nil, fmt.Errorf("find checkpoints after size %d: %w", c.after, err)
		}
		page = slices.DeleteFunc(page, func(cp *zhengzhao.Checkpoint) bool { return cp == nil })
		if len(page) == 0 || page[len(page)-1].Size <= c.after {
			c.done = true
			break
		}
		c.page, c.after = page, page[len(page)-1].Size
	}
	if len(c.page) == 0 {
		return nil, nil
	}
	return c.page[0], nil
}

func (c *checkpoints) pop() { c.page = c.page[1:] }

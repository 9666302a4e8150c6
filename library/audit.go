// Measures art. 26 (日志记录): the tamper-evident audit log — entries, Merkle tree, signed
// checkpoints, inclusion and consistency proofs.

package library

import (
	"context"
	"fmt"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/auditlog"
)

// integrateBatch bounds how many entries one transaction integrates, so
// that integration never holds the writer for long.
const integrateBatch = 1024

// integrate extends the stored Merkle tree over every audit entry, in
// batches, and returns the new head.
func (l *core) integrate(ctx context.Context) (zhengzhao.TreeHead, error) {
	l.integrateMu.Lock()
	defer l.integrateMu.Unlock()
	for {
		var (
			head zhengzhao.TreeHead
			more bool
		)
		err := l.store.UpdateAlone(ctx, func(tx zhengzhao.Tx) (err error) {
			head, more, err = integrateTx(tx)
			return err
		})
		if err != nil {
			return head, fmt.Errorf("integrate audit log: %w", err)
		}
		if !more {
			return head, nil
		}
	}
}

// integrateTx integrates up to integrateBatch entries in tx and reports
// whether more remain.
func integrateTx(tx zhengzhao.Tx) (zhengzhao.TreeHead, bool, error) {
	head, err := tx.FindTreeHead() // locks the head until commit
	if err != nil {
		return head, false, err
	}
	entries, err := tx.AuditEntries(head.Size, head.Size+integrateBatch)
	if err != nil || len(entries) == 0 {
		return head, false, err
	}
	hashes, err := tx.FindTreeNodes(auditlog.ResumeNodes(head.Size))
	if err != nil {
		return head, false, err
	}
	tree, err := auditlog.NewTree(head.Size, hashes)
	if err != nil {
		return head, false, err
	}
	var nodes []zhengzhao.TreeNode
	for i, e := range entries {
		if e.Index != head.Size+int64(i) {
			return head, false, fmt.Errorf("audit entry %d is missing", head.Size+int64(i))
		}
		ns, err := tree.Append(auditlog.LeafHash(e))
		if err != nil {
			return head, false, err
		}
		nodes = append(nodes, ns...)
	}
	if err := tx.PutTreeNodes(nodes); err != nil {
		return head, false, err
	}
	root, err := tree.Root()
	if err != nil {
		return head, false, err
	}
	head = zhengzhao.TreeHead{Size: tree.Size(), Root: root}
	if err := tx.SetTreeHead(head); err != nil {
		return head, false, err
	}
	return head, len(entries) == integrateBatch, nil
}

// SignCheckpoint integrates every entry and signs a checkpoint of the
// tree, unless the latest checkpoint already covers it.
func (l *Audit) SignCheckpoint(ctx context.Context) (*zhengzhao.Checkpoint, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	return l.checkpoint(ctx)
}

func (l *core) checkpoint(ctx context.Context) (*zhengzhao.Checkpoint, error) {
	if _, err := l.integrate(ctx); err != nil {
		return nil, err
	}
	l.integrateMu.Lock()
	defer l.integrateMu.Unlock()
	var cp *zhengzhao.Checkpoint
	err := l.store.UpdateAlone(ctx, func(tx zhengzhao.Tx) error {
		cp = nil
		// Integrate what arrived meanwhile, under the same head lock as the
		// signature, so a checkpoint always matches the stored tree.
		head, _, err := integrateTx(tx)
		if err != nil {
			return err
		}
		latest, err := tx.LatestCheckpoint()
		switch {
		case err == nil && latest.Size >= head.Size:
			cp = latest
			return nil
		case err != nil && zhengzhao.ErrorCode(err) != zhengzhao.ENOTFOUND:
			return err
		}
		root := head.Root
		if head.Size == 0 {
			if root, err = auditlog.RootAt(0, tx.FindTreeNodes); err != nil {
				return err
			}
		}
		text, err := auditlog.SignCheckpoint(l.logSig, l.origin, head.Size, root)
		if err != nil {
			return err
		}
		cp = &zhengzhao.Checkpoint{Origin: l.origin, Size: head.Size, Root: root, Note: text, Time: tx.Now()}
		return tx.CreateCheckpoint(cp)
	})
	if err != nil {
		return nil, fmt.Errorf("sign checkpoint: %w", err)
	}
	return cp, nil
}

// RunCheckpointer signs a checkpoint every interval until ctx ends.
func (l *Audit) RunCheckpointer(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := l.checkpoint(ctx); err != nil && ctx.Err() == nil {
			l.log.ErrorContext(ctx, "sign checkpoint", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// LatestCheckpoint returns the newest signed checkpoint.
func (l *Audit) LatestCheckpoint(ctx context.Context) (*zhengzhao.Checkpoint, error) {
	var cp *zhengzhao.Checkpoint
	err := l.store.View(ctx, func(tx zhengzhao.ReadTx) (err error) {
		cp, err = tx.LatestCheckpoint()
		return err
	})
	return cp, err
}

// FindAuditEntries lists audit entries for the administrator.
func (l *Audit) FindAuditEntries(ctx context.Context, f zhengzhao.AuditFilter) ([]*zhengzhao.AuditEntry, int, string, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, 0, "", err
	}
	f.Page = f.Page.Normalize()
	var (
		es   []*zhengzhao.AuditEntry
		n    int
		next string
	)
	err := l.store.View(ctx, func(tx zhengzhao.ReadTx) (err error) {
		es, n, next, err = tx.FindAuditEntries(f)
		return err
	})
	return es, n, next, err
}

// InclusionProof proves entry index in the tree of size leaves.
func (l *Audit) InclusionProof(ctx context.Context, index, size int64) (*zhengzhao.InclusionProof, error) {
	var p *zhengzhao.InclusionProof
	err := l.store.View(ctx, func(tx zhengzhao.ReadTx) error {
		head, err := tx.FindTreeHead()
		if err != nil {
			return err
		}
		var fe []zhengzhao.FieldError
		if size < 1 || size > head.Size {
			fe = append(fe, zhengzhao.FieldError{Field: "size", Message: fmt.Sprintf("must be between 1 and the integrated tree size %d", head.Size)})
		}
		if index < 0 || index >= size {
			fe = append(fe, zhengzhao.FieldError{Field: "index", Message: "must be at least 0 and less than size"})
		}
		if err := zhengzhao.Invalid("invalid proof request", fe); err != nil {
			return err
		}
		hashes, err := auditlog.InclusionProof(index, size, tx.FindTreeNodes)
		if err != nil {
			return err
		}
		leaf, err := tx.FindTreeNodes([]zhengzhao.TreeNode{{Level: 0, Index: index}})
		if err != nil {
			return err
		}
		root, err := auditlog.RootAt(size, tx.FindTreeNodes)
		if err != nil {
			return err
		}
		p = &zhengzhao.InclusionProof{Index: index, Size: size, LeafHash: leaf[0], Hashes: hashes, Root: root}
		return nil
	})
	return p, err
}

// ConsistencyProof proves that the tree of size2 extends that of size1.
func (l *Audit) ConsistencyProof(ctx context.Context, size1, size2 int64) (*zhengzhao.ConsistencyProof, error) {
	var p *zhengzhao.ConsistencyProof
	err := l.store.View(ctx, func(tx zhengzhao.ReadTx) error {
		head, err := tx.FindTreeHead()
		if err != nil {
			return err
		}
		var fe []zhengzhao.FieldError
		if size2 < 1 || size2 > head.Size {
			fe = append(fe, zhengzhao.FieldError{Field: "size2", Message: fmt.Sprintf("must be between 1 and the integrated tree size %d", head.Size)})
		}
		if size1 < 1 || size1 > size2 {
			fe = append(fe, zhengzhao.FieldError{Field: "size1", Message: "must be between 1 and size2"})
		}
		if err := zhengzhao.Invalid("invalid proof request", fe); err != nil {
			return err
		}
		hashes, err := auditlog.ConsistencyProof(size1, size2, tx.FindTreeNodes)
		if err != nil {
			return err
		}
		p = &zhengzhao.ConsistencyProof{Size1: size1, Size2: size2, Hashes: hashes}
		return nil
	})
	return p, err
}

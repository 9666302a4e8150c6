package sqlstore

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
)

// Audit log.

var (
	// VALUES, not INSERT … SELECT: a one-row statement needs no
	// statement journal in SQLite.
	qAppendAudit = hot(`INSERT INTO audit_entries (` + AuditColumns + `)
		VALUES ((SELECT COALESCE(MAX(idx) + 1, 0) FROM audit_entries), ?, ?, ?, ?, ?, ?, ?)
		RETURNING idx`)
	qAuditSize    = hot("SELECT COALESCE(MAX(idx) + 1, 0) FROM audit_entries")
	qAuditRange   = hot("SELECT " + AuditColumns + " FROM audit_entries WHERE idx >= ? AND idx < ? ORDER BY idx LIMIT ?")
	qFindTreeNode = hot("SELECT hash FROM tree_nodes WHERE level = ? AND idx = ?")
	qPutTreeNode  = hot("INSERT INTO tree_nodes (level, idx, hash) VALUES (?, ?, ?) ON CONFLICT DO NOTHING")
	qFindTreeHead = hot("SELECT size, root FROM tree_head WHERE id = 1")
	qSetTreeHead  = hot(`INSERT INTO tree_head (id, size, root) VALUES (1, ?, ?)
		ON CONFLICT (id) DO UPDATE SET size = excluded.size, root = excluded.root`)
	qCreateCheckpoint = hot("INSERT INTO checkpoints (" + checkpointColumns + ") VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")
)

// AuditColumns are the columns of an audit entry, in the order of
// AuditRow.
const AuditColumns = "idx, time, actor, action, license, license_base, subject, details"

func scanAuditEntry(r Row, extra ...any) (*zhengzhao.AuditEntry, error) {
	var (
		e       zhengzhao.AuditEntry
		details []byte
	)
	if err := r.Scan(append([]any{&e.Index, &e.Time, &e.Actor, &e.Action, &e.License, &e.LicenseBase, &e.Subject, &details}, extra...)...); err != nil {
		return nil, err
	}
	if details != nil {
		if err := json.Unmarshal(details, &e.Details); err != nil {
			return nil, fmt.Errorf("audit entry %d: details: %w", e.Index, err)
		}
	}
	return &e, nil
}

// AuditRow checks e's text and returns its stored time (Now() when e.Time
// is zero, else e.Time in UTC cut to microseconds) and its details as
// JSON (nil when empty).
func (t *Tx) AuditRow(op string, e *zhengzhao.AuditEntry) (time.Time, any, error) {
	var details any
	if len(e.Details) > 0 {
		s, err := t.jsonArg(op, e.Details)
		if err != nil {
			return time.Time{}, nil, err
		}
		details = s
	}
	if err := t.checkText(op, e.Actor, e.Action, e.License, e.LicenseBase, e.Subject); err != nil {
		return time.Time{}, nil, err
	}
	at := e.Time
	if at.IsZero() {
		at = t.now
	}
	return at.UTC().Truncate(time.Microsecond), details, nil
}

// AppendAudit appends e with the next index, MAX(idx) + 1: right where one
// writer holds the database (SQLite); PostgreSQL overrides it with its
// counter row.
func (t *Tx) AppendAudit(e *zhengzhao.AuditEntry) error {
	const op = "AppendAudit"
	at, details, err := t.AuditRow(op, e)
	if err != nil {
		return err
	}
	var idx int64
	err = t.queryRow(qAppendAudit,
		at, e.Actor, e.Action, e.License, e.LicenseBase, e.Subject, details).Scan(&idx)
	if err != nil {
		return t.Err(op, err, "")
	}
	e.Index, e.Time = idx, at
	return nil
}

// AuditSize returns the number of audit entries.
func (t *Tx) AuditSize() (int64, error) {
	var n int64
	if err := t.queryRow(qAuditSize).Scan(&n); err != nil {
		return 0, t.Err("AuditSize", err, "")
	}
	return n, nil
}

// AuditEntries returns the entries with index in [start, end), in order.
// EINVALID when start is negative or end before start.
func (t *Tx) AuditEntries(start, end int64) ([]*zhengzhao.AuditEntry, error) {
	const op = "AuditEntries"
	if start < 0 || end < start {
		return nil, &zhengzhao.Error{Code: zhengzhao.EINVALID, Message: fmt.Sprintf("invalid audit range [%d, %d)", start, end), Op: t.d.Name + "." + op}
	}
	if end == start {
		return nil, nil
	}
	// The LIMIT keeps PostgreSQL's plan an index range scan even when the
	// statistics are stale (after a bulk load).
	return collect(t, op, func(r Row) (*zhengzhao.AuditEntry, error) { return scanAuditEntry(r) },
		qAuditRange, start, end, end-start)
}

// FindAuditEntries returns matching entries in index order.
func (t *Tx) FindAuditEntries(f zhengzhao.AuditFilter) ([]*zhengzhao.AuditEntry, int, string, error) {
	var w where
	if f.LicenseBase != nil {
		w.add("license_base = ?", *f.LicenseBase)
		if *f.LicenseBase != "" {
			w.add("license_base <> ''") // lets PostgreSQL use the partial index
		}
	}
	if f.Actor != nil {
		w.add("actor = ?", *f.Actor)
	}
	return list(t, "FindAuditEntries", "audit_entries", AuditColumns, "idx", w, f.Page,
		func(r Row, k *int64) (*zhengzhao.AuditEntry, error) { return scanAuditEntry(r, k) })
}

// Merkle tree.

// FindTreeHead returns the integrated tree head, size 0 and a nil root
// before the first. Inside Update it locks the head row until commit, so
// that one integrator at a time extends the tree, whichever server it
// runs on.
func (t *Tx) FindTreeHead() (zhengzhao.TreeHead, error) {
	q := qFindTreeHead
	if t.write {
		q += t.d.LockRow
	}
	var h zhengzhao.TreeHead
	err := t.queryRow(q).Scan(&h.Size, &h.Root)
	if errors.Is(err, sql.ErrNoRows) {
		return zhengzhao.TreeHead{}, nil
	}
	if err != nil {
		return zhengzhao.TreeHead{}, t.Err("FindTreeHead", err, "")
	}
	return h, nil
}

// SetTreeHead records the integrated tree head.
func (t *Tx) SetTreeHead(h zhengzhao.TreeHead) error {
	_, err := t.exec("SetTreeHead", qSetTreeHead, h.Size, h.Root)
	return err
}

// FindTreeNodes returns the hashes of the given nodes in order. ENOTFOUND
// if any is missing.
func (t *Tx) FindTreeNodes(ids []zhengzhao.TreeNode) ([][]byte, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	hashes := make([][]byte, len(ids))
	for i, id := range ids {
		if err := t.queryRow(qFindTreeNode, id.Level, id.Index).Scan(&hashes[i]); err != nil {
			return nil, t.found("FindTreeNodes", err, fmt.Sprintf("tree node %d/%d not found", id.Level, id.Index))
		}
	}
	return hashes, nil
}

// PutTreeNodes stores tree nodes; storing a node again with the same hash
// is a no-op. ECONFLICT when a node exists (or is given twice) with
// another hash.
func (t *Tx) PutTreeNodes(nodes []zhengzhao.TreeNode) error {
	const op = "PutTreeNodes"
	for _, n := range nodes {
		added, err := t.exec(op, qPutTreeNode, n.Level, n.Index, n.Hash)
		if err != nil {
			return err
		}
		if added == 1 {
			continue
		}
		var stored []byte
		if err := t.queryRow(qFindTreeNode, n.Level, n.Index).Scan(&stored); err != nil {
			return t.Err(op, err, "")
		}
		if !bytes.Equal(stored, n.Hash) {
			return &zhengzhao.Error{Code: zhengzhao.ECONFLICT, Op: t.d.Name + "." + op,
				Message: fmt.Sprintf("tree node %d/%d is stored with another hash", n.Level, n.Index)}
		}
	}
	return nil
}

// Checkpoints.

const checkpointColumns = "origin, size, root, note, time"

func scanCheckpoint(r Row) (*zhengzhao.Checkpoint, error) {
	var c zhengzhao.Checkpoint
	if err := r.Scan(&c.Origin, &c.Size, &c.Root, &c.Note, &c.Time); err != nil {
		return nil, err
	}
	return &c, nil
}

// LatestCheckpoint returns the checkpoint with the largest size.
// ENOTFOUND when there is none.
func (t *Tx) LatestCheckpoint() (*zhengzhao.Checkpoint, error) {
	return find(t, "LatestCheckpoint", scanCheckpoint, "no checkpoint has been signed",
		"SELECT "+checkpointColumns+" FROM checkpoints ORDER BY size DESC LIMIT 1")
}

// FindCheckpoints returns the checkpoints with size > afterSize, by size,
// at most limit of them (zhengzhao.Page limits apply).
func (t *Tx) FindCheckpoints(afterSize int64, limit int) ([]*zhengzhao.Checkpoint, error) {
	limit = zhengzhao.Page{Limit: limit}.Normalize().Limit
	return collect(t, "FindCheckpoints", scanCheckpoint,
		"SELECT "+checkpointColumns+" FROM checkpoints WHERE size > ? ORDER BY size LIMIT ?", afterSize, limit)
}

// CreateCheckpoint stores a signed checkpoint. ECONFLICT when a checkpoint
// of the same size exists.
func (t *Tx) CreateCheckpoint(c *zhengzhao.Checkpoint) error {
	const op = "CreateCheckpoint"
	if err := t.checkText(op, c.Origin, c.Note); err != nil {
		return err
	}
	return t.insert(op, fmt.Sprintf("a checkpoint of size %d exists", c.Size),
		qCreateCheckpoint,
		c.Origin, c.Size, c.Root, c.Note, c.Time)
}

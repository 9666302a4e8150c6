package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/sqlstore"
)

// Tx is a transaction on the store: read-write inside Update, read-only
// inside View. Its methods are sqlstore's, but for the few in this file
// and native.go that need what only PostgreSQL has.
type Tx struct {
	*sqlstore.Tx
	ctx context.Context
	q   querier
}

// newTx returns a transaction whose statements go through q.
func newTx(ctx context.Context, q querier, now time.Time, write bool) *Tx {
	return &Tx{Tx: sqlstore.New(ctx, conn{q}, dialect, now, write), ctx: ctx, q: q}
}

// The Merkle tree's nodes go in and out as arrays (unnest), one
// statement for a whole batch of the integrator.

// treeNodeArrays returns the levels, indexes and hashes of nodes as
// arrays for unnest.
func treeNodeArrays(nodes []zhengzhao.TreeNode) (levels []int16, idxs []int64, hashes [][]byte) {
	levels = make([]int16, len(nodes))
	idxs = make([]int64, len(nodes))
	hashes = make([][]byte, len(nodes))
	for i, n := range nodes {
		levels[i], idxs[i], hashes[i] = int16(n.Level), n.Index, n.Hash
	}
	return levels, idxs, hashes
}

// FindTreeNodes returns the hashes of the given nodes in order. ENOTFOUND
// if any is missing.
func (t *Tx) FindTreeNodes(ids []zhengzhao.TreeNode) ([][]byte, error) {
	const op = "FindTreeNodes"
	if len(ids) == 0 {
		return nil, nil
	}
	levels, idxs, _ := treeNodeArrays(ids)
	rows, err := t.q.Query(t.ctx, `SELECT t.hash
		FROM unnest($1::smallint[], $2::bigint[]) WITH ORDINALITY AS n (level, idx, ord)
		LEFT JOIN tree_nodes t USING (level, idx)
		ORDER BY n.ord`, levels, idxs)
	if err != nil {
		return nil, t.Err(op, err, "")
	}
	hashes, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
	if err != nil {
		return nil, t.Err(op, err, "")
	}
	for i, h := range hashes {
		if h == nil {
			return nil, &zhengzhao.Error{Code: zhengzhao.ENOTFOUND, Message: fmt.Sprintf("tree node %d/%d not found", ids[i].Level, ids[i].Index), Op: "postgres." + op}
		}
	}
	return hashes, nil
}

// PutTreeNodes stores tree nodes; storing a node again with the same hash
// is a no-op. ECONFLICT, storing nothing, when a node exists (or is given
// twice) with another hash.
func (t *Tx) PutTreeNodes(nodes []zhengzhao.TreeNode) error {
	const op = "PutTreeNodes"
	if len(nodes) == 0 {
		return nil
	}
	levels, idxs, hashes := treeNodeArrays(nodes)
	var clash bool
	err := t.q.QueryRow(t.ctx, `WITH n AS (
			SELECT * FROM unnest($1::smallint[], $2::bigint[], $3::bytea[]) AS n (level, idx, hash)
		), clash AS (
			SELECT FROM n JOIN tree_nodes t USING (level, idx) WHERE t.hash <> n.hash
			UNION ALL
			SELECT FROM n a JOIN n b USING (level, idx) WHERE a.hash <> b.hash
		), ins AS (
			INSERT INTO tree_nodes (level, idx, hash)
			SELECT level, idx, hash FROM n WHERE NOT EXISTS (SELECT FROM clash)
			ON CONFLICT DO NOTHING
		)
		SELECT EXISTS (SELECT FROM clash)`, levels, idxs, hashes).Scan(&clash)
	if err != nil {
		return t.Err(op, err, "")
	}
	if clash {
		return zhengzhao.Errorf(zhengzhao.ECONFLICT, "a tree node exists with another hash")
	}
	return nil
}

// Checkpoints.

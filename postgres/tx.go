package postgres

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/sqlstore"
)

// Tx is a transaction on the store: read-write inside Update, read-only
// inside View.
//
// PostgreSQL aborts a whole transaction when one statement fails, so the
// write methods avoid failing statements for outcomes the caller may
// handle and go on: a duplicate is found with ON CONFLICT DO NOTHING, a
// missing referenced object with a guarded INSERT, bad text before the
// statement is sent. The error is then ECONFLICT, ENOTFOUND or EINVALID
// and the transaction stays usable.
type Tx struct {
	*sqlstore.Tx
	ctx   context.Context
	q     querier
	now   time.Time
	write bool // inside Update: FindTreeHead locks the head
}

// exec runs a statement and returns the number of rows it affected.
func (t *Tx) exec(op, conflict, query string, args ...any) (int64, error) {
	tag, err := t.q.Exec(t.ctx, query, args...)
	if err != nil {
		return 0, mapErr(op, err, conflict)
	}
	return tag.RowsAffected(), nil
}

// utc returns t in UTC; pgx returns TIMESTAMPTZ values in the local zone.
func utc(t time.Time) time.Time { return t.UTC() }

// utcPtr returns *t in UTC, or nil.
func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// notFound returns the ENOTFOUND error of a Find method.
func notFound(op, format string, args ...any) error {
	return &zhengzhao.Error{Code: zhengzhao.ENOTFOUND, Message: fmt.Sprintf(format, args...), Op: op}
}

// findErr maps the error of a single-row query: no row is ENOTFOUND with
// the given message.
func findErr(op string, err error, format string, args ...any) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return notFound(op, format, args...)
	}
	return mapErr(op, err, "")
}

// Cursors are opaque to callers: base64url of the last row's key.

func encodeCursor(key int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(key, 10)))
}

// decodeCursor returns the key after which the page starts (-1 for the
// first page; keys are never negative).
func decodeCursor(op, cursor string) (int64, error) {
	if cursor == "" {
		return -1, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	var key int64
	if err == nil {
		key, err = strconv.ParseInt(string(b), 10, 64)
	}
	if err != nil || key < 0 {
		return 0, &zhengzhao.Error{Code: zhengzhao.EINVALID, Message: "invalid cursor", Op: op}
	}
	return key, nil
}

// where builds the WHERE clause of a list query with numbered parameters.
type where struct {
	conds []string
	args  []any
}

// add appends a condition; each ? in cond becomes the next $n.
func (w *where) add(cond string, args ...any) {
	for _, a := range args {
		w.args = append(w.args, a)
		cond = strings.Replace(cond, "?", "$"+strconv.Itoa(len(w.args)), 1)
	}
	w.conds = append(w.conds, cond)
}

func (w *where) String() string {
	if len(w.conds) == 0 {
		return "TRUE"
	}
	return strings.Join(w.conds, " AND ")
}

// list returns one page of a list: the rows of table matching w after the
// cursor, ordered by key, at most p.Limit of them, scanned by scan (which
// returns each row's key), with the total number of matches and the next
// page's cursor. The count and the page go to the server in one round
// trip.
func list[T any](t *Tx, op, table, columns, key string, w where, p zhengzhao.Page, scan func(pgx.Rows) (T, int64, error)) ([]T, int, string, error) {
	p = p.Normalize()
	after, err := decodeCursor(op, p.Cursor)
	if err != nil {
		return nil, 0, "", err
	}
	cond := w.String()
	n := len(w.args)
	b := &pgx.Batch{}
	b.Queue("SELECT count(*) FROM "+table+" WHERE "+cond, w.args...)
	b.Queue(fmt.Sprintf("SELECT %s, %s FROM %s WHERE %s AND %s > $%d ORDER BY %s LIMIT $%d",
		columns, key, table, cond, key, n+1, key, n+2),
		append(w.args[:n:n], after, p.Limit+1)...)
	br := t.q.SendBatch(t.ctx, b)
	defer br.Close()
	var total int64
	if err := br.QueryRow().Scan(&total); err != nil {
		return nil, 0, "", mapErr(op, err, "")
	}
	rows, err := br.Query()
	if err != nil {
		return nil, 0, "", mapErr(op, err, "")
	}
	defer rows.Close()
	var (
		items []T
		last  int64
	)
	for rows.Next() {
		item, k, err := scan(rows)
		if err != nil {
			return nil, 0, "", mapErr(op, err, "")
		}
		items = append(items, item)
		if len(items) == p.Limit {
			last = k
		}
	}
	if err := rows.Err(); err != nil {
		return nil, 0, "", mapErr(op, err, "")
	}
	next := ""
	if len(items) > p.Limit {
		items = items[:p.Limit]
		next = encodeCursor(last)
	}
	return items, int(total), next, nil
}

// Units.

const unitColumns = "code, name, roles, region, signing_alg, created_at"

func scanUnit(row pgx.Row, extra ...any) (*zhengzhao.Unit, error) {
	var (
		u     zhengzhao.Unit
		roles []string
	)
	if err := row.Scan(append([]any{&u.Code, &u.Name, &roles, &u.Region, &u.SigningAlg, &u.CreatedAt}, extra...)...); err != nil {
		return nil, err
	}
	for _, r := range roles {
		u.Roles = append(u.Roles, zhengzhao.Role(r))
	}
	u.CreatedAt = utc(u.CreatedAt)
	return &u, nil
}

// unitMissing returns ENOTFOUND when the unit does not exist and
// otherwise err: a guarded INSERT of an object that refers to a unit
// inserted nothing, either because the unit is missing or because the
// object exists.
func (t *Tx) unitMissing(op, unit string, err error) error {
	var exists bool
	if qerr := t.q.QueryRow(t.ctx, "SELECT EXISTS (SELECT FROM units WHERE code = $1)", unit).Scan(&exists); qerr != nil {
		return mapErr(op, qerr, "")
	}
	if !exists {
		return notFound(op, "unit %s not found", unit)
	}
	return err
}

// Signing keys.

// License types.

// Licenses.

const licenseColumns = "document, status, superseded_by, revoked_at, revocation_reason"

func scanLicense(row pgx.Row, extra ...any) (*zhengzhao.License, error) {
	var (
		doc []byte
		lc  zhengzhao.License // lifecycle fields
	)
	if err := row.Scan(append([]any{&doc, &lc.Status, &lc.SupersededBy, &lc.RevokedAt, &lc.RevocationReason}, extra...)...); err != nil {
		return nil, err
	}
	var l zhengzhao.License
	if err := json.Unmarshal(doc, &l); err != nil {
		return nil, fmt.Errorf("stored license document: %w", err)
	}
	l.Status, l.SupersededBy, l.RevokedAt, l.RevocationReason = lc.Status, lc.SupersededBy, utcPtr(lc.RevokedAt), lc.RevocationReason
	return &l, nil
}

// encodeDocument returns the stored form of a license.
func encodeDocument(l *zhengzhao.License) (string, error) { return sqlstore.EncodeDocument(l) }

// Idempotency records.

// Audit log.

const auditColumns = "idx, time, actor, action, license, license_base, subject, details"

func scanAuditEntry(row pgx.Row, extra ...any) (*zhengzhao.AuditEntry, error) {
	var (
		e       zhengzhao.AuditEntry
		details []byte
	)
	if err := row.Scan(append([]any{&e.Index, &e.Time, &e.Actor, &e.Action, &e.License, &e.LicenseBase, &e.Subject, &details}, extra...)...); err != nil {
		return nil, err
	}
	if details != nil {
		if err := json.Unmarshal(details, &e.Details); err != nil {
			return nil, fmt.Errorf("audit entry %d: details: %w", e.Index, err)
		}
	}
	e.Time = utc(e.Time)
	return &e, nil
}

// AppendAudit appends e with the next index. The index comes from the
// audit_counter row, incremented in this transaction: the row stays
// locked until commit, so indexes are gap-free across servers, and a
// rollback (of the transaction or of the caller's savepoint) gives the
// index back.
func (t *Tx) AppendAudit(e *zhengzhao.AuditEntry) error {
	const op = "AppendAudit"
	at, details, err := t.AuditRow(op, e)
	if err != nil {
		return err
	}
	var idx int64
	err = t.q.QueryRow(t.ctx, qAppendAudit, at, e.Actor, e.Action, e.License, e.LicenseBase, e.Subject, details).Scan(&idx)
	if err != nil {
		return t.Err(op, err, "")
	}
	e.Index, e.Time = idx, at
	return nil
}

const qAppendAudit = `WITH c AS (UPDATE audit_counter SET next = next + 1 WHERE id = 1 RETURNING next - 1 AS idx)
	INSERT INTO audit_entries (` + sqlstore.AuditColumns + `)
	SELECT idx, $1, $2, $3, $4, $5, $6, $7 FROM c
	RETURNING idx`

// Merkle tree.

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
	const op = "postgres.FindTreeNodes"
	if len(ids) == 0 {
		return nil, nil
	}
	levels, idxs, _ := treeNodeArrays(ids)
	rows, err := t.q.Query(t.ctx, `SELECT t.hash
		FROM unnest($1::smallint[], $2::bigint[]) WITH ORDINALITY AS n (level, idx, ord)
		LEFT JOIN tree_nodes t USING (level, idx)
		ORDER BY n.ord`, levels, idxs)
	if err != nil {
		return nil, mapErr(op, err, "")
	}
	hashes, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
	if err != nil {
		return nil, mapErr(op, err, "")
	}
	for i, h := range hashes {
		if h == nil {
			return nil, notFound(op, "tree node %d/%d not found", ids[i].Level, ids[i].Index)
		}
	}
	return hashes, nil
}

// PutTreeNodes stores tree nodes; storing a node again with the same hash
// is a no-op. ECONFLICT, storing nothing, when a node exists (or is given
// twice) with another hash.
func (t *Tx) PutTreeNodes(nodes []zhengzhao.TreeNode) error {
	const op = "postgres.PutTreeNodes"
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
		return mapErr(op, err, "")
	}
	if clash {
		return zhengzhao.Errorf(zhengzhao.ECONFLICT, "a tree node exists with another hash")
	}
	return nil
}

// Checkpoints.

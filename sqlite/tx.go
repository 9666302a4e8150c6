package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
)

// Tx is a transaction on the store: read-write inside Update, read-only
// inside View. Its statements run with the transaction's context, not the
// caller's: a transaction shared by several Update calls must not be
// interrupted because one caller gives up (SQLite would roll all of it
// back).
type Tx struct {
	ctx   context.Context
	q     *sql.Tx
	now   time.Time
	stmts map[string]*sql.Stmt // prepared statements of q's pool
}

// Now returns the transaction's time, UTC at microsecond precision.
func (tx *Tx) Now() time.Time { return tx.now }

// preparedQueries lists the statements Open prepares (see prepared).
var preparedQueries []string

// prepared registers query for preparing at Open and returns it.
func prepared(query string) string {
	preparedQueries = append(preparedQueries, query)
	return query
}

// prepareAll prepares the registered statements on db.
func prepareAll(ctx context.Context, db *sql.DB) (map[string]*sql.Stmt, error) {
	stmts := make(map[string]*sql.Stmt, len(preparedQueries))
	for _, q := range preparedQueries {
		st, err := db.PrepareContext(ctx, q)
		if err != nil {
			closeAll(stmts)
			return nil, fmt.Errorf("prepare %q: %w", q, err)
		}
		stmts[q] = st
	}
	return stmts, nil
}

func closeAll(stmts map[string]*sql.Stmt) {
	for _, st := range stmts {
		st.Close()
	}
}

// stmt returns the transaction's copy of the prepared statement for query,
// or nil if query is not prepared. The copy is closed with the
// transaction.
func (tx *Tx) stmt(query string) *sql.Stmt {
	if st, ok := tx.stmts[query]; ok {
		return tx.q.StmtContext(tx.ctx, st)
	}
	return nil
}

func (tx *Tx) exec(query string, args ...any) (sql.Result, error) {
	if st := tx.stmt(query); st != nil {
		defer st.Close()
		return st.ExecContext(tx.ctx, args...)
	}
	return tx.q.ExecContext(tx.ctx, query, args...)
}

func (tx *Tx) query(query string, args ...any) (*sql.Rows, error) {
	if st := tx.stmt(query); st != nil {
		return st.QueryContext(tx.ctx, args...)
	}
	return tx.q.QueryContext(tx.ctx, query, args...)
}

func (tx *Tx) queryRow(query string, args ...any) *sql.Row {
	if st := tx.stmt(query); st != nil {
		return st.QueryRowContext(tx.ctx, args...)
	}
	return tx.q.QueryRowContext(tx.ctx, query, args...)
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// nullTime stores a time or NULL.
func nullTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return formatTime(*t)
}

// parseNullTime reads a time stored by nullTime.
func parseNullTime(s sql.NullString) (*time.Time, error) {
	if !s.Valid {
		return nil, nil
	}
	t, err := parseTime(s.String)
	return &t, err
}

// jsonText encodes v as a JSON column.
func jsonText(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

// Cursors are opaque to callers: base64url of the last row's key.

func encodeCursor(key int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(key, 10)))
}

// decodeCursor returns the key after which the page starts; ok is false
// for the first page.
func decodeCursor(op, cursor string) (key int64, ok bool, err error) {
	if cursor == "" {
		return 0, false, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err == nil {
		key, err = strconv.ParseInt(string(b), 10, 64)
	}
	if err != nil || key < 0 {
		return 0, false, &zhengzhao.Error{Code: zhengzhao.EINVALID, Message: "invalid cursor", Op: op}
	}
	return key, true, nil
}

// where builds the WHERE clause of a list query.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// list runs the page query of a list: the rows of table matching w after
// the cursor, ordered by key, at most p.Limit of them, scanned by scan
// (which returns each row's key). It returns the total number of matches
// and the next page's cursor.
func list[T any](tx *Tx, op, table, columns, key string, w where, p zhengzhao.Page, scan func(scanner) (T, int64, error)) ([]T, int, string, error) {
	p = p.Normalize()
	after, paged, err := decodeCursor(op, p.Cursor)
	if err != nil {
		return nil, 0, "", err
	}
	page := w
	page.conds = append([]string(nil), w.conds...)
	page.args = append([]any(nil), w.args...)
	if paged {
		page.add(key+" > ?", after)
	}
	rows, err := tx.query("SELECT "+columns+" FROM "+table+page.String()+" ORDER BY "+key+" LIMIT ?",
		append(page.args, p.Limit+1)...)
	if err != nil {
		return nil, 0, "", mapErr(op, err, "")
	}
	defer rows.Close()
	var (
		items []T
		keys  []int64
	)
	for rows.Next() {
		item, k, err := scan(rows)
		if err != nil {
			return nil, 0, "", fmt.Errorf("%s: %w", op, err)
		}
		items = append(items, item)
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, "", mapErr(op, err, "")
	}
	rows.Close()

	var next string
	if len(items) > p.Limit {
		items = items[:p.Limit]
		next = encodeCursor(keys[p.Limit-1])
	}
	total := len(items)
	if paged || next != "" {
		if err := tx.queryRow("SELECT COUNT(*) FROM "+table+w.String(), w.args...).Scan(&total); err != nil {
			return nil, 0, "", mapErr(op, err, "")
		}
	}
	return items, total, next, nil
}

// Statements run often enough to prepare once per connection: SQLite
// spends more time parsing a statement than running it.
var (
	qInsertUnit            = prepared(`INSERT INTO units (code, name, roles, region, signing_alg, created_at) VALUES (?, ?, ?, ?, ?, ?)`)
	qFindUnit              = prepared("SELECT " + unitColumns + " FROM units WHERE code = ?")
	qInsertUnitKey         = prepared(`INSERT INTO unit_keys (id, unit, hash, created_at, revoked_at) VALUES (?, ?, ?, ?, ?)`)
	qFindUnitKey           = prepared(`SELECT id, unit, hash, created_at, revoked_at FROM unit_keys WHERE hash = ?`)
	qInsertSigningKey      = prepared(`INSERT INTO signing_keys (` + signingKeyColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	qDeactivateSigningKeys = prepared(`UPDATE signing_keys SET active = 0 WHERE unit = ? AND active`)
	qFindSigningKey        = prepared(`SELECT ` + signingKeyColumns + ` FROM signing_keys WHERE kid = ?`)
	qInsertLicenseType     = prepared(`INSERT INTO license_types (code, name, definer, holder_kind, level, public, collect_since, fields, issuers, owner, created_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	qFindLicenseType = prepared(`SELECT ` + licenseTypeColumns + ` FROM license_types WHERE code = ?`)
	qInsertLicense   = prepared(`INSERT INTO licenses (id, type, issuer, serial, version, base, holder_id,
	status, superseded_by, revoked_at, revocation_reason, document)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	qUpdateLifecycle   = prepared(`UPDATE licenses SET status = ?, superseded_by = ?, revoked_at = ?, revocation_reason = ? WHERE id = ?`)
	qFindLicense       = prepared(`SELECT ` + licenseColumns + ` FROM licenses WHERE id = ?`)
	qInsertIdempotency = prepared(`INSERT INTO idempotency_records (unit, key, request_hash, license_id, created_at) VALUES (?, ?, ?, ?, ?)`)
	qFindIdempotency   = prepared(`SELECT request_hash, license_id, created_at FROM idempotency_records WHERE unit = ? AND key = ?`)
	qAppendAudit       = prepared(`INSERT INTO audit_entries (idx, time, actor, action, license, license_base, subject, details)
	VALUES ((SELECT COALESCE(MAX(idx) + 1, 0) FROM audit_entries), ?, ?, ?, ?, ?, ?, ?)
	RETURNING idx`)
	qAuditSize    = prepared(`SELECT COALESCE(MAX(idx) + 1, 0) FROM audit_entries`)
	qAuditRange   = prepared(`SELECT ` + auditColumns + ` FROM audit_entries WHERE idx >= ? AND idx < ? ORDER BY idx`)
	qFindTreeNode = prepared(`SELECT hash FROM tree_nodes WHERE level = ? AND idx = ?`)
	qFindTreeHead = prepared(`SELECT size, root FROM tree_head WHERE id = 1`)
	qSetTreeHead  = prepared(`INSERT INTO tree_head (id, size, root) VALUES (1, ?, ?)
	ON CONFLICT (id) DO UPDATE SET size = excluded.size, root = excluded.root`)
	qInsertCheckpoint = prepared(`INSERT INTO checkpoints (` + checkpointColumns + `) VALUES (?, ?, ?, ?, ?)`)
	qLatestCheckpoint = prepared(`SELECT ` + checkpointColumns + ` FROM checkpoints ORDER BY size DESC LIMIT 1`)
	qFindCheckpoints  = prepared(`SELECT ` + checkpointColumns + ` FROM checkpoints WHERE size > ? ORDER BY size LIMIT ?`)
	qPutTreeNode      = prepared(`INSERT INTO tree_nodes (level, idx, hash) VALUES (?, ?, ?) ON CONFLICT (level, idx) DO NOTHING`)
)

// Units.

const unitColumns = "seq, code, name, roles, region, signing_alg, created_at"

func scanUnit(s scanner) (*zhengzhao.Unit, int64, error) {
	var (
		u              zhengzhao.Unit
		seq            int64
		roles, created string
	)
	if err := s.Scan(&seq, &u.Code, &u.Name, &roles, &u.Region, &u.SigningAlg, &created); err != nil {
		return nil, 0, err
	}
	if err := json.Unmarshal([]byte(roles), &u.Roles); err != nil {
		return nil, 0, fmt.Errorf("unit %s: roles: %w", u.Code, err)
	}
	var err error
	u.CreatedAt, err = parseTime(created)
	return &u, seq, err
}

// CreateUnit stores u. ECONFLICT when a unit with its code exists.
func (tx *Tx) CreateUnit(u *zhengzhao.Unit) error {
	const op = "sqlite.CreateUnit"
	roles, err := jsonText(u.Roles)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	_, err = tx.exec(qInsertUnit,
		u.Code, u.Name, roles, u.Region, u.SigningAlg, formatTime(u.CreatedAt))
	return mapErr(op, err, fmt.Sprintf("unit %s exists", u.Code))
}

// FindUnitByCode returns the unit with the code. ENOTFOUND.
func (tx *Tx) FindUnitByCode(code string) (*zhengzhao.Unit, error) {
	const op = "sqlite.FindUnitByCode"
	u, _, err := scanUnit(tx.queryRow(qFindUnit, code))
	if err != nil {
		return nil, notFound(op, err, "unit %s not found", code)
	}
	return u, nil
}

// FindUnits returns the matching units in the order they were stored.
func (tx *Tx) FindUnits(f zhengzhao.UnitFilter) ([]*zhengzhao.Unit, int, string, error) {
	var w where
	if f.Code != nil {
		w.add("code = ?", *f.Code)
	}
	if f.Role != nil {
		w.add("EXISTS (SELECT 1 FROM json_each(units.roles) WHERE json_each.value = ?)", string(*f.Role))
	}
	return list(tx, "sqlite.FindUnits", "units", unitColumns, "seq", w, f.Page, scanUnit)
}

// Unit keys.

// CreateUnitKey stores k. ECONFLICT when its ID or hash exists.
func (tx *Tx) CreateUnitKey(k *zhengzhao.UnitKey) error {
	_, err := tx.exec(qInsertUnitKey,
		k.ID, k.Unit, k.Hash, formatTime(k.CreatedAt), nullTime(k.RevokedAt))
	return mapErr("sqlite.CreateUnitKey", err, fmt.Sprintf("unit key %s exists", k.ID))
}

// FindUnitKeyByHash returns the unit key with the secret hash. ENOTFOUND.
func (tx *Tx) FindUnitKeyByHash(hash []byte) (*zhengzhao.UnitKey, error) {
	const op = "sqlite.FindUnitKeyByHash"
	var (
		k       zhengzhao.UnitKey
		created string
		revoked sql.NullString
	)
	err := tx.queryRow(qFindUnitKey, hash).
		Scan(&k.ID, &k.Unit, &k.Hash, &created, &revoked)
	if err != nil {
		return nil, notFound(op, err, "unit key not found")
	}
	if k.CreatedAt, err = parseTime(created); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if k.RevokedAt, err = parseNullTime(revoked); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return &k, nil
}

// Signing keys.

const signingKeyColumns = "kid, unit, alg, cert_pem, private_key, not_before, not_after, created_at, active"

func scanSigningKey(s scanner) (*zhengzhao.SigningKey, error) {
	var (
		k                        zhengzhao.SigningKey
		notBefore, notAfter, cre string
	)
	if err := s.Scan(&k.KID, &k.Unit, &k.Alg, &k.CertPEM, &k.PrivateKey, &notBefore, &notAfter, &cre, &k.Active); err != nil {
		return nil, err
	}
	var err error
	if k.NotBefore, err = parseTime(notBefore); err != nil {
		return nil, err
	}
	if k.NotAfter, err = parseTime(notAfter); err != nil {
		return nil, err
	}
	if k.CreatedAt, err = parseTime(cre); err != nil {
		return nil, err
	}
	return &k, nil
}

// CreateSigningKey stores k. ECONFLICT when its key ID exists.
func (tx *Tx) CreateSigningKey(k *zhengzhao.SigningKey) error {
	_, err := tx.exec(qInsertSigningKey,
		k.KID, k.Unit, k.Alg, k.CertPEM, k.PrivateKey, formatTime(k.NotBefore), formatTime(k.NotAfter), formatTime(k.CreatedAt), k.Active)
	return mapErr("sqlite.CreateSigningKey", err, fmt.Sprintf("signing key %s exists", k.KID))
}

// DeactivateSigningKeys marks every key of the unit inactive.
func (tx *Tx) DeactivateSigningKeys(unit string) error {
	_, err := tx.exec(qDeactivateSigningKeys, unit)
	return mapErr("sqlite.DeactivateSigningKeys", err, "")
}

// FindSigningKeyByKID returns the signing key with the key ID. ENOTFOUND.
func (tx *Tx) FindSigningKeyByKID(kid string) (*zhengzhao.SigningKey, error) {
	k, err := scanSigningKey(tx.queryRow(qFindSigningKey, kid))
	if err != nil {
		return nil, notFound("sqlite.FindSigningKeyByKID", err, "signing key %s not found", kid)
	}
	return k, nil
}

// FindSigningKeys returns the matching keys, oldest first.
func (tx *Tx) FindSigningKeys(f zhengzhao.SigningKeyFilter) ([]*zhengzhao.SigningKey, error) {
	const op = "sqlite.FindSigningKeys"
	var w where
	if f.Unit != nil {
		w.add("unit = ?", *f.Unit)
	}
	if f.ActiveOnly {
		w.add("active")
	}
	rows, err := tx.query(`SELECT `+signingKeyColumns+` FROM signing_keys`+w.String()+` ORDER BY created_at, seq`, w.args...)
	if err != nil {
		return nil, mapErr(op, err, "")
	}
	defer rows.Close()
	var keys []*zhengzhao.SigningKey
	for rows.Next() {
		k, err := scanSigningKey(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return nil, mapErr(op, err, "")
	}
	return keys, nil
}

// License types.

const licenseTypeColumns = "seq, code, name, definer, holder_kind, level, public, collect_since, fields, issuers, owner, created_at"

func scanLicenseType(s scanner) (*zhengzhao.LicenseType, int64, error) {
	var (
		t                        zhengzhao.LicenseType
		seq                      int64
		fields, issuers, created string
	)
	if err := s.Scan(&seq, &t.Code, &t.Name, &t.Definer, &t.HolderKind, &t.Level, &t.Public, &t.CollectSince,
		&fields, &issuers, &t.Owner, &created); err != nil {
		return nil, 0, err
	}
	if err := json.Unmarshal([]byte(fields), &t.Fields); err != nil {
		return nil, 0, fmt.Errorf("license type %s: fields: %w", t.Code, err)
	}
	if err := json.Unmarshal([]byte(issuers), &t.Issuers); err != nil {
		return nil, 0, fmt.Errorf("license type %s: issuers: %w", t.Code, err)
	}
	var err error
	t.CreatedAt, err = parseTime(created)
	return &t, seq, err
}

// CreateLicenseType stores t. ECONFLICT when a type with its code exists.
func (tx *Tx) CreateLicenseType(t *zhengzhao.LicenseType) error {
	const op = "sqlite.CreateLicenseType"
	fields, err := jsonText(t.Fields)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	issuers := t.Issuers
	if issuers == nil {
		issuers = []string{} // [] means any issuer; keep the column an array
	}
	issuersText, err := jsonText(issuers)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	_, err = tx.exec(qInsertLicenseType,
		t.Code, t.Name, t.Definer, string(t.HolderKind), t.Level, t.Public, t.CollectSince, fields, issuersText, t.Owner, formatTime(t.CreatedAt))
	return mapErr(op, err, fmt.Sprintf("license type %s exists", t.Code))
}

// FindLicenseTypeByCode returns the license type with the code. ENOTFOUND.
func (tx *Tx) FindLicenseTypeByCode(code string) (*zhengzhao.LicenseType, error) {
	t, _, err := scanLicenseType(tx.queryRow(qFindLicenseType, code))
	if err != nil {
		return nil, notFound("sqlite.FindLicenseTypeByCode", err, "license type %s not found", code)
	}
	return t, nil
}

// FindLicenseTypes returns the matching types in the order they were
// stored. A type without issuers matches every Issuer.
func (tx *Tx) FindLicenseTypes(f zhengzhao.LicenseTypeFilter) ([]*zhengzhao.LicenseType, int, string, error) {
	var w where
	if f.Code != nil {
		w.add("code = ?", *f.Code)
	}
	if f.PublicOnly {
		w.add("public")
	}
	if f.Issuer != nil {
		w.add(`(json_array_length(issuers) = 0
			OR EXISTS (SELECT 1 FROM json_each(license_types.issuers) WHERE json_each.value = ?))`, *f.Issuer)
	}
	return list(tx, "sqlite.FindLicenseTypes", "license_types", licenseTypeColumns, "seq", w, f.Page, scanLicenseType)
}

// Licenses.

const licenseColumns = "seq, status, superseded_by, revoked_at, revocation_reason, document"

func scanLicense(s scanner) (*zhengzhao.License, int64, error) {
	var (
		l       zhengzhao.License
		seq     int64
		revoked sql.NullString
		doc     []byte
		status  string
		by      string
		reason  string
	)
	if err := s.Scan(&seq, &status, &by, &revoked, &reason, &doc); err != nil {
		return nil, 0, err
	}
	if err := json.Unmarshal(doc, &l); err != nil {
		return nil, 0, fmt.Errorf("license document %d: %w", seq, err)
	}
	var err error
	if l.RevokedAt, err = parseNullTime(revoked); err != nil {
		return nil, 0, err
	}
	l.Status, l.SupersededBy, l.RevocationReason = status, by, reason
	return &l, seq, nil
}

// CreateLicense stores a signed license: the document as signed, and its
// lifecycle fields in their columns. ECONFLICT when the ID, or the same
// type, issuer, serial and version, exists.
func (tx *Tx) CreateLicense(l *zhengzhao.License) error {
	const op = "sqlite.CreateLicense"
	signed := *l
	signed.Status, signed.SupersededBy, signed.RevokedAt, signed.RevocationReason = "", "", nil, ""
	doc, err := json.Marshal(&signed)
	if err != nil {
		return fmt.Errorf("%s: encode %s: %w", op, l.ID, err)
	}
	base := l.Base()
	if base == "" {
		// An ID that does not parse (historical data): the base is made
		// of the same parts.
		base = l.Type + "." + l.Issuer.Code + "." + l.Serial
	}
	_, err = tx.exec(qInsertLicense,
		l.ID, l.Type, l.Issuer.Code, l.Serial, l.Version, base, l.Holder.ID,
		l.Status, l.SupersededBy, nullTime(l.RevokedAt), l.RevocationReason, doc)
	return mapErr(op, err, fmt.Sprintf("license %s exists", l.ID))
}

// UpdateLicenseLifecycle stores l's lifecycle fields. ENOTFOUND.
func (tx *Tx) UpdateLicenseLifecycle(l *zhengzhao.License) error {
	const op = "sqlite.UpdateLicenseLifecycle"
	res, err := tx.exec(qUpdateLifecycle,
		l.Status, l.SupersededBy, nullTime(l.RevokedAt), l.RevocationReason, l.ID)
	if err != nil {
		return mapErr(op, err, "")
	}
	if n, err := res.RowsAffected(); err != nil {
		return mapErr(op, err, "")
	} else if n == 0 {
		return &zhengzhao.Error{Code: zhengzhao.ENOTFOUND, Message: fmt.Sprintf("license %s not found", l.ID), Op: op}
	}
	return nil
}

// FindLicenseByID returns the license with its current lifecycle fields.
// ENOTFOUND.
func (tx *Tx) FindLicenseByID(id string) (*zhengzhao.License, error) {
	l, _, err := scanLicense(tx.queryRow(qFindLicense, id))
	if err != nil {
		return nil, notFound("sqlite.FindLicenseByID", err, "license %s not found", id)
	}
	return l, nil
}

// FindLicenses returns the matching licenses in the order they were
// stored.
func (tx *Tx) FindLicenses(f zhengzhao.LicenseFilter) ([]*zhengzhao.License, int, string, error) {
	var w where
	if f.HolderID != nil {
		w.add("holder_id = ?", *f.HolderID)
	}
	if f.Type != nil {
		w.add("type = ?", *f.Type)
	}
	if f.Issuer != nil {
		w.add("issuer = ?", *f.Issuer)
	}
	if f.Status != nil {
		w.add("status = ?", *f.Status)
	}
	if f.Base != nil {
		w.add("base = ?", *f.Base)
	}
	return list(tx, "sqlite.FindLicenses", "licenses", licenseColumns, "seq", w, f.Page, scanLicense)
}

// Idempotency records.

// CreateIdempotencyRecord stores r. ECONFLICT when the unit has used the
// key.
func (tx *Tx) CreateIdempotencyRecord(r *zhengzhao.IdempotencyRecord) error {
	_, err := tx.exec(qInsertIdempotency,
		r.Unit, r.Key, r.RequestHash, r.LicenseID, formatTime(r.CreatedAt))
	return mapErr("sqlite.CreateIdempotencyRecord", err, fmt.Sprintf("idempotency key %q has been used", r.Key))
}

// FindIdempotencyRecord returns the unit's record of the key. ENOTFOUND.
func (tx *Tx) FindIdempotencyRecord(unit, key string) (*zhengzhao.IdempotencyRecord, error) {
	const op = "sqlite.FindIdempotencyRecord"
	r := zhengzhao.IdempotencyRecord{Unit: unit, Key: key}
	var created string
	err := tx.queryRow(qFindIdempotency, unit, key).
		Scan(&r.RequestHash, &r.LicenseID, &created)
	if err != nil {
		return nil, notFound(op, err, "idempotency key %q not found", key)
	}
	if r.CreatedAt, err = parseTime(created); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return &r, nil
}

// Audit log.

const auditColumns = "idx, time, actor, action, license, license_base, subject, details"

func scanAuditEntry(s scanner) (*zhengzhao.AuditEntry, int64, error) {
	var (
		e       zhengzhao.AuditEntry
		t       string
		details sql.NullString
	)
	if err := s.Scan(&e.Index, &t, &e.Actor, &e.Action, &e.License, &e.LicenseBase, &e.Subject, &details); err != nil {
		return nil, 0, err
	}
	var err error
	if e.Time, err = parseTime(t); err != nil {
		return nil, 0, err
	}
	if details.Valid {
		if err := json.Unmarshal([]byte(details.String), &e.Details); err != nil {
			return nil, 0, fmt.Errorf("audit entry %d: details: %w", e.Index, err)
		}
	}
	return &e, e.Index, nil
}

// AppendAudit appends e with the next index. When e.Time is zero it
// becomes Now(); either way e.Time is set to the stored value (UTC,
// microseconds) so that e hashes as the stored entry does.
func (tx *Tx) AppendAudit(e *zhengzhao.AuditEntry) error {
	const op = "sqlite.AppendAudit"
	t := e.Time
	if t.IsZero() {
		t = tx.now
	}
	t = t.UTC().Truncate(time.Microsecond)
	var details any
	if len(e.Details) > 0 {
		b, err := json.Marshal(e.Details)
		if err != nil {
			return fmt.Errorf("%s: details: %w", op, err)
		}
		details = string(b)
	}
	// SQLite has one writer, so MAX+1 cannot race; the primary key would
	// refuse a duplicate anyway.
	var idx int64
	err := tx.queryRow(qAppendAudit,
		formatTime(t), e.Actor, e.Action, e.License, e.LicenseBase, e.Subject, details).Scan(&idx)
	if err != nil {
		return mapErr(op, err, "")
	}
	e.Index, e.Time = idx, t
	return nil
}

// AuditSize returns the number of audit entries.
func (tx *Tx) AuditSize() (int64, error) {
	var n int64
	if err := tx.queryRow(qAuditSize).Scan(&n); err != nil {
		return 0, mapErr("sqlite.AuditSize", err, "")
	}
	return n, nil
}

// AuditEntries returns the entries with index in [start, end), in order.
// EINVALID when start is negative or end before start.
func (tx *Tx) AuditEntries(start, end int64) ([]*zhengzhao.AuditEntry, error) {
	const op = "sqlite.AuditEntries"
	if start < 0 || end < start {
		return nil, &zhengzhao.Error{Code: zhengzhao.EINVALID, Message: fmt.Sprintf("invalid audit range [%d, %d)", start, end), Op: op}
	}
	rows, err := tx.query(qAuditRange, start, end)
	if err != nil {
		return nil, mapErr(op, err, "")
	}
	defer rows.Close()
	var es []*zhengzhao.AuditEntry
	for rows.Next() {
		e, _, err := scanAuditEntry(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		es = append(es, e)
	}
	if err := rows.Err(); err != nil {
		return nil, mapErr(op, err, "")
	}
	return es, nil
}

// FindAuditEntries returns the matching entries in index order.
func (tx *Tx) FindAuditEntries(f zhengzhao.AuditFilter) ([]*zhengzhao.AuditEntry, int, string, error) {
	var w where
	if f.LicenseBase != nil {
		w.add("license_base = ?", *f.LicenseBase)
	}
	if f.Actor != nil {
		w.add("actor = ?", *f.Actor)
	}
	return list(tx, "sqlite.FindAuditEntries", "audit_entries", auditColumns, "idx", w, f.Page, scanAuditEntry)
}

// Merkle tree.

// PutTreeNodes stores tree nodes. Storing a node again with the same hash
// is a no-op; with another hash it is ECONFLICT: a node never changes.
func (tx *Tx) PutTreeNodes(nodes []zhengzhao.TreeNode) error {
	const op = "sqlite.PutTreeNodes"
	if len(nodes) == 0 {
		return nil
	}
	for _, n := range nodes {
		res, err := tx.exec(qPutTreeNode, n.Level, n.Index, n.Hash)
		if err != nil {
			return mapErr(op, err, "")
		}
		if added, err := res.RowsAffected(); err != nil {
			return mapErr(op, err, "")
		} else if added == 1 {
			continue
		}
		var stored []byte
		if err := tx.queryRow(qFindTreeNode, n.Level, n.Index).Scan(&stored); err != nil {
			return mapErr(op, err, "")
		}
		if !bytes.Equal(stored, n.Hash) {
			return &zhengzhao.Error{Code: zhengzhao.ECONFLICT, Op: op,
				Message: fmt.Sprintf("tree node %d/%d is stored with another hash", n.Level, n.Index)}
		}
	}
	return nil
}

// FindTreeNodes returns the hashes of the nodes in order. ENOTFOUND if any
// is missing.
func (tx *Tx) FindTreeNodes(ids []zhengzhao.TreeNode) ([][]byte, error) {
	const op = "sqlite.FindTreeNodes"
	if len(ids) == 0 {
		return nil, nil
	}
	hashes := make([][]byte, len(ids))
	for i, id := range ids {
		if err := tx.queryRow(qFindTreeNode, id.Level, id.Index).Scan(&hashes[i]); err != nil {
			return nil, notFound(op, err, "tree node %d/%d not found", id.Level, id.Index)
		}
	}
	return hashes, nil
}

// FindTreeHead returns the integrated tree head, size 0 and a nil root
// before the first. SQLite has one writer, so inside Update the head is
// locked until commit without further ado.
func (tx *Tx) FindTreeHead() (zhengzhao.TreeHead, error) {
	var h zhengzhao.TreeHead
	err := tx.queryRow(qFindTreeHead).Scan(&h.Size, &h.Root)
	if errors.Is(err, sql.ErrNoRows) {
		return zhengzhao.TreeHead{}, nil
	}
	if err != nil {
		return zhengzhao.TreeHead{}, mapErr("sqlite.FindTreeHead", err, "")
	}
	return h, nil
}

// SetTreeHead records the integrated tree head.
func (tx *Tx) SetTreeHead(h zhengzhao.TreeHead) error {
	_, err := tx.exec(qSetTreeHead, h.Size, h.Root)
	return mapErr("sqlite.SetTreeHead", err, "")
}

// Checkpoints.

const checkpointColumns = "origin, size, root, note, time"

func scanCheckpoint(s scanner) (*zhengzhao.Checkpoint, error) {
	var (
		c zhengzhao.Checkpoint
		t string
	)
	if err := s.Scan(&c.Origin, &c.Size, &c.Root, &c.Note, &t); err != nil {
		return nil, err
	}
	var err error
	c.Time, err = parseTime(t)
	return &c, err
}

// CreateCheckpoint stores a signed checkpoint. ECONFLICT when one of its
// size exists.
func (tx *Tx) CreateCheckpoint(c *zhengzhao.Checkpoint) error {
	_, err := tx.exec(qInsertCheckpoint,
		c.Origin, c.Size, c.Root, c.Note, formatTime(c.Time))
	return mapErr("sqlite.CreateCheckpoint", err, fmt.Sprintf("a checkpoint of size %d exists", c.Size))
}

// LatestCheckpoint returns the checkpoint with the largest size. ENOTFOUND
// when there is none.
func (tx *Tx) LatestCheckpoint() (*zhengzhao.Checkpoint, error) {
	c, err := scanCheckpoint(tx.queryRow(qLatestCheckpoint))
	if err != nil {
		return nil, notFound("sqlite.LatestCheckpoint", err, "no checkpoint has been signed")
	}
	return c, nil
}

// FindCheckpoints returns the checkpoints with size > afterSize, by size,
// at most limit of them (zhengzhao.Page limits apply).
func (tx *Tx) FindCheckpoints(afterSize int64, limit int) ([]*zhengzhao.Checkpoint, error) {
	const op = "sqlite.FindCheckpoints"
	limit = zhengzhao.Page{Limit: limit}.Normalize().Limit
	rows, err := tx.query(qFindCheckpoints, afterSize, limit)
	if err != nil {
		return nil, mapErr(op, err, "")
	}
	defer rows.Close()
	var cs []*zhengzhao.Checkpoint
	for rows.Next() {
		c, err := scanCheckpoint(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		cs = append(cs, c)
	}
	if err := rows.Err(); err != nil {
		return nil, mapErr(op, err, "")
	}
	return cs, nil
}

package postgres

import (
	"bytes"
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
	ctx   context.Context
	q     querier
	now   time.Time
	write bool // inside Update: FindTreeHead locks the head
}

// Now returns the transaction's time, UTC at microsecond precision.
func (t *Tx) Now() time.Time { return t.now }

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

// FindUnitByCode returns the unit with the given code. ENOTFOUND.
func (t *Tx) FindUnitByCode(code string) (*zhengzhao.Unit, error) {
	const op = "postgres.FindUnitByCode"
	u, err := scanUnit(t.q.QueryRow(t.ctx, "SELECT "+unitColumns+" FROM units WHERE code = $1", code))
	if err != nil {
		return nil, findErr(op, err, "unit %s not found", code)
	}
	return u, nil
}

// FindUnits returns matching units in the order they were created.
func (t *Tx) FindUnits(f zhengzhao.UnitFilter) ([]*zhengzhao.Unit, int, string, error) {
	var w where
	if f.Code != nil {
		w.add("code = ?", *f.Code)
	}
	if f.Role != nil {
		w.add("? = ANY (roles)", string(*f.Role))
	}
	return list(t, "postgres.FindUnits", "units", unitColumns, "seq", w, f.Page, func(rows pgx.Rows) (*zhengzhao.Unit, int64, error) {
		var seq int64
		u, err := scanUnit(rows, &seq)
		return u, seq, err
	})
}

// CreateUnit stores a unit. ECONFLICT when the code exists.
func (t *Tx) CreateUnit(u *zhengzhao.Unit) error {
	const op = "postgres.CreateUnit"
	roles := make([]string, len(u.Roles))
	for i, r := range u.Roles {
		roles[i] = string(r)
	}
	if err := checkText(op, append(roles, u.Code, u.Name, u.Region, u.SigningAlg)...); err != nil {
		return err
	}
	n, err := t.exec(op, "", `INSERT INTO units (code, name, roles, region, signing_alg, created_at)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
		u.Code, u.Name, roles, u.Region, u.SigningAlg, u.CreatedAt)
	if err != nil {
		return err
	}
	if n == 0 {
		return zhengzhao.Errorf(zhengzhao.ECONFLICT, "unit %s exists", u.Code)
	}
	return nil
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

// FindUnitKeyByHash returns the unit key whose secret hashes to hash.
// ENOTFOUND.
func (t *Tx) FindUnitKeyByHash(hash []byte) (*zhengzhao.UnitKey, error) {
	const op = "postgres.FindUnitKeyByHash"
	var k zhengzhao.UnitKey
	err := t.q.QueryRow(t.ctx, "SELECT id, unit, hash, created_at, revoked_at FROM unit_keys WHERE hash = $1", hash).
		Scan(&k.ID, &k.Unit, &k.Hash, &k.CreatedAt, &k.RevokedAt)
	if err != nil {
		return nil, findErr(op, err, "unit key not found")
	}
	k.CreatedAt, k.RevokedAt = utc(k.CreatedAt), utcPtr(k.RevokedAt)
	return &k, nil
}

// CreateUnitKey stores a unit key. ECONFLICT when the ID or hash exists,
// ENOTFOUND when the unit does not.
func (t *Tx) CreateUnitKey(k *zhengzhao.UnitKey) error {
	const op = "postgres.CreateUnitKey"
	if err := checkText(op, k.ID, k.Unit); err != nil {
		return err
	}
	n, err := t.exec(op, "", `INSERT INTO unit_keys (id, unit, hash, created_at, revoked_at)
		SELECT $1, $2, $3, $4, $5 WHERE EXISTS (SELECT FROM units WHERE code = $2)
		ON CONFLICT DO NOTHING`,
		k.ID, k.Unit, k.Hash, k.CreatedAt, k.RevokedAt)
	if err != nil || n > 0 {
		return err
	}
	return t.unitMissing(op, k.Unit, zhengzhao.Errorf(zhengzhao.ECONFLICT, "unit key %s exists", k.ID))
}

// Signing keys.

const signingKeyColumns = "kid, unit, alg, cert_pem, private_key, not_before, not_after, created_at, active"

func scanSigningKey(row pgx.Row) (*zhengzhao.SigningKey, error) {
	var k zhengzhao.SigningKey
	if err := row.Scan(&k.KID, &k.Unit, &k.Alg, &k.CertPEM, &k.PrivateKey, &k.NotBefore, &k.NotAfter, &k.CreatedAt, &k.Active); err != nil {
		return nil, err
	}
	k.NotBefore, k.NotAfter, k.CreatedAt = utc(k.NotBefore), utc(k.NotAfter), utc(k.CreatedAt)
	return &k, nil
}

// FindSigningKeyByKID returns the signing key with the given key ID.
// ENOTFOUND.
func (t *Tx) FindSigningKeyByKID(kid string) (*zhengzhao.SigningKey, error) {
	const op = "postgres.FindSigningKeyByKID"
	k, err := scanSigningKey(t.q.QueryRow(t.ctx, "SELECT "+signingKeyColumns+" FROM signing_keys WHERE kid = $1", kid))
	if err != nil {
		return nil, findErr(op, err, "signing key %s not found", kid)
	}
	return k, nil
}

// FindSigningKeys returns matching keys, oldest first.
func (t *Tx) FindSigningKeys(f zhengzhao.SigningKeyFilter) ([]*zhengzhao.SigningKey, error) {
	const op = "postgres.FindSigningKeys"
	var w where
	if f.Unit != nil {
		w.add("unit = ?", *f.Unit)
	}
	if f.ActiveOnly {
		w.add("active")
	}
	rows, err := t.q.Query(t.ctx, "SELECT "+signingKeyColumns+" FROM signing_keys WHERE "+w.String()+" ORDER BY created_at, seq", w.args...)
	if err != nil {
		return nil, mapErr(op, err, "")
	}
	keys, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*zhengzhao.SigningKey, error) { return scanSigningKey(row) })
	if err != nil {
		return nil, mapErr(op, err, "")
	}
	return keys, nil
}

// CreateSigningKey stores a signing key. ECONFLICT when the key ID exists,
// ENOTFOUND when the unit does not.
func (t *Tx) CreateSigningKey(k *zhengzhao.SigningKey) error {
	const op = "postgres.CreateSigningKey"
	if err := checkText(op, k.KID, k.Unit, k.Alg, k.CertPEM); err != nil {
		return err
	}
	n, err := t.exec(op, "", `INSERT INTO signing_keys (`+signingKeyColumns+`)
		SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9 WHERE EXISTS (SELECT FROM units WHERE code = $2)
		ON CONFLICT DO NOTHING`,
		k.KID, k.Unit, k.Alg, k.CertPEM, k.PrivateKey, k.NotBefore, k.NotAfter, k.CreatedAt, k.Active)
	if err != nil || n > 0 {
		return err
	}
	return t.unitMissing(op, k.Unit, zhengzhao.Errorf(zhengzhao.ECONFLICT, "signing key %s exists", k.KID))
}

// DeactivateSigningKeys marks every key of the unit inactive.
func (t *Tx) DeactivateSigningKeys(unit string) error {
	_, err := t.exec("postgres.DeactivateSigningKeys", "", "UPDATE signing_keys SET active = FALSE WHERE unit = $1 AND active", unit)
	return err
}

// License types.

const licenseTypeColumns = "code, name, definer, holder_kind, level, public, collect_since, fields, issuers, owner, created_at"

func scanLicenseType(row pgx.Row, extra ...any) (*zhengzhao.LicenseType, error) {
	var (
		lt           zhengzhao.LicenseType
		collectSince time.Time
		fields       []byte
	)
	err := row.Scan(append([]any{&lt.Code, &lt.Name, &lt.Definer, &lt.HolderKind, &lt.Level, &lt.Public, &collectSince,
		&fields, &lt.Issuers, &lt.Owner, &lt.CreatedAt}, extra...)...)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(fields, &lt.Fields); err != nil {
		return nil, fmt.Errorf("license type %s: fields: %w", lt.Code, err)
	}
	lt.CollectSince = collectSince.Format(zhengzhao.DateLayout)
	lt.CreatedAt = utc(lt.CreatedAt)
	return &lt, nil
}

// FindLicenseTypeByCode returns the license type with the given code.
// ENOTFOUND.
func (t *Tx) FindLicenseTypeByCode(code string) (*zhengzhao.LicenseType, error) {
	const op = "postgres.FindLicenseTypeByCode"
	lt, err := scanLicenseType(t.q.QueryRow(t.ctx, "SELECT "+licenseTypeColumns+" FROM license_types WHERE code = $1", code))
	if err != nil {
		return nil, findErr(op, err, "license type %s not found", code)
	}
	return lt, nil
}

// FindLicenseTypes returns matching license types in the order they were
// created.
func (t *Tx) FindLicenseTypes(f zhengzhao.LicenseTypeFilter) ([]*zhengzhao.LicenseType, int, string, error) {
	var w where
	if f.Code != nil {
		w.add("code = ?", *f.Code)
	}
	if f.PublicOnly {
		w.add("public")
	}
	if f.Issuer != nil {
		w.add("(cardinality(issuers) = 0 OR ? = ANY (issuers))", *f.Issuer)
	}
	return list(t, "postgres.FindLicenseTypes", "license_types", licenseTypeColumns, "seq", w, f.Page, func(rows pgx.Rows) (*zhengzhao.LicenseType, int64, error) {
		var seq int64
		lt, err := scanLicenseType(rows, &seq)
		return lt, seq, err
	})
}

// CreateLicenseType stores a license type. ECONFLICT when the code exists.
func (t *Tx) CreateLicenseType(lt *zhengzhao.LicenseType) error {
	const op = "postgres.CreateLicenseType"
	fields, err := json.Marshal(lt.Fields)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	issuers := lt.Issuers
	if issuers == nil {
		issuers = []string{}
	}
	if err := checkText(op, append([]string{lt.Code, lt.Name, lt.Definer, string(lt.HolderKind), lt.Level, lt.Owner}, issuers...)...); err != nil {
		return err
	}
	if err := checkJSONB(op, fields); err != nil {
		return err
	}
	collectSince, err := zhengzhao.ParseDate(lt.CollectSince)
	if err != nil {
		return &zhengzhao.Error{Code: zhengzhao.EINVALID, Message: "collect_since must be a date YYYY-MM-DD", Op: op}
	}
	n, err := t.exec(op, "", `INSERT INTO license_types (`+licenseTypeColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING`,
		lt.Code, lt.Name, lt.Definer, string(lt.HolderKind), lt.Level, lt.Public, collectSince, fields, issuers, lt.Owner, lt.CreatedAt)
	if err != nil {
		return err
	}
	if n == 0 {
		return zhengzhao.Errorf(zhengzhao.ECONFLICT, "license type %s exists", lt.Code)
	}
	return nil
}

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

// FindLicenseByID returns the license with its current lifecycle fields.
// ENOTFOUND.
func (t *Tx) FindLicenseByID(id string) (*zhengzhao.License, error) {
	const op = "postgres.FindLicenseByID"
	l, err := scanLicense(t.q.QueryRow(t.ctx, "SELECT "+licenseColumns+" FROM licenses WHERE id = $1", id))
	if err != nil {
		return nil, findErr(op, err, "license %s not found", id)
	}
	return l, nil
}

// FindLicenses returns matching licenses in the order they were stored.
func (t *Tx) FindLicenses(f zhengzhao.LicenseFilter) ([]*zhengzhao.License, int, string, error) {
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
	return list(t, "postgres.FindLicenses", "licenses", licenseColumns, "seq", w, f.Page, func(rows pgx.Rows) (*zhengzhao.License, int64, error) {
		var seq int64
		l, err := scanLicense(rows, &seq)
		return l, seq, err
	})
}

// encodeDocument returns the stored form of a license: its JSON document
// with the lifecycle fields cleared, which the store keeps in columns.
// Face-field numbers are json.Number and encode digit for digit; TEXT
// keeps every byte.
func encodeDocument(l *zhengzhao.License) (string, error) {
	doc := *l
	doc.Status, doc.SupersededBy, doc.RevokedAt, doc.RevocationReason = "", "", nil, ""
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(&doc); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

// CreateLicense stores a signed license. ECONFLICT when the ID, or the same
// type, issuer, serial and version, exists; ENOTFOUND when the license
// type does not.
func (t *Tx) CreateLicense(l *zhengzhao.License) error {
	const op = "postgres.CreateLicense"
	doc, err := encodeDocument(l)
	if err != nil {
		return &zhengzhao.Error{Code: zhengzhao.EINVALID, Message: "the license cannot be encoded as JSON", Op: op, Err: err}
	}
	if err := checkText(op, l.ID, l.Type, l.Issuer.Code, l.Serial, l.Version, l.Holder.ID, l.Status, l.SupersededBy, l.RevocationReason, doc); err != nil {
		return err
	}
	n, err := t.exec(op, "", `INSERT INTO licenses (id, type, issuer, serial, version, holder_id,
			status, superseded_by, revoked_at, revocation_reason, signed_at, document)
		SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12
		WHERE EXISTS (SELECT FROM license_types WHERE code = $2)
		ON CONFLICT DO NOTHING`,
		l.ID, l.Type, l.Issuer.Code, l.Serial, l.Version, l.Holder.ID,
		l.Status, l.SupersededBy, l.RevokedAt, l.RevocationReason, l.SignedAt, doc)
	if err != nil || n > 0 {
		return err
	}
	var typeExists bool
	if err := t.q.QueryRow(t.ctx, "SELECT EXISTS (SELECT FROM license_types WHERE code = $1)", l.Type).Scan(&typeExists); err != nil {
		return mapErr(op, err, "")
	}
	if !typeExists {
		return notFound(op, "license type %s not found", l.Type)
	}
	return zhengzhao.Errorf(zhengzhao.ECONFLICT, "license %s exists", l.ID)
}

// UpdateLicenseLifecycle stores l's lifecycle fields. ENOTFOUND when there
// is no such license.
func (t *Tx) UpdateLicenseLifecycle(l *zhengzhao.License) error {
	const op = "postgres.UpdateLicenseLifecycle"
	if err := checkText(op, l.Status, l.SupersededBy, l.RevocationReason); err != nil {
		return err
	}
	n, err := t.exec(op, "", `UPDATE licenses SET status = $2, superseded_by = $3, revoked_at = $4, revocation_reason = $5
		WHERE id = $1`, l.ID, l.Status, l.SupersededBy, l.RevokedAt, l.RevocationReason)
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound(op, "license %s not found", l.ID)
	}
	return nil
}

// Idempotency records.

// FindIdempotencyRecord returns the record of the unit's key. ENOTFOUND.
func (t *Tx) FindIdempotencyRecord(unit, key string) (*zhengzhao.IdempotencyRecord, error) {
	const op = "postgres.FindIdempotencyRecord"
	var r zhengzhao.IdempotencyRecord
	err := t.q.QueryRow(t.ctx, `SELECT unit, key, request_hash, license_id, created_at FROM idempotency_records
		WHERE unit = $1 AND key = $2`, unit, key).Scan(&r.Unit, &r.Key, &r.RequestHash, &r.LicenseID, &r.CreatedAt)
	if err != nil {
		return nil, findErr(op, err, "idempotency key %q not found", key)
	}
	r.CreatedAt = utc(r.CreatedAt)
	return &r, nil
}

// CreateIdempotencyRecord stores a record. ECONFLICT when the unit's key
// exists, ENOTFOUND when the unit does not.
func (t *Tx) CreateIdempotencyRecord(r *zhengzhao.IdempotencyRecord) error {
	const op = "postgres.CreateIdempotencyRecord"
	if err := checkText(op, r.Unit, r.Key, r.LicenseID); err != nil {
		return err
	}
	n, err := t.exec(op, "", `INSERT INTO idempotency_records (unit, key, request_hash, license_id, created_at)
		SELECT $1, $2, $3, $4, $5 WHERE EXISTS (SELECT FROM units WHERE code = $1)
		ON CONFLICT DO NOTHING`,
		r.Unit, r.Key, r.RequestHash, r.LicenseID, r.CreatedAt)
	if err != nil || n > 0 {
		return err
	}
	return t.unitMissing(op, r.Unit, zhengzhao.Errorf(zhengzhao.ECONFLICT, "idempotency key %q was used", r.Key))
}

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

// AuditSize returns the number of audit entries.
func (t *Tx) AuditSize() (int64, error) {
	var n int64
	if err := t.q.QueryRow(t.ctx, "SELECT next FROM audit_counter WHERE id = 1").Scan(&n); err != nil {
		return 0, mapErr("postgres.AuditSize", err, "")
	}
	return n, nil
}

// AuditEntries returns the entries with index in [start, end), in order.
func (t *Tx) AuditEntries(start, end int64) ([]*zhengzhao.AuditEntry, error) {
	const op = "postgres.AuditEntries"
	if end <= start {
		return nil, nil
	}
	// The LIMIT keeps the plan an index range scan even when the
	// statistics are stale (after a bulk load): without it the planner
	// chose a parallel sequential scan of the whole log for each batch.
	rows, err := t.q.Query(t.ctx, "SELECT "+auditColumns+" FROM audit_entries WHERE idx >= $1 AND idx < $2 ORDER BY idx LIMIT $3", start, end, end-start)
	if err != nil {
		return nil, mapErr(op, err, "")
	}
	es, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*zhengzhao.AuditEntry, error) { return scanAuditEntry(row) })
	if err != nil {
		return nil, mapErr(op, err, "")
	}
	return es, nil
}

// FindAuditEntries returns matching entries in index order.
func (t *Tx) FindAuditEntries(f zhengzhao.AuditFilter) ([]*zhengzhao.AuditEntry, int, string, error) {
	var w where
	if f.LicenseBase != nil {
		w.add("license_base = ?", *f.LicenseBase)
		if *f.LicenseBase != "" {
			w.add("license_base <> ''") // lets the planner use the partial index
		}
	}
	if f.Actor != nil {
		w.add("actor = ?", *f.Actor)
	}
	// idx is both a column of the entry and the key.
	return list(t, "postgres.FindAuditEntries", "audit_entries", auditColumns, "idx", w, f.Page, func(rows pgx.Rows) (*zhengzhao.AuditEntry, int64, error) {
		var key int64
		e, err := scanAuditEntry(rows, &key)
		return e, key, err
	})
}

// AppendAudit appends e with the next index. The index comes from the
// audit_counter row, incremented in this transaction: the row stays
// locked until commit, so indexes are gap-free across servers, and a
// rollback (of the transaction or of the caller's savepoint) gives the
// index back.
func (t *Tx) AppendAudit(e *zhengzhao.AuditEntry) error {
	const op = "postgres.AppendAudit"
	var details []byte
	if len(e.Details) > 0 {
		var err error
		if details, err = json.Marshal(e.Details); err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
	}
	if err := checkText(op, e.Actor, e.Action, e.License, e.LicenseBase, e.Subject); err != nil {
		return err
	}
	if err := checkJSONB(op, details); err != nil {
		return err
	}
	at := e.Time
	if at.IsZero() {
		at = t.now
	}
	at = at.UTC().Truncate(time.Microsecond)
	var idx int64
	err := t.q.QueryRow(t.ctx, `WITH c AS (UPDATE audit_counter SET next = next + 1 WHERE id = 1 RETURNING next - 1 AS idx)
		INSERT INTO audit_entries (`+auditColumns+`)
		SELECT idx, $1, $2, $3, $4, $5, $6, $7 FROM c
		RETURNING idx`,
		at, e.Actor, e.Action, e.License, e.LicenseBase, e.Subject, details).Scan(&idx)
	if err != nil {
		return mapErr(op, err, "")
	}
	e.Index, e.Time = idx, at
	return nil
}

// Merkle tree.

// FindTreeHead returns the integrated tree head. Inside Update it locks
// the head row until commit (SELECT … FOR UPDATE), so that one integrator
// at a time extends the tree, whichever server it runs on.
func (t *Tx) FindTreeHead() (zhengzhao.TreeHead, error) {
	q := "SELECT size, root FROM tree_head WHERE id = 1"
	if t.write {
		q += " FOR UPDATE"
	}
	var h zhengzhao.TreeHead
	if err := t.q.QueryRow(t.ctx, q).Scan(&h.Size, &h.Root); err != nil {
		return h, mapErr("postgres.FindTreeHead", err, "")
	}
	return h, nil
}

// SetTreeHead records the integrated tree head.
func (t *Tx) SetTreeHead(h zhengzhao.TreeHead) error {
	_, err := t.exec("postgres.SetTreeHead", "", "UPDATE tree_head SET size = $1, root = $2 WHERE id = 1", h.Size, h.Root)
	return err
}

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

const checkpointColumns = "origin, size, root, note, time"

func scanCheckpoint(row pgx.Row) (*zhengzhao.Checkpoint, error) {
	var c zhengzhao.Checkpoint
	if err := row.Scan(&c.Origin, &c.Size, &c.Root, &c.Note, &c.Time); err != nil {
		return nil, err
	}
	c.Time = utc(c.Time)
	return &c, nil
}

// LatestCheckpoint returns the checkpoint with the largest size.
// ENOTFOUND when there is none.
func (t *Tx) LatestCheckpoint() (*zhengzhao.Checkpoint, error) {
	const op = "postgres.LatestCheckpoint"
	c, err := scanCheckpoint(t.q.QueryRow(t.ctx, "SELECT "+checkpointColumns+" FROM checkpoints ORDER BY size DESC LIMIT 1"))
	if err != nil {
		return nil, findErr(op, err, "no checkpoint has been signed")
	}
	return c, nil
}

// FindCheckpoints returns the checkpoints with size > afterSize, by size,
// at most limit of them.
func (t *Tx) FindCheckpoints(afterSize int64, limit int) ([]*zhengzhao.Checkpoint, error) {
	const op = "postgres.FindCheckpoints"
	if limit <= 0 {
		return nil, nil
	}
	rows, err := t.q.Query(t.ctx, "SELECT "+checkpointColumns+" FROM checkpoints WHERE size > $1 ORDER BY size LIMIT $2", afterSize, limit)
	if err != nil {
		return nil, mapErr(op, err, "")
	}
	cs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*zhengzhao.Checkpoint, error) { return scanCheckpoint(row) })
	if err != nil {
		return nil, mapErr(op, err, "")
	}
	return cs, nil
}

// CreateCheckpoint stores a signed checkpoint. ECONFLICT when a checkpoint
// of the same size exists.
func (t *Tx) CreateCheckpoint(c *zhengzhao.Checkpoint) error {
	const op = "postgres.CreateCheckpoint"
	if err := checkText(op, c.Origin, c.Note); err != nil {
		return err
	}
	n, err := t.exec(op, "", "INSERT INTO checkpoints ("+checkpointColumns+") VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
		c.Origin, c.Size, c.Root, c.Note, c.Time)
	if err != nil {
		return err
	}
	if n == 0 {
		return zhengzhao.Errorf(zhengzhao.ECONFLICT, "a checkpoint of size %d exists", c.Size)
	}
	return nil
}

package sqlstore

import (
	"fmt"
	"strings"

	"github.com/zhengzhao-project/zhengzhao"
)

// Licenses.

var (
	qFindLicense       = hot("SELECT " + licenseColumns + " FROM licenses WHERE id = ?")
	qFindLicenseStatus = hot(`SELECT type, issuer, serial, version, status, superseded_by, revoked_at, revocation_reason,
			EXISTS (SELECT 1 FROM objections WHERE license_base = ? AND status = ?)
		FROM licenses WHERE id = ?`)
	// qCreateLicense[base][guard]: with the base column (!ComputedBase),
	// with the license type checked by the statement (GuardRefs).
	qCreateLicense = [2][2]string{
		{hot(licenseInsert(false, false)), hot(licenseInsert(false, true))},
		{hot(licenseInsert(true, false)), hot(licenseInsert(true, true))},
	}
	qUpdateLifecycle   = hot(`UPDATE licenses SET status = ?, superseded_by = ?, revoked_at = ?, revocation_reason = ? WHERE id = ?`)
	qFindIdempotency   = hot("SELECT " + idempotencyColumns + " FROM idempotency_records WHERE unit = ? AND key = ?")
	qCreateIdempotency = hot(`INSERT INTO idempotency_records (` + idempotencyColumns + `)
		SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM units WHERE code = ?)
		ON CONFLICT DO NOTHING`)
)

const licenseColumns = "document, status, superseded_by, revoked_at, revocation_reason"

func scanLicense(r Row, extra ...any) (*zhengzhao.License, error) {
	var (
		doc []byte
		lc  zhengzhao.License // lifecycle fields
	)
	if err := r.Scan(append([]any{&doc, &lc.Status, &lc.SupersededBy, &lc.RevokedAt, &lc.RevocationReason}, extra...)...); err != nil {
		return nil, err
	}
	l, err := decodeDocument(doc)
	if err != nil {
		return nil, fmt.Errorf("stored license document: %w", err)
	}
	l.Status, l.SupersededBy, l.RevokedAt, l.RevocationReason = lc.Status, lc.SupersededBy, lc.RevokedAt, lc.RevocationReason
	return l, nil
}

// FindLicenseByID returns the license with its current lifecycle fields.
// ENOTFOUND.
func (t *Tx) FindLicenseByID(id string) (*zhengzhao.License, error) {
	return find(t, "FindLicenseByID", func(r Row) (*zhengzhao.License, error) { return scanLicense(r) },
		"license "+id+" not found", qFindLicense, id)
}

// FindLicenseStatus returns a license's identity and lifecycle columns
// without reading its document, and whether any version of it has an open
// objection, in one statement.
func (t *Tx) FindLicenseStatus(id string) (*zhengzhao.LicenseStatus, error) {
	l := zhengzhao.License{ID: id}
	st := zhengzhao.LicenseStatus{License: &l}
	err := t.queryRow(qFindLicenseStatus, l.Base(), zhengzhao.ObjectionOpen, id).
		Scan(&l.Type, &l.Issuer.Code, &l.Serial, &l.Version, &l.Status, &l.SupersededBy, &l.RevokedAt, &l.RevocationReason, &st.UnderObjection)
	if err != nil {
		return nil, t.found("FindLicenseStatus", err, "license "+id+" not found")
	}
	return &st, nil
}

// FindLicenses returns matching licenses in the order they were stored.
func (t *Tx) FindLicenses(f zhengzhao.LicenseFilter) ([]*zhengzhao.License, int, string, error) {
	return list(t, "FindLicenses", "licenses", licenseColumns, "seq", licenseWhere(f), f.Page,
		func(r Row, k *int64) (*zhengzhao.License, error) { return scanLicense(r, k) })
}

// FindLicensesSQL returns the statements FindLicenses runs for f, with ?
// placeholders, and the filter's arguments: the page, which takes args
// followed by the key after which it starts and the limit, and the count,
// which takes args. For the drivers' tests of query plans.
func FindLicensesSQL(f zhengzhao.LicenseFilter) (page, count string, args []any) {
	w := licenseWhere(f)
	page, count = listSQL("licenses", licenseColumns, "seq", w)
	return page, count, w.args
}

// licenseWhere returns the conditions of f.
func licenseWhere(f zhengzhao.LicenseFilter) where {
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
	return w
}

// LicenseBase returns l's base, also for a historical ID with a wrong
// check character.
func LicenseBase(l *zhengzhao.License) string {
	if b := l.Base(); b != "" {
		return b
	}
	return l.Type + "." + l.Issuer.Code + "." + l.Serial
}

// LicenseRow returns the columns of a license as stored, in the order of
// LicenseColumns, after checking its text.
func (t *Tx) LicenseRow(op string, l *zhengzhao.License) ([]any, error) {
	doc, err := EncodeDocument(l)
	if err != nil {
		return nil, &zhengzhao.Error{Code: zhengzhao.EINVALID, Message: "the license cannot be encoded as JSON", Op: t.d.Name + "." + op, Err: err}
	}
	if err := t.checkText(op, l.ID, l.Type, l.Issuer.Code, l.Serial, l.Version, l.Holder.ID, l.Status, l.SupersededBy, l.RevocationReason, doc); err != nil {
		return nil, err
	}
	row := []any{l.ID, l.Type, l.Issuer.Code, l.Serial, l.Version, l.Holder.ID,
		l.Status, l.SupersededBy, l.RevokedAt, l.RevocationReason, l.SignedAt, doc}
	if !t.d.ComputedBase {
		row = append(row, LicenseBase(l))
	}
	return row, nil
}

const licenseInsertColumns = `id, type, issuer, serial, version, holder_id,
	status, superseded_by, revoked_at, revocation_reason, signed_at, document`

// LicenseColumns returns the columns of LicenseRow.
func (t *Tx) LicenseColumns() string {
	if t.d.ComputedBase {
		return licenseInsertColumns
	}
	return licenseInsertColumns + ", base"
}

// licenseInsert returns the INSERT of a license row.
func licenseInsert(base, guard bool) string {
	cols, n := licenseInsertColumns, 12
	if base {
		cols, n = cols+", base", n+1
	}
	vals := "?" + strings.Repeat(", ?", n-1)
	if guard {
		return "INSERT INTO licenses (" + cols + ") SELECT " + vals +
			" WHERE EXISTS (SELECT 1 FROM license_types WHERE code = ?) ON CONFLICT DO NOTHING"
	}
	return "INSERT INTO licenses (" + cols + ") VALUES (" + vals + ") ON CONFLICT DO NOTHING"
}

// insertLicense stores l; ECONFLICT when it exists, ENOTFOUND when its
// license type does not. Where a failed statement aborts the transaction
// (Dialect.GuardRefs) the statement checks the type itself; elsewhere the
// foreign key refuses the row, which costs SQLite no statement journal.
func (t *Tx) insertLicense(op string, l *zhengzhao.License) error {
	row, err := t.LicenseRow(op, l)
	if err != nil {
		return err
	}
	base, guard := 0, 0
	if !t.d.ComputedBase {
		base = 1
	}
	if t.d.GuardRefs {
		guard, row = 1, append(row, l.Type)
	}
	n, err := t.exec(op, qCreateLicense[base][guard], row...)
	switch {
	case err == nil && n > 0:
		return nil
	case err == nil || zhengzhao.ErrorCode(err) == zhengzhao.ENOTFOUND:
		return t.missing(op, "license_types", "code", l.Type, "license type", &zhengzhao.Error{Code: zhengzhao.ECONFLICT,
			Message: fmt.Sprintf("license %s exists", l.ID), Op: t.d.Name + "." + op})
	}
	return err
}

// CreateLicense stores a signed license. ECONFLICT when the ID, or the same
// type, issuer, serial and version, exists; ENOTFOUND when the license
// type does not.
func (t *Tx) CreateLicense(l *zhengzhao.License) error { return t.insertLicense("CreateLicense", l) }

// UpdateLicenseLifecycle stores l's lifecycle fields. ENOTFOUND when there
// is no such license.
func (t *Tx) UpdateLicenseLifecycle(l *zhengzhao.License) error {
	const op = "UpdateLicenseLifecycle"
	if err := t.checkText(op, l.Status, l.SupersededBy, l.RevocationReason); err != nil {
		return err
	}
	return t.update(op, "license "+l.ID+" not found", qUpdateLifecycle, l.Status, l.SupersededBy, l.RevokedAt, l.RevocationReason, l.ID)
}

// Idempotency records.

const idempotencyColumns = "unit, key, request_hash, license_id, created_at"

func scanIdempotencyRecord(r Row) (*zhengzhao.IdempotencyRecord, error) {
	var rec zhengzhao.IdempotencyRecord
	if err := r.Scan(&rec.Unit, &rec.Key, &rec.RequestHash, &rec.LicenseID, &rec.CreatedAt); err != nil {
		return nil, err
	}
	return &rec, nil
}

// FindIdempotencyRecord returns the record of the unit's key. ENOTFOUND.
func (t *Tx) FindIdempotencyRecord(unit, key string) (*zhengzhao.IdempotencyRecord, error) {
	return find(t, "FindIdempotencyRecord", scanIdempotencyRecord, fmt.Sprintf("idempotency key %q not found", key),
		qFindIdempotency, unit, key)
}

// FindIdempotencyRecords returns a unit's records with key > afterKey, by
// key in byte order, at most limit of them.
func (t *Tx) FindIdempotencyRecords(unit, afterKey string, limit int) ([]*zhengzhao.IdempotencyRecord, error) {
	return collect(t, "FindIdempotencyRecords", scanIdempotencyRecord, `SELECT `+idempotencyColumns+` FROM idempotency_records
		WHERE unit = ? AND key `+t.d.Bytewise+` > ? ORDER BY key `+t.d.Bytewise+` LIMIT ?`, unit, afterKey, limit)
}

// CreateIdempotencyRecord stores a record. ECONFLICT when the unit's key
// exists, ENOTFOUND when the unit does not.
func (t *Tx) CreateIdempotencyRecord(r *zhengzhao.IdempotencyRecord) error {
	const op = "CreateIdempotencyRecord"
	if err := t.checkText(op, r.Unit, r.Key, r.LicenseID); err != nil {
		return err
	}
	n, err := t.exec(op, qCreateIdempotency,
		r.Unit, r.Key, r.RequestHash, r.LicenseID, r.CreatedAt, r.Unit)
	if err != nil || n > 0 {
		return err
	}
	return t.missing(op, "units", "code", r.Unit, "unit", zhengzhao.Errorf(zhengzhao.ECONFLICT, "idempotency key %q was used", r.Key))
}

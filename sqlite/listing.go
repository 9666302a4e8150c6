package sqlite

import (
	"database/sql"
	"fmt"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
)

// FindUnitKeys returns a unit's API keys, oldest first.
func (tx *Tx) FindUnitKeys(unit string) ([]*zhengzhao.UnitKey, error) {
	const op = "sqlite.FindUnitKeys"
	rows, err := tx.query(`SELECT id, unit, hash, created_at, revoked_at FROM unit_keys WHERE unit = ? ORDER BY created_at, id`, unit)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	defer rows.Close()
	var keys []*zhengzhao.UnitKey
	for rows.Next() {
		var (
			k       zhengzhao.UnitKey
			created string
			revoked sql.NullString
		)
		if err := rows.Scan(&k.ID, &k.Unit, &k.Hash, &created, &revoked); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		if k.CreatedAt, err = parseTime(created); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		if k.RevokedAt, err = parseNullTime(revoked); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		keys = append(keys, &k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return keys, nil
}

// FindIdempotencyRecords returns a unit's idempotency records with key >
// afterKey, by key.
func (tx *Tx) FindIdempotencyRecords(unit, afterKey string, limit int) ([]*zhengzhao.IdempotencyRecord, error) {
	const op = "sqlite.FindIdempotencyRecords"
	rows, err := tx.query(`SELECT key, request_hash, license_id, created_at FROM idempotency_records
		WHERE unit = ? AND key > ? ORDER BY key LIMIT ?`, unit, afterKey, limit)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	defer rows.Close()
	var out []*zhengzhao.IdempotencyRecord
	for rows.Next() {
		r := zhengzhao.IdempotencyRecord{Unit: unit}
		var created string
		if err := rows.Scan(&r.Key, &r.RequestHash, &r.LicenseID, &created); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		if r.CreatedAt, err = parseTime(created); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		out = append(out, &r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return out, nil
}

// qFindLicenseStatus runs on every verification: prepared once.
var qFindLicenseStatus = prepared(`SELECT type, issuer, serial, version, status, superseded_by, revoked_at, revocation_reason,
		EXISTS (SELECT 1 FROM objections WHERE license_base = ? AND status = ?)
	FROM licenses WHERE id = ?`)

// FindLicenseStatus returns a license's identity and lifecycle columns
// without decoding its document, and whether any version of it has an open
// objection, in one statement.
func (tx *Tx) FindLicenseStatus(id string) (*zhengzhao.LicenseStatus, error) {
	const op = "sqlite.FindLicenseStatus"
	var (
		l       = zhengzhao.License{ID: id}
		st      = zhengzhao.LicenseStatus{License: &l}
		revoked sql.NullString
	)
	err := tx.queryRow(qFindLicenseStatus, l.Base(), zhengzhao.ObjectionOpen, id).
		Scan(&l.Type, &l.Issuer.Code, &l.Serial, &l.Version, &l.Status, &l.SupersededBy, &revoked, &l.RevocationReason, &st.UnderObjection)
	if err != nil {
		return nil, notFound(op, err, "license %s not found", id)
	}
	if l.RevokedAt, err = parseNullTime(revoked); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return &st, nil
}

// RevokeUnitKey marks a unit's key revoked; the first revocation time stays.
func (tx *Tx) RevokeUnitKey(unit, id string, at time.Time) error {
	const op = "sqlite.RevokeUnitKey"
	res, err := tx.exec(`UPDATE unit_keys SET revoked_at = coalesce(revoked_at, ?) WHERE unit = ? AND id = ?`, formatTime(at), unit, id)
	if err != nil {
		return mapErr(op, err, "")
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	} else if n == 0 {
		return zhengzhao.Errorf(zhengzhao.ENOTFOUND, "unit %s has no key %s", unit, id)
	}
	return nil
}

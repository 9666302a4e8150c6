package postgres

import (
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/zhengzhao-project/zhengzhao"
)

// FindUnitKeys returns a unit's API keys, oldest first.
func (t *Tx) FindUnitKeys(unit string) ([]*zhengzhao.UnitKey, error) {
	const op = "postgres.FindUnitKeys"
	rows, err := t.q.Query(t.ctx, `SELECT id, unit, hash, created_at, revoked_at FROM unit_keys WHERE unit = $1 ORDER BY created_at, id`, unit)
	if err != nil {
		return nil, mapErr(op, err, "")
	}
	keys, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*zhengzhao.UnitKey, error) {
		var k zhengzhao.UnitKey
		err := r.Scan(&k.ID, &k.Unit, &k.Hash, &k.CreatedAt, &k.RevokedAt)
		k.CreatedAt, k.RevokedAt = utc(k.CreatedAt), utcPtr(k.RevokedAt)
		return &k, err
	})
	if err != nil {
		return nil, mapErr(op, err, "")
	}
	return keys, nil
}

// FindIdempotencyRecords returns a unit's idempotency records with key >
// afterKey, by key.
func (t *Tx) FindIdempotencyRecords(unit, afterKey string, limit int) ([]*zhengzhao.IdempotencyRecord, error) {
	const op = "postgres.FindIdempotencyRecords"
	rows, err := t.q.Query(t.ctx, `SELECT unit, key, request_hash, license_id, created_at FROM idempotency_records
		WHERE unit = $1 AND key COLLATE "C" > $2 ORDER BY key COLLATE "C" LIMIT $3`, unit, afterKey, limit)
	if err != nil {
		return nil, mapErr(op, err, "")
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*zhengzhao.IdempotencyRecord, error) {
		var rec zhengzhao.IdempotencyRecord
		err := r.Scan(&rec.Unit, &rec.Key, &rec.RequestHash, &rec.LicenseID, &rec.CreatedAt)
		rec.CreatedAt = utc(rec.CreatedAt)
		return &rec, err
	})
	if err != nil {
		return nil, mapErr(op, err, "")
	}
	return out, nil
}

// FindLicenseStatus returns a license's identity and lifecycle columns
// without reading its document, and whether any version of it has an open
// objection, in one statement.
func (t *Tx) FindLicenseStatus(id string) (*zhengzhao.LicenseStatus, error) {
	const op = "postgres.FindLicenseStatus"
	l := zhengzhao.License{ID: id}
	st := zhengzhao.LicenseStatus{License: &l}
	err := t.q.QueryRow(t.ctx, `SELECT type, issuer, serial, version, status, superseded_by, revoked_at, revocation_reason,
			EXISTS (SELECT FROM objections WHERE license_base = $2 AND status = $3)
		FROM licenses WHERE id = $1`, id, l.Base(), zhengzhao.ObjectionOpen).
		Scan(&l.Type, &l.Issuer.Code, &l.Serial, &l.Version, &l.Status, &l.SupersededBy, &l.RevokedAt, &l.RevocationReason, &st.UnderObjection)
	if err != nil {
		return nil, findErr(op, err, "license %s not found", id)
	}
	l.RevokedAt = utcPtr(l.RevokedAt)
	return &st, nil
}

// RevokeUnitKey marks a unit's key revoked; the first revocation time stays.
func (t *Tx) RevokeUnitKey(unit, id string, at time.Time) error {
	const op = "postgres.RevokeUnitKey"
	n, err := t.exec(op, "", `UPDATE unit_keys SET revoked_at = coalesce(revoked_at, $1) WHERE unit = $2 AND id = $3`, at, unit, id)
	if err != nil {
		return err
	}
	if n == 0 {
		return zhengzhao.Errorf(zhengzhao.ENOTFOUND, "unit %s has no key %s", unit, id)
	}
	return nil
}

package sqlstore

import (
	"fmt"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
)

// Units.

const unitColumns = "code, name, roles, region, signing_alg, created_at"

var (
	qFindUnit       = hot("SELECT " + unitColumns + " FROM units WHERE code = ?")
	qFindUnitKey    = hot("SELECT " + unitKeyColumns + " FROM unit_keys WHERE hash = ?")
	qFindSigningKey = hot("SELECT " + signingKeyColumns + " FROM signing_keys WHERE kid = ?")
)

func scanUnit(r Row, extra ...any) (*zhengzhao.Unit, error) {
	var (
		u     zhengzhao.Unit
		roles []string
	)
	if err := r.Scan(append([]any{&u.Code, &u.Name, &roles, &u.Region, &u.SigningAlg, &u.CreatedAt}, extra...)...); err != nil {
		return nil, err
	}
	for _, role := range roles {
		u.Roles = append(u.Roles, zhengzhao.Role(role))
	}
	return &u, nil
}

// FindUnitByCode returns the unit with the given code. ENOTFOUND.
func (t *Tx) FindUnitByCode(code string) (*zhengzhao.Unit, error) {
	return find(t, "FindUnitByCode", func(r Row) (*zhengzhao.Unit, error) { return scanUnit(r) },
		"unit "+code+" not found", qFindUnit, code)
}

// FindUnits returns matching units in the order they were created.
func (t *Tx) FindUnits(f zhengzhao.UnitFilter) ([]*zhengzhao.Unit, int, string, error) {
	var w where
	if f.Code != nil {
		w.add("code = ?", *f.Code)
	}
	if f.Role != nil {
		w.add(t.d.ListHas("roles"), string(*f.Role))
	}
	return list(t, "FindUnits", "units", unitColumns, "seq", w, f.Page, func(r Row, k *int64) (*zhengzhao.Unit, error) { return scanUnit(r, k) })
}

// CreateUnit stores a unit. ECONFLICT when the code exists.
func (t *Tx) CreateUnit(u *zhengzhao.Unit) error {
	const op = "CreateUnit"
	roles := strs(u.Roles)
	if err := t.checkText(op, append(roles, u.Code, u.Name, u.Region, u.SigningAlg)...); err != nil {
		return err
	}
	return t.insert(op, "unit "+u.Code+" exists", `INSERT INTO units (code, name, roles, region, signing_alg, created_at)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		u.Code, u.Name, roles, u.Region, u.SigningAlg, u.CreatedAt)
}

// Unit keys.

const unitKeyColumns = "id, unit, hash, created_at, revoked_at"

func scanUnitKey(r Row) (*zhengzhao.UnitKey, error) {
	var k zhengzhao.UnitKey
	if err := r.Scan(&k.ID, &k.Unit, &k.Hash, &k.CreatedAt, &k.RevokedAt); err != nil {
		return nil, err
	}
	return &k, nil
}

// FindUnitKeyByHash returns the unit key whose secret hashes to hash.
// ENOTFOUND.
func (t *Tx) FindUnitKeyByHash(hash []byte) (*zhengzhao.UnitKey, error) {
	return find(t, "FindUnitKeyByHash", scanUnitKey, "unit key not found",
		qFindUnitKey, hash)
}

// FindUnitKeys returns a unit's keys, oldest first.
func (t *Tx) FindUnitKeys(unit string) ([]*zhengzhao.UnitKey, error) {
	return collect(t, "FindUnitKeys", scanUnitKey,
		"SELECT "+unitKeyColumns+" FROM unit_keys WHERE unit = ? ORDER BY created_at, id", unit)
}

// CreateUnitKey stores a unit key. ECONFLICT when the ID or hash exists,
// ENOTFOUND when the unit does not.
func (t *Tx) CreateUnitKey(k *zhengzhao.UnitKey) error {
	const op = "CreateUnitKey"
	if err := t.checkText(op, k.ID, k.Unit); err != nil {
		return err
	}
	n, err := t.exec(op, `INSERT INTO unit_keys (`+unitKeyColumns+`)
		SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM units WHERE code = ?)
		ON CONFLICT DO NOTHING`,
		k.ID, k.Unit, k.Hash, k.CreatedAt, k.RevokedAt, k.Unit)
	if err != nil || n > 0 {
		return err
	}
	return t.missing(op, "units", "code", k.Unit, "unit", zhengzhao.Errorf(zhengzhao.ECONFLICT, "unit key %s exists", k.ID))
}

// RevokeUnitKey marks a unit's key revoked; the first revocation time
// stays. ENOTFOUND when the unit has no such key.
func (t *Tx) RevokeUnitKey(unit, id string, at time.Time) error {
	return t.update("RevokeUnitKey", fmt.Sprintf("unit %s has no key %s", unit, id),
		"UPDATE unit_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE unit = ? AND id = ?", at, unit, id)
}

// Signing keys.

const signingKeyColumns = "kid, unit, alg, cert_pem, private_key, not_before, not_after, created_at, active"

func scanSigningKey(r Row) (*zhengzhao.SigningKey, error) {
	var k zhengzhao.SigningKey
	if err := r.Scan(&k.KID, &k.Unit, &k.Alg, &k.CertPEM, &k.PrivateKey, &k.NotBefore, &k.NotAfter, &k.CreatedAt, &k.Active); err != nil {
		return nil, err
	}
	return &k, nil
}

// FindSigningKeyByKID returns the signing key with the given key ID.
// ENOTFOUND.
func (t *Tx) FindSigningKeyByKID(kid string) (*zhengzhao.SigningKey, error) {
	return find(t, "FindSigningKeyByKID", scanSigningKey, "signing key "+kid+" not found",
		qFindSigningKey, kid)
}

// FindSigningKeys returns matching keys, oldest first.
func (t *Tx) FindSigningKeys(f zhengzhao.SigningKeyFilter) ([]*zhengzhao.SigningKey, error) {
	var w where
	if f.Unit != nil {
		w.add("unit = ?", *f.Unit)
	}
	if f.ActiveOnly {
		w.add("active")
	}
	return collect(t, "FindSigningKeys", scanSigningKey,
		"SELECT "+signingKeyColumns+" FROM signing_keys WHERE "+w.String()+" ORDER BY created_at, seq", w.args...)
}

// CreateSigningKey stores a signing key. ECONFLICT when the key ID exists,
// ENOTFOUND when the unit does not.
func (t *Tx) CreateSigningKey(k *zhengzhao.SigningKey) error {
	const op = "CreateSigningKey"
	if err := t.checkText(op, k.KID, k.Unit, k.Alg, k.CertPEM); err != nil {
		return err
	}
	n, err := t.exec(op, `INSERT INTO signing_keys (`+signingKeyColumns+`)
		SELECT ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM units WHERE code = ?)
		ON CONFLICT DO NOTHING`,
		k.KID, k.Unit, k.Alg, k.CertPEM, k.PrivateKey, k.NotBefore, k.NotAfter, k.CreatedAt, k.Active, k.Unit)
	if err != nil || n > 0 {
		return err
	}
	return t.missing(op, "units", "code", k.Unit, "unit", zhengzhao.Errorf(zhengzhao.ECONFLICT, "signing key %s exists", k.KID))
}

// DeactivateSigningKeys marks every key of the unit inactive.
func (t *Tx) DeactivateSigningKeys(unit string) error {
	_, err := t.exec("DeactivateSigningKeys", "UPDATE signing_keys SET active = FALSE WHERE unit = ? AND active", unit)
	return err
}

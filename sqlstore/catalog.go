package sqlstore

import (
	"encoding/json"
	"fmt"

	"github.com/zhengzhao-project/zhengzhao"
)

// License types.

var qFindLicenseType = hot("SELECT " + licenseTypeColumns + " FROM license_types WHERE code = ?")

const licenseTypeColumns = "code, name, definer, holder_kind, level, public, CAST(collect_since AS TEXT), fields, issuers, owner, created_at"

func scanLicenseType(r Row, extra ...any) (*zhengzhao.LicenseType, error) {
	var (
		lt     zhengzhao.LicenseType
		fields []byte
	)
	err := r.Scan(append([]any{&lt.Code, &lt.Name, &lt.Definer, &lt.HolderKind, &lt.Level, &lt.Public, &lt.CollectSince,
		&fields, &lt.Issuers, &lt.Owner, &lt.CreatedAt}, extra...)...)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(fields, &lt.Fields); err != nil {
		return nil, fmt.Errorf("license type %s: fields: %w", lt.Code, err)
	}
	return &lt, nil
}

// FindLicenseTypeByCode returns the license type with the given code.
// ENOTFOUND.
func (t *Tx) FindLicenseTypeByCode(code string) (*zhengzhao.LicenseType, error) {
	return find(t, "FindLicenseTypeByCode", func(r Row) (*zhengzhao.LicenseType, error) { return scanLicenseType(r) },
		"license type "+code+" not found", qFindLicenseType, code)
}

// FindLicenseTypes returns matching license types in the order they were
// created. A type without issuers matches every Issuer.
func (t *Tx) FindLicenseTypes(f zhengzhao.LicenseTypeFilter) ([]*zhengzhao.LicenseType, int, string, error) {
	var w where
	if f.Code != nil {
		w.add("code = ?", *f.Code)
	}
	if f.PublicOnly {
		w.add("public")
	}
	if f.Issuer != nil {
		w.add("("+t.d.ListEmpty("issuers")+" OR "+t.d.ListHas("issuers")+")", *f.Issuer)
	}
	return list(t, "FindLicenseTypes", "license_types", licenseTypeColumns, "seq", w, f.Page,
		func(r Row, k *int64) (*zhengzhao.LicenseType, error) { return scanLicenseType(r, k) })
}

// CreateLicenseType stores a license type. ECONFLICT when the code exists.
func (t *Tx) CreateLicenseType(lt *zhengzhao.LicenseType) error {
	const op = "CreateLicenseType"
	fields, err := t.jsonArg(op, lt.Fields)
	if err != nil {
		return err
	}
	issuers := nonNil(lt.Issuers) // empty means any issuer
	if err := t.checkText(op, append([]string{lt.Code, lt.Name, lt.Definer, string(lt.HolderKind), lt.Level, lt.Owner}, issuers...)...); err != nil {
		return err
	}
	if _, err := zhengzhao.ParseDate(lt.CollectSince); err != nil {
		return &zhengzhao.Error{Code: zhengzhao.EINVALID, Message: "collect_since must be a date YYYY-MM-DD", Op: t.d.Name + "." + op}
	}
	return t.insert(op, "license type "+lt.Code+" exists", `INSERT INTO license_types (code, name, definer, holder_kind, level,
			public, collect_since, fields, issuers, owner, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		lt.Code, lt.Name, lt.Definer, string(lt.HolderKind), lt.Level, lt.Public, lt.CollectSince, fields, issuers, lt.Owner, lt.CreatedAt)
}

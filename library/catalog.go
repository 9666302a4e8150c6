// Measures art. 7 (发证清单管理): each issuer's catalog of license types, with their
// templates (face fields), publicity and standard level.

package library

import (
	"context"
	"fmt"
	"slices"

	"github.com/zhengzhao-project/zhengzhao"
)

// CreateLicenseType adds a catalog entry. An issuing unit that defines a
// type is always among its issuers.
func (l *Catalog) CreateLicenseType(ctx context.Context, t *zhengzhao.LicenseType) error {
	a := zhengzhao.ActorFromContext(ctx)
	if !isAdmin(a) {
		u, err := requireUnitRole(ctx, zhengzhao.RoleIssuer)
		if err != nil {
			return err
		}
		t.Owner = u.Code
		if !slices.Contains(t.Issuers, u.Code) {
			t.Issuers = append([]string{u.Code}, t.Issuers...)
		}
	}
	if err := t.Validate(); err != nil {
		return err
	}
	if t.Issuers == nil {
		t.Issuers = []string{}
	}
	t.CreatedAt = l.nowUTC()
	err := l.store.Update(ctx, func(tx zhengzhao.Tx) error {
		for i, code := range t.Issuers {
			u, err := tx.FindUnitByCode(code)
			if zhengzhao.ErrorCode(err) == zhengzhao.ENOTFOUND || (err == nil && !u.HasRole(zhengzhao.RoleIssuer)) {
				return &zhengzhao.Error{Code: zhengzhao.EINVALID, Message: "invalid license type",
					Fields: []zhengzhao.FieldError{{Field: fmt.Sprintf("issuers[%d]", i), Message: "no issuing unit " + code}}}
			} else if err != nil {
				return err
			}
		}
		if err := tx.CreateLicenseType(t); err != nil {
			if zhengzhao.ErrorCode(err) == zhengzhao.ECONFLICT {
				return &zhengzhao.Error{Code: zhengzhao.ECONFLICT, Message: "license type " + t.Code + " exists",
					Fields: []zhengzhao.FieldError{{Field: "code", Message: "a license type with this code exists"}}}
			}
			return err
		}
		return audit(ctx, tx, zhengzhao.AuditEntry{Action: zhengzhao.ActionLicenseTypeCreate, Subject: t.Code,
			Details: map[string]string{"name": t.Name, "level": t.Level, "public": fmt.Sprint(t.Public)}})
	})
	if err != nil {
		return fmt.Errorf("create license type %s: %w", t.Code, err)
	}
	return nil
}

// mayKnowType reports whether the actor may see a non-public type.
func mayKnowType(a zhengzhao.Actor, t *zhengzhao.LicenseType) bool {
	if t.Public || isAdmin(a) {
		return true
	}
	return a.Kind == zhengzhao.ActorUnit && a.Unit != nil && (t.Owner == a.Unit.Code || slices.Contains(t.Issuers, a.Unit.Code))
}

// FindLicenseTypeByCode returns a catalog entry; non-public entries only to
// the administrator and the type's own units.
func (l *Catalog) FindLicenseTypeByCode(ctx context.Context, code string) (*zhengzhao.LicenseType, error) {
	var t *zhengzhao.LicenseType
	err := l.store.View(ctx, func(tx zhengzhao.ReadTx) (err error) {
		t, err = tx.FindLicenseTypeByCode(code)
		return err
	})
	if err != nil {
		return nil, err
	}
	if !mayKnowType(zhengzhao.ActorFromContext(ctx), t) {
		return nil, zhengzhao.Errorf(zhengzhao.ENOTFOUND, "no license type %s", code)
	}
	return t, nil
}

// FindLicenseTypes lists the catalog. Everyone sees the public types; the
// administrator sees all; an issuing unit asking for its own types
// (Issuer = its code) also sees its non-public ones.
func (l *Catalog) FindLicenseTypes(ctx context.Context, f zhengzhao.LicenseTypeFilter) ([]*zhengzhao.LicenseType, int, string, error) {
	a := zhengzhao.ActorFromContext(ctx)
	own := f.Issuer != nil && a.IsUnit(*f.Issuer)
	if !isAdmin(a) && !own {
		f.PublicOnly = true
	}
	f.Page = f.Page.Normalize()
	var (
		ts   []*zhengzhao.LicenseType
		n    int
		next string
	)
	err := l.store.View(ctx, func(tx zhengzhao.ReadTx) (err error) {
		ts, n, next, err = tx.FindLicenseTypes(f)
		return err
	})
	return ts, n, next, err
}

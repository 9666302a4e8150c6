// Measures art. 8 (证照归集与更新): issue, update and revoke one license at a time
// through the API, together with the paper license; the acts commit in issue.go.

package library

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/sign"
)

// IssueLicense validates, signs and stores a new license with its audit
// entry. With an idempotency key, a retry of the same request returns the
// license the first call issued.
func (l *Licenses) IssueLicense(ctx context.Context, r *zhengzhao.IssueRequest, idempotencyKey string) (*zhengzhao.License, error) {
	unit, err := requireUnitRole(ctx, zhengzhao.RoleIssuer)
	if err != nil {
		return nil, err
	}
	var reqHash []byte
	if idempotencyKey != "" {
		if len(idempotencyKey) > 255 {
			return nil, &zhengzhao.Error{Code: zhengzhao.EINVALID, Message: "Idempotency-Key is at most 255 characters",
				Fields: []zhengzhao.FieldError{{Field: "Idempotency-Key", Message: "at most 255 characters"}}}
		}
		b, err := json.Marshal(r)
		if err != nil {
			return nil, err
		}
		h := sha256.Sum256(b)
		reqHash = h[:]
		if lic, err := l.replay(ctx, unit.Code, idempotencyKey, reqHash); lic != nil || err != nil {
			return lic, err
		}
	}

	typ, err := l.licenseType(ctx, r.Type)
	if err != nil {
		return nil, err
	}
	if err := r.Validate(typ); err != nil {
		return nil, err
	}
	if !typ.MayIssue(unit.Code) {
		return nil, zhengzhao.Errorf(zhengzhao.EFORBIDDEN, "unit %s may not issue licenses of type %s", unit.Code, typ.Code)
	}
	s, err := l.signer(ctx, unit.Code)
	if err != nil {
		return nil, err
	}

	issuer := zhengzhao.Party{Code: unit.Code, Name: unit.Name}
	for attempt := 0; ; attempt++ {
		serial := r.Serial
		if serial == "" {
			serial = newSerial(l.now())
		}
		id := zhengzhao.LicenseID{TypeCode: typ.Code, IssuerCode: unit.Code, Serial: serial, Version: 1}
		v, err := l.signVersion(s, newLicense(typ, issuer, id, "", issueContent(r)))
		if err != nil {
			return nil, err
		}
		var replayed *zhengzhao.License
		err = l.store.Update(ctx, func(tx zhengzhao.Tx) error {
			if idempotencyKey != "" {
				// A concurrent retry may have committed since the check above.
				rec, err := tx.FindIdempotencyRecord(unit.Code, idempotencyKey)
				switch {
				case err == nil:
					if err := lostIssue(rec); err != nil {
						return err
					}
					if !bytes.Equal(rec.RequestHash, reqHash) {
						return idempotencyMismatch()
					}
					replayed, err = tx.FindLicenseByID(rec.LicenseID)
					return err
				case zhengzhao.ErrorCode(err) != zhengzhao.ENOTFOUND:
					return err
				}
			}
			var path map[string]string
			if idempotencyKey != "" {
				path = map[string]string{"idempotency_key": idempotencyKey} // published beside checkpoints (package ledger)
			}
			if err := l.commitIssue(ctx, tx, v, path); err != nil {
				return err
			}
			if idempotencyKey == "" {
				return nil
			}
			return tx.CreateIdempotencyRecord(&zhengzhao.IdempotencyRecord{Unit: unit.Code, Key: idempotencyKey,
				RequestHash: reqHash, LicenseID: v.lic.ID, CreatedAt: tx.Now()})
		})
		switch {
		case errors.Is(err, errSerialTaken) && r.Serial == "" && attempt < 3:
			continue // a generated serial collided: draw another
		case errors.Is(err, errSerialTaken):
			return nil, &zhengzhao.Error{Code: zhengzhao.ECONFLICT, Message: "serial " + serial + " is taken for this type and issuer",
				Fields: []zhengzhao.FieldError{{Field: "serial", Message: "already used for this license type and issuer"}}}
		case err != nil:
			return nil, fmt.Errorf("issue license: %w", err)
		case replayed != nil:
			return replayed, nil
		}
		return v.lic, nil
	}
}

// licenseType returns the catalog entry with the code, or nil when there
// is none. Entries never change once created, so they are cached.
func (l *core) licenseType(ctx context.Context, code string) (*zhengzhao.LicenseType, error) {
	if code == "" {
		return nil, nil
	}
	if t, ok := l.types.Load(code); ok {
		return t.(*zhengzhao.LicenseType), nil
	}
	var t *zhengzhao.LicenseType
	err := l.store.View(ctx, func(tx zhengzhao.ReadTx) (err error) {
		t, err = tx.FindLicenseTypeByCode(code)
		return err
	})
	switch {
	case zhengzhao.ErrorCode(err) == zhengzhao.ENOTFOUND:
		return nil, nil
	case err != nil:
		return nil, err
	}
	l.types.Store(code, t)
	return t, nil
}

var errSerialTaken = &zhengzhao.Error{Code: zhengzhao.ECONFLICT, Message: "serial taken"}

func idempotencyMismatch() error {
	return &zhengzhao.Error{Code: zhengzhao.ECONFLICT, Message: "this Idempotency-Key was used with a different request",
		Fields: []zhengzhao.FieldError{{Field: "Idempotency-Key", Message: "used with a different request body"}}}
}

// replay returns the license an earlier request with the same idempotency
// key issued, or nil when there was none.
func (l *core) replay(ctx context.Context, unit, key string, reqHash []byte) (*zhengzhao.License, error) {
	var lic *zhengzhao.License
	err := l.store.View(ctx, func(tx zhengzhao.ReadTx) error {
		rec, err := tx.FindIdempotencyRecord(unit, key)
		if zhengzhao.ErrorCode(err) == zhengzhao.ENOTFOUND {
			return nil
		} else if err != nil {
			return err
		}
		if err := lostIssue(rec); err != nil {
			return err
		}
		if !bytes.Equal(rec.RequestHash, reqHash) {
			return idempotencyMismatch()
		}
		lic, err = tx.FindLicenseByID(rec.LicenseID)
		return err
	})
	return lic, err
}

// signLicense sets SignedAt and the proof and returns the SHA-256 digest
// (hex) of the signed canonical document, recorded in the audit entry.
func (l *core) signLicense(s *sign.Signer, lic *zhengzhao.License) (string, error) {
	lic.SignedAt = l.now().UTC().Truncate(time.Second)
	lic.Proof = nil
	doc, err := json.Marshal(lic)
	if err != nil {
		return "", err
	}
	canon, err := sign.Canonicalize(doc, zhengzhao.UnsignedFields)
	if err != nil {
		return "", fmt.Errorf("sign license %s: %w", lic.ID, err)
	}
	p, err := sign.SignCanonical(s, canon)
	if err != nil {
		return "", fmt.Errorf("sign license %s: %w", lic.ID, err)
	}
	lic.Proof = p
	return sha256Hex(canon), nil
}

// newSerial returns a fresh serial: the time in milliseconds and five
// random characters, base 36, so serials sort roughly by issue time.
func newSerial(now time.Time) string {
	n, _ := rand.Int(rand.Reader, big.NewInt(36*36*36*36*36))
	r := strings.ToUpper(strconv.FormatInt(n.Int64(), 36))
	return strings.ToUpper(strconv.FormatInt(now.UnixMilli(), 36)) + strings.Repeat("0", 5-len(r)) + r
}

func fieldsOrEmpty(f map[string]any) map[string]any {
	if f == nil {
		return map[string]any{}
	}
	return f
}

func holderRef(h zhengzhao.Holder) string { return h.IDType + ":" + h.ID }

// mayRead reports whether the actor may read the license document.
func mayRead(a zhengzhao.Actor, lic *zhengzhao.License) bool {
	return isAdmin(a) || a.IsUnit(lic.Issuer.Code)
}

// FindLicenseByID returns a license to its issuer or the administrator and
// writes the read to the audit log.
func (l *Licenses) FindLicenseByID(ctx context.Context, id string) (*zhengzhao.License, error) {
	a := zhengzhao.ActorFromContext(ctx)
	if a.Kind == zhengzhao.ActorAnonymous || a.Kind == "" {
		return nil, zhengzhao.Errorf(zhengzhao.EUNAUTHENTICATED, "authentication required")
	}
	// Read on the read pool (one statement, no transaction); only the
	// audit entry of the read goes through the serialised write path. If
	// it cannot be written, the read fails.
	var lic *zhengzhao.License
	err := l.store.Peek(ctx, func(tx zhengzhao.ReadTx) (err error) {
		lic, err = tx.FindLicenseByID(id)
		return err
	})
	if err == nil && !mayRead(a, lic) {
		err = zhengzhao.Errorf(zhengzhao.EFORBIDDEN, "license %s belongs to another issuer", id)
	}
	if err == nil {
		err = l.store.Update(ctx, func(tx zhengzhao.Tx) error {
			return audit(ctx, tx, zhengzhao.AuditEntry{Action: zhengzhao.ActionLicenseRead, License: lic.ID, LicenseBase: lic.Base()})
		})
	}
	if err != nil {
		l.countRefusal(ctx, a, id, err)
		return nil, err
	}
	l.effective(lic)
	return lic, nil
}

// effective sets a license's status to its effective value now: a valid
// license past its validity reads as expired, as verify reports it.
func (l *core) effective(lics ...*zhengzhao.License) {
	now := l.now()
	for _, lic := range lics {
		lic.Status = lic.StatusAt(now)
	}
}

// FindLicenses lists licenses: an issuing unit its own, the administrator
// all.
func (l *Licenses) FindLicenses(ctx context.Context, f zhengzhao.LicenseFilter) ([]*zhengzhao.License, int, string, error) {
	a := zhengzhao.ActorFromContext(ctx)
	if !isAdmin(a) {
		u, err := requireUnitRole(ctx, zhengzhao.RoleIssuer)
		if err != nil {
			return nil, 0, "", err
		}
		if f.Issuer != nil && *f.Issuer != u.Code {
			return nil, 0, "", zhengzhao.Errorf(zhengzhao.EFORBIDDEN, "an issuing unit lists only its own licenses")
		}
		f.Issuer = &u.Code
	}
	if f.HolderID != nil && *f.HolderID == "" {
		f.HolderID = nil
	}
	f.Page = f.Page.Normalize()
	var (
		ls   []*zhengzhao.License
		n    int
		next string
	)
	err := l.store.View(ctx, func(tx zhengzhao.ReadTx) (err error) {
		ls, n, next, err = tx.FindLicenses(f)
		return err
	})
	l.effective(ls...)
	return ls, n, next, err
}

// current loads a license for a change by its issuer and checks that it is
// the current version.
func current(ctx context.Context, tx licenseReader, id string) (*zhengzhao.License, error) {
	lic, err := tx.FindLicenseByID(id)
	if err != nil {
		return nil, err
	}
	if !zhengzhao.ActorFromContext(ctx).IsUnit(lic.Issuer.Code) {
		return nil, zhengzhao.Errorf(zhengzhao.EFORBIDDEN, "license %s belongs to another issuer", id)
	}
	switch lic.Status {
	case zhengzhao.StatusSuperseded:
		return nil, zhengzhao.Errorf(zhengzhao.ECONFLICT, "license %s is superseded by %s", id, lic.SupersededBy)
	case zhengzhao.StatusRevoked:
		return nil, zhengzhao.Errorf(zhengzhao.ECONFLICT, "license %s is revoked", id)
	}
	return lic, nil
}

// UpdateLicense issues the next version of a license and supersedes the
// current one, in one transaction.
func (l *Licenses) UpdateLicense(ctx context.Context, id string, u *zhengzhao.LicenseUpdate) (*zhengzhao.License, error) {
	p, err := l.prepareUpdate(ctx, id, u)
	if err != nil {
		return nil, err
	}
	err = l.store.Update(ctx, func(tx zhengzhao.Tx) error { return l.updateCurrent(ctx, tx, id, p) })
	if err != nil {
		return nil, fmt.Errorf("update license %s: %w", id, err)
	}
	return p.lic, nil
}

// prepareUpdate checks an update of license id by the acting issuer and
// signs the next version outside any transaction (signing is slow).
func (l *core) prepareUpdate(ctx context.Context, id string, u *zhengzhao.LicenseUpdate) (*version, error) {
	unit, err := requireUnitRole(ctx, zhengzhao.RoleIssuer)
	if err != nil {
		return nil, err
	}
	var (
		old *zhengzhao.License
		typ *zhengzhao.LicenseType
	)
	err = l.store.View(ctx, func(tx zhengzhao.ReadTx) (err error) {
		if old, err = current(ctx, tx, id); err != nil {
			return err
		}
		typ, err = tx.FindLicenseTypeByCode(old.Type)
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := u.Validate(typ, old); err != nil {
		return nil, err
	}
	lic, err := nextLicense(typ, zhengzhao.Party{Code: unit.Code, Name: unit.Name}, old, u)
	if errors.Is(err, errLastVersion) {
		return nil, zhengzhao.Errorf(zhengzhao.ECONFLICT, "license %s has reached version 999", id)
	} else if err != nil {
		return nil, err
	}
	s, err := l.signer(ctx, unit.Code)
	if err != nil {
		return nil, err
	}
	return l.signVersion(s, lic)
}

// updateCurrent commits version v prepared by prepareUpdate as the next
// version of license id in tx, provided id is still current.
func (l *core) updateCurrent(ctx context.Context, tx zhengzhao.Tx, id string, v *version) error {
	cur, err := current(ctx, tx, id) // it may have changed since prepareUpdate
	if err != nil {
		return err
	}
	return l.commitUpdate(ctx, tx, cur, v, nil)
}

// RevokeLicense revokes (注销) the current version of a license.
func (l *Licenses) RevokeLicense(ctx context.Context, id, reason string) (*zhengzhao.License, error) {
	if _, err := requireUnitRole(ctx, zhengzhao.RoleIssuer); err != nil {
		return nil, err
	}
	reason, bad := validRevocation(reason)
	if bad != "" {
		return nil, zhengzhao.Invalid("invalid revocation", []zhengzhao.FieldError{{Field: "reason", Message: bad}})
	}
	var lic *zhengzhao.License
	err := l.store.Update(ctx, func(tx zhengzhao.Tx) (err error) {
		if lic, err = current(ctx, tx, id); err != nil {
			return err
		}
		return l.commitRevoke(ctx, tx, lic, reason, nil)
	})
	if err != nil {
		return nil, fmt.Errorf("revoke license %s: %w", id, err)
	}
	return lic, nil
}

package library

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/sign"
)

// CreateUnit registers a unit; an issuing unit also gets its signing key and
// certificate from the library CA, in the same transaction.
func (l *Units) CreateUnit(ctx context.Context, u *zhengzhao.Unit) error {
	if err := requireAdmin(ctx); err != nil {
		return err
	}
	if err := u.Validate(); err != nil {
		return err
	}
	u.CreatedAt = l.nowUTC()
	var key *zhengzhao.SigningKey
	if u.HasRole(zhengzhao.RoleIssuer) {
		var err error
		// Generating and certifying the key is slow; do it before the
		// transaction so that it does not hold the writer.
		if key, err = l.newSigningKey(u); err != nil {
			return fmt.Errorf("create unit %s: %w", u.Code, err)
		}
	}
	err := l.store.Update(ctx, func(tx zhengzhao.Tx) error {
		if err := tx.CreateUnit(u); err != nil {
			if zhengzhao.ErrorCode(err) == zhengzhao.ECONFLICT {
				return &zhengzhao.Error{Code: zhengzhao.ECONFLICT, Message: "unit " + u.Code + " exists",
					Fields: []zhengzhao.FieldError{{Field: "code", Message: "a unit with this code exists"}}}
			}
			return err
		}
		roles := make([]string, len(u.Roles))
		for i, r := range u.Roles {
			roles[i] = string(r)
		}
		if err := audit(ctx, tx, zhengzhao.AuditEntry{Action: zhengzhao.ActionUnitCreate, Subject: u.Code,
			Details: map[string]string{"name": u.Name, "roles": strings.Join(roles, ","), "region": u.Region}}); err != nil {
			return err
		}
		if key == nil {
			return nil
		}
		return l.storeSigningKey(ctx, tx, key)
	})
	if err != nil {
		return fmt.Errorf("create unit %s: %w", u.Code, err)
	}
	return nil
}

// newSigningKey creates a key of the unit's algorithm and certifies it.
func (l *core) newSigningKey(u *zhengzhao.Unit) (*zhengzhao.SigningKey, error) {
	priv, err := sign.GenerateKey(u.SigningAlg)
	if err != nil {
		return nil, fmt.Errorf("generate %s key: %w", u.SigningAlg, err)
	}
	kid, err := sign.KeyID(priv.Public())
	if err != nil {
		return nil, err
	}
	now := l.nowUTC()
	notBefore, notAfter := now.Add(-5*time.Minute), now.Add(l.certTTL)
	certPEM, err := l.ca.IssueCertificate(u.Code, u.Name, priv.Public(), notBefore, notAfter)
	if err != nil {
		return nil, fmt.Errorf("certify key: %w", err)
	}
	der, err := sign.MarshalPrivateKey(priv)
	if err != nil {
		return nil, err
	}
	sealed, err := l.sealer.Seal(der, []byte(kid))
	if err != nil {
		return nil, fmt.Errorf("seal key: %w", err)
	}
	return &zhengzhao.SigningKey{KID: kid, Unit: u.Code, Alg: u.SigningAlg, CertPEM: certPEM, PrivateKey: sealed,
		NotBefore: notBefore, NotAfter: notAfter, CreatedAt: now, Active: true}, nil
}

// storeSigningKey makes key the unit's only active key, with its audit entry.
func (l *core) storeSigningKey(ctx context.Context, tx zhengzhao.Tx, key *zhengzhao.SigningKey) error {
	if err := tx.DeactivateSigningKeys(key.Unit); err != nil {
		return err
	}
	if err := tx.CreateSigningKey(key); err != nil {
		return err
	}
	return audit(ctx, tx, zhengzhao.AuditEntry{Action: zhengzhao.ActionSigningKeyCreate, Subject: key.KID,
		Details: map[string]string{"unit": key.Unit, "alg": key.Alg, "not_after": key.NotAfter.Format("2006-01-02T15:04:05Z07:00")}})
}

// FindUnitByCode returns a unit to the administrator or to the unit itself.
func (l *Units) FindUnitByCode(ctx context.Context, code string) (*zhengzhao.Unit, error) {
	a := zhengzhao.ActorFromContext(ctx)
	if !isAdmin(a) && !a.IsUnit(code) {
		if err := requireAdmin(ctx); err != nil {
			return nil, err
		}
	}
	var u *zhengzhao.Unit
	err := l.store.View(ctx, func(tx zhengzhao.ReadTx) (err error) {
		u, err = tx.FindUnitByCode(code)
		return err
	})
	return u, err
}

// FindUnits lists units for the administrator.
func (l *Units) FindUnits(ctx context.Context, f zhengzhao.UnitFilter) ([]*zhengzhao.Unit, int, string, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, 0, "", err
	}
	f.Page = f.Page.Normalize()
	var (
		us   []*zhengzhao.Unit
		n    int
		next string
	)
	err := l.store.View(ctx, func(tx zhengzhao.ReadTx) (err error) {
		us, n, next, err = tx.FindUnits(f)
		return err
	})
	return us, n, next, err
}

// unitKeyPrefix marks Zhengzhao API keys so that secret scanners can find
// leaked ones.
const unitKeyPrefix = "zzk_"

// CreateUnitKey creates an API key for a unit and returns its secret once.
func (l *Units) CreateUnitKey(ctx context.Context, unit string) (string, *zhengzhao.UnitKey, error) {
	if err := requireAdmin(ctx); err != nil {
		return "", nil, err
	}
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	secret := unitKeyPrefix + base64.RawURLEncoding.EncodeToString(raw)
	hash := sha256.Sum256([]byte(secret))
	k := &zhengzhao.UnitKey{ID: randomHex(8), Unit: unit, Hash: hash[:], CreatedAt: l.nowUTC()}
	err := l.store.Update(ctx, func(tx zhengzhao.Tx) error {
		if _, err := tx.FindUnitByCode(unit); err != nil {
			return err
		}
		if err := tx.CreateUnitKey(k); err != nil {
			return err
		}
		return audit(ctx, tx, zhengzhao.AuditEntry{Action: zhengzhao.ActionUnitKeyCreate, Subject: unit,
			Details: map[string]string{"key_id": k.ID}})
	})
	if err != nil {
		return "", nil, fmt.Errorf("create key for unit %s: %w", unit, err)
	}
	return secret, k, nil
}

// Authenticate returns the unit that owns the API key secret.
func (l *Units) Authenticate(ctx context.Context, secret string) (*zhengzhao.Unit, error) {
	unauth := zhengzhao.Errorf(zhengzhao.EUNAUTHENTICATED, "invalid credentials")
	if !strings.HasPrefix(secret, unitKeyPrefix) {
		return nil, unauth
	}
	hash := sha256.Sum256([]byte(secret))
	var u *zhengzhao.Unit
	err := l.store.View(ctx, func(tx zhengzhao.ReadTx) error {
		k, err := tx.FindUnitKeyByHash(hash[:])
		if err != nil {
			return err
		}
		if k.RevokedAt != nil {
			return zhengzhao.Errorf(zhengzhao.ENOTFOUND, "key revoked")
		}
		u, err = tx.FindUnitByCode(k.Unit)
		return err
	})
	if zhengzhao.ErrorCode(err) == zhengzhao.ENOTFOUND {
		return nil, unauth
	}
	return u, err
}

// signer returns the active signer of an issuing unit, decrypting its key
// once per process.
func (l *core) signer(ctx context.Context, unit string) (*sign.Signer, error) {
	now := l.now()
	l.mu.Lock()
	c := l.signers[unit]
	l.mu.Unlock()
	if c != nil && now.Before(c.recheck) {
		return c.signer, nil
	}
	// Another server may have rotated the key: look at the active one.
	var keys []*zhengzhao.SigningKey
	err := l.store.View(ctx, func(tx zhengzhao.ReadTx) (err error) {
		keys, err = tx.FindSigningKeys(zhengzhao.SigningKeyFilter{Unit: &unit, ActiveOnly: true})
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, zhengzhao.Errorf(zhengzhao.ECONFLICT, "unit %s has no active signing key", unit)
	}
	k := keys[len(keys)-1]
	if c == nil || c.kid != k.KID {
		der, err := l.sealer.Open(k.PrivateKey, []byte(k.KID))
		if err != nil {
			return nil, fmt.Errorf("open signing key %s: %w", k.KID, err)
		}
		priv, err := sign.ParsePrivateKey(der)
		if err != nil {
			return nil, fmt.Errorf("parse signing key %s: %w", k.KID, err)
		}
		s, err := sign.NewSigner(priv, k.CertPEM)
		if err != nil {
			return nil, fmt.Errorf("signing key %s: %w", k.KID, err)
		}
		c = &cachedSigner{signer: s, kid: k.KID}
	}
	fresh := &cachedSigner{signer: c.signer, kid: c.kid, recheck: now.Add(l.signerRecheck)}
	l.mu.Lock()
	l.signers[unit] = fresh
	l.mu.Unlock()
	return fresh.signer, nil
}

// cachedSigner is a unit's active signing key as this server last saw it.
type cachedSigner struct {
	signer  *sign.Signer
	kid     string
	recheck time.Time // when to look for a newer active key
}

// CACertificatePEM returns the library CA's certificate.
func (l *Keys) CACertificatePEM() string { return l.ca.CertPEM() }

// FindSigningKeys lists every issuer's signing certificate.
func (l *Keys) FindSigningKeys(ctx context.Context) ([]*zhengzhao.SigningKey, error) {
	var keys []*zhengzhao.SigningKey
	err := l.store.View(ctx, func(tx zhengzhao.ReadTx) (err error) {
		keys, err = tx.FindSigningKeys(zhengzhao.SigningKeyFilter{})
		return err
	})
	for _, k := range keys {
		k.PrivateKey = nil
	}
	return keys, err
}

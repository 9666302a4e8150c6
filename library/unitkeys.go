// Measures art. 12 (电子签名与认证): the units' signing keys and certificates issued by the
// library's CA, rotated without invalidating what they signed.

package library

import (
	"context"
	"fmt"

	"github.com/zhengzhao-project/zhengzhao"
)

// FindUnitKeys lists a unit's API keys without their secrets.
func (l *Units) FindUnitKeys(ctx context.Context, unit string) ([]*zhengzhao.UnitKey, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	var keys []*zhengzhao.UnitKey
	err := l.store.View(ctx, func(tx zhengzhao.ReadTx) (err error) {
		if _, err = tx.FindUnitByCode(unit); err != nil {
			return err
		}
		keys, err = tx.FindUnitKeys(unit)
		return err
	})
	return keys, err
}

// RevokeUnitKey revokes one of a unit's API keys; Authenticate refuses it
// from the moment the transaction commits, on every server.
func (l *Units) RevokeUnitKey(ctx context.Context, unit, id string) (*zhengzhao.UnitKey, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	var key *zhengzhao.UnitKey
	err := l.store.Update(ctx, func(tx zhengzhao.Tx) error {
		if err := tx.RevokeUnitKey(unit, id, tx.Now()); err != nil {
			return err
		}
		keys, err := tx.FindUnitKeys(unit)
		if err != nil {
			return err
		}
		for _, k := range keys {
			if k.ID == id {
				key = k
			}
		}
		return audit(ctx, tx, zhengzhao.AuditEntry{Action: zhengzhao.ActionUnitKeyRevoke, Subject: unit, Details: map[string]string{"key_id": id}})
	})
	if err != nil {
		return nil, fmt.Errorf("revoke key %s of unit %s: %w", id, unit, err)
	}
	return key, nil
}

// RotateSigningKey gives an issuing unit a new signing key and certificate
// and makes it the only active one. Licenses signed with an older key keep
// verifying: their proofs carry their own certificate. This server signs
// with the new key at once; other servers on the same database switch
// within Config.SignerRecheck.
func (l *Units) RotateSigningKey(ctx context.Context, unit string) (*zhengzhao.SigningKey, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	var u *zhengzhao.Unit
	err := l.store.View(ctx, func(tx zhengzhao.ReadTx) (err error) {
		u, err = tx.FindUnitByCode(unit)
		return err
	})
	if err != nil {
		return nil, err
	}
	if !u.HasRole(zhengzhao.RoleIssuer) {
		return nil, zhengzhao.Errorf(zhengzhao.EINVALID, "unit %s is not an issuing unit and has no signing key", unit)
	}
	key, err := l.newSigningKey(u)
	if err != nil {
		return nil, fmt.Errorf("rotate signing key of %s: %w", unit, err)
	}
	err = l.store.Update(ctx, func(tx zhengzhao.Tx) error {
		if err := l.storeSigningKey(ctx, tx, key); err != nil {
			return err
		}
		return audit(ctx, tx, zhengzhao.AuditEntry{Action: zhengzhao.ActionSigningKeyRotate, Subject: unit, Details: map[string]string{"kid": key.KID}})
	})
	if err != nil {
		return nil, fmt.Errorf("rotate signing key of %s: %w", unit, err)
	}
	l.mu.Lock()
	delete(l.signers, unit)
	l.mu.Unlock()
	key.PrivateKey = nil
	return key, nil
}

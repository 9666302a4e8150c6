// Measures art. 22 (弥合数字鸿沟): proxies (代办) who act for holders under a revocable
// authorization; printed copies carry a verification QR (presentation.go).

package library

import (
	"context"
	"fmt"
	"strings"

	"github.com/zhengzhao-project/zhengzhao"
)

// GrantProxy records a proxy authorization (代办). A holder grants it for
// themself; the administrator records one for a holder who cannot, on the
// strength of a signed form (whose reference goes in Note). A proxy cannot
// pass its authorization on.
func (l *Holders) GrantProxy(ctx context.Context, p *zhengzhao.ProxyAuthorization) error {
	a := zhengzhao.ActorFromContext(ctx)
	switch {
	case isAdmin(a):
	case a.Kind == zhengzhao.ActorHolder && a.IsProxy():
		return zhengzhao.Errorf(zhengzhao.EFORBIDDEN, "a proxy cannot grant authorizations for the holder it acts for")
	case a.Kind == zhengzhao.ActorHolder:
		p.Holder = a.Holder()
	default:
		if _, err := requireHolder(ctx); err != nil {
			return err
		}
	}
	p.ID = randomHex(8)
	p.CreatedAt = l.nowUTC()
	p.CreatedBy = a.ID()
	p.RevokedAt, p.RevokedBy = nil, ""
	p.ProxyName, p.HolderName = strings.TrimSpace(p.ProxyName), strings.TrimSpace(p.HolderName)
	if err := p.Validate(); err != nil {
		return err
	}
	err := l.store.Update(ctx, func(tx zhengzhao.Tx) error {
		if err := tx.CreateProxyAuthorization(p); err != nil {
			return err
		}
		return audit(ctx, tx, zhengzhao.AuditEntry{Action: zhengzhao.ActionProxyGrant, Subject: p.Holder.String(),
			Details: map[string]string{"authorization": p.ID, "proxy": p.Proxy.String(), "relation": p.Relation, "note": p.Note}})
	})
	if err != nil {
		return fmt.Errorf("grant proxy: %w", err)
	}
	return nil
}

// RevokeProxy revokes an authorization: the holder who gave it, the proxy
// who holds it (declining), or the administrator. It takes effect at once,
// also for a session that is acting under it.
func (l *Holders) RevokeProxy(ctx context.Context, id string) (*zhengzhao.ProxyAuthorization, error) {
	a := zhengzhao.ActorFromContext(ctx)
	if !isAdmin(a) {
		if _, err := requireHolder(ctx); err != nil {
			return nil, err
		}
		if a.IsProxy() {
			return nil, zhengzhao.Errorf(zhengzhao.EFORBIDDEN, "sign in as yourself to change authorizations")
		}
	}
	var p *zhengzhao.ProxyAuthorization
	err := l.store.Update(ctx, func(tx zhengzhao.Tx) (err error) {
		p, err = tx.FindProxyAuthorizationByID(id)
		if err == nil && !isAdmin(a) && p.Holder != a.Holder() && p.Proxy != a.Holder() {
			err = zhengzhao.Errorf(zhengzhao.ENOTFOUND, "no authorization %s", id)
		}
		if err != nil {
			return err
		}
		if p.RevokedAt != nil {
			return zhengzhao.Errorf(zhengzhao.ECONFLICT, "authorization %s is already revoked", id)
		}
		at := tx.Now()
		p.RevokedAt, p.RevokedBy = &at, a.ID()
		if err := tx.UpdateProxyAuthorization(p); err != nil {
			return err
		}
		return audit(ctx, tx, zhengzhao.AuditEntry{Action: zhengzhao.ActionProxyRevoke, Subject: p.Holder.String(),
			Details: map[string]string{"authorization": p.ID, "proxy": p.Proxy.String()}})
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// FindProxies lists the authorizations the signed-in person gave (as
// holder) and received (as proxy), oldest first; the administrator lists
// by the filter.
func (l *Holders) FindProxies(ctx context.Context, f zhengzhao.ProxyFilter) ([]*zhengzhao.ProxyAuthorization, error) {
	a := zhengzhao.ActorFromContext(ctx)
	var out []*zhengzhao.ProxyAuthorization
	err := l.store.View(ctx, func(tx zhengzhao.ReadTx) error {
		if isAdmin(a) {
			ps, err := tx.FindProxyAuthorizations(f)
			out = ps
			return err
		}
		if _, err := requireHolder(ctx); err != nil {
			return err
		}
		me := a.Holder()
		if a.IsProxy() {
			me = zhengzhao.HolderRef{IDType: a.ProxyIDType, ID: a.ProxyID}
		}
		given, err := tx.FindProxyAuthorizations(zhengzhao.ProxyFilter{Holder: me, ActiveAt: f.ActiveAt})
		if err != nil {
			return err
		}
		received, err := tx.FindProxyAuthorizations(zhengzhao.ProxyFilter{Proxy: me, ActiveAt: f.ActiveAt})
		out = append(given, received...)
		return err
	})
	return out, err
}

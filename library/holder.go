package library

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/sign"
)

// HolderOptions configure the holder area: display tokens, sessions and
// notifications.
type HolderOptions struct {
	// BaseURL is the public URL of the library, without a trailing slash;
	// display QR codes encode BaseURL + "/v/" + token. Its length decides
	// how much a token may carry inline (the QR code must stay at version
	// 10, level M). Empty: tokens are sized for a base of up to 40
	// characters and Presentation.URL is a path.
	BaseURL string
	// TokenTTL is the life of a display token (default 60 s).
	TokenTTL time.Duration
	// PrintTTL is the life of the verification QR on a printed copy
	// (default 5 years).
	PrintTTL time.Duration
	// SessionTTL is the life of a holder session (default 12 h).
	SessionTTL time.Duration
	// DisplayAlg is the algorithm of new display keys (default SM2-SM3).
	DisplayAlg string
	// Notifier, when set, is told of every delivery through the outbox.
	Notifier zhengzhao.Notifier
}

// holderState is the library's holder-area state.
type holderState struct {
	opts     HolderOptions // set by New, never changed
	mu       sync.Mutex
	display  *sign.Signer
	notAfter time.Time
	// known holds the key IDs of display keys added to the trust store;
	// reloaded is when the store was last read for unknown handles.
	known    map[string]bool
	reloaded time.Time
}

// holderDefaults returns o with the defaults of unset options.
func holderDefaults(o HolderOptions) HolderOptions {
	o.BaseURL = strings.TrimRight(o.BaseURL, "/")
	if o.TokenTTL <= 0 {
		o.TokenTTL = 60 * time.Second
	}
	if o.PrintTTL <= 0 {
		o.PrintTTL = 5 * 365 * 24 * time.Hour
	}
	if o.SessionTTL <= 0 {
		o.SessionTTL = 12 * time.Hour
	}
	if o.DisplayAlg == "" {
		o.DisplayAlg = zhengzhao.AlgSM2SM3
	}
	return o
}

// holderOpts returns the holder options, set once by New.
func (l *core) holderOpts() HolderOptions { return l.holder.opts }

// requireHolder returns the holder the actor acts as (or for, as a proxy).
func requireHolder(ctx context.Context) (zhengzhao.Actor, error) {
	a := zhengzhao.ActorFromContext(ctx)
	switch {
	case a.Kind == zhengzhao.ActorAnonymous || a.Kind == "":
		return a, zhengzhao.Errorf(zhengzhao.EUNAUTHENTICATED, "sign in as a holder first")
	case a.Kind != zhengzhao.ActorHolder || a.HolderID == "":
		return a, zhengzhao.Errorf(zhengzhao.EFORBIDDEN, "only a signed-in holder may do this")
	}
	return a, nil
}

func requireSystem(ctx context.Context) error {
	if zhengzhao.ActorFromContext(ctx).Kind != zhengzhao.ActorSystem {
		return zhengzhao.Errorf(zhengzhao.EFORBIDDEN, "only the library itself may do this")
	}
	return nil
}

// sessionPrefix marks holder session secrets.
const sessionPrefix = "zzs_"

func hashSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// CreateHolderSession stores a new session and returns its secret.
func (l *Holders) CreateHolderSession(ctx context.Context, s *zhengzhao.HolderSession, ttl time.Duration) (string, error) {
	if err := requireSystem(ctx); err != nil {
		return "", err
	}
	if err := zhengzhao.ValidateHolderRef(s.Holder); err != nil {
		return "", err
	}
	if ttl <= 0 {
		ttl = l.holderOpts().SessionTTL
	}
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	secret := sessionPrefix + base64.RawURLEncoding.EncodeToString(raw)
	s.Hash = hashSecret(secret)
	s.ActingFor, s.ProxyAuthorization = zhengzhao.HolderRef{}, ""
	s.CreatedAt = l.nowUTC()
	s.ExpiresAt = s.CreatedAt.Add(ttl)
	err := l.store.Update(ctx, func(tx zhengzhao.Tx) error {
		if _, err := tx.DeleteExpiredHolderSessions(tx.Now()); err != nil {
			return err
		}
		return tx.CreateHolderSession(s)
	})
	if err != nil {
		return "", fmt.Errorf("create holder session: %w", err)
	}
	return secret, nil
}

var errNoSession = zhengzhao.Errorf(zhengzhao.EUNAUTHENTICATED, "not signed in, or the session has ended")

// AuthenticateHolder returns the live session of a secret. A session that
// acts for a holder whose authorization has ended comes back acting for
// the signed-in person again.
func (l *Holders) AuthenticateHolder(ctx context.Context, secret string) (*zhengzhao.HolderSession, error) {
	if !strings.HasPrefix(secret, sessionPrefix) {
		return nil, errNoSession
	}
	var s *zhengzhao.HolderSession
	err := l.store.View(ctx, func(tx zhengzhao.ReadTx) (err error) {
		if s, err = tx.FindHolderSessionByHash(hashSecret(secret)); err != nil {
			return err
		}
		if !l.now().Before(s.ExpiresAt) {
			return errNoSession
		}
		if s.ActingFor.IsZero() {
			return nil
		}
		p, err := tx.FindProxyAuthorizationByID(s.ProxyAuthorization)
		if err != nil && zhengzhao.ErrorCode(err) != zhengzhao.ENOTFOUND {
			return err
		}
		if p == nil || !p.ActiveAt(l.now()) || p.Proxy != s.Holder || p.Holder != s.ActingFor {
			s.ActingFor, s.ProxyAuthorization = zhengzhao.HolderRef{}, ""
		}
		return nil
	})
	switch zhengzhao.ErrorCode(err) {
	case "":
		return s, nil
	case zhengzhao.ENOTFOUND, zhengzhao.EUNAUTHENTICATED:
		return nil, errNoSession
	}
	return nil, err
}

// DeleteHolderSession signs a session out.
func (l *Holders) DeleteHolderSession(ctx context.Context, secret string) error {
	return l.store.Update(ctx, func(tx zhengzhao.Tx) error { return tx.DeleteHolderSession(hashSecret(secret)) })
}

// ActFor switches the session to act for h under an active proxy
// authorization, or back to the signed-in person when h is zero.
func (l *Holders) ActFor(ctx context.Context, secret string, h zhengzhao.HolderRef) (*zhengzhao.HolderSession, error) {
	s, err := l.AuthenticateHolder(ctx, secret)
	if err != nil {
		return nil, err
	}
	err = l.store.Update(ctx, func(tx zhengzhao.Tx) error {
		s.ActingFor, s.ProxyAuthorization = zhengzhao.HolderRef{}, ""
		if !h.IsZero() {
			now := tx.Now()
			ps, err := tx.FindProxyAuthorizations(zhengzhao.ProxyFilter{Holder: h, Proxy: s.Holder, ActiveAt: &now})
			if err != nil {
				return err
			}
			if len(ps) == 0 {
				return zhengzhao.Errorf(zhengzhao.EFORBIDDEN, "you are not authorized to act for this holder")
			}
			s.ActingFor, s.ProxyAuthorization = h, ps[len(ps)-1].ID
		}
		return tx.UpdateHolderSession(s)
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// auditProxyRead logs a read by a proxy: every proxy action is logged
// (art. 22, 26). Reads by holders themselves are not.
func (l *core) auditProxyRead(ctx context.Context, a zhengzhao.Actor, what string, lic *zhengzhao.License) error {
	if !a.IsProxy() {
		return nil
	}
	e := zhengzhao.AuditEntry{Action: zhengzhao.ActionHolderRead, Subject: a.Holder().String(),
		Details: map[string]string{"what": what, "proxy_authorization": a.ProxyAuthorization}}
	if lic != nil {
		e.License, e.LicenseBase = lic.ID, lic.Base()
	}
	return l.store.Update(ctx, func(tx zhengzhao.Tx) error { return audit(ctx, tx, e) })
}

// holderLicenses returns every license (all versions) held by h, in the
// order they were stored.
func holderLicenses(tx zhengzhao.ReadTx, h zhengzhao.HolderRef) ([]*zhengzhao.License, error) {
	var out []*zhengzhao.License
	p := zhengzhao.Page{Limit: zhengzhao.MaxPageLimit}
	for {
		ls, _, next, err := tx.FindLicenses(zhengzhao.LicenseFilter{HolderID: &h.ID, Page: p})
		if err != nil {
			return nil, err
		}
		for _, lic := range ls {
			if lic.Holder.IDType == h.IDType {
				out = append(out, lic)
			}
		}
		if next == "" || len(out) > 10*zhengzhao.MaxPageLimit {
			return out, nil
		}
		p.Cursor = next
	}
}

// FindHolderLicenses lists the holder's current licenses.
func (l *Holders) FindHolderLicenses(ctx context.Context, f zhengzhao.HolderLicenseFilter) ([]*zhengzhao.License, int, string, error) {
	a, err := requireHolder(ctx)
	if err != nil {
		return nil, 0, "", err
	}
	now := l.now()
	var all []*zhengzhao.License
	err = l.store.View(ctx, func(tx zhengzhao.ReadTx) (err error) {
		all, err = holderLicenses(tx, a.Holder())
		return err
	})
	if err != nil {
		return nil, 0, "", err
	}
	var ls []*zhengzhao.License
	for _, lic := range all {
		if lic.Status == zhengzhao.StatusSuperseded {
			continue
		}
		lic.Status = lic.StatusAt(now)
		if f.Status == nil || *f.Status == lic.Status {
			ls = append(ls, lic)
		}
	}
	p := f.Page.Normalize()
	off := 0
	if p.Cursor != "" {
		if off, err = strconv.Atoi(p.Cursor); err != nil || off < 0 || off > len(ls) {
			return nil, 0, "", zhengzhao.Invalid("invalid cursor", []zhengzhao.FieldError{{Field: "cursor", Message: "not a cursor this list handed out"}})
		}
	}
	total := len(ls)
	ls = ls[off:]
	next := ""
	if len(ls) > p.Limit {
		ls, next = ls[:p.Limit], strconv.Itoa(off+p.Limit)
	}
	if err := l.auditProxyRead(ctx, a, "licenses", nil); err != nil {
		return nil, 0, "", err
	}
	return ls, total, next, nil
}

// ownLicense loads a license by the ID of any version and checks that the
// holder holds it; someone else's license is not found, so that its
// existence is not revealed.
func ownLicense(tx zhengzhao.ReadTx, h zhengzhao.HolderRef, id string) (*zhengzhao.License, error) {
	lic, err := tx.FindLicenseByID(id)
	if err == nil && lic.Holder.Ref() != h {
		err = nil
		lic = nil
	}
	if lic == nil && err == nil {
		return nil, zhengzhao.Errorf(zhengzhao.ENOTFOUND, "you hold no license %s", id)
	}
	return lic, err
}

// FindHolderLicense returns one of the holder's licenses with its type and
// versions; the License member is the current version.
func (l *Holders) FindHolderLicense(ctx context.Context, id string) (*zhengzhao.HolderLicense, error) {
	a, err := requireHolder(ctx)
	if err != nil {
		return nil, err
	}
	hl, err := l.holderLicense(ctx, a.Holder(), id)
	if err != nil {
		return nil, err
	}
	if err := l.auditProxyRead(ctx, a, "license", hl.License); err != nil {
		return nil, err
	}
	return hl, nil
}

func (l *core) holderLicense(ctx context.Context, h zhengzhao.HolderRef, id string) (*zhengzhao.HolderLicense, error) {
	hl := &zhengzhao.HolderLicense{}
	err := l.store.View(ctx, func(tx zhengzhao.ReadTx) error {
		lic, err := ownLicense(tx, h, id)
		if err != nil {
			return err
		}
		base := lic.Base()
		vs, _, _, err := tx.FindLicenses(zhengzhao.LicenseFilter{Base: &base, Page: zhengzhao.Page{Limit: zhengzhao.MaxPageLimit}})
		if err != nil {
			return err
		}
		hl.Versions = vs
		hl.License = vs[len(vs)-1]
		for _, v := range vs {
			if v.Status != zhengzhao.StatusSuperseded {
				hl.License = v
			}
		}
		hl.Type, err = tx.FindLicenseTypeByCode(lic.Type)
		return err
	})
	if err != nil {
		return nil, err
	}
	now := l.now()
	for _, v := range hl.Versions {
		v.Status = v.StatusAt(now)
	}
	return hl, nil
}

// FindHolderUsage returns the usage record of one of the holder's
// licenses: every audit entry about any of its versions, in log order.
func (l *Holders) FindHolderUsage(ctx context.Context, id string, p zhengzhao.Page) ([]*zhengzhao.UsageEntry, int, string, error) {
	a, err := requireHolder(ctx)
	if err != nil {
		return nil, 0, "", err
	}
	var (
		out  []*zhengzhao.UsageEntry
		n    int
		next string
		lic  *zhengzhao.License
	)
	err = l.store.View(ctx, func(tx zhengzhao.ReadTx) (err error) {
		if lic, err = ownLicense(tx, a.Holder(), id); err != nil {
			return err
		}
		base := lic.Base()
		es, total, nx, err := tx.FindAuditEntries(zhengzhao.AuditFilter{LicenseBase: &base, Page: p.Normalize()})
		if err != nil {
			return err
		}
		n, next = total, nx
		names := map[string]string{}
		for _, e := range es {
			u := &zhengzhao.UsageEntry{AuditEntry: e}
			if code, ok := strings.CutPrefix(e.Actor, "unit:"); ok {
				name, seen := names[code]
				if !seen {
					if unit, err := tx.FindUnitByCode(code); err == nil {
						name = unit.Name
					}
					names[code] = name
				}
				u.ActorName = name
			}
			out = append(out, u)
		}
		return nil
	})
	if err != nil {
		return nil, 0, "", err
	}
	if err := l.auditProxyRead(ctx, a, "usage", lic); err != nil {
		return nil, 0, "", err
	}
	return out, n, next, nil
}

// FindInbox lists the holder's delivery messages, newest first.
func (l *Holders) FindInbox(ctx context.Context, f zhengzhao.InboxFilter) ([]*zhengzhao.InboxMessage, int, string, error) {
	a, err := requireHolder(ctx)
	if err != nil {
		return nil, 0, "", err
	}
	f.Holder = a.Holder()
	f.Page = f.Page.Normalize()
	var (
		ms   []*zhengzhao.InboxMessage
		n    int
		next string
	)
	err = l.store.View(ctx, func(tx zhengzhao.ReadTx) (err error) {
		ms, n, next, err = tx.FindInboxMessages(f)
		return err
	})
	if err != nil {
		return nil, 0, "", err
	}
	if err := l.auditProxyRead(ctx, a, "inbox", nil); err != nil {
		return nil, 0, "", err
	}
	return ms, n, next, nil
}

// ReadInboxMessage returns a message and records its first reading, with
// an audit entry, in one transaction.
func (l *Holders) ReadInboxMessage(ctx context.Context, id string) (*zhengzhao.InboxMessage, error) {
	a, err := requireHolder(ctx)
	if err != nil {
		return nil, err
	}
	var m *zhengzhao.InboxMessage
	err = l.store.Update(ctx, func(tx zhengzhao.Tx) (err error) {
		m, err = tx.FindInboxMessageByID(id)
		if err == nil && m.Holder != a.Holder() {
			err = zhengzhao.Errorf(zhengzhao.ENOTFOUND, "no message %s", id)
		}
		if err != nil {
			return err
		}
		if m.ReadAt != nil && !a.IsProxy() {
			return nil
		}
		if m.ReadAt == nil {
			if err := tx.MarkInboxMessageRead(id, tx.Now()); err != nil {
				return err
			}
			at := tx.Now()
			m.ReadAt = &at
		}
		d := map[string]string{"message": id, "kind": m.Kind}
		if a.IsProxy() {
			d["proxy_authorization"] = a.ProxyAuthorization
		}
		return audit(ctx, tx, zhengzhao.AuditEntry{Action: zhengzhao.ActionInboxRead, License: m.License, LicenseBase: m.LicenseBase, Details: d})
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// DemoHolders lists holders of the demo data for the demo sign-in: people
// first, then organizations.
func (l *Holders) DemoHolders(ctx context.Context, limit int) ([]zhengzhao.Holder, error) {
	if err := requireSystem(ctx); err != nil {
		return nil, err
	}
	var people, orgs []zhengzhao.Holder
	seen := map[zhengzhao.HolderRef]bool{}
	err := l.store.View(ctx, func(tx zhengzhao.ReadTx) error {
		ls, _, _, err := tx.FindLicenses(zhengzhao.LicenseFilter{Page: zhengzhao.Page{Limit: zhengzhao.MaxPageLimit}})
		for _, lic := range ls {
			if seen[lic.Holder.Ref()] {
				continue
			}
			seen[lic.Holder.Ref()] = true
			if lic.Holder.Kind == zhengzhao.HolderPerson {
				people = append(people, lic.Holder)
			} else {
				orgs = append(orgs, lic.Holder)
			}
		}
		return err
	})
	hs := append(people, orgs...)
	if len(hs) > limit {
		hs = hs[:limit]
	}
	return hs, err
}

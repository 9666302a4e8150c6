package zhengzhao

import (
	"context"
	"time"
)

// Holders (持证主体, Measures art. 9, 16, 22): sign-in, the delivery inbox,
// the wallet, dynamic display tokens (亮证), the verifier, printable copies
// and proxies (代办).

// Audit actions of the holder area.
const (
	ActionPresentationCreate = "presentation.create" // a holder showed a license (亮证) or printed it
	ActionPresentationVerify = "presentation.verify" // someone scanned a display token
	ActionHolderRead         = "holder.read"         // a proxy read a holder's license, inbox or usage record
	ActionInboxRead          = "inbox.read"          // a holder or proxy read a delivery message
	ActionProxyGrant         = "proxy.grant"         // a proxy authorization was recorded
	ActionProxyRevoke        = "proxy.revoke"        // a proxy authorization was revoked
	ActionDisplayKeyCreate   = "display_key.create"  // the library made a new display-token key
)

// HolderRef names a holder by ID type and number.
type HolderRef struct {
	IDType string `json:"id_type"`
	ID     string `json:"id"`
}

// String returns "<id type>:<id>", as audit entries write it.
func (h HolderRef) String() string { return h.IDType + ":" + h.ID }

// IsZero reports whether h names nobody.
func (h HolderRef) IsZero() bool { return h.IDType == "" && h.ID == "" }

// Ref returns the holder's reference.
func (h Holder) Ref() HolderRef { return HolderRef{IDType: h.IDType, ID: h.ID} }

// ValidateHolderRef checks an ID type and number: a resident ID number for
// IDTypeResident, a credit code for IDTypeUSCC; other ID types are accepted
// when both parts are short printable ASCII.
func ValidateHolderRef(h HolderRef) error {
	fe := newFieldErrors()
	switch h.IDType {
	case IDTypeResident:
		fe.addErr("id", ValidateResidentID(h.ID))
	case IDTypeUSCC:
		fe.addErr("id", ValidateUSCC(h.ID))
	case "":
		fe.add("id_type", "required")
	default:
		if !printableASCII(h.IDType, 10) {
			fe.add("id_type", "at most 10 printable ASCII characters")
		}
		if h.ID == "" || !printableASCII(h.ID, 64) {
			fe.add("id", "1 to 64 printable ASCII characters")
		}
	}
	return Invalid("invalid holder", fe.errors())
}

func printableASCII(s string, max int) bool {
	if len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' || s[i] == ':' || s[i] == '/' {
			return false
		}
	}
	return true
}

// Sign-in methods of a holder session.
const (
	SignInOIDC = "oidc" // through the configured OpenID provider
	SignInDemo = "demo" // the demo sign-in of `serve --demo`
)

// HolderSession is a signed-in holder's server-side session. The browser
// holds only an opaque secret; the store keeps its SHA-256 hash.
type HolderSession struct {
	Hash []byte `json:"-"`
	// Holder is who signed in.
	Holder HolderRef `json:"holder"`
	Name   string    `json:"name"`
	Method string    `json:"method"`
	// ActingFor is the holder this person acts for as a proxy (代办), under
	// the authorization ProxyAuthorization; zero when acting for themself.
	ActingFor          HolderRef `json:"acting_for"`
	ProxyAuthorization string    `json:"proxy_authorization,omitempty"`
	CreatedAt          time.Time `json:"created_at"`
	ExpiresAt          time.Time `json:"expires_at"`
}

// Actor returns the actor the session's requests act as: the holder, or,
// when acting as a proxy, the represented holder with the proxy named.
func (s *HolderSession) Actor() Actor {
	if !s.ActingFor.IsZero() {
		return Actor{Kind: ActorHolder, HolderIDType: s.ActingFor.IDType, HolderID: s.ActingFor.ID,
			ProxyIDType: s.Holder.IDType, ProxyID: s.Holder.ID, ProxyAuthorization: s.ProxyAuthorization}
	}
	return Actor{Kind: ActorHolder, HolderIDType: s.Holder.IDType, HolderID: s.Holder.ID}
}

// HolderLicense is one license as its holder sees it in the wallet: the
// current document, its type (for the face-field labels) and every version.
type HolderLicense struct {
	License *License     `json:"license"`
	Type    *LicenseType `json:"type"`
	// Versions lists every version, oldest first.
	Versions []*License `json:"versions"`
}

// HolderLicenseFilter selects a holder's licenses.
type HolderLicenseFilter struct {
	// Status selects by effective status (valid, expired, revoked); nil
	// means all. Superseded versions are never listed on their own.
	Status *string
	Page
}

// UsageEntry is one line of a holder's usage record: an audit entry about
// one of the holder's licenses, with the acting party named for people.
type UsageEntry struct {
	*AuditEntry
	// ActorName is the unit's name when a unit acted, else empty.
	ActorName string `json:"actor_name,omitempty"`
}

// HolderReadTx reads holder state. Stores implement it as part of ReadTx.
type HolderReadTx interface {
	// FindHolderSessionByHash returns the session whose secret hashes to
	// hash. ENOTFOUND.
	FindHolderSessionByHash(hash []byte) (*HolderSession, error)
	// FindInboxMessageByID returns a delivery message. ENOTFOUND.
	FindInboxMessageByID(id string) (*InboxMessage, error)
	// FindInboxMessages returns the holder's messages, newest first.
	FindInboxMessages(f InboxFilter) ([]*InboxMessage, int, string, error)
	// FindNotificationByID returns a notification. ENOTFOUND.
	FindNotificationByID(id string) (*Notification, error)
	// FindDisplayKeys returns the display-token keys, oldest first.
	FindDisplayKeys() ([]*DisplayKey, error)
	// FindPresentationByNonce returns the presentation of a display token
	// by its nonce (hex). ENOTFOUND.
	FindPresentationByNonce(nonce string) (*Presentation, error)
	// FindProxyAuthorizationByID returns an authorization. ENOTFOUND.
	FindProxyAuthorizationByID(id string) (*ProxyAuthorization, error)
	// FindProxyAuthorizations returns matching authorizations, oldest
	// first.
	FindProxyAuthorizations(f ProxyFilter) ([]*ProxyAuthorization, error)
}

// HolderTx writes holder state. Stores implement it as part of Tx.
type HolderTx interface {
	// CreateHolderSession stores a session. ECONFLICT when its hash exists.
	CreateHolderSession(s *HolderSession) error
	// UpdateHolderSession stores the session's ActingFor and
	// ProxyAuthorization. ENOTFOUND.
	UpdateHolderSession(s *HolderSession) error
	// DeleteHolderSession removes a session; removing a missing one is not
	// an error.
	DeleteHolderSession(hash []byte) error
	// DeleteExpiredHolderSessions removes the sessions that expired before
	// now and returns how many.
	DeleteExpiredHolderSessions(now time.Time) (int, error)

	// CreateInboxMessage stores a delivery message. ECONFLICT when its ID
	// exists.
	CreateInboxMessage(m *InboxMessage) error
	// MarkInboxMessageRead sets the message's ReadAt unless it is set.
	// ENOTFOUND.
	MarkInboxMessageRead(id string, at time.Time) error

	// CreateNotification queues a notification. ECONFLICT when its ID
	// exists.
	CreateNotification(n *Notification) error
	// ClaimNotifications returns up to limit unsent notifications that are
	// due at now (the longest due first, returned in no particular order)
	// and moves their NextAttempt to
	// leaseUntil, so that another worker does not send them meanwhile.
	ClaimNotifications(now, leaseUntil time.Time, limit int) ([]*Notification, error)
	// UpdateNotification stores the notification's Attempts, NextAttempt,
	// SentAt, FailedAt and LastError. ENOTFOUND.
	UpdateNotification(n *Notification) error

	// CreateDisplayKey stores a display-token key. ECONFLICT when its key
	// ID exists.
	CreateDisplayKey(k *DisplayKey) error
	// CreatePresentation stores a presentation. ECONFLICT when its nonce
	// exists.
	CreatePresentation(p *Presentation) error

	// CreateProxyAuthorization stores an authorization. ECONFLICT when its
	// ID exists.
	CreateProxyAuthorization(p *ProxyAuthorization) error
	// UpdateProxyAuthorization stores the authorization's RevokedAt and
	// RevokedBy. ENOTFOUND.
	UpdateProxyAuthorization(p *ProxyAuthorization) error
}

// HolderService is what the transport calls for holders. Every method but
// the sign-in ones and VerifyPresentation acts for the holder in the
// context (ActorHolder); a holder sees only their own licenses, inbox and
// usage record, and a proxy only those of the holder it acts for.
type HolderService interface {
	// CreateHolderSession signs a holder in after the transport has
	// authenticated them (OpenID Connect or the demo sign-in) and returns
	// the session's secret for the cookie. Only the system actor may call
	// it. EINVALID, EFORBIDDEN.
	CreateHolderSession(ctx context.Context, s *HolderSession, ttl time.Duration) (secret string, err error)
	// AuthenticateHolder returns the live session of a secret.
	// EUNAUTHENTICATED.
	AuthenticateHolder(ctx context.Context, secret string) (*HolderSession, error)
	// DeleteHolderSession signs a session out.
	DeleteHolderSession(ctx context.Context, secret string) error
	// ActFor makes the session act for the given holder under an active
	// proxy authorization, or for the signed-in person again when h is
	// zero. EFORBIDDEN when there is no such authorization.
	ActFor(ctx context.Context, secret string, h HolderRef) (*HolderSession, error)

	// FindHolderLicenses lists the holder's current licenses (the latest
	// version of each), in the order they were issued. EUNAUTHENTICATED,
	// EFORBIDDEN.
	FindHolderLicenses(ctx context.Context, f HolderLicenseFilter) ([]*License, int, string, error)
	// FindHolderLicense returns one of the holder's licenses by the ID of
	// any of its versions, with its type and versions. ENOTFOUND also when
	// the license belongs to someone else.
	FindHolderLicense(ctx context.Context, id string) (*HolderLicense, error)
	// FindHolderUsage returns the usage record of one of the holder's
	// licenses: every audit entry about any of its versions, newest first.
	// ENOTFOUND also when the license belongs to someone else.
	FindHolderUsage(ctx context.Context, id string, p Page) ([]*UsageEntry, int, string, error)

	// FindInbox lists the holder's delivery messages, newest first.
	FindInbox(ctx context.Context, f InboxFilter) ([]*InboxMessage, int, string, error)
	// ReadInboxMessage returns a message and records the first reading.
	// ENOTFOUND also when it is someone else's.
	ReadInboxMessage(ctx context.Context, id string) (*InboxMessage, error)

	// CreatePresentation signs a display token for one of the holder's
	// licenses, showing the chosen fields. EINVALID, ENOTFOUND, ECONFLICT
	// (the license is not valid).
	CreatePresentation(ctx context.Context, r *PresentationRequest) (*Presentation, error)
	// VerifyPresentation checks a display token: signature, key, expiry,
	// the record of the presentation and the license's current status.
	// Anyone may call it; a refused token is a result, not an error.
	VerifyPresentation(ctx context.Context, token string) (*PresentationResult, error)
	// FindDisplayKeys lists the display-token keys' certificates, for the
	// published trust bundle.
	FindDisplayKeys(ctx context.Context) ([]*DisplayKey, error)

	// GrantProxy records a proxy authorization: the holder themself, or
	// the administrator for a holder who cannot (a signed paper form at a
	// counter). EINVALID, EFORBIDDEN.
	GrantProxy(ctx context.Context, p *ProxyAuthorization) error
	// RevokeProxy revokes an authorization: the holder, the proxy or the
	// administrator. ENOTFOUND, ECONFLICT when already revoked.
	RevokeProxy(ctx context.Context, id string) (*ProxyAuthorization, error)
	// FindProxies lists the authorizations the signed-in person gave and
	// received (the administrator: of the holder in f).
	FindProxies(ctx context.Context, f ProxyFilter) ([]*ProxyAuthorization, error)

	// DemoHolders lists holders for the demo sign-in. Only the system
	// actor may call it.
	DemoHolders(ctx context.Context, limit int) ([]Holder, error)
}

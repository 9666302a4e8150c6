// Package library holds Zhengzhao's rules, written once: who may do what,
// how a license is issued, signed, updated, revoked and verified, and how
// every change reaches the audit log in the same transaction. It stores
// through zhengzhao.Store and signs through package sign, so every storage
// backend behaves the same.
package library

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/calendar"
	"github.com/zhengzhao-project/zhengzhao/sign"
)

// Config holds the library's dependencies.
type Config struct {
	Store zhengzhao.Store
	// CA issues the units' signing certificates.
	CA *sign.CA
	// Sealer encrypts the units' private keys at rest.
	Sealer *sign.Sealer
	// LogSigner and LogVerifier sign and check audit checkpoints; Origin
	// names the log in its checkpoints.
	LogSigner   note.Signer
	LogVerifier note.Verifier
	Origin      string
	// CertValidity is how long a unit's signing certificate is valid
	// (default 5 years).
	CertValidity time.Duration
	// Now is the clock (default time.Now).
	Now    func() time.Time
	Logger *slog.Logger
	// Calendar counts working days for deadlines (default: the official
	// calendar without corrections).
	Calendar *calendar.Calendar
	// ObjectionWorkdays is how many working days an issuer has to answer
	// an objection (default zhengzhao.DefaultObjectionWorkdays).
	ObjectionWorkdays int
	// SignerRecheck is how long a server signs with a unit's cached key
	// before it checks the store for a newer active key: after a rotation
	// on another server, the longest it keeps signing with the old key
	// (default DefaultSignerRecheck).
	SignerRecheck time.Duration
	// VerifyStatusTTL is how long online verification may use a license's
	// status read from the store, for licenses verified many times a
	// second: changes made through this server take effect at once, those
	// made through other servers within the TTL. Negative: read every
	// time. Default DefaultVerifyStatusTTL.
	VerifyStatusTTL time.Duration
}

// DefaultSignerRecheck is the default of Config.SignerRecheck.
const DefaultSignerRecheck = 30 * time.Second

// Library implements the zhengzhao service interfaces.
type Library struct {
	store   trackingStore // raw, noting committed changes for the status cache
	raw     zhengzhao.Store
	ca      *sign.CA
	sealer  *sign.Sealer
	logSig  note.Signer
	logVer  note.Verifier
	origin  string
	certTTL time.Duration
	now     func() time.Time
	log     *slog.Logger
	cal     *calendar.Calendar

	objectionDays int

	trust *sign.TrustStore

	mu            sync.Mutex
	signers       map[string]*cachedSigner // active signer by unit code
	signerRecheck time.Duration
	types         sync.Map // license type code → *zhengzhao.LicenseType (immutable)

	verified *cache[[32]byte, *offlineCheck] // offline checks by document SHA-256
	proofs   *cache[string, string]          // stored signature value by license ID
	statuses *statusCache                    // recent online statuses (statuscache.go)
	// integrateMu serialises this process's integrations; the store's tree
	// head lock serialises them across processes.
	integrateMu sync.Mutex

	// holder is the state of the holder area (holder.go).
	holder holderState
}

var (
	_ zhengzhao.UnitService    = (*Library)(nil)
	_ zhengzhao.CatalogService = (*Library)(nil)
	_ zhengzhao.LicenseService = (*Library)(nil)
	_ zhengzhao.KeyService     = (*Library)(nil)
	_ zhengzhao.AuditService   = (*Library)(nil)
)

// New returns a library over the configured store.
func New(c Config) (*Library, error) {
	if c.Store == nil || c.CA == nil || c.Sealer == nil || c.LogSigner == nil || c.LogVerifier == nil {
		return nil, errors.New("library: store, CA, sealer and log keys are required")
	}
	ttl := c.VerifyStatusTTL
	if ttl == 0 {
		ttl = DefaultVerifyStatusTTL
	}
	l := &Library{
		statuses: newStatusCache(ttl),
		ca:       c.CA,
		sealer:   c.Sealer,
		logSig:   c.LogSigner,
		logVer:   c.LogVerifier,
		origin:   c.Origin,
		certTTL:  c.CertValidity,
		now:      c.Now,
		log:      c.Logger,
		cal:      c.Calendar,
		signers:  map[string]*cachedSigner{},

		signerRecheck: c.SignerRecheck,

		verified: newCache[[32]byte, *offlineCheck](verifyCacheSize),
		proofs:   newCache[string, string](verifyCacheSize),
	}
	// The library sees its store through trackingStore, so that a change
	// committed here reaches the status cache at once; Store() returns
	// the store itself.
	l.store = trackingStore{Store: c.Store, changed: func(bases []string) { l.statuses.markChanged(bases, l.now()) }}
	l.raw = c.Store
	if l.origin == "" {
		l.origin = c.LogSigner.Name()
	}
	if l.certTTL == 0 {
		l.certTTL = 5 * 365 * 24 * time.Hour
	}
	if l.now == nil {
		l.now = time.Now
	}
	if l.signerRecheck <= 0 {
		l.signerRecheck = DefaultSignerRecheck
	}
	if l.log == nil {
		l.log = slog.New(slog.DiscardHandler)
	}
	if l.objectionDays = c.ObjectionWorkdays; l.objectionDays <= 0 {
		l.objectionDays = zhengzhao.DefaultObjectionWorkdays
	}
	ts, err := sign.NewTrustStore(c.CA.CertPEM())
	if err != nil {
		return nil, fmt.Errorf("library: trust store: %w", err)
	}
	l.trust = ts
	return l, nil
}

// Store returns the library's store.
func (l *Library) Store() zhengzhao.Store { return l.raw }

// LogVerifier returns the verifier of the audit log's checkpoints.
func (l *Library) LogVerifier() note.Verifier { return l.logVer }

// audit appends an audit entry for the actor in ctx within tx.
func audit(ctx context.Context, tx zhengzhao.Tx, e zhengzhao.AuditEntry) error {
	if e.Actor == "" {
		e.Actor = zhengzhao.ActorFromContext(ctx).ID()
	}
	if err := tx.AppendAudit(&e); err != nil {
		return fmt.Errorf("audit %s: %w", e.Action, err)
	}
	// Supervision counts what the audit log records, in the same
	// transaction (supervision_stats.go).
	return countAudited(ctx, tx, &e)
}

// requireAdmin returns EUNAUTHENTICATED for anonymous callers and
// EFORBIDDEN for anyone else but the administrator (or the system).
func requireAdmin(ctx context.Context) error {
	a := zhengzhao.ActorFromContext(ctx)
	switch a.Kind {
	case zhengzhao.ActorAdmin, zhengzhao.ActorSystem:
		return nil
	case zhengzhao.ActorAnonymous, "":
		return zhengzhao.Errorf(zhengzhao.EUNAUTHENTICATED, "authentication required")
	}
	return zhengzhao.Errorf(zhengzhao.EFORBIDDEN, "only the administrator may do this")
}

// requireUnitRole returns the acting unit if it has the role.
func requireUnitRole(ctx context.Context, r zhengzhao.Role) (*zhengzhao.Unit, error) {
	a := zhengzhao.ActorFromContext(ctx)
	switch {
	case a.Kind == zhengzhao.ActorAnonymous || a.Kind == "":
		return nil, zhengzhao.Errorf(zhengzhao.EUNAUTHENTICATED, "authentication required")
	case a.Kind != zhengzhao.ActorUnit || a.Unit == nil:
		return nil, zhengzhao.Errorf(zhengzhao.EFORBIDDEN, "only a unit with the %s role may do this: send that unit's API key, not the administrator token", r)
	case !a.Unit.HasRole(r):
		return nil, zhengzhao.Errorf(zhengzhao.EFORBIDDEN, "unit %s does not have the %s role: use the key of a unit with it (roles are given when the administrator creates the unit)", a.Unit.Code, r)
	}
	return a.Unit, nil
}

func isAdmin(a zhengzhao.Actor) bool {
	return a.Kind == zhengzhao.ActorAdmin || a.Kind == zhengzhao.ActorSystem
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b)
}

func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// nowUTC returns the clock's time in UTC, to the microsecond, the
// precision stores keep.
func (l *Library) nowUTC() time.Time { return l.now().UTC().Truncate(time.Microsecond) }

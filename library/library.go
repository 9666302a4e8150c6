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
	// VerifyCacheBytes bounds the heap the verification caches retain
	// (offline checks by document digest, stored signature values,
	// recent statuses): the server's memory stays flat whatever the number
	// of licenses verified. Default DefaultVerifyCacheBytes.
	VerifyCacheBytes int
	// Holder configures the holder area: display tokens, sessions,
	// notifications of deliveries (defaults in HolderOptions).
	Holder HolderOptions
}

// DefaultVerifyCacheBytes is the default of Config.VerifyCacheBytes:
// 32 MiB. Half goes to offline checks (about 600 bytes each, so some
// 28 000 documents), a quarter to statuses (about 700 bytes each, some
// 12 000: with the default one-second TTL only licenses verified in the
// last second need one), an eighth each to signature values and change
// marks.
const DefaultVerifyCacheBytes = 32 << 20

// DefaultSignerRecheck is the default of Config.SignerRecheck.
const DefaultSignerRecheck = 30 * time.Second

// core is what every service shares: the store, the signers, the clock,
// the audit log and delivery. It is built once by New and never changed
// afterwards, except for its caches.
type core struct {
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

// The services, one per area, each a separate type over the one core.
// Each implements the zhengzhao service interface of its area, which is
// what package http consumes.
type (
	// Units implements zhengzhao.UnitService (units.go, unitkeys.go).
	Units struct{ *core }
	// Catalog implements zhengzhao.CatalogService (catalog.go, art. 7).
	Catalog struct{ *core }
	// Licenses implements zhengzhao.LicenseService (licenses.go,
	// issue.go, verify.go).
	Licenses struct{ *core }
	// Keys implements zhengzhao.KeyService (units.go).
	Keys struct{ *core }
	// Audit implements zhengzhao.AuditService (audit.go, art. 26).
	Audit struct{ *core }
	// Aggregation implements zhengzhao.AggregationService
	// (aggregation_*.go, arts. 8, 10, 11).
	Aggregation struct{ *core }
	// Supervision implements zhengzhao.SupervisionService
	// (supervision*.go, arts. 23, 25, 29).
	Supervision struct{ *core }
	// Holders implements zhengzhao.HolderService (holder*.go,
	// presentation.go, arts. 9, 16, 22).
	Holders struct{ *core }
	// Use implements zhengzhao.UseService (use*.go, arts. 13-15, 18-20).
	Use struct{ *core }
)

var (
	_ zhengzhao.UnitService        = (*Units)(nil)
	_ zhengzhao.CatalogService     = (*Catalog)(nil)
	_ zhengzhao.LicenseService     = (*Licenses)(nil)
	_ zhengzhao.KeyService         = (*Keys)(nil)
	_ zhengzhao.AuditService       = (*Audit)(nil)
	_ zhengzhao.AggregationService = (*Aggregation)(nil)
	_ zhengzhao.SupervisionService = (*Supervision)(nil)
	_ zhengzhao.HolderService      = (*Holders)(nil)
	_ zhengzhao.UseService         = (*Use)(nil)
)

// Services are all the library's services over one core, as New returns
// them: give each consumer the one it needs.
type Services struct {
	Units       *Units
	Catalog     *Catalog
	Licenses    *Licenses
	Keys        *Keys
	Audit       *Audit
	Aggregation *Aggregation
	Supervision *Supervision
	Holders     *Holders
	Use         *Use

	core *core
}

// New returns the library's services over the configured store.
func New(c Config) (*Services, error) {
	l, err := newCore(c)
	if err != nil {
		return nil, err
	}
	return &Services{Units: &Units{l}, Catalog: &Catalog{l}, Licenses: &Licenses{l}, Keys: &Keys{l}, Audit: &Audit{l},
		Aggregation: &Aggregation{l}, Supervision: &Supervision{l}, Holders: &Holders{l}, Use: &Use{l}, core: l}, nil
}

func newCore(c Config) (*core, error) {
	if c.Store == nil || c.CA == nil || c.Sealer == nil || c.LogSigner == nil || c.LogVerifier == nil {
		return nil, errors.New("library: store, CA, sealer and log keys are required")
	}
	ttl := c.VerifyStatusTTL
	if ttl == 0 {
		ttl = DefaultVerifyStatusTTL
	}
	budget := c.VerifyCacheBytes
	if budget <= 0 {
		budget = DefaultVerifyCacheBytes
	}
	l := &core{
		statuses: newStatusCache(ttl, budget/4, budget/8),
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
		holder:   holderState{opts: holderDefaults(c.Holder)},

		signerRecheck: c.SignerRecheck,

		verified: newCache(budget/2, offlineCheckSize),
		proofs:   newCache(budget/8, proofSize),
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

// Store returns the services' store.
func (s *Services) Store() zhengzhao.Store { return s.core.raw }

// LogVerifier returns the verifier of the audit log's checkpoints.
func (s *Services) LogVerifier() note.Verifier { return s.core.logVer }

// auditWriter is what audit needs of a transaction: append the entry and
// count it in the supervision statistics.
type auditWriter interface {
	AppendAudit(e *zhengzhao.AuditEntry) error
	statsWriter
}

// statsWriter is what countAudited needs of a transaction.
type statsWriter interface {
	AddStats(deltas []zhengzhao.StatDelta) error
	licenseReader
}

// licenseReader reads one license by ID.
type licenseReader interface {
	FindLicenseByID(id string) (*zhengzhao.License, error)
}

// audit appends an audit entry for the actor in ctx within tx.
func audit(ctx context.Context, tx auditWriter, e zhengzhao.AuditEntry) error {
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
func (l *core) nowUTC() time.Time { return l.now().UTC().Truncate(time.Microsecond) }

// Package http serves Zhengzhao's JSON API (shared/CONTRACT.md) over HTTP.
//
// Handlers decode the request, call a zhengzhao service and render the
// result; the rules live behind the service interfaces. Every error is an
// RFC 9457 problem document whose status comes from one table (errorStatus).
// The API is described by the OpenAPI document served at /openapi.json,
// which a test keeps in step with the route table below.
package http

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"log/slog"
	"net"
	nethttp "net/http"
	"net/netip"
	"strings"
	"sync/atomic"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/font"
)

// DefaultBodyLimit is the largest request body accepted when Config.BodyLimit
// is not set: 1 MiB.
const DefaultBodyLimit int64 = 1 << 20

// Config holds the server's dependencies and settings.
type Config struct {
	Units    zhengzhao.UnitService
	Catalog  zhengzhao.CatalogService
	Licenses zhengzhao.LicenseService
	Keys     zhengzhao.KeyService
	Audit    zhengzhao.AuditService
	// Feature areas; nil disables their endpoints' services.
	Aggregation zhengzhao.AggregationService
	Supervision zhengzhao.SupervisionService
	Holders     zhengzhao.HolderService
	Use         zhengzhao.UseService
	// Holder configures the holder area's sign-in and pages.
	Holder HolderConfig

	// AdminToken is the administrator's bearer token. An empty token
	// disables administrator access over HTTP.
	AdminToken string
	// BodyLimit is the largest request body in bytes; 0 means
	// DefaultBodyLimit.
	BodyLimit int64
	// Ready reports whether the server's dependencies (the database) can
	// serve; nil means always ready.
	Ready func(ctx context.Context) error
	// Logger receives request logs and internal errors; nil discards them.
	Logger *slog.Logger
	// LogKey keys the references that logs give of holders instead of
	// their ID numbers (zhengzhao.LogRef); nil means a random key for the
	// process's life.
	LogKey []byte
	// Version is the build version reported by /healthz and /readyz.
	Version string
	// RateLimits are the limits of the authentication paths
	// (ratelimit.go); the zero value takes the defaults.
	RateLimits RateLimits
	// TrustedProxies are the addresses of reverse proxies (a TLCP or TLS
	// gateway) whose X-Forwarded-For and X-Forwarded-Proto headers are
	// believed; from any other address they are ignored.
	TrustedProxies []netip.Prefix
	// SecureCookies marks every cookie Secure even when the server itself
	// serves plain HTTP (behind a TLS-terminating proxy).
	SecureCookies bool
	// Font is the TrueType font with CJK glyphs that printable copies and
	// PDF reports embed (subset); nil means the font built into the binary
	// (font.Subset).
	Font []byte
	// Instrument, when set, wraps the whole handler: metrics and tracing
	// (observe.go).
	Instrument Instrument
	// Metrics, when set, serves GET /metrics to the administrator.
	Metrics nethttp.Handler
}

// Server is the HTTP server of the API.
type Server struct {
	units    zhengzhao.UnitService
	catalog  zhengzhao.CatalogService
	licenses zhengzhao.LicenseService
	keys     zhengzhao.KeyService
	audit    zhengzhao.AuditService

	aggregation zhengzhao.AggregationService
	supervision zhengzhao.SupervisionService
	holders     zhengzhao.HolderService
	use         zhengzhao.UseService
	holderCfg   HolderConfig
	oidc        *oidcClient

	adminHash [sha256.Size]byte // SHA-256 of the admin token; zero when disabled
	hasAdmin  bool
	bodyLimit int64
	ready     func(ctx context.Context) error
	logger    *slog.Logger
	logKey    []byte
	version   string

	limits        *authLimits // sign-in hardening (ratelimit.go)
	secureCookies bool        // every cookie Secure (transport.go)

	font          []byte        // the CJK TrueType font of PDF documents
	adminSessions adminSessions // the supervision pages' sign-in (supervision_pages.go)

	instrumentFn Instrument      // observe.go
	metrics      nethttp.Handler // observe.go

	handler  nethttp.Handler
	server   *nethttp.Server
	stopping atomic.Bool
}

// NewServer returns a server for the given configuration.
func NewServer(c Config) *Server {
	s := &Server{
		units:    c.Units,
		catalog:  c.Catalog,
		licenses: c.Licenses,
		keys:     c.Keys,
		audit:    c.Audit,

		aggregation: c.Aggregation,
		supervision: c.Supervision,
		holders:     c.Holders,
		use:         c.Use,
		holderCfg:   c.Holder,
		bodyLimit:   c.BodyLimit,
		ready:       c.Ready,
		logger:      c.Logger,
		logKey:      logKeyOrRandom(c.LogKey),
		version:     c.Version,
		font:        c.Font,

		instrumentFn: c.Instrument,
		metrics:      c.Metrics,
	}
	if s.font == nil {
		s.font = font.Subset()
	}
	if c.AdminToken != "" {
		s.adminHash = sha256.Sum256([]byte(c.AdminToken))
		s.hasAdmin = true
	}
	if s.bodyLimit <= 0 {
		s.bodyLimit = DefaultBodyLimit
	}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	if s.version == "" {
		s.version = "dev"
	}
	s.limits = newAuthLimits(c.RateLimits, c.TrustedProxies)
	s.secureCookies = c.SecureCookies || c.Holder.SecureCookies
	s.oidc = newOIDCClient(c.Holder.OIDC, c.Holder.BaseURL)
	s.handler = s.buildHandler()
	s.server = &nethttp.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.logger.Handler(), slog.LevelWarn),
	}
	return s
}

// Handler returns the server's handler with every middleware applied.
func (s *Server) Handler() nethttp.Handler { return s.handler }

// ListenAndServe listens on the TCP address addr and serves until Shutdown.
// It returns nil after a graceful shutdown.
func (s *Server) ListenAndServe(addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return s.Serve(l)
}

// Serve serves requests on l until Shutdown. It returns nil after a
// graceful shutdown.
func (s *Server) Serve(l net.Listener) error {
	if err := s.server.Serve(l); !errors.Is(err, nethttp.ErrServerClosed) {
		return err
	}
	return nil
}

// Shutdown stops accepting connections, marks the server not ready, and
// waits until in-flight requests finish or ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	s.stopping.Store(true)
	return s.server.Shutdown(ctx)
}

// route is one endpoint. The route table is the single source of the mux's
// registrations and of the test that checks the OpenAPI document.
type route struct {
	method string
	path   string
	// auth is true when the endpoint needs a credential; an anonymous
	// request gets 401 before the service is called. Which actor may do
	// what is the services' decision (403 forbidden).
	auth bool
	// query lists the query parameters the endpoint accepts; any other is
	// rejected as invalid.
	query []string
	// page is true for an HTML page for people (pages.go): pages are not
	// part of the API document, and their errors render as HTML.
	page    bool
	handler func(w nethttp.ResponseWriter, r *nethttp.Request)
}

var pageParams = []string{"limit", "cursor"}

func withPage(names ...string) []string { return append(names, pageParams...) }

// routes returns the route table.
func (s *Server) routes() []route {
	r := s.coreRoutes()
	r = append(r, s.aggregationRoutes()...)
	r = append(r, s.supervisionRoutes()...)
	r = append(r, s.holderRoutes()...)
	r = append(r, s.useRoutes()...)
	r = append(r, s.usePageRoutes()...)
	r = append(r, s.pageRoutes()...)
	r = append(r, s.metricsRoutes()...)
	return r
}

// coreRoutes are the endpoints of the core contract.
func (s *Server) coreRoutes() []route {
	return []route{
		{method: "GET", path: "/healthz", handler: s.handleHealthz},
		{method: "GET", path: "/readyz", handler: s.handleReadyz},
		{method: "GET", path: "/openapi.json", handler: s.handleOpenAPI},

		{method: "POST", path: "/v1/units", auth: true, handler: s.handleCreateUnit},
		{method: "GET", path: "/v1/units", auth: true, query: withPage("role"), handler: s.handleListUnits},
		{method: "GET", path: "/v1/units/{code}", auth: true, handler: s.handleGetUnit},
		{method: "POST", path: "/v1/units/{code}/keys", auth: true, handler: s.handleCreateUnitKey},
		{method: "GET", path: "/v1/units/{code}/keys", auth: true, handler: s.handleListUnitKeys},
		{method: "POST", path: "/v1/units/{code}/keys/{id}/revoke", auth: true, handler: s.handleRevokeUnitKey},
		{method: "POST", path: "/v1/units/{code}/signing-keys", auth: true, handler: s.handleRotateSigningKey},

		{method: "POST", path: "/v1/license-types", auth: true, handler: s.handleCreateLicenseType},
		{method: "GET", path: "/v1/license-types", query: withPage("public_only", "issuer"), handler: s.handleListLicenseTypes},
		{method: "GET", path: "/v1/license-types/{code}", handler: s.handleGetLicenseType},

		{method: "POST", path: "/v1/licenses", auth: true, handler: s.handleIssueLicense},
		{method: "GET", path: "/v1/licenses", auth: true, query: withPage("holder_id", "type", "issuer", "status"), handler: s.handleListLicenses},
		{method: "GET", path: "/v1/licenses/{id}", auth: true, handler: s.handleGetLicense},
		{method: "PUT", path: "/v1/licenses/{id}", auth: true, handler: s.handleUpdateLicense},
		{method: "POST", path: "/v1/licenses/{id}/revoke", auth: true, handler: s.handleRevokeLicense},

		{method: "POST", path: "/v1/verify", handler: s.handleVerify},

		{method: "GET", path: "/v1/keys", query: []string{"format"}, handler: s.handleKeys},

		{method: "GET", path: "/v1/audit/checkpoint", handler: s.handleGetCheckpoint},
		{method: "POST", path: "/v1/audit/checkpoint", auth: true, handler: s.handleSignCheckpoint},
		{method: "GET", path: "/v1/audit/entries", auth: true, query: withPage("license", "actor"), handler: s.handleAuditEntries},
		{method: "GET", path: "/v1/audit/proof", query: []string{"index", "size"}, handler: s.handleInclusionProof},
		{method: "GET", path: "/v1/audit/consistency", query: []string{"size1", "size2"}, handler: s.handleConsistencyProof},
	}
}

// buildHandler registers the routes and wraps the mux in the middleware.
// From the outside in: request ID, logging, panic recovery, body limit,
// cross-origin protection, authentication.
func (s *Server) buildHandler() nethttp.Handler {
	mux := nethttp.NewServeMux()
	for _, rt := range s.routes() {
		mux.Handle(rt.method+" "+rt.path, s.endpoint(rt))
	}
	var h nethttp.Handler = s.problemMux(mux)
	h = s.authenticate(h)
	cop := nethttp.NewCrossOriginProtection()
	cop.SetDenyHandler(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		s.problem(w, r, nil, zhengzhao.EFORBIDDEN, "cross-origin request rejected")
	}))
	h = cop.Handler(h)
	h = s.limitBody(h)
	h = s.recoverPanic(h)
	h = s.logRequests(h)
	h = s.transport(h)
	h = s.requestID(h)
	return s.instrument(h, mux)
}

// endpoint wraps a route's handler with the checks the route table
// declares: a credential when auth is set, and only known query parameters.
func (s *Server) endpoint(rt route) nethttp.Handler {
	allowed := make(map[string]bool, len(rt.query))
	for _, q := range rt.query {
		allowed[q] = true
	}
	return nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		if rt.auth && zhengzhao.ActorFromContext(r.Context()).Kind == zhengzhao.ActorAnonymous {
			s.error(w, r, zhengzhao.Errorf(zhengzhao.EUNAUTHENTICATED, msgNoCredential))
			return
		}
		var fields []zhengzhao.FieldError
		for name, values := range r.URL.Query() {
			switch {
			case !allowed[name]:
				fields = append(fields, zhengzhao.FieldError{Field: name, Message: "unknown query parameter"})
			case len(values) > 1:
				fields = append(fields, zhengzhao.FieldError{Field: name, Message: "given more than once"})
			}
		}
		if err := invalid("invalid query", fields); err != nil {
			s.error(w, r, err)
			return
		}
		rt.handler(w, r)
	})
}

// problemMux answers requests that match no route with a problem document
// instead of the mux's plain-text 404 and 405 responses.
func (s *Server) problemMux(mux *nethttp.ServeMux) nethttp.Handler {
	return nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		h, pattern := mux.Handler(r)
		if pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		// Let the mux decide between 404 and 405 (it sets Allow), but
		// write our own body.
		probe := &headerProbe{header: nethttp.Header{}}
		h.ServeHTTP(probe, r)
		if probe.status == nethttp.StatusMethodNotAllowed {
			w.Header().Set("Allow", probe.header.Get("Allow"))
			s.error(w, r, zhengzhao.Errorf(codeMethodNotAllowed, "method %s not allowed on %s", r.Method, r.URL.Path))
			return
		}
		s.error(w, r, zhengzhao.Errorf(zhengzhao.ENOTFOUND, "no such endpoint %s", r.URL.Path))
	})
}

// headerProbe records the status and headers a handler writes and drops
// the body.
type headerProbe struct {
	header nethttp.Header
	status int
}

func (p *headerProbe) Header() nethttp.Header { return p.header }

func (p *headerProbe) Write(b []byte) (int, error) {
	if p.status == 0 {
		p.status = nethttp.StatusOK
	}
	return len(b), nil
}

func (p *headerProbe) WriteHeader(status int) {
	if p.status == 0 {
		p.status = status
	}
}

// authenticate puts the request's actor into its context. No Authorization
// header means the anonymous actor; a header that is not a valid bearer
// token is rejected with 401 on every endpoint, public ones included, so
// that a client never mistakes a broken credential for anonymous access.
func (s *Server) authenticate(next nethttp.Handler) nethttp.Handler {
	return nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		header, ok := r.Header["Authorization"]
		if !ok {
			next.ServeHTTP(w, s.sessionActor(r)) // a holder's session cookie, if any
			return
		}
		addr, cred := s.limits.clientAddr(r), s.limits.bearerCredential(bearerToken(header))
		now := time.Now()
		if ok, wait := s.limits.admit(addr, cred, now); !ok {
			s.tooMany(w, r, wait, false)
			return
		}
		actor, err := s.actor(r.Context(), header)
		if err != nil {
			if zhengzhao.ErrorCode(err) == zhengzhao.EUNAUTHENTICATED {
				s.limits.failed(addr, cred, now)
			}
			s.error(w, r, err)
			return
		}
		s.limits.succeeded(addr, cred, now)
		if info := infoFromContext(r.Context()); info != nil {
			info.actor = actor.ID()
		}
		next.ServeHTTP(w, r.WithContext(zhengzhao.NewContextWithActor(r.Context(), actor)))
	})
}

// errInvalidToken is the answer to every credential that is not accepted.
// It does not say why, so that it tells an attacker nothing.
var errInvalidToken = &zhengzhao.Error{Code: zhengzhao.EUNAUTHENTICATED, Message: msgInvalidToken}

func (s *Server) actor(ctx context.Context, header []string) (zhengzhao.Actor, error) {
	if len(header) != 1 {
		return zhengzhao.Actor{}, errInvalidToken
	}
	if strings.EqualFold(strings.TrimSpace(header[0]), "Bearer") {
		return zhengzhao.Actor{}, &zhengzhao.Error{Code: zhengzhao.EUNAUTHENTICATED, Message: msgEmptyBearer}
	}
	scheme, token, ok := cutSpace(header[0])
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return zhengzhao.Actor{}, errInvalidToken
	}
	if s.hasAdmin {
		h := sha256.Sum256([]byte(token))
		if subtle.ConstantTimeCompare(h[:], s.adminHash[:]) == 1 {
			return zhengzhao.Actor{Kind: zhengzhao.ActorAdmin}, nil
		}
	}
	u, err := s.units.Authenticate(ctx, token)
	switch code := zhengzhao.ErrorCode(err); code {
	case "":
		return zhengzhao.Actor{Kind: zhengzhao.ActorUnit, Unit: u}, nil
	case zhengzhao.EUNAUTHENTICATED, zhengzhao.ENOTFOUND, zhengzhao.EINVALID, zhengzhao.EFORBIDDEN:
		return zhengzhao.Actor{}, &zhengzhao.Error{Code: zhengzhao.EUNAUTHENTICATED, Message: errInvalidToken.Message, Err: err}
	default:
		return zhengzhao.Actor{}, err // unavailable or internal: not the caller's fault
	}
}

// cutSpace splits "Bearer token" at the first run of spaces.
func cutSpace(s string) (before, after string, ok bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' {
			j := i
			for j < len(s) && s[j] == ' ' {
				j++
			}
			return s[:i], s[j:], true
		}
	}
	return s, "", false
}

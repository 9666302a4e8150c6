package http

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	nethttp "net/http"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/zhengzhao-project/zhengzhao"
)

// HolderConfig configures the holder area: sign-in, sessions, absolute
// URLs and printable copies.
type HolderConfig struct {
	// OIDC enables sign-in through an OpenID provider; nil disables it.
	OIDC *OIDCConfig
	// Demo adds the clearly marked demo sign-in: pick a holder from the
	// demo data. Only `serve --demo` sets it.
	Demo bool
	// SessionTTL is the life of a holder session (default 12 h).
	SessionTTL time.Duration
	// SecureCookies marks cookies Secure even when the server itself
	// speaks plain HTTP (behind a TLS-terminating proxy).
	SecureCookies bool
	// BaseURL is the library's public URL without a trailing slash; it
	// makes QR URLs absolute. Empty: taken from the request.
	BaseURL string
}

// OIDCConfig is the holder sign-in through an OpenID Connect provider (the
// city's unified identity platform, 一网通办 统一身份认证, or any
// compliant provider). The ID token names the holder by ID type and
// number in claims whose names are configurable.
type OIDCConfig struct {
	Issuer       string
	ClientID     string
	ClientSecret string
	// RedirectURL is where the provider sends the browser back (default
	// BaseURL + "/wallet/callback").
	RedirectURL string
	// Scopes requested besides openid (default profile).
	Scopes []string
	// IDClaim holds the ID number (default "id_number"); IDTypeClaim the
	// ID type (default "id_type"; when the token has none, DefaultIDType,
	// default "111", a resident identity card); NameClaim the name
	// (default "name").
	IDClaim, IDTypeClaim, NameClaim string
	DefaultIDType                   string
	// HTTPClient talks to the provider (default http.DefaultClient).
	HTTPClient *nethttp.Client
}

// oidcClient signs holders in through the provider. Discovery runs on the
// first sign-in, not at start, so that the library starts while the
// provider is down; a failed discovery is retried on the next sign-in.
type oidcClient struct {
	cfg OIDCConfig

	mu       sync.Mutex
	oauth    *oauth2.Config
	verifier *oidc.IDTokenVerifier
}

func newOIDCClient(c *OIDCConfig, base string) *oidcClient {
	if c == nil || c.Issuer == "" {
		return nil
	}
	cfg := *c
	if cfg.RedirectURL == "" {
		cfg.RedirectURL = strings.TrimRight(base, "/") + "/wallet/callback"
	}
	if len(cfg.Scopes) == 0 {
		cfg.Scopes = []string{"profile"}
	}
	if cfg.IDClaim == "" {
		cfg.IDClaim = "id_number"
	}
	if cfg.IDTypeClaim == "" {
		cfg.IDTypeClaim = "id_type"
	}
	if cfg.NameClaim == "" {
		cfg.NameClaim = "name"
	}
	if cfg.DefaultIDType == "" {
		cfg.DefaultIDType = zhengzhao.IDTypeResident
	}
	return &oidcClient{cfg: cfg}
}

func (o *oidcClient) context(ctx context.Context) context.Context {
	if o.cfg.HTTPClient != nil {
		return oidc.ClientContext(ctx, o.cfg.HTTPClient)
	}
	return ctx
}

// setup discovers the provider once.
func (o *oidcClient) setup(ctx context.Context) (*oauth2.Config, *oidc.IDTokenVerifier, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.oauth != nil {
		return o.oauth, o.verifier, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	p, err := oidc.NewProvider(o.context(ctx), o.cfg.Issuer)
	if err != nil {
		return nil, nil, &zhengzhao.Error{Code: zhengzhao.EUNAVAILABLE, Message: "the sign-in service cannot be reached; try again later", Err: err}
	}
	o.oauth = &oauth2.Config{ClientID: o.cfg.ClientID, ClientSecret: o.cfg.ClientSecret, Endpoint: p.Endpoint(),
		RedirectURL: o.cfg.RedirectURL, Scopes: append([]string{oidc.ScopeOpenID}, o.cfg.Scopes...)}
	o.verifier = p.Verifier(&oidc.Config{ClientID: o.cfg.ClientID})
	return o.oauth, o.verifier, nil
}

// oidcCookie carries state, nonce and PKCE verifier from the redirect to
// the callback.
const oidcCookie = "zz_oidc"

func randomToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// handleOIDCLogin handles GET /wallet/login/oidc: off to the provider.
func (s *Server) handleOIDCLogin(w nethttp.ResponseWriter, r *nethttp.Request) {
	if s.oidc == nil {
		s.pageError(w, r, zhengzhao.Errorf(zhengzhao.ENOTFOUND, "sign-in through an identity provider is not configured"))
		return
	}
	oc, _, err := s.oidc.setup(r.Context())
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	state, nonce, verifier := randomToken(), randomToken(), oauth2.GenerateVerifier()
	nethttp.SetCookie(w, &nethttp.Cookie{Name: oidcCookie, Value: state + "." + nonce + "." + verifier, Path: "/wallet/",
		MaxAge: 600, HttpOnly: true, Secure: s.secure(r), SameSite: nethttp.SameSiteLaxMode})
	nethttp.Redirect(w, r, oc.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)), nethttp.StatusFound)
}

var errSignIn = zhengzhao.Errorf(zhengzhao.EUNAUTHENTICATED, "sign-in failed; please start again")

// handleOIDCCallback handles GET /wallet/callback: the provider's answer.
// It checks the state, exchanges the code (with the PKCE verifier),
// verifies the ID token (issuer, audience, expiry, signature, nonce) and
// signs the holder named by its claims in.
func (s *Server) handleOIDCCallback(w nethttp.ResponseWriter, r *nethttp.Request) {
	if s.oidc == nil {
		s.pageError(w, r, zhengzhao.Errorf(zhengzhao.ENOTFOUND, "sign-in through an identity provider is not configured"))
		return
	}
	addr, now := s.limits.clientAddr(r), time.Now()
	if ok, wait := s.limits.admit(addr, "", now); !ok {
		s.tooMany(w, r, wait, true)
		return
	}
	// Every refusal below counts as a failed sign-in of this address.
	failed := func(err error) { s.limits.failed(addr, "", now); s.pageError(w, r, err) }
	c, err := r.Cookie(oidcCookie)
	s.clearCookie(w, r, oidcCookie, "/wallet/")
	parts := []string{}
	if err == nil {
		parts = strings.Split(c.Value, ".")
	}
	q := r.URL.Query()
	if len(parts) != 3 || q.Get("state") == "" || q.Get("state") != parts[0] {
		failed(errSignIn)
		return
	}
	if e := q.Get("error"); e != "" {
		failed(&zhengzhao.Error{Code: zhengzhao.EUNAUTHENTICATED, Message: "the identity provider refused the sign-in: " + e})
		return
	}
	oc, verifier, err := s.oidc.setup(r.Context())
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	ctx := s.oidc.context(r.Context())
	tok, err := oc.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(parts[2]))
	if err != nil {
		failed(&zhengzhao.Error{Code: zhengzhao.EUNAUTHENTICATED, Message: errSignIn.Message, Err: err})
		return
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := verifier.Verify(ctx, raw)
	if err == nil && idt.Nonce != parts[1] {
		err = errors.New("nonce mismatch")
	}
	if err != nil {
		failed(&zhengzhao.Error{Code: zhengzhao.EUNAUTHENTICATED, Message: errSignIn.Message, Err: err})
		return
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		failed(&zhengzhao.Error{Code: zhengzhao.EUNAUTHENTICATED, Message: errSignIn.Message, Err: err})
		return
	}
	cfg := s.oidc.cfg
	str := func(k string) string { v, _ := claims[k].(string); return strings.TrimSpace(v) }
	h := zhengzhao.HolderRef{IDType: str(cfg.IDTypeClaim), ID: strings.ToUpper(str(cfg.IDClaim))}
	if h.IDType == "" {
		h.IDType = cfg.DefaultIDType
	}
	if h.ID == "" {
		failed(zhengzhao.Errorf(zhengzhao.EUNAUTHENTICATED, "the identity provider did not say who you are (no %s claim)", cfg.IDClaim))
		return
	}
	hs := &zhengzhao.HolderSession{Holder: h, Name: str(cfg.NameClaim), Method: zhengzhao.SignInOIDC}
	if err := s.signIn(w, r, hs); err != nil {
		s.pageError(w, r, fmt.Errorf("sign in: %w", err))
		return
	}
	nethttp.Redirect(w, r, "/wallet", nethttp.StatusSeeOther)
}

package main

import (
	"strings"
	"time"

	"github.com/spf13/pflag"

	zzhttp "github.com/zhengzhao-project/zhengzhao/http"
	"github.com/zhengzhao-project/zhengzhao/library"
	"github.com/zhengzhao-project/zhengzhao/notify"
)

// HolderConfig configures the holder area: the public URL that QR codes
// point to, display-token life, holder sign-in through OpenID Connect,
// notifications and printable copies.
type HolderConfig struct {
	// BaseURL is the library's public URL; empty means the listen URL.
	BaseURL string
	// TokenTTL is the life of a display QR code.
	TokenTTL time.Duration
	// SessionTTL is the life of a holder's session.
	SessionTTL time.Duration
	// OIDC sign-in: issuer URL, client ID and secret, and the ID token's
	// claims that name the holder.
	OIDCIssuer, OIDCClientID, OIDCClientSecret  string
	OIDCIDClaim, OIDCIDTypeClaim, OIDCNameClaim string
	// WebhookURL receives a POST for every delivery (SMS gateway, app
	// push); WebhookSecret signs it (HMAC-SHA256).
	WebhookURL, WebhookSecret string
	// SecureCookies marks cookies Secure behind a TLS-terminating proxy.
	SecureCookies bool
}

func defaultHolderConfig() HolderConfig {
	return HolderConfig{TokenTTL: 60 * time.Second, SessionTTL: 12 * time.Hour}
}

// addHolderFlags adds the holder area's flags; each has an environment
// variable, so that secrets need not be on the command line.
func addHolderFlags(f *pflag.FlagSet, c *HolderConfig) {
	f.StringVar(&c.BaseURL, "base-url", envOr("ZHENGZHAO_BASE_URL", c.BaseURL), "public URL of the library, for QR codes (env ZHENGZHAO_BASE_URL; default: the listen URL)")
	f.DurationVar(&c.TokenTTL, "token-ttl", c.TokenTTL, "life of a display QR code (10s to 10m)")
	f.DurationVar(&c.SessionTTL, "session-ttl", c.SessionTTL, "life of a holder's session")
	f.StringVar(&c.OIDCIssuer, "oidc-issuer", envOr("ZHENGZHAO_OIDC_ISSUER", ""), "OpenID provider for holder sign-in (env ZHENGZHAO_OIDC_ISSUER)")
	f.StringVar(&c.OIDCClientID, "oidc-client-id", envOr("ZHENGZHAO_OIDC_CLIENT_ID", ""), "OIDC client ID (env ZHENGZHAO_OIDC_CLIENT_ID)")
	f.StringVar(&c.OIDCClientSecret, "oidc-client-secret", envOr("ZHENGZHAO_OIDC_CLIENT_SECRET", ""), "OIDC client secret (env ZHENGZHAO_OIDC_CLIENT_SECRET; prefer the variable)")
	f.StringVar(&c.OIDCIDClaim, "oidc-id-claim", envOr("ZHENGZHAO_OIDC_ID_CLAIM", "id_number"), "ID token claim with the holder's ID number")
	f.StringVar(&c.OIDCIDTypeClaim, "oidc-id-type-claim", envOr("ZHENGZHAO_OIDC_ID_TYPE_CLAIM", "id_type"), "ID token claim with the ID type (absent: 111, resident identity card)")
	f.StringVar(&c.OIDCNameClaim, "oidc-name-claim", envOr("ZHENGZHAO_OIDC_NAME_CLAIM", "name"), "ID token claim with the holder's name")
	f.StringVar(&c.WebhookURL, "notify-webhook", envOr("ZHENGZHAO_NOTIFY_WEBHOOK", ""), "URL that receives a POST for every delivery (env ZHENGZHAO_NOTIFY_WEBHOOK)")
	f.StringVar(&c.WebhookSecret, "notify-webhook-secret", envOr("ZHENGZHAO_NOTIFY_WEBHOOK_SECRET", ""), "HMAC-SHA256 key of the webhook signature (env ZHENGZHAO_NOTIFY_WEBHOOK_SECRET)")
	f.BoolVar(&c.SecureCookies, "secure-cookies", false, "mark every cookie Secure, the admin session too (behind a TLS- or TLCP-terminating proxy)")
}

// holderOptions returns the library's holder options from the
// configuration; listenURL is the default base URL.
func holderOptions(c Config, listenURL string) library.HolderOptions {
	h := c.Holder
	base := strings.TrimRight(h.BaseURL, "/")
	if base == "" {
		base = listenURL
	}
	o := library.HolderOptions{BaseURL: base, TokenTTL: h.TokenTTL, SessionTTL: h.SessionTTL}
	if h.WebhookURL != "" {
		o.Notifier = &notify.Webhook{URL: h.WebhookURL, Secret: h.WebhookSecret}
	}
	return o
}

// holderConfig returns the HTTP server's holder configuration; listenURL
// is the default base URL.
func (m *Main) holderConfig(listenURL string) zzhttp.HolderConfig {
	c := m.Config.Holder
	hc := zzhttp.HolderConfig{Demo: m.Config.Demo, SessionTTL: c.SessionTTL, SecureCookies: c.SecureCookies,
		BaseURL: holderOptions(m.Config, listenURL).BaseURL}
	if c.OIDCIssuer != "" {
		hc.OIDC = &zzhttp.OIDCConfig{Issuer: c.OIDCIssuer, ClientID: c.OIDCClientID, ClientSecret: c.OIDCClientSecret,
			IDClaim: c.OIDCIDClaim, IDTypeClaim: c.OIDCIDTypeClaim, NameClaim: c.OIDCNameClaim}
	}
	return hc
}

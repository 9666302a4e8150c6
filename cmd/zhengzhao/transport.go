package main

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/spf13/pflag"

	zzhttp "github.com/zhengzhao-project/zhengzhao/http"
)

// TransportConfig is how the server meets its clients (docs/operations.md,
// "Transport"): TLS 1.3 of its own, or plain HTTP behind a gateway that
// terminates TLS or TLCP and is named in TrustedProxies.
type TransportConfig struct {
	// TLSCert and TLSKey are PEM files of the server's certificate chain
	// and private key; both or neither.
	TLSCert, TLSKey string
	// TrustedProxies are CIDRs (or single addresses) of the gateways whose
	// X-Forwarded-For and X-Forwarded-Proto headers are believed.
	TrustedProxies []string
}

func addTransportFlags(f *pflag.FlagSet, c *TransportConfig) {
	f.StringVar(&c.TLSCert, "tls-cert", envOr("ZHENGZHAO_TLS_CERT", ""), "PEM certificate chain: serve TLS 1.3 itself, with HSTS and Secure cookies (with --tls-key; env ZHENGZHAO_TLS_CERT)")
	f.StringVar(&c.TLSKey, "tls-key", envOr("ZHENGZHAO_TLS_KEY", ""), "PEM private key of --tls-cert (env ZHENGZHAO_TLS_KEY)")
	f.StringSliceVar(&c.TrustedProxies, "trusted-proxy", splitList(envOr("ZHENGZHAO_TRUSTED_PROXY", "")), "CIDR of a reverse proxy or TLCP gateway whose X-Forwarded-For/-Proto are believed; repeatable (env ZHENGZHAO_TRUSTED_PROXY, comma-separated)")
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// tlsFiles returns the server's own TLS files, or nil for plain HTTP.
func (c TransportConfig) tlsFiles() (*zzhttp.TLSFiles, error) {
	switch {
	case c.TLSCert == "" && c.TLSKey == "":
		return nil, nil
	case c.TLSCert == "" || c.TLSKey == "":
		return nil, fmt.Errorf("--tls-cert and --tls-key go together: give both or neither")
	}
	return &zzhttp.TLSFiles{Cert: c.TLSCert, Key: c.TLSKey}, nil
}

// trustedProxies parses --trusted-proxy.
func (c TransportConfig) trustedProxies() ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range c.TrustedProxies {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !strings.Contains(s, "/") {
			a, err := netip.ParseAddr(s)
			if err != nil {
				return nil, fmt.Errorf("--trusted-proxy %q: not an address or CIDR", s)
			}
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("--trusted-proxy %q: not an address or CIDR", s)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// minAdminTokenLen is the shortest administrator token accepted at start:
// 32 characters, at least 128 bits even as hex (the generated tokens have
// 192 random bits).
const minAdminTokenLen = 32

// checkAdminToken refuses a token too short to withstand guessing.
func checkAdminToken(t, from string) error {
	if n := len([]rune(t)); n < minAdminTokenLen {
		return fmt.Errorf("the admin token from %s has %d characters; at least %d are required (for example: openssl rand -hex 32), or unset ZHENGZHAO_ADMIN_TOKEN to have one generated", from, n, minAdminTokenLen)
	}
	return nil
}

// isAddrInUse reports whether a listen error is about the address rather
// than the TLS files.
func isAddrInUse(err error) bool {
	var op *net.OpError
	return errors.As(err, &op)
}

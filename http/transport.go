package http

import (
	"crypto/tls"
	"fmt"
	"net"
	nethttp "net/http"
	"strings"
)

// Transport security (issue 13, item 8; docs/operations.md). The server
// speaks TLS 1.3 itself (Listen with a certificate) or plain HTTP behind a
// gateway that terminates TLS or TLCP (GB/T 38636, the national-crypto
// transport, for which no maintained Go library is served here). Behind a
// gateway the library believes X-Forwarded-For and X-Forwarded-Proto only
// from Config.TrustedProxies.

// hstsValue is sent on every answer over TLS: one year, subdomains too.
const hstsValue = "max-age=31536000; includeSubDomains"

// TLSFiles names the certificate chain and private key (PEM) of the
// server's own TLS listener.
type TLSFiles struct {
	Cert, Key string
}

// Listen opens the server's listener on the TCP address addr: plain HTTP
// when files is nil, TLS 1.3 only otherwise. It is the one place where the
// transport is chosen; a TLCP listener belongs here once a maintained Go
// implementation exists.
func Listen(addr string, files *TLSFiles) (net.Listener, error) {
	var cfg *tls.Config
	if files != nil {
		cert, err := tls.LoadX509KeyPair(files.Cert, files.Key)
		if err != nil {
			return nil, fmt.Errorf("tls certificate: %w", err)
		}
		cfg = &tls.Config{
			MinVersion:   tls.VersionTLS13,
			Certificates: []tls.Certificate{cert},
			NextProtos:   []string{"h2", "http/1.1"},
		}
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	if cfg != nil {
		l = tls.NewListener(l, cfg)
	}
	return l, nil
}

// transport marks the request secure (cookies get Secure) when it came
// over TLS, through a trusted gateway that says it did, or when the
// operator asked for Secure cookies; sends HSTS on answers over TLS; and
// makes no-store the default of every answer, so that wallet, QR, print
// and supervision pages and personal JSON are never kept by a browser or
// proxy cache. Handlers of public documents (static files, keys) set
// their own Cache-Control.
func (s *Server) transport(next nethttp.Handler) nethttp.Handler {
	return nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		overTLS := r.TLS != nil || s.forwardedHTTPS(r)
		if info := infoFromContext(r.Context()); info != nil {
			info.secure = overTLS || s.secureCookies
		}
		h := w.Header()
		if overTLS {
			h.Set("Strict-Transport-Security", hstsValue)
		}
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// forwardedHTTPS reports whether a trusted proxy says the client spoke
// HTTPS (or TLCP) to it.
func (s *Server) forwardedHTTPS(r *nethttp.Request) bool {
	if !s.limits.isTrusted(remoteAddr(r.RemoteAddr)) {
		return false
	}
	return strings.EqualFold(strings.TrimSpace(r.Header.Get("X-Forwarded-Proto")), "https")
}

// secureRequest reports whether cookies set in answer to r are Secure.
func secureRequest(r *nethttp.Request) bool {
	if info := infoFromContext(r.Context()); info != nil {
		return info.secure
	}
	return r.TLS != nil
}

// secure reports whether cookies set in answer to r are Secure.
func (s *Server) secure(r *nethttp.Request) bool { return secureRequest(r) || s.secureCookies }

// Package jose holds the JWS details shared by the sdjwt and statuslist
// packages: signing a JSON payload with protected headers (including an
// x5c chain) and reading an x5c chain back. The cryptography is jwx/v3's.
package jose

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/lestrrat-go/jwx/v3/cert"
	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jws"
)

// Sign encodes payload as JSON and signs it as a compact JWS. header adds
// protected members; "x5c" may be given as []*x509.Certificate (leaf
// first) or []string (base64 DER, as in JWS).
func Sign(alg jwa.SignatureAlgorithm, key any, header map[string]any, payload any) (string, error) {
	body, err := json.Marshal(payload)
	if err != nil {
		return "", fmt.Errorf("encode payload: %w", err)
	}
	h := jws.NewHeaders()
	for k, v := range header {
		if k == "x5c" {
			if v, err = chain(v); err != nil {
				return "", err
			}
		}
		if err := h.Set(k, v); err != nil {
			return "", fmt.Errorf("header %s: %w", k, err)
		}
	}
	out, err := jws.Sign(body, jws.WithKey(alg, key, jws.WithProtectedHeaders(h)))
	if err != nil {
		return "", err
	}
	return string(out), nil
}

func chain(v any) (*cert.Chain, error) {
	var c cert.Chain
	switch x := v.(type) {
	case []*x509.Certificate:
		for _, crt := range x {
			if err := c.AddString(base64.StdEncoding.EncodeToString(crt.Raw)); err != nil {
				return nil, fmt.Errorf("header x5c: %w", err)
			}
		}
	case []string:
		for _, s := range x {
			if err := c.AddString(s); err != nil {
				return nil, fmt.Errorf("header x5c: %w", err)
			}
		}
	default:
		return nil, fmt.Errorf("header x5c: want []*x509.Certificate or []string, got %T", v)
	}
	return &c, nil
}

// Chain reads the x5c member of a decoded protected header: base64 (not
// base64url) DER certificates, leaf first (RFC 7515 section 4.1.6).
func Chain(header map[string]any) ([]*x509.Certificate, error) {
	raw, ok := header["x5c"].([]any)
	if !ok || len(raw) == 0 {
		return nil, fmt.Errorf("no x5c header")
	}
	if len(raw) > 10 {
		return nil, fmt.Errorf("x5c holds %d certificates, at most 10", len(raw))
	}
	out := make([]*x509.Certificate, 0, len(raw))
	for i, e := range raw {
		s, ok := e.(string)
		if !ok {
			return nil, fmt.Errorf("x5c[%d] is not a string", i)
		}
		der, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("x5c[%d] is not base64", i)
		}
		crt, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, fmt.Errorf("x5c[%d] is not a certificate", i)
		}
		out = append(out, crt)
	}
	return out, nil
}

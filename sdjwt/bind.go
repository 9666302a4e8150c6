package sdjwt

import (
	"fmt"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
)

// Binding is what a holder signs to bind a presentation to one verifier and
// one request.
type Binding struct {
	// Alg and Key sign the KB-JWT: the private half of the cnf key.
	Alg jwa.SignatureAlgorithm
	Key any
	// Audience (aud) names the verifier, Nonce is its fresh challenge.
	Audience, Nonce string
	// IssuedAt is the KB-JWT's iat.
	IssuedAt time.Time
}

// Bind returns the SD-JWT+KB: the presentation t with a key-binding JWT
// (typ kb+jwt) over its sd_hash appended. Any earlier KB-JWT is replaced.
func (t *SDJWT) Bind(b Binding) (*SDJWT, error) {
	if b.Audience == "" || b.Nonce == "" {
		return nil, fmt.Errorf("sdjwt bind: audience and nonce are required")
	}
	out := &SDJWT{JWT: t.JWT, Disclosures: t.Disclosures}
	payload := map[string]any{
		"iat":     b.IssuedAt.Unix(),
		"aud":     b.Audience,
		"nonce":   b.Nonce,
		"sd_hash": digest(out.unbound()),
	}
	kb, err := sign(b.Alg, b.Key, map[string]any{"typ": "kb+jwt"}, payload)
	if err != nil {
		return nil, err
	}
	out.KeyBinding = kb
	return out, nil
}

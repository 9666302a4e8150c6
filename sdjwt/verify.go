package sdjwt

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
)

// KeyFunc returns the public key (a crypto.PublicKey or jwk.Key) that must
// have signed an issuer-signed JWT. It gets the protected header (kid, x5c,
// typ, alg) and the payload as signed, not yet verified: use them to find
// the issuer's key (iss), never to trust the token. An error refuses the
// token.
type KeyFunc func(ctx context.Context, header, payload map[string]any) (any, error)

// DefaultAlgorithms are the JWS algorithms Verify accepts when
// VerifyOptions.Algorithms is empty: the asymmetric ones of the EU and
// OpenID4VC profiles. "none" and the HMAC algorithms are never accepted.
var DefaultAlgorithms = []string{"ES256", "ES384", "ES512", "EdDSA", "Ed25519", "PS256", "PS384", "PS512"}

// VerifyOptions configures Verify.
type VerifyOptions struct {
	// Key finds the issuer's key. Required.
	Key KeyFunc
	// Algorithms lists the accepted JWS algorithm names; DefaultAlgorithms
	// when empty.
	Algorithms []string
	// Typ, when set, is the required typ header of the issuer-signed JWT.
	Typ string
	// Now is the verification time; time.Now when nil.
	Now func() time.Time
	// Leeway widens exp, nbf and the key-binding iat by this much for clock
	// skew.
	Leeway time.Duration

	// KeyBinding requires a key-binding JWT (and then Nonce and Audience).
	// A KB-JWT that is present is checked even when not required.
	KeyBinding bool
	// Nonce and Audience are the values the KB-JWT must carry; when empty
	// they are not compared (allowed only without KeyBinding).
	Nonce, Audience string
	// MaxAge is how old the KB-JWT's iat may be; 5 minutes when zero.
	MaxAge time.Duration
}

// Result is a verified SD-JWT.
type Result struct {
	// Header is the issuer-signed JWT's protected header.
	Header map[string]any
	// Claims are the payload with every presented disclosure applied and
	// the _sd, _sd_alg and undisclosed array elements removed. Numbers are
	// json.Number.
	Claims map[string]any
	// Disclosed lists the dotted paths of the disclosed claims, in the
	// order of the presentation's disclosures.
	Disclosed []string
	// KeyBinding is the checked KB-JWT payload (nonce, aud, iat, sd_hash),
	// or nil when the presentation had none.
	KeyBinding map[string]any
}

// Verify checks a compact SD-JWT or SD-JWT+KB as RFC 9901 section 7 says:
// the issuer's signature (algorithm allowed, key from opts.Key), exp and
// nbf, _sd_alg, every disclosure against the signed digests, and the
// key-binding JWT (typ kb+jwt, signed by the cnf key, nonce, aud, iat,
// sd_hash). It returns the disclosed claims.
func Verify(ctx context.Context, s string, opts VerifyOptions) (*Result, error) {
	r, _, err := verify(ctx, s, opts)
	return r, err
}

// verify is Verify that also returns the payload as signed (before the
// disclosures were applied), which the VC profile checks.
func verify(ctx context.Context, s string, opts VerifyOptions) (*Result, map[string]any, error) {
	if opts.Key == nil {
		return nil, nil, fmt.Errorf("sdjwt verify: no key function")
	}
	if opts.KeyBinding && (opts.Nonce == "" || opts.Audience == "") {
		return nil, nil, fmt.Errorf("sdjwt verify: key binding required without nonce and audience")
	}
	t, err := Parse(s)
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	if opts.Now != nil {
		now = opts.Now()
	}
	header, payload, err := verifyJWS(ctx, t.JWT, opts)
	if err != nil {
		return nil, nil, err
	}
	if opts.Typ != "" && header["typ"] != opts.Typ {
		return nil, nil, fail(ErrProfile, "issuer-signed jwt typ is %v, want %s", header["typ"], opts.Typ)
	}
	if alg, ok := payload["_sd_alg"]; ok && alg != HashAlg {
		return nil, nil, fail(ErrMalformed, "_sd_alg %v is not supported, only %s", alg, HashAlg)
	}
	if err := checkTimes(payload, now, opts.Leeway); err != nil {
		return nil, nil, err
	}
	p, err := newProcessor(t.Disclosures)
	if err != nil {
		return nil, nil, err
	}
	claims, err := p.top(payload)
	if err != nil {
		return nil, nil, err
	}
	r := &Result{Header: header, Claims: claims}
	for _, path := range p.paths {
		r.Disclosed = append(r.Disclosed, joinPath(path))
	}
	if t.KeyBinding == "" {
		if opts.KeyBinding {
			return nil, nil, fail(ErrKeyBinding, "key-binding jwt required but absent")
		}
		return r, payload, nil
	}
	if r.KeyBinding, err = verifyKB(ctx, t, payload, now, opts); err != nil {
		return nil, nil, err
	}
	return r, payload, nil
}

func (o VerifyOptions) allowed(alg string) bool {
	list := o.Algorithms
	if len(list) == 0 {
		list = DefaultAlgorithms
	}
	return slices.Contains(list, alg)
}

// verifyJWS checks the issuer signature and returns the header and payload.
func verifyJWS(ctx context.Context, jwt string, opts VerifyOptions) (map[string]any, map[string]any, error) {
	header, payload, err := splitJWT(jwt, "issuer-signed jwt")
	if err != nil {
		return nil, nil, err
	}
	alg, err := algorithm(header, opts)
	if err != nil {
		return nil, nil, fail(ErrSignature, "issuer-signed jwt: %s", err)
	}
	key, err := opts.Key(ctx, header, payload)
	if err != nil {
		return nil, nil, fail(ErrSignature, "issuer key not found: %s", err)
	}
	if _, err := jws.Verify([]byte(jwt), jws.WithKey(alg, key), jws.WithAlgorithmMatch(true), jws.WithContext(ctx)); err != nil {
		return nil, nil, fail(ErrSignature, "issuer signature invalid")
	}
	return header, payload, nil
}

func algorithm(header map[string]any, opts VerifyOptions) (jwa.SignatureAlgorithm, error) {
	name, _ := header["alg"].(string)
	if name == "" || !opts.allowed(name) {
		return jwa.SignatureAlgorithm{}, fmt.Errorf("algorithm %q not accepted", name)
	}
	alg, ok := jwa.LookupSignatureAlgorithm(name)
	if !ok {
		return jwa.SignatureAlgorithm{}, fmt.Errorf("algorithm %q unknown", name)
	}
	return alg, nil
}

// numericDate reads a JWT NumericDate claim.
func numericDate(m map[string]any, name string) (time.Time, bool, error) {
	v, ok := m[name]
	if !ok {
		return time.Time{}, false, nil
	}
	n, ok := v.(json.Number)
	if !ok {
		return time.Time{}, true, malformed("claim %s is not a number", name)
	}
	f, err := n.Float64()
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f > 1e11 {
		return time.Time{}, true, malformed("claim %s is not a valid date", name)
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)), true, nil
}

func checkTimes(payload map[string]any, now time.Time, leeway time.Duration) error {
	exp, ok, err := numericDate(payload, "exp")
	if err != nil {
		return err
	}
	if ok && !now.Before(exp.Add(leeway)) {
		return fail(ErrValidity, "expired at %s", exp.UTC().Format(time.RFC3339))
	}
	nbf, ok, err := numericDate(payload, "nbf")
	if err != nil {
		return err
	}
	if ok && now.Add(leeway).Before(nbf) {
		return fail(ErrValidity, "not valid before %s", nbf.UTC().Format(time.RFC3339))
	}
	return nil
}

// holderKey returns the public key of the payload's cnf claim (RFC 7800,
// jwk member). A key with private parts is refused: an issuer that
// published the holder's private key has broken the binding.
func holderKey(payload map[string]any) (jwk.Key, error) {
	cnf, ok := payload["cnf"].(map[string]any)
	if !ok {
		return nil, fail(ErrKeyBinding, "no cnf claim to bind the presentation to")
	}
	raw, ok := cnf["jwk"].(map[string]any)
	if !ok {
		return nil, fail(ErrKeyBinding, "cnf claim has no jwk")
	}
	b, err := json.Marshal(raw)
	if err != nil {
		return nil, fail(ErrKeyBinding, "cnf jwk cannot be encoded")
	}
	key, err := jwk.ParseKey(b)
	if err != nil {
		return nil, fail(ErrKeyBinding, "cnf jwk is not a valid key")
	}
	if private, err := jwk.IsPrivateKey(key); err != nil || private {
		return nil, fail(ErrKeyBinding, "cnf jwk is not a public key")
	}
	return key, nil
}

func verifyKB(ctx context.Context, t *SDJWT, payload map[string]any, now time.Time, opts VerifyOptions) (map[string]any, error) {
	key, err := holderKey(payload)
	if err != nil {
		return nil, err
	}
	header, kb, err := splitJWT(t.KeyBinding, "key-binding jwt")
	if err != nil {
		return nil, err
	}
	if header["typ"] != "kb+jwt" {
		return nil, fail(ErrKeyBinding, "key-binding jwt typ is %v, want kb+jwt", header["typ"])
	}
	alg, err := algorithm(header, opts)
	if err != nil {
		return nil, fail(ErrKeyBinding, "key-binding jwt: %s", err)
	}
	if _, err := jws.Verify([]byte(t.KeyBinding), jws.WithKey(alg, key), jws.WithAlgorithmMatch(true), jws.WithContext(ctx)); err != nil {
		return nil, fail(ErrKeyBinding, "key-binding jwt signature invalid")
	}
	if got, _ := kb["sd_hash"].(string); got != digest(t.unbound()) {
		return nil, fail(ErrKeyBinding, "key-binding jwt sd_hash does not match the presentation")
	}
	if opts.Nonce != "" && kb["nonce"] != opts.Nonce {
		return nil, fail(ErrKeyBinding, "key-binding jwt nonce does not match")
	}
	if opts.Audience != "" && kb["aud"] != opts.Audience {
		return nil, fail(ErrKeyBinding, "key-binding jwt audience does not match")
	}
	iat, ok, err := numericDate(kb, "iat")
	if err != nil || !ok {
		return nil, fail(ErrKeyBinding, "key-binding jwt has no valid iat")
	}
	maxAge := opts.MaxAge
	if maxAge == 0 {
		maxAge = 5 * time.Minute
	}
	if iat.After(now.Add(opts.Leeway)) {
		return nil, fail(ErrKeyBinding, "key-binding jwt issued in the future")
	}
	if iat.Before(now.Add(-maxAge - opts.Leeway)) {
		return nil, fail(ErrKeyBinding, "key-binding jwt older than %s", maxAge)
	}
	return kb, nil
}

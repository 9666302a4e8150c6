package sdjwt

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"sort"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/zhengzhao-project/zhengzhao/internal/jose"
)

// Selective marks a claim value (an object property or an array element) as
// selectively disclosable. Create it with SD.
type Selective struct{ Value any }

// SD marks v as selectively disclosable. v may itself hold SD values
// (recursive disclosures): they are disclosed separately, inside v's
// disclosure. Nesting is followed through map[string]any and []any only.
func SD(v any) Selective { return Selective{Value: v} }

// Issuer signs SD-JWTs with one key.
type Issuer struct {
	// Alg is the JWS algorithm, for example jwa.ES256().
	Alg jwa.SignatureAlgorithm
	// Key is the private key: a crypto.Signer (*ecdsa.PrivateKey,
	// ed25519.PrivateKey, a KMS adapter) or a jwk.Key.
	Key any
	// Header holds extra protected header members, for example "kid",
	// "typ" or "x5c" (as []*x509.Certificate, leaf first, or []string of
	// base64 DER).
	Header map[string]any
	// Decoys is the number of decoy digests added to every _sd array, so
	// that the count of digests does not tell how many claims are hidden.
	Decoys int
	// Rand supplies salts and decoys; crypto/rand when nil.
	Rand io.Reader
}

// saltBytes is the salt length: RFC 9901 recommends 128 bits.
const saltBytes = 16

// Issue builds the payload from claims (SD marks what is selectively
// disclosable), signs it and returns the SD-JWT with all its disclosures.
// claims is not modified. The claim names _sd, _sd_alg and "..." are
// reserved and refused.
func (is *Issuer) Issue(claims map[string]any) (*SDJWT, error) {
	if is.Key == nil {
		return nil, fmt.Errorf("sdjwt issue: no signing key")
	}
	b := builder{rand: is.Rand, decoys: is.Decoys}
	if b.rand == nil {
		b.rand = rand.Reader
	}
	if _, reserved := claims["_sd_alg"]; reserved {
		return nil, fail(ErrMalformed, "claim _sd_alg is reserved")
	}
	payload, err := b.object(claims, "")
	if err != nil {
		return nil, err
	}
	payload["_sd_alg"] = HashAlg
	jwt, err := sign(is.Alg, is.Key, is.Header, payload)
	if err != nil {
		return nil, err
	}
	return &SDJWT{JWT: jwt, Disclosures: b.disclosures}, nil
}

// sign serializes payload and signs it as a compact JWS.
func sign(alg jwa.SignatureAlgorithm, key any, header map[string]any, payload map[string]any) (string, error) {
	jwt, err := jose.Sign(alg, key, header, payload)
	if err != nil {
		return "", fmt.Errorf("sdjwt sign: %w", err)
	}
	return jwt, nil
}

type builder struct {
	rand        io.Reader
	decoys      int
	disclosures []*Disclosure
}

func (b *builder) random(n int) (string, error) {
	buf := make([]byte, n)
	if _, err := io.ReadFull(b.rand, buf); err != nil {
		return "", fmt.Errorf("sdjwt issue: random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(buf), nil
}

// conceal creates the disclosure of one value and returns its digest.
func (b *builder) conceal(name string, element bool, v any) (string, error) {
	salt, err := b.random(saltBytes)
	if err != nil {
		return "", err
	}
	d, err := newDisclosure(salt, name, element, v)
	if err != nil {
		return "", err
	}
	b.disclosures = append(b.disclosures, d)
	return d.Digest(), nil
}

func (b *builder) value(v any, path string) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		return b.object(x, path)
	case []any:
		return b.array(x, path)
	case Selective:
		return nil, fail(ErrMalformed, "claim %q: SD nested directly in SD", path)
	}
	return v, nil
}

func (b *builder) object(obj map[string]any, path string) (map[string]any, error) {
	out := make(map[string]any, len(obj))
	var sd []string
	// Fixed order, so that the same input and randomness give the same
	// token (tests, reproducible examples).
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		cp := k
		if path != "" {
			cp = path + "." + k
		}
		if k == "_sd" || k == "..." {
			return nil, fail(ErrMalformed, "claim name %q is reserved", cp)
		}
		v := obj[k]
		s, selective := v.(Selective)
		if !selective {
			pv, err := b.value(v, cp)
			if err != nil {
				return nil, err
			}
			out[k] = pv
			continue
		}
		inner, err := b.value(s.Value, cp)
		if err != nil {
			return nil, err
		}
		h, err := b.conceal(k, false, inner)
		if err != nil {
			return nil, err
		}
		sd = append(sd, h)
	}
	if len(sd) == 0 {
		return out, nil
	}
	for i := 0; i < b.decoys; i++ {
		r, err := b.random(32)
		if err != nil {
			return nil, err
		}
		sd = append(sd, digest(r))
	}
	// Sorted digests hide the order of the claims (RFC 9901 section 4.2.4).
	sort.Strings(sd)
	out["_sd"] = sd
	return out, nil
}

func (b *builder) array(arr []any, path string) ([]any, error) {
	out := make([]any, len(arr))
	for i, v := range arr {
		cp := fmt.Sprintf("%s.%d", path, i)
		s, selective := v.(Selective)
		if !selective {
			pv, err := b.value(v, cp)
			if err != nil {
				return nil, err
			}
			out[i] = pv
			continue
		}
		inner, err := b.value(s.Value, cp)
		if err != nil {
			return nil, err
		}
		h, err := b.conceal("", true, inner)
		if err != nil {
			return nil, err
		}
		out[i] = map[string]any{"...": h}
	}
	return out, nil
}

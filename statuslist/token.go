package statuslist

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jws"
	"github.com/zhengzhao-project/zhengzhao/internal/jose"
)

// TypeToken is the typ header (and the media type after application/) of
// an IETF status list token.
const TypeToken = "statuslist+jwt"

// New returns an IETF Token Status List of n entries of bits bits, all
// Valid.
func New(n, bits int) (*List, error) { return newList(n, bits, lsbFirst) }

// EncodeToken returns the status_list.lst value: base64url (no padding) of
// the ZLIB-compressed byte array, at the best compression as the draft
// recommends.
func (l *List) EncodeToken() (string, error) { return l.EncodeTokenLevel(zlib.BestCompression) }

// EncodeTokenLevel is EncodeToken at a compress/flate level. On a sparse
// million-entry list the best level costs about 20 times the CPU of the
// default for a string 16% smaller (docs/performance.md); an issuer that
// rebuilds large lists often may prefer zlib.DefaultCompression.
func (l *List) EncodeTokenLevel(level int) (string, error) {
	if l.order != lsbFirst {
		return "", fmt.Errorf("statuslist: encode token: list is in bitstring (msb-first) layout")
	}
	z, err := deflate(l.data, func(w io.Writer) (io.WriteCloser, error) { return zlib.NewWriterLevel(w, level) })
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(z), nil
}

// DecodeToken decodes a status_list.lst value of bits-bit entries. The list
// has as many entries as the bytes hold (the format does not carry a count).
func DecodeToken(lst string, bits int) (*List, error) {
	if !validBits(bits) {
		return nil, invalid("bits", "must be 1, 2, 4 or 8, not %d", bits)
	}
	raw, err := base64.RawURLEncoding.DecodeString(lst)
	if err != nil {
		return nil, invalid("lst", "not unpadded base64url")
	}
	zr, err := zlib.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, invalid("lst", "not zlib data")
	}
	data, err := inflate(zr, MaxEntries*bits/8)
	if err != nil {
		return nil, invalid("lst", "%s", err)
	}
	if len(data) == 0 {
		return nil, invalid("lst", "empty list")
	}
	return &List{bits: bits, order: lsbFirst, n: len(data) * 8 / bits, data: data}, nil
}

// Token is the content of a status list token.
type Token struct {
	// Subject (sub) is the token's own URI: the uri referenced tokens carry.
	Subject  string
	IssuedAt time.Time
	// Expires (exp) is optional; TTL (ttl) says how long a verifier may
	// cache the token before fetching it again.
	Expires time.Time
	TTL     time.Duration
	List    *List
}

// Sign returns the status list token as a compact JWS of typ
// statuslist+jwt, signed with key (a crypto.Signer or jwk.Key) under alg.
// header adds protected header members such as kid or x5c (see
// sdjwt.Issuer.Header for the forms of x5c).
func (t *Token) Sign(alg jwa.SignatureAlgorithm, key any, header map[string]any) (string, error) {
	if t.Subject == "" || t.IssuedAt.IsZero() || t.List == nil {
		return "", invalid("token", "sub, iat and the list are required")
	}
	lst, err := t.List.EncodeToken()
	if err != nil {
		return "", err
	}
	payload := map[string]any{
		"sub":         t.Subject,
		"iat":         t.IssuedAt.Unix(),
		"status_list": map[string]any{"bits": t.List.bits, "lst": lst},
	}
	if !t.Expires.IsZero() {
		payload["exp"] = t.Expires.Unix()
	}
	if t.TTL > 0 {
		payload["ttl"] = int64(t.TTL / time.Second)
	}
	h := map[string]any{}
	for k, v := range header {
		h[k] = v
	}
	h["typ"] = TypeToken
	out, err := jose.Sign(alg, key, h, payload)
	if err != nil {
		return "", fmt.Errorf("statuslist sign: %w", err)
	}
	return out, nil
}

// KeyFunc returns the public key that must have signed a status list token,
// given its protected header and unverified payload.
type KeyFunc func(ctx context.Context, header, payload map[string]any) (any, error)

// VerifyOptions configures VerifyToken.
type VerifyOptions struct {
	Key KeyFunc
	// Subject is the uri the referenced token pointed at; the token's sub
	// must equal it (draft section 8.3).
	Subject string
	// Algorithms accepted; ES256, ES384, ES512 and EdDSA when empty.
	Algorithms []string
	Now        func() time.Time
}

// VerifyToken checks a status list token: typ statuslist+jwt, an accepted
// algorithm and the signature, sub, iat, exp, and decodes its list.
func VerifyToken(ctx context.Context, jwt string, opts VerifyOptions) (*Token, error) {
	if opts.Key == nil {
		return nil, fmt.Errorf("statuslist verify: no key function")
	}
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return nil, invalid("token", "not a compact jws")
	}
	header, err := segment(parts[0])
	if err != nil {
		return nil, invalid("token", "header: %s", err)
	}
	payload, err := segment(parts[1])
	if err != nil {
		return nil, invalid("token", "payload: %s", err)
	}
	if header["typ"] != TypeToken {
		return nil, invalid("typ", "is %v, want %s", header["typ"], TypeToken)
	}
	algs := opts.Algorithms
	if len(algs) == 0 {
		algs = []string{"ES256", "ES384", "ES512", "EdDSA"}
	}
	name, _ := header["alg"].(string)
	alg, ok := jwa.LookupSignatureAlgorithm(name)
	if !ok || !slices.Contains(algs, name) {
		return nil, invalid("alg", "algorithm %q not accepted", name)
	}
	key, err := opts.Key(ctx, header, payload)
	if err != nil {
		return nil, invalid("token", "signing key not found: %s", err)
	}
	if _, err := jws.Verify([]byte(jwt), jws.WithKey(alg, key), jws.WithAlgorithmMatch(true), jws.WithContext(ctx)); err != nil {
		return nil, invalid("token", "signature invalid")
	}
	t := &Token{}
	t.Subject, _ = payload["sub"].(string)
	if t.Subject == "" || (opts.Subject != "" && t.Subject != opts.Subject) {
		return nil, invalid("sub", "is %q, want the referenced uri %q", t.Subject, opts.Subject)
	}
	iat, ok := seconds(payload["iat"])
	if !ok {
		return nil, invalid("iat", "missing or not a number")
	}
	t.IssuedAt = time.Unix(iat, 0)
	now := time.Now()
	if opts.Now != nil {
		now = opts.Now()
	}
	if v, present := payload["exp"]; present {
		exp, ok := seconds(v)
		if !ok {
			return nil, invalid("exp", "not a number")
		}
		t.Expires = time.Unix(exp, 0)
		if !now.Before(t.Expires) {
			return nil, invalid("exp", "status list token expired at %s", t.Expires.UTC().Format(time.RFC3339))
		}
	}
	if v, present := payload["ttl"]; present {
		ttl, ok := seconds(v)
		if !ok || ttl < 0 {
			return nil, invalid("ttl", "not a non-negative number")
		}
		t.TTL = time.Duration(ttl) * time.Second
	}
	sl, _ := payload["status_list"].(map[string]any)
	bits, _ := seconds(sl["bits"])
	lst, _ := sl["lst"].(string)
	if t.List, err = DecodeToken(lst, int(bits)); err != nil {
		return nil, err
	}
	return t, nil
}

func segment(s string) (map[string]any, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("not base64url")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, fmt.Errorf("not a json object")
	}
	return m, nil
}

// seconds reads an integral JSON number.
func seconds(v any) (int64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	i, err := n.Int64()
	return i, err == nil
}

// Reference is the status claim of a referenced token (an SD-JWT VC):
// {"status_list": {"idx": …, "uri": …}}.
type Reference struct {
	Index int    `json:"idx"`
	URI   string `json:"uri"`
}

// Status returns the status value of ref in a verified token t, refusing
// an index outside the list.
func (t *Token) Status(ref Reference) (uint8, error) {
	if ref.URI != t.Subject {
		return 0, invalid("uri", "reference %q is not this list (%q)", ref.URI, t.Subject)
	}
	return t.List.Get(ref.Index)
}

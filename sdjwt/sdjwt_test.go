package sdjwt

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
)

// rfcIssuerKey is the example issuer key of RFC 9901 Appendix A.5.
const rfcIssuerKey = `{"kty":"EC","crv":"P-256","x":"b28d4MwZMjw8-00CG4xfnn9SLMVMM19SlqZpVb_uNtQ","y":"Xv5zWwuoaTgdS6hV43yI6gBwTnjukmFQQnJ_kCxzqk8"}`

func rfcKey(t testing.TB) KeyFunc {
	t.Helper()
	k, err := jwk.ParseKey([]byte(rfcIssuerKey))
	if err != nil {
		t.Fatal(err)
	}
	return func(context.Context, map[string]any, map[string]any) (any, error) { return k, nil }
}

func readExample(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/rfc9901/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(strings.Fields(string(b)), "")
}

func at(unix int64) func() time.Time { return func() time.Time { return time.Unix(unix, 0) } }

// TestRFC9901DisclosureDigests checks the digests of disclosures printed in
// RFC 9901 (sections 5 and 7): our digest of the RFC's encoded disclosure
// must be the RFC's digest, and the decoded contents the RFC's contents.
func TestRFC9901DisclosureDigests(t *testing.T) {
	for _, tc := range []struct {
		encoded, digest, salt, name string
		value                       any
	}{
		{"WyIyR0xDNDJzS1F2ZUNmR2ZyeU5STjl3IiwgImdpdmVuX25hbWUiLCAiSm9obiJd", "jsu9yVulwQQlhFlM_3JlzMaSFzglhQG0DpfayQwLUK4", "2GLC42sKQveCfGfryNRN9w", "given_name", "John"},
		{"WyIyR0xDNDJzS1F2ZUNmR2ZyeU5STjl3IiwgInN0cmVldF9hZGRyZXNzIiwgIlNjaHVsc3RyLiAxMiJd", "9gjVuXtdFROCgRrtNcGUXmF65rdezi_6Er_j76kmYyM", "2GLC42sKQveCfGfryNRN9w", "street_address", "Schulstr. 12"},
		{"WyJlbHVWNU9nM2dTTklJOEVZbnN4QV9BIiwgImxvY2FsaXR5IiwgIlNjaHVscGZvcnRhIl0", "6vh9bq-zS4GKM_7GpggVbYzzu6oOGXrmNVGPHP75Ud0", "eluV5Og3gSNII8EYnsxA_A", "locality", "Schulpforta"},
		{"WyI2SWo3dE0tYTVpVlBHYm9TNXRtdlZBIiwgInJlZ2lvbiIsICJTYWNoc2VuLUFuaGFsdCJd", "KURDPh4ZC19-3tiz-Df39V8eidy1oV3a3H1Da2N0g88", "6Ij7tM-a5iVPGboS5tmvVA", "region", "Sachsen-Anhalt"},
		{"WyJlSThaV205UW5LUHBOUGVOZW5IZGhRIiwgImNvdW50cnkiLCAiREUiXQ", "WN9r9dCBJ8HTCsS2jKASxTjEyW5m5x65_Z_2ro2jfXM", "eI8ZWm9QnKPpNPeNenHdhQ", "country", "DE"},
		// The recursive address disclosure of section 7.3: its value is an
		// object holding the four digests above.
		{"WyJRZ19PNjR6cUF4ZTQxMmExMDhpcm9BIiwgImFkZHJlc3MiLCB7Il9zZCI6IFsiNnZoOWJxLXpTNEdLTV83R3BnZ1ZiWXp6dTZvT0dYcm1OVkdQSFA3NVVkMCIsICI5Z2pWdVh0ZEZST0NnUnJ0TmNHVVhtRjY1cmRlemlfNkVyX2o3NmttWXlNIiwgIktVUkRQaDRaQzE5LTN0aXotRGYzOVY4ZWlkeTFvVjNhM0gxRGEyTjBnODgiLCAiV045cjlkQ0JKOEhUQ3NTMmpLQVN4VGpFeVc1bTV4NjVfWl8ycm8yamZYTSJdfV0", "HvrKX6fPV0v9K_yCVFBiLFHsMaxcD_114Em6VT8x1lg", "Qg_O64zqAxe412a108iroA", "address",
			map[string]any{"_sd": []any{"6vh9bq-zS4GKM_7GpggVbYzzu6oOGXrmNVGPHP75Ud0", "9gjVuXtdFROCgRrtNcGUXmF65rdezi_6Er_j76kmYyM", "KURDPh4ZC19-3tiz-Df39V8eidy1oV3a3H1Da2N0g88", "WN9r9dCBJ8HTCsS2jKASxTjEyW5m5x65_Z_2ro2jfXM"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := ParseDisclosure(tc.encoded)
			if err != nil {
				t.Fatal(err)
			}
			if got := d.Digest(); got != tc.digest {
				t.Errorf("digest %s, want %s", got, tc.digest)
			}
			if d.Salt != tc.salt || d.Name != tc.name || d.Element {
				t.Errorf("got salt %q name %q element %v", d.Salt, d.Name, d.Element)
			}
			if diff := cmp.Diff(tc.value, d.Value); diff != "" {
				t.Errorf("value (-want +got):\n%s", diff)
			}
		})
	}
}

// rfcAllClaims are the claims of RFC 9901's example SD-JWT with every
// disclosure applied.
var rfcAllClaims = map[string]any{
	"iss": "https://issuer.example.com", "iat": json.Number("1683000000"), "exp": json.Number("1883000000"),
	"sub": "user_42", "given_name": "John", "family_name": "Doe", "email": "johndoe@example.com",
	"phone_number": "+1-202-555-0101", "phone_number_verified": true,
	"address":   map[string]any{"street_address": "123 Main St", "locality": "Anytown", "region": "Anystate", "country": "US"},
	"birthdate": "1940-01-01", "updated_at": json.Number("1570000000"),
	"nationalities": []any{"US", "DE"},
	"cnf": map[string]any{"jwk": map[string]any{"kty": "EC", "crv": "P-256",
		"x": "TCAER19Zvu3OHF4j4W4vfSVoHIP1ILilDls7vCeGemc", "y": "ZxjiWWbZMQGHVWKVQ4hbSIirsVfuecCE6t4jT9F2HZQ"}},
}

// TestRFC9901Issued verifies the issued SD-JWT of RFC 9901's example with
// the RFC's issuer key: the signature, every digest and all ten claims.
func TestRFC9901Issued(t *testing.T) {
	r, err := Verify(context.Background(), readExample(t, "issued.txt"), VerifyOptions{Key: rfcKey(t), Now: at(1683000001), Typ: "example+sd-jwt"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(rfcAllClaims, r.Claims); diff != "" {
		t.Errorf("claims (-want +got):\n%s", diff)
	}
	sort.Strings(r.Disclosed)
	want := []string{"address", "birthdate", "email", "family_name", "given_name", "nationalities.0", "nationalities.1", "phone_number", "phone_number_verified", "updated_at"}
	if diff := cmp.Diff(want, r.Disclosed); diff != "" {
		t.Errorf("disclosed (-want +got):\n%s", diff)
	}
}

// TestRFC9901Presentation verifies the RFC's SD-JWT+KB: the holder's
// key-binding JWT with the RFC's nonce, audience and iat, and only the four
// presented claims.
func TestRFC9901Presentation(t *testing.T) {
	opts := VerifyOptions{Key: rfcKey(t), Now: at(1715255943), KeyBinding: true, Nonce: "1234567890", Audience: "https://verifier.example.org"}
	r, err := Verify(context.Background(), readExample(t, "presentation.txt"), opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"given_name", "family_name", "address"} {
		if diff := cmp.Diff(rfcAllClaims[k], r.Claims[k]); diff != "" {
			t.Errorf("%s (-want +got):\n%s", k, diff)
		}
	}
	if diff := cmp.Diff([]any{"US"}, r.Claims["nationalities"]); diff != "" {
		t.Errorf("nationalities (-want +got):\n%s", diff)
	}
	for _, k := range []string{"email", "birthdate", "phone_number", "_sd", "_sd_alg"} {
		if _, ok := r.Claims[k]; ok {
			t.Errorf("claim %s present, not disclosed", k)
		}
	}
	if r.KeyBinding["sd_hash"] != "OSyuf5qsFKPfrFr3ZkzLHbl8OJLSQfYE7ALUjJwBAIA" {
		t.Errorf("sd_hash %v", r.KeyBinding["sd_hash"])
	}
	for name, o := range map[string]VerifyOptions{
		"nonce":    {Nonce: "other"},
		"audience": {Audience: "https://evil.example"},
		"old":      {Now: at(1715255943 + 3600)},
	} {
		bad := opts
		if o.Nonce != "" {
			bad.Nonce = o.Nonce
		}
		if o.Audience != "" {
			bad.Audience = o.Audience
		}
		if o.Now != nil {
			bad.Now = o.Now
		}
		if _, err := Verify(context.Background(), readExample(t, "presentation.txt"), bad); !errors.Is(err, ErrKeyBinding) {
			t.Errorf("%s: got %v, want ErrKeyBinding", name, err)
		}
	}
}

type keys struct {
	issuer, holder *ecdsa.PrivateKey
	holderJWK      jwk.Key
}

func newKeys(t testing.TB) keys {
	t.Helper()
	var k keys
	var err error
	if k.issuer, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		t.Fatal(err)
	}
	if k.holder, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		t.Fatal(err)
	}
	if k.holderJWK, err = jwk.Import(&k.holder.PublicKey); err != nil {
		t.Fatal(err)
	}
	return k
}

func (k keys) issuerKey(context.Context, map[string]any, map[string]any) (any, error) {
	return &k.issuer.PublicKey, nil
}

func (k keys) cnf(t testing.TB) map[string]any {
	b, err := json.Marshal(k.holderJWK)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return map[string]any{"jwk": m}
}

var now = time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)

func testClaims(k keys, t testing.TB) map[string]any {
	return map[string]any{
		"iss": "https://issuer.example", "iat": now.Unix(), "exp": now.Add(24 * time.Hour).Unix(),
		"cnf":           k.cnf(t),
		"given_name":    SD("张三"),
		"nationalities": []any{SD("CN"), "HK", SD("MO")},
		"address": SD(map[string]any{
			"locality": SD("上海"),
			"street":   SD("世纪大道 100 号"),
			"country":  "CN",
		}),
	}
}

// TestRoundTrip issues an SD-JWT with object, array and recursive
// disclosures and decoys, presents a subset bound to a verifier and
// verifies it: only the chosen claims come back.
func TestRoundTrip(t *testing.T) {
	k := newKeys(t)
	is := &Issuer{Alg: jwa.ES256(), Key: k.issuer, Decoys: 3}
	tok, err := is.Issue(testClaims(k, t))
	if err != nil {
		t.Fatal(err)
	}
	if len(tok.Disclosures) != 6 {
		t.Fatalf("%d disclosures, want 6", len(tok.Disclosures))
	}
	_, payload, err := splitJWT(tok.JWT, "jwt")
	if err != nil {
		t.Fatal(err)
	}
	// given_name and address at the top, plus three decoys.
	if n := len(payload["_sd"].([]any)); n != 5 {
		t.Errorf("top-level _sd has %d digests, want 2 claims + 3 decoys", n)
	}
	if payload["_sd_alg"] != HashAlg {
		t.Errorf("_sd_alg %v", payload["_sd_alg"])
	}
	paths, err := tok.Paths()
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(paths)
	if diff := cmp.Diff([]string{"address", "address.locality", "address.street", "given_name", "nationalities.0", "nationalities.2"}, paths); diff != "" {
		t.Errorf("paths (-want +got):\n%s", diff)
	}

	pres, err := tok.Present("address.locality", "nationalities.2")
	if err != nil {
		t.Fatal(err)
	}
	if len(pres.Disclosures) != 3 {
		t.Errorf("presentation has %d disclosures, want address, address.locality, nationalities.2", len(pres.Disclosures))
	}
	bound, err := pres.Bind(Binding{Alg: jwa.ES256(), Key: k.holder, Audience: "https://verifier.example", Nonce: "n-123", IssuedAt: now})
	if err != nil {
		t.Fatal(err)
	}
	r, err := Verify(context.Background(), bound.String(), VerifyOptions{Key: k.issuerKey, Now: func() time.Time { return now }, KeyBinding: true, Nonce: "n-123", Audience: "https://verifier.example"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"locality": "上海", "country": "CN"}
	if diff := cmp.Diff(want, r.Claims["address"]); diff != "" {
		t.Errorf("address (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]any{"HK", "MO"}, r.Claims["nationalities"]); diff != "" {
		t.Errorf("nationalities (-want +got):\n%s", diff)
	}
	if _, ok := r.Claims["given_name"]; ok {
		t.Error("given_name disclosed without being presented")
	}
	// The serialization parses back to the same parts.
	again, err := Parse(bound.String())
	if err != nil || again.String() != bound.String() {
		t.Errorf("parse/string round trip: %v", err)
	}
}

// signRaw signs an arbitrary payload with the issuer key, for tokens that
// Issue would never produce.
func signRaw(t *testing.T, k keys, payload map[string]any) string {
	t.Helper()
	jwt, err := sign(jwa.ES256(), k.issuer, nil, payload)
	if err != nil {
		t.Fatal(err)
	}
	return jwt
}

func mustDisclosure(t *testing.T, salt, name string, element bool, v any) *Disclosure {
	t.Helper()
	d, err := newDisclosure(salt, name, element, v)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestRefused lists the tokens RFC 9901 section 7 says a verifier must
// reject, each with the kind of error it must get.
func TestRefused(t *testing.T) {
	k := newKeys(t)
	other := newKeys(t)
	ctx := context.Background()
	is := &Issuer{Alg: jwa.ES256(), Key: k.issuer}
	tok, err := is.Issue(testClaims(k, t))
	if err != nil {
		t.Fatal(err)
	}
	opts := VerifyOptions{Key: k.issuerKey, Now: func() time.Time { return now }}
	kbOpts := opts
	kbOpts.KeyBinding, kbOpts.Nonce, kbOpts.Audience = true, "n-1", "https://v.example"
	bind := func(t *testing.T, s *SDJWT, b Binding) string {
		t.Helper()
		if b.Alg.String() == "" {
			b.Alg = jwa.ES256()
		}
		if b.Key == nil {
			b.Key = k.holder
		}
		if b.Audience == "" {
			b.Audience = "https://v.example"
		}
		if b.Nonce == "" {
			b.Nonce = "n-1"
		}
		if b.IssuedAt.IsZero() {
			b.IssuedAt = now
		}
		out, err := s.Bind(b)
		if err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	d1 := mustDisclosure(t, "salt1", "a", false, "x")
	d2 := mustDisclosure(t, "salt2", "b", false, "y")
	el := mustDisclosure(t, "salt3", "", true, "z")
	forged := mustDisclosure(t, "forged", "given_name", false, "李四")
	tampered := *tok
	tampered.Disclosures = append([]*Disclosure{forged}, tok.Disclosures[1:]...)
	dup := *tok
	dup.Disclosures = append([]*Disclosure{tok.Disclosures[0]}, tok.Disclosures...)
	dropped, err := tok.Present("given_name", "nationalities")
	if err != nil {
		t.Fatal(err)
	}
	kbDropped, err := Parse(bind(t, tok, Binding{}))
	if err != nil {
		t.Fatal(err)
	}
	kbDropped.Disclosures = kbDropped.Disclosures[1:] // sd_hash now covers a different presentation

	hsJWT := strings.Join([]string{b64(`{"alg":"HS256"}`), b64(`{"iss":"x"}`), b64("sig")}, ".")
	noneJWT := strings.Join([]string{b64(`{"alg":"none"}`), b64(`{"iss":"x"}`), "x"}, ".")

	for _, tc := range []struct {
		name string
		s    string
		opts VerifyOptions
		want error
	}{
		{"forged disclosure", tampered.String(), opts, ErrDisclosure},
		{"duplicate disclosure", dup.String(), opts, ErrDisclosure},
		{"nested disclosure without its parent", (&SDJWT{JWT: tok.JWT, Disclosures: tok.Disclosures[:1]}).String(), opts, ErrDisclosure},
		{"digest twice in payload", signRaw(t, k, map[string]any{"_sd": []any{d1.Digest()}, "o": map[string]any{"_sd": []any{d1.Digest()}}}) + "~" + d1.Encoded + "~", opts, ErrDisclosure},
		{"claim clash", signRaw(t, k, map[string]any{"a": 1, "_sd": []any{d1.Digest()}}) + "~" + d1.Encoded + "~", opts, ErrDisclosure},
		{"element disclosure in _sd", signRaw(t, k, map[string]any{"_sd": []any{el.Digest()}}) + "~" + el.Encoded + "~", opts, ErrDisclosure},
		{"property disclosure in array", signRaw(t, k, map[string]any{"l": []any{map[string]any{"...": d2.Digest()}}}) + "~" + d2.Encoded + "~", opts, ErrDisclosure},
		{"reserved name _sd", signRaw(t, k, map[string]any{"_sd": []any{mustDisclosure(t, "s", "_sd", false, 1).Digest()}}) + "~" + mustDisclosure(t, "s", "_sd", false, 1).Encoded + "~", opts, ErrDisclosure},
		{"unsupported _sd_alg", signRaw(t, k, map[string]any{"_sd_alg": "md5"}) + "~", opts, ErrMalformed},
		{"other issuer key", tok.String(), VerifyOptions{Key: other.issuerKey, Now: opts.Now}, ErrSignature},
		{"alg HS256", hsJWT + "~", opts, ErrSignature},
		{"alg none", noneJWT + "~", opts, ErrSignature},
		{"alg not allowed", tok.String(), VerifyOptions{Key: k.issuerKey, Now: opts.Now, Algorithms: []string{"EdDSA"}}, ErrSignature},
		{"expired", tok.String(), VerifyOptions{Key: k.issuerKey, Now: func() time.Time { return now.Add(48 * time.Hour) }}, ErrValidity},
		{"not yet valid", signRaw(t, k, map[string]any{"nbf": now.Add(time.Hour).Unix()}) + "~", opts, ErrValidity},
		{"wrong typ", tok.String(), VerifyOptions{Key: k.issuerKey, Now: opts.Now, Typ: TypeVC}, ErrProfile},
		{"no key binding", tok.String(), kbOpts, ErrKeyBinding},
		{"kb wrong nonce", bind(t, dropped, Binding{Nonce: "n-2"}), kbOpts, ErrKeyBinding},
		{"kb wrong audience", bind(t, dropped, Binding{Audience: "https://evil.example"}), kbOpts, ErrKeyBinding},
		{"kb from the future", bind(t, dropped, Binding{IssuedAt: now.Add(time.Hour)}), kbOpts, ErrKeyBinding},
		{"kb too old", bind(t, dropped, Binding{IssuedAt: now.Add(-time.Hour)}), kbOpts, ErrKeyBinding},
		{"kb other holder key", bind(t, dropped, Binding{Key: other.holder}), kbOpts, ErrKeyBinding},
		{"kb sd_hash mismatch", kbDropped.String(), kbOpts, ErrKeyBinding},
		{"kb without cnf", func() string {
			s, _ := (&SDJWT{JWT: signRaw(t, k, map[string]any{"iss": "x"})}).Bind(Binding{Alg: jwa.ES256(), Key: k.holder, Audience: "https://v.example", Nonce: "n-1", IssuedAt: now})
			return s.String()
		}(), kbOpts, ErrKeyBinding},
		{"not an sd-jwt", tok.JWT, opts, ErrMalformed},
		{"bad disclosure base64", tok.JWT + "~***~", opts, ErrMalformed},
		{"disclosure not an array", tok.JWT + "~" + b64(`{"a":1}`) + "~", opts, ErrMalformed},
		{"disclosure four elements", tok.JWT + "~" + b64(`["s","a",1,2]`) + "~", opts, ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Verify(ctx, tc.s, tc.opts)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
	// The untampered token and a correct binding pass, so the refusals
	// above are due to the one change each makes.
	if _, err := Verify(ctx, tok.String(), opts); err != nil {
		t.Errorf("untampered token: %v", err)
	}
	if _, err := Verify(ctx, bind(t, dropped, Binding{}), kbOpts); err != nil {
		t.Errorf("correct binding: %v", err)
	}
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// TestIssueRefusesReserved: the reserved names cannot be claims.
func TestIssueRefusesReserved(t *testing.T) {
	k := newKeys(t)
	is := &Issuer{Alg: jwa.ES256(), Key: k.issuer}
	for _, c := range []map[string]any{
		{"_sd_alg": "x"}, {"_sd": SD(1)}, {"o": map[string]any{"...": SD(1)}}, {"x": SD(SD(1))},
	} {
		if _, err := is.Issue(c); !errors.Is(err, ErrMalformed) {
			t.Errorf("%v: got %v, want ErrMalformed", c, err)
		}
	}
}

package sdjwt

import (
	"context"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
)

// FuzzParse: Parse never panics, and what it accepts serializes back to
// the same string.
func FuzzParse(f *testing.F) {
	f.Add(readExample(f, "issued.txt"))
	f.Add(readExample(f, "presentation.txt"))
	f.Add(readExample(f, "complex-presentation.txt"))
	f.Add(readExample(f, "vc-issued.txt"))
	f.Add("a.b.c~")
	f.Add("~~~")
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := Parse(s)
		if err != nil {
			return
		}
		if got := tok.String(); got != s {
			t.Fatalf("String() = %q, want %q", got, s)
		}
	})
}

// FuzzParseDisclosure: ParseDisclosure never panics, and an accepted
// disclosure keeps its encoded form (the digest input) verbatim.
func FuzzParseDisclosure(f *testing.F) {
	f.Add("WyIyR0xDNDJzS1F2ZUNmR2ZyeU5STjl3IiwgImdpdmVuX25hbWUiLCAiSm9obiJd")
	f.Add("WyJsa2x4RjVqTVlsR1RQVW92TU5JdkNBIiwgIlVTIl0")
	f.Add(b64(`["s",{"_sd":["x"]}]`))
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDisclosure(s)
		if err != nil {
			return
		}
		if d.Encoded != s || d.Digest() == "" {
			t.Fatalf("encoded %q changed", s)
		}
		if d.Element && d.Name != "" {
			t.Fatalf("element disclosure with a name")
		}
	})
}

// FuzzVerify: verification of arbitrary input never panics and never
// accepts a token the fuzzer built without the issuer's key. The seeds are
// valid presentations, so the fuzzer mutates real structure.
func FuzzVerify(f *testing.F) {
	k := newKeys(f)
	tok, err := (&Issuer{Alg: jwa.ES256(), Key: k.issuer, Decoys: 1}).Issue(testClaims(k, f))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(tok.String())
	pres, _ := tok.Present("address")
	bound, err := pres.Bind(Binding{Alg: jwa.ES256(), Key: k.holder, Audience: "a", Nonce: "n", IssuedAt: now})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(bound.String())
	f.Add(readExample(f, "presentation.txt"))
	valid := map[string]bool{tok.JWT: true}
	opts := VerifyOptions{Key: k.issuerKey, Now: func() time.Time { return now }}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := Verify(context.Background(), s, opts)
		if err != nil {
			return
		}
		p, _ := Parse(s)
		if !valid[p.JWT] {
			t.Fatalf("accepted an issuer-signed jwt that was never issued")
		}
		if r.Claims == nil {
			t.Fatal("nil claims")
		}
	})
}

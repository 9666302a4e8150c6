package statuslist

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
)

// FuzzDecodeToken: the IETF decoder never panics, and what it accepts
// re-encodes to a list with the same bytes.
func FuzzDecodeToken(f *testing.F) {
	for _, ex := range draftExamples {
		f.Add(ex.lst, ex.bits)
	}
	f.Add("eNrbuRgAAhcBXQ", 3)
	f.Fuzz(func(t *testing.T, lst string, bits int) {
		l, err := DecodeToken(lst, bits)
		if err != nil {
			return
		}
		enc, err := l.EncodeToken()
		if err != nil {
			t.Fatal(err)
		}
		again, err := DecodeToken(enc, bits)
		if err != nil || string(again.Bytes()) != string(l.Bytes()) {
			t.Fatalf("re-encoding changed the list: %v", err)
		}
		if _, err := l.Get(l.Len() - 1); err != nil {
			t.Fatalf("last entry unreadable: %v", err)
		}
	})
}

// FuzzDecodeBitstring: the W3C decoder never panics, and what it accepts
// round-trips.
func FuzzDecodeBitstring(f *testing.F) {
	l, _ := NewBitstring(1, 1)
	_ = l.Set(42, 1)
	enc, _ := l.EncodeBitstring()
	f.Add(enc, 1)
	f.Add("uH4sIAAAAAAAAA2NgAAAAAP__", 1)
	f.Fuzz(func(t *testing.T, s string, size int) {
		l, err := DecodeBitstring(s, size)
		if err != nil {
			return
		}
		enc, err := l.EncodeBitstring()
		if err != nil {
			t.Fatal(err)
		}
		again, err := DecodeBitstring(enc, size)
		if err != nil || string(again.Bytes()) != string(l.Bytes()) {
			t.Fatalf("re-encoding changed the list: %v", err)
		}
	})
}

// FuzzVerifyToken: the status list token parser never panics, and never
// accepts a token that was not signed by the key (the only seed signed with
// it is the valid one).
func FuzzVerifyToken(f *testing.F) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	l, _ := New(64, 2)
	_ = l.Set(3, UnderObjection)
	valid, err := (&Token{Subject: "https://zz.example/s/1", IssuedAt: now, TTL: time.Minute, List: l}).Sign(jwa.ES256(), key, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	f.Add("eyJhbGciOiJFUzI1NiIsInR5cCI6InN0YXR1c2xpc3Qrand0In0.e30.AA")
	opts := VerifyOptions{
		Key: func(context.Context, map[string]any, map[string]any) (any, error) { return &key.PublicKey, nil },
		Now: func() time.Time { return now },
	}
	f.Fuzz(func(t *testing.T, jwt string) {
		tok, err := VerifyToken(context.Background(), jwt, opts)
		if err != nil {
			return
		}
		if tok.Subject != "https://zz.example/s/1" {
			t.Fatalf("accepted a token never signed: sub %q", tok.Subject)
		}
		if _, err := tok.Status(Reference{Index: 3, URI: tok.Subject}); err != nil {
			t.Fatalf("entry 3 unreadable: %v", err)
		}
	})
}

package sdjwt

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jws"
)

// The baselines: raw ES256 (ECDSA P-256 over SHA-256 of a 1 KiB payload,
// about the size of a license's claims) and a plain jwx ES256 JWS.
var benchPayload = make([]byte, 1024)

func BenchmarkES256Sign(b *testing.B) {
	k := newKeys(b)
	h := sha256.Sum256(benchPayload)
	for b.Loop() {
		if _, err := ecdsa.SignASN1(rand.Reader, k.issuer, h[:]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkES256Verify(b *testing.B) {
	k := newKeys(b)
	h := sha256.Sum256(benchPayload)
	sig, err := ecdsa.SignASN1(rand.Reader, k.issuer, h[:])
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if !ecdsa.VerifyASN1(&k.issuer.PublicKey, h[:], sig) {
			b.Fatal("bad signature")
		}
	}
}

func BenchmarkJWSSign(b *testing.B) {
	k := newKeys(b)
	for b.Loop() {
		if _, err := jws.Sign(benchPayload, jws.WithKey(jwa.ES256(), k.issuer)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkJWSVerify(b *testing.B) {
	k := newKeys(b)
	s, err := jws.Sign(benchPayload, jws.WithKey(jwa.ES256(), k.issuer))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := jws.Verify(s, jws.WithKey(jwa.ES256(), &k.issuer.PublicKey)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVCIssue issues a license SD-JWT VC: 10 face fields and 3 holder
// attributes, each a salted disclosure, with cnf and status; one signature.
func BenchmarkVCIssue(b *testing.B) {
	k := newKeys(b)
	c := testCredential(k)
	is := &Issuer{Alg: jwa.ES256(), Key: k.issuer}
	for b.Loop() {
		if _, err := IssueCredential(is, c); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVCPresent is the holder's side: choose 3 disclosures and sign
// the key-binding JWT.
func BenchmarkVCPresent(b *testing.B) {
	k := newKeys(b)
	tok, err := IssueCredential(&Issuer{Alg: jwa.ES256(), Key: k.issuer}, testCredential(k))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		p, err := tok.Present("name", "credit_code", "holder.name")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := p.Bind(Binding{Alg: jwa.ES256(), Key: k.holder, Audience: "https://v.example", Nonce: "n", IssuedAt: now}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVCVerify verifies a presentation of all 13 disclosures with key
// binding: two signature checks (issuer, holder) and 13 digests.
func BenchmarkVCVerify(b *testing.B) {
	k := newKeys(b)
	tok, err := IssueCredential(&Issuer{Alg: jwa.ES256(), Key: k.issuer}, testCredential(k))
	if err != nil {
		b.Fatal(err)
	}
	bound, err := tok.Bind(Binding{Alg: jwa.ES256(), Key: k.holder, Audience: "https://v.example", Nonce: "n", IssuedAt: now})
	if err != nil {
		b.Fatal(err)
	}
	s := bound.String()
	opts := VerifyOptions{Key: k.issuerKey, Now: func() time.Time { return now }, KeyBinding: true, Nonce: "n", Audience: "https://v.example"}
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		if _, err := VerifyCredential(context.Background(), s, opts); err != nil {
			b.Fatal(err)
		}
	}
}

// The paired benchmarks time the baseline and the subject alternately in
// the same loop and report their ratio, which holds up on a shared,
// noisy machine where separate benchmarks run minutes apart under
// different load.

func BenchmarkPairedVCIssueVsES256Sign(b *testing.B) {
	k := newKeys(b)
	c := testCredential(k)
	is := &Issuer{Alg: jwa.ES256(), Key: k.issuer}
	h := sha256.Sum256(benchPayload)
	var base, subj time.Duration
	for b.Loop() {
		t0 := time.Now()
		if _, err := ecdsa.SignASN1(rand.Reader, k.issuer, h[:]); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if _, err := IssueCredential(is, c); err != nil {
			b.Fatal(err)
		}
		base, subj = base+t1.Sub(t0), subj+time.Since(t1)
	}
	reportPair(b, base, subj, "sign", "issue")
}

func BenchmarkPairedVCVerifyVsES256Verify(b *testing.B) {
	k := newKeys(b)
	tok, err := IssueCredential(&Issuer{Alg: jwa.ES256(), Key: k.issuer}, testCredential(k))
	if err != nil {
		b.Fatal(err)
	}
	bound, err := tok.Bind(Binding{Alg: jwa.ES256(), Key: k.holder, Audience: "https://v.example", Nonce: "n", IssuedAt: now})
	if err != nil {
		b.Fatal(err)
	}
	s := bound.String()
	opts := VerifyOptions{Key: k.issuerKey, Now: func() time.Time { return now }, KeyBinding: true, Nonce: "n", Audience: "https://v.example"}
	h := sha256.Sum256(benchPayload)
	sig, _ := ecdsa.SignASN1(rand.Reader, k.issuer, h[:])
	var base, subj time.Duration
	for b.Loop() {
		t0 := time.Now()
		if !ecdsa.VerifyASN1(&k.issuer.PublicKey, h[:], sig) {
			b.Fatal("bad signature")
		}
		t1 := time.Now()
		if _, err := VerifyCredential(context.Background(), s, opts); err != nil {
			b.Fatal(err)
		}
		base, subj = base+t1.Sub(t0), subj+time.Since(t1)
	}
	reportPair(b, base, subj, "verify", "vc-verify")
}

func reportPair(b *testing.B, base, subj time.Duration, baseName, subjName string) {
	n := float64(b.N)
	b.ReportMetric(float64(base.Nanoseconds())/n, baseName+"-ns/op")
	b.ReportMetric(float64(subj.Nanoseconds())/n, subjName+"-ns/op")
	b.ReportMetric(float64(subj)/float64(base), subjName+"/"+baseName)
}

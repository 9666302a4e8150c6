package sign

import (
	"testing"

	"github.com/zhengzhao-project/zhengzhao"
)

// The benchmarks sign and verify the canonical form of the realistic
// testLicense, so that BenchmarkVerifyDocument (canonicalization,
// certificate parsing and chain verification included) compares with
// BenchmarkVerify on the same bytes.

func BenchmarkSign(b *testing.B) {
	ca := newTestCA(b)
	msg, _ := Canonicalize(marshal(b, testLicense()), zhengzhao.UnsignedFields)
	for _, alg := range algs {
		s := newTestSigner(b, ca, alg, issuerCode)
		b.Run(alg, func(b *testing.B) {
			for b.Loop() {
				if _, err := s.Sign(msg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkVerify(b *testing.B) {
	ca := newTestCA(b)
	msg, _ := Canonicalize(marshal(b, testLicense()), zhengzhao.UnsignedFields)
	for _, alg := range algs {
		s := newTestSigner(b, ca, alg, issuerCode)
		sig, _ := s.Sign(msg)
		b.Run(alg, func(b *testing.B) {
			for b.Loop() {
				if err := Verify(alg, s.Public(), msg, sig); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkVerifyDocument(b *testing.B) {
	ca := newTestCA(b)
	ts, _ := NewTrustStore(ca.CertPEM())
	for _, alg := range algs {
		doc := signLicense(b, newTestSigner(b, ca, alg, issuerCode), testLicense())
		b.Run(alg, func(b *testing.B) {
			b.SetBytes(int64(len(doc)))
			for b.Loop() {
				if c := ts.VerifyDocument(doc, t0); !c.Signature || !c.IssuerTrusted {
					b.Fatal(c.Reasons)
				}
			}
		})
	}
}

func BenchmarkCanonicalize(b *testing.B) {
	doc := marshal(b, testLicense())
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		if _, err := Canonicalize(doc, zhengzhao.UnsignedFields); err != nil {
			b.Fatal(err)
		}
	}
}

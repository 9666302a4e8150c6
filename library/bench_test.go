package library_test

import (
	"context"
	"crypto"
	"encoding/json"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/sign"
)

var algs = []string{zhengzhao.AlgSM2SM3, zhengzhao.AlgES256, zhengzhao.AlgEdDSA}

// BenchmarkRawSign and BenchmarkRawVerify are the baselines for the issue
// and verify benchmarks below: the bare signature of one document's digest
// size, same algorithms, same run.
func BenchmarkRawSign(b *testing.B) {
	for _, alg := range algs {
		b.Run(alg, func(b *testing.B) {
			key, _ := sign.GenerateKey(alg)
			msg := make([]byte, 900) // about one canonical license
			s := rawSigner(b, key)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := s.Sign(msg); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

func BenchmarkRawVerify(b *testing.B) {
	for _, alg := range algs {
		b.Run(alg, func(b *testing.B) {
			key, _ := sign.GenerateKey(alg)
			msg := make([]byte, 900)
			s := rawSigner(b, key)
			sig, _ := s.Sign(msg)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := sign.Verify(alg, key.Public(), msg, sig); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

// rawSigner wraps a bare key in a Signer with a certificate from a scratch
// CA.
func rawSigner(b *testing.B, key crypto.Signer) *sign.Signer {
	b.Helper()
	ca, _, err := sign.LoadOrCreateCA(b.TempDir(), "Bench", time.Now())
	if err != nil {
		b.Fatal(err)
	}
	cert, err := ca.IssueCertificate(codeA, "bench", key.Public(), time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	if err != nil {
		b.Fatal(err)
	}
	s, err := sign.NewSigner(key, cert)
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkIssueLicense issues licenses from parallel clients through the
// whole write path: validation, signature, SQLite with synchronous=FULL,
// audit entry, group commit.
func BenchmarkIssueLicense(b *testing.B) {
	for i, alg := range algs {
		b.Run(alg, func(b *testing.B) {
			e := newEnv(b)
			code := []string{codeA, codeB, codeC}[i]
			ctx := e.unit(b, code, alg, zhengzhao.RoleIssuer)
			typ := bizType(code)
			if err := e.lib.Catalog.CreateLicenseType(ctx, typ); err != nil {
				b.Fatal(err)
			}
			var n atomic.Int64
			b.SetParallelism(8) // clients, not cores: most of the time is the commit wait
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := e.lib.Licenses.IssueLicense(ctx, request(typ.Code, int(n.Add(1))), ""); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

// BenchmarkVerifyLicense verifies a license document online: parse,
// canonicalise, certificate chain, signature, status lookup.
func BenchmarkVerifyLicense(b *testing.B) {
	for i, alg := range algs {
		b.Run(alg, func(b *testing.B) {
			e := newEnv(b)
			code := []string{codeA, codeB, codeC}[i]
			ctx := e.unit(b, code, alg, zhengzhao.RoleIssuer)
			typ := bizType(code)
			if err := e.lib.Catalog.CreateLicenseType(ctx, typ); err != nil {
				b.Fatal(err)
			}
			lic, err := e.lib.Licenses.IssueLicense(ctx, request(typ.Code, 1), "")
			if err != nil {
				b.Fatal(err)
			}
			doc, _ := json.Marshal(lic)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					res, err := e.lib.Licenses.VerifyLicense(context.Background(), doc)
					if err != nil || !res.Valid {
						b.Fatalf("verify: %+v %v", res, err)
					}
				}
			})
		})
	}
}

package library_test

import (
	"context"
	"encoding/pem"
	"testing"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/library"
	"github.com/zhengzhao-project/zhengzhao/sign"
)

// BenchmarkDisplayToken measures, in one run, the raw SM2 verification of a
// 64-byte signature over a token-sized payload beside the verification of a
// whole display token: offline (parse, find the key by handle, verify the
// signature and the certificate chain) and online (also the presentation
// record, the license's status and the audit entry of the scan, on SQLite).
//
//	go test ./library -run '^$' -bench DisplayToken -benchtime 2s
func BenchmarkDisplayToken(b *testing.B) {
	e := newHolderEnv(b, library.HolderOptions{BaseURL: "http://127.0.0.1:8080", TokenTTL: 10 * time.Minute})
	lic := e.issue(b, e.a)
	p, err := e.lib.Holders.CreatePresentation(holderCtx(e.a), &zhengzhao.PresentationRequest{License: lic.ID, Fields: []string{"vehicle_class"}})
	if err != nil {
		b.Fatal(err)
	}
	tok, err := zhengzhao.ParseDisplayToken(p.Token)
	if err != nil {
		b.Fatal(err)
	}
	payload, _ := tok.Payload()
	keys, err := e.lib.Holders.FindDisplayKeys(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	ts, err := sign.NewTrustStore(e.lib.Keys.CACertificatePEM())
	if err != nil {
		b.Fatal(err)
	}
	for _, k := range keys {
		if err := ts.AddDisplayCert(k.CertPEM); err != nil {
			b.Fatal(err)
		}
	}
	chk := ts.VerifyDisplayToken(tok, time.Now())
	if !chk.Signature || !chk.KeyTrusted {
		b.Fatalf("offline check: %+v", chk)
	}
	var pub any
	for _, k := range keys {
		if k.KID == chk.KID {
			pub = parsePub(b, k.CertPEM)
		}
	}

	b.Run("raw-SM2-verify", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := sign.VerifyCompact(zhengzhao.AlgSM2SM3, pub, payload, tok.Signature); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("token-offline", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			t, err := zhengzhao.ParseDisplayToken(p.Token)
			if err != nil {
				b.Fatal(err)
			}
			if c := ts.VerifyDisplayToken(t, time.Now()); !c.Signature || !c.KeyTrusted {
				b.Fatal(c.Reasons)
			}
		}
	})
	b.Run("token-online", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			res, err := e.lib.Holders.VerifyPresentation(context.Background(), p.Token)
			if err != nil || !res.Valid {
				b.Fatalf("%v %v", res, err)
			}
		}
	})
	b.Run("modified-token-refused", func(b *testing.B) {
		bad := []byte(p.Token)
		bad[40] ^= 1
		b.ReportAllocs()
		for b.Loop() {
			res, err := e.lib.Holders.VerifyPresentation(context.Background(), string(bad))
			if err != nil || res.Valid {
				b.Fatalf("%v %v", res, err)
			}
		}
	})
}

func parsePub(b *testing.B, certPEM string) any {
	b.Helper()
	block, _ := pem.Decode([]byte(certPEM))
	if block == nil {
		b.Fatal("no PEM certificate")
	}
	pub, err := sign.CertificatePublicKey(block.Bytes)
	if err != nil {
		b.Fatal(err)
	}
	return pub
}

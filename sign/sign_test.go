package sign

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/asn1"
	"errors"
	"math/big"
	"testing"

	"github.com/emmansun/gmsm/sm2"

	"github.com/zhengzhao-project/zhengzhao"
)

func TestSignVerify(t *testing.T) {
	msg := []byte(`{"name":"上海证照科技有限公司"}`)
	for _, alg := range algs {
		t.Run(alg, func(t *testing.T) {
			key, err := GenerateKey(alg)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := AlgOf(key.Public()); err != nil || got != alg {
				t.Fatalf("AlgOf = %q, %v; want %q", got, err, alg)
			}
			s, err := NewSigner(key, "")
			if err != nil {
				t.Fatal(err)
			}
			if s.Alg() != alg || s.CertDER() != nil {
				t.Fatalf("signer alg %q cert %x", s.Alg(), s.CertDER())
			}
			kid, err := KeyID(key.Public())
			if err != nil || len(kid) != 22 || s.KeyID() != kid {
				t.Fatalf("KeyID = %q, %v; signer has %q", kid, err, s.KeyID())
			}
			sig, err := s.Sign(msg)
			if err != nil {
				t.Fatal(err)
			}
			if err := Verify(alg, key.Public(), msg, sig); err != nil {
				t.Fatalf("Verify: %v", err)
			}

			changed := append([]byte(nil), msg...)
			changed[len(changed)-3] ^= 1
			if err := Verify(alg, key.Public(), changed, sig); !errors.Is(err, ErrBadSignature) {
				t.Errorf("Verify of changed message = %v, want ErrBadSignature", err)
			}
			badSig := append([]byte(nil), sig...)
			badSig[len(badSig)-1] ^= 1
			if err := Verify(alg, key.Public(), msg, badSig); err == nil {
				t.Error("Verify of changed signature succeeded")
			}
			if err := Verify(alg, key.Public(), msg, nil); err == nil {
				t.Error("Verify of empty signature succeeded")
			}
			other, _ := GenerateKey(alg)
			if err := Verify(alg, other.Public(), msg, sig); err == nil {
				t.Error("Verify with another key succeeded")
			}
			for _, a := range algs {
				if a != alg {
					if err := Verify(a, key.Public(), msg, sig); err == nil {
						t.Errorf("Verify as %s succeeded", a)
					}
				}
			}

			// The private key survives PKCS#8, and keeps its key ID.
			der, err := MarshalPrivateKey(key)
			if err != nil {
				t.Fatal(err)
			}
			parsed, err := ParsePrivateKey(der)
			if err != nil {
				t.Fatal(err)
			}
			if k, _ := KeyID(parsed.Public()); k != kid {
				t.Fatalf("parsed key has kid %q, want %q", k, kid)
			}
			ps, err := NewSigner(parsed, "")
			if err != nil {
				t.Fatal(err)
			}
			sig2, err := ps.Sign(msg)
			if err != nil {
				t.Fatal(err)
			}
			if err := Verify(alg, key.Public(), msg, sig2); err != nil {
				t.Fatalf("signature of parsed key: %v", err)
			}
		})
	}
}

// TestSignatureEncodings checks the encodings against independent
// verifiers: SM2 with the explicit default user ID of GB/T 32918, ES256 as
// JWS r||s checked by crypto/ecdsa.
func TestSignatureEncodings(t *testing.T) {
	msg := []byte("电子证照")
	t.Run(zhengzhao.AlgSM2SM3, func(t *testing.T) {
		key, _ := GenerateKey(zhengzhao.AlgSM2SM3)
		s, _ := NewSigner(key, "")
		sig, err := s.Sign(msg)
		if err != nil {
			t.Fatal(err)
		}
		var rs struct{ R, S *big.Int }
		if rest, err := asn1.Unmarshal(sig, &rs); err != nil || len(rest) > 0 {
			t.Fatalf("SM2 signature is not ASN.1 DER: %v", err)
		}
		if !sm2.VerifyASN1WithSM2(key.Public().(*ecdsa.PublicKey), []byte("1234567812345678"), msg, sig) {
			t.Fatal("SM2 signature does not verify with the default user ID")
		}
	})
	t.Run(zhengzhao.AlgES256, func(t *testing.T) {
		key, _ := GenerateKey(zhengzhao.AlgES256)
		s, _ := NewSigner(key, "")
		for range 20 { // r or s with leading zero bytes must still fill 32 bytes
			sig, err := s.Sign(msg)
			if err != nil {
				t.Fatal(err)
			}
			if len(sig) != 64 {
				t.Fatalf("ES256 signature has %d bytes", len(sig))
			}
			r, ss := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
			der, _ := asn1.Marshal(struct{ R, S *big.Int }{r, ss})
			h := sha256.Sum256(msg)
			if !ecdsa.VerifyASN1(key.Public().(*ecdsa.PublicKey), h[:], der) {
				t.Fatal("ES256 r||s does not verify with crypto/ecdsa")
			}
		}
	})
	t.Run(zhengzhao.AlgEdDSA, func(t *testing.T) {
		key, _ := GenerateKey(zhengzhao.AlgEdDSA)
		s, _ := NewSigner(key, "")
		sig, _ := s.Sign(msg)
		if len(sig) != 64 {
			t.Fatalf("EdDSA signature has %d bytes", len(sig))
		}
	})
}

func TestUnsupportedKeys(t *testing.T) {
	if _, err := GenerateKey("RS256"); err == nil {
		t.Error("GenerateKey(RS256) succeeded")
	}
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if _, err := AlgOf(p384.Public()); err == nil {
		t.Error("AlgOf(P-384) succeeded")
	}
	if _, err := KeyID(p384.Public()); err == nil {
		t.Error("KeyID(P-384) succeeded")
	}
	if _, err := NewSigner(p384, ""); err == nil {
		t.Error("NewSigner(P-384) succeeded")
	}
	if _, err := MarshalPrivateKey(p384); err == nil {
		t.Error("MarshalPrivateKey(P-384) succeeded")
	}
	if _, err := ParsePrivateKey([]byte("not a key")); err == nil {
		t.Error("ParsePrivateKey(garbage) succeeded")
	}
	if err := Verify(zhengzhao.AlgES256, p384.Public(), nil, nil); err == nil {
		t.Error("Verify with P-384 key succeeded")
	}
}

// TestSignerSM2AsECDSA checks that an SM2 key held as a plain
// *ecdsa.PrivateKey still signs SM2, not ECDSA on the SM2 curve.
func TestSignerSM2AsECDSA(t *testing.T) {
	key, _ := sm2.GenerateKey(rand.Reader)
	s, err := NewSigner(&key.PrivateKey, "")
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("msg")
	sig, err := s.Sign(msg)
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(zhengzhao.AlgSM2SM3, key.Public(), msg, sig); err != nil {
		t.Fatal(err)
	}
}

func TestNewSignerCertificate(t *testing.T) {
	ca := newTestCA(t)
	key, _ := GenerateKey(zhengzhao.AlgSM2SM3)
	certPEM, err := ca.IssueCertificate(issuerCode, "发证单位", key.Public(), t0, t0.AddDate(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSigner(key, certPEM)
	if err != nil {
		t.Fatal(err)
	}
	if want := parseCert(t, certPEM).Raw; string(s.CertDER()) != string(want) {
		t.Error("CertDER is not the certificate")
	}
	other, _ := GenerateKey(zhengzhao.AlgSM2SM3)
	if _, err := NewSigner(other, certPEM); err == nil {
		t.Error("NewSigner with another key's certificate succeeded")
	}
	if _, err := NewSigner(key, "not PEM"); err == nil {
		t.Error("NewSigner with a malformed certificate succeeded")
	}
	if _, err := NewSigner(nil, ""); err == nil {
		t.Error("NewSigner(nil) succeeded")
	}
}

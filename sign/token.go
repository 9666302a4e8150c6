package sign

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/zhengzhao-project/zhengzhao"
)

// DisplaySubject is the subject serial number of the certificates of the
// library's display-token keys. Units' certificates carry a unified social
// credit code there, which never equals it, so a unit's key can never pass
// for a display key, nor a display key for a unit's.
const DisplaySubject = "ZHENGZHAO-DISPLAY"

// IssueDisplayCertificate certifies a display-token key of the library:
// subject serial number DisplaySubject, key usage digital signature.
func (ca *CA) IssueDisplayCertificate(pub crypto.PublicKey, notBefore, notAfter time.Time) (certPEM string, err error) {
	if _, err := AlgOf(pub); err != nil {
		return "", fmt.Errorf("issue display certificate: %w", err)
	}
	if !notAfter.After(notBefore) {
		return "", errors.New("issue display certificate: validity ends before it starts")
	}
	tmpl := &smx509.Certificate{
		SerialNumber:          randomSerial(),
		Subject:               pkix.Name{CommonName: "Zhengzhao display tokens", SerialNumber: DisplaySubject},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              smx509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
	}
	der, err := smx509.CreateCertificate(rand.Reader, tmpl, ca.cert, pub, ca.key)
	if err != nil {
		return "", fmt.Errorf("issue display certificate: %w", err)
	}
	return encodeCertPEM(der), nil
}

// KeyHandle returns the display-token key handle of a key ID: the first
// zhengzhao.DisplayKeyHandleSize bytes of the SHA-256 the ID encodes.
func KeyHandle(kid string) ([zhengzhao.DisplayKeyHandleSize]byte, error) {
	var h [zhengzhao.DisplayKeyHandleSize]byte
	raw, err := base64.RawURLEncoding.DecodeString(kid)
	if err != nil || len(raw) < len(h) {
		return h, fmt.Errorf("key handle: bad key id %q", kid)
	}
	copy(h[:], raw)
	return h, nil
}

// SignCompact signs msg like Sign but returns a fixed-size 64-byte
// signature: r||s for SM2-SM3 and ES256 (their DER form varies in length),
// the Ed25519 signature as it is.
func (s *Signer) SignCompact(msg []byte) ([]byte, error) {
	sig, err := s.Sign(msg)
	if err != nil {
		return nil, err
	}
	if s.alg != zhengzhao.AlgSM2SM3 {
		return sig, nil // ES256 is already r||s; EdDSA is 64 bytes
	}
	var rs struct{ R, S *big.Int }
	if rest, err := asn1.Unmarshal(sig, &rs); err != nil || len(rest) > 0 {
		return nil, errors.New("sign: malformed SM2 signature")
	}
	out := make([]byte, 64)
	rs.R.FillBytes(out[:32])
	rs.S.FillBytes(out[32:])
	return out, nil
}

// VerifyCompact checks a 64-byte signature made by SignCompact.
func VerifyCompact(alg string, pub crypto.PublicKey, msg, sig []byte) error {
	if len(sig) != 64 {
		return ErrBadSignature
	}
	if alg != zhengzhao.AlgSM2SM3 {
		return Verify(alg, pub, msg, sig)
	}
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
	if r.Sign() == 0 || s.Sign() == 0 {
		return ErrBadSignature
	}
	der, err := asn1.Marshal(struct{ R, S *big.Int }{r, s})
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	return Verify(alg, pub, msg, der)
}

// SignDisplayToken sets the token's signature with the display key s.
func SignDisplayToken(s *Signer, t *zhengzhao.DisplayToken) error {
	h, err := KeyHandle(s.KeyID())
	if err != nil {
		return err
	}
	t.KeyHandle = h
	p, err := t.Payload()
	if err != nil {
		return err
	}
	sig, err := s.SignCompact(p)
	if err != nil {
		return fmt.Errorf("sign display token: %w", err)
	}
	t.Signature = sig
	return nil
}

// TokenCheck is the offline verdict on a display token's signature and key.
type TokenCheck struct {
	Signature  bool
	KeyTrusted bool
	KID        string
	Alg        string
	Reasons    []string
}

// AddDisplayCert adds a display-token key's certificate to the store, so
// that VerifyDisplayToken finds it by handle.
func (ts *TrustStore) AddDisplayCert(certPEM string) error {
	return ts.AddIssuerCert(certPEM)
}

// VerifyDisplayToken checks a token's signature against the display key its
// handle names among the store's known certificates, and that the key's
// certificate is a display certificate that chains to a root at at. It does
// not look at the expiry or the content.
func (ts *TrustStore) VerifyDisplayToken(t *zhengzhao.DisplayToken, at time.Time) TokenCheck {
	var c TokenCheck
	var found []*smx509.Certificate
	ts.mu.RLock()
	for kid, cert := range ts.issuers {
		if h, err := KeyHandle(kid); err == nil && bytes.Equal(h[:], t.KeyHandle[:]) && cert.Subject.SerialNumber == DisplaySubject {
			found = append(found, cert)
		}
	}
	ts.mu.RUnlock()
	if len(found) == 0 {
		c.Reasons = append(c.Reasons, "the token names no known display key")
		return c
	}
	p, err := t.Payload()
	if err != nil {
		c.Reasons = append(c.Reasons, "the token is malformed")
		return c
	}
	// Handles are 32 bits; two keys sharing one is possible in principle,
	// so try each.
	for _, cert := range found {
		alg, err := AlgOf(cert.PublicKey)
		if err != nil {
			continue
		}
		if VerifyCompact(alg, cert.PublicKey, p, t.Signature) != nil {
			continue
		}
		c.Signature = true
		c.KID, _ = KeyID(cert.PublicKey)
		c.Alg = alg
		switch err := ts.verifyChain(cert, at); {
		case err != nil:
			c.Reasons = append(c.Reasons, "the display key's certificate is not trusted at "+at.UTC().Format(time.RFC3339))
		case cert.IsCA || cert.KeyUsage&smx509.KeyUsageDigitalSignature == 0:
			c.Reasons = append(c.Reasons, "the certificate is not for signing")
		default:
			c.KeyTrusted = true
		}
		return c
	}
	c.Reasons = append(c.Reasons, "the signature does not match the token")
	return c
}

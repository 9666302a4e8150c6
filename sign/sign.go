// Package sign signs and verifies license documents (Measures art. 12:
// the electronic signature of the issuer, certified by a CA).
//
// It supports three algorithms, named as in a license's proof:
// zhengzhao.AlgSM2SM3 (the default, GB/T 32918 SM2 with SM3 and the default
// user ID), zhengzhao.AlgES256 (ECDSA P-256 with SHA-256) and
// zhengzhao.AlgEdDSA (Ed25519). Keys are PKCS#8, certificates are X.509 as
// gmsm's smx509 reads and writes them: SM2 certificates do not parse with
// crypto/x509.
//
// A document is signed over its RFC 8785 canonical form without the
// zhengzhao.UnsignedFields (see Canonicalize). The package also holds the
// library's certificate authority (CA), the trust store that verifies
// documents offline (TrustStore) and the sealer that encrypts private keys at
// rest (Sealer).
package sign

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/asn1"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"github.com/zhengzhao-project/zhengzhao"
)

// GenerateKey creates a new private key for alg: an SM2 key for
// zhengzhao.AlgSM2SM3, an ECDSA P-256 key for zhengzhao.AlgES256 and an
// Ed25519 key for zhengzhao.AlgEdDSA.
func GenerateKey(alg string) (crypto.Signer, error) {
	switch alg {
	case zhengzhao.AlgSM2SM3:
		return sm2.GenerateKey(rand.Reader)
	case zhengzhao.AlgES256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case zhengzhao.AlgEdDSA:
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		return priv, err
	}
	return nil, fmt.Errorf("generate key: unknown algorithm %q", alg)
}

// MarshalPrivateKey encodes key as PKCS#8 DER.
func MarshalPrivateKey(key crypto.Signer) ([]byte, error) {
	if _, err := AlgOf(key.Public()); err != nil {
		return nil, fmt.Errorf("marshal private key: %w", err)
	}
	der, err := smx509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("marshal private key: %w", err)
	}
	return der, nil
}

// ParsePrivateKey decodes a PKCS#8 DER private key of one of the supported
// algorithms. An SM2 key comes back as *sm2.PrivateKey.
func ParsePrivateKey(der []byte) (crypto.Signer, error) {
	k, err := smx509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("parse private key: %w", err)
	}
	key, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("parse private key: %T is not a signing key", k)
	}
	if _, err := AlgOf(key.Public()); err != nil {
		return nil, fmt.Errorf("parse private key: %w", err)
	}
	return key, nil
}

// AlgOf returns the algorithm of a public key. An SM2 key is an
// *ecdsa.PublicKey on sm2.P256().
func AlgOf(pub crypto.PublicKey) (string, error) {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		switch k.Curve {
		case sm2.P256():
			return zhengzhao.AlgSM2SM3, nil
		case elliptic.P256():
			return zhengzhao.AlgES256, nil
		}
		return "", fmt.Errorf("unsupported elliptic curve %s", k.Curve.Params().Name)
	case ed25519.PublicKey:
		if len(k) != ed25519.PublicKeySize {
			return "", errors.New("bad Ed25519 public key length")
		}
		return zhengzhao.AlgEdDSA, nil
	}
	return "", fmt.Errorf("unsupported public key type %T", pub)
}

// KeyID returns the key ID of a public key: base64url (no padding) of the
// first 16 bytes of SHA-256 over its DER SubjectPublicKeyInfo.
func KeyID(pub crypto.PublicKey) (string, error) {
	if _, err := AlgOf(pub); err != nil {
		return "", fmt.Errorf("key id: %w", err)
	}
	der, err := smx509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("key id: %w", err)
	}
	sum := sha256.Sum256(der)
	return base64.RawURLEncoding.EncodeToString(sum[:16]), nil
}

// Signer signs with one unit's key. It is safe for concurrent use if its key
// is.
type Signer struct {
	alg  string
	kid  string
	key  crypto.Signer
	cert []byte // DER; nil when the signer has no certificate
	// unit is the certificate's subject serial number: the unified social
	// credit code of the unit the key belongs to.
	unit string
}

// NewSigner returns a signer for key. The algorithm and key ID follow from
// the key. certPEM is the key's certificate, which must hold the same public
// key; it travels in every proof so that documents verify offline. An empty
// certPEM makes a signer without a certificate, whose proofs are verified
// by key ID against known issuer certificates.
func NewSigner(key crypto.Signer, certPEM string) (*Signer, error) {
	if key == nil {
		return nil, errors.New("new signer: no key")
	}
	alg, err := AlgOf(key.Public())
	if err != nil {
		return nil, fmt.Errorf("new signer: %w", err)
	}
	kid, err := KeyID(key.Public())
	if err != nil {
		return nil, fmt.Errorf("new signer: %w", err)
	}
	if k, ok := key.(*ecdsa.PrivateKey); ok && alg == zhengzhao.AlgSM2SM3 {
		// An SM2 key decoded as plain ECDSA would sign ECDSA, not SM2.
		if key, err = new(sm2.PrivateKey).FromECPrivateKey(k); err != nil {
			return nil, fmt.Errorf("new signer: %w", err)
		}
	}
	s := &Signer{alg: alg, kid: kid, key: key}
	if certPEM == "" {
		return s, nil
	}
	cert, err := parseCertificatePEM([]byte(certPEM))
	if err != nil {
		return nil, fmt.Errorf("new signer: %w", err)
	}
	if certKID, err := KeyID(cert.PublicKey); err != nil || certKID != kid {
		return nil, errors.New("new signer: the certificate holds another public key")
	}
	s.cert, s.unit = cert.Raw, cert.Subject.SerialNumber
	return s, nil
}

// Alg returns the signer's algorithm.
func (s *Signer) Alg() string { return s.alg }

// KeyID returns the key ID of the signer's public key.
func (s *Signer) KeyID() string { return s.kid }

// CertDER returns the signer's certificate, DER-encoded, or nil.
func (s *Signer) CertDER() []byte { return s.cert }

// Public returns the signer's public key.
func (s *Signer) Public() crypto.PublicKey { return s.key.Public() }

// Sign signs msg. SM2-SM3 signatures are ASN.1 DER over SM3 with the default
// user ID; ES256 signatures are r||s (64 bytes, RFC 7518); EdDSA signatures
// are 64-byte Ed25519 signatures.
func (s *Signer) Sign(msg []byte) ([]byte, error) {
	switch s.alg {
	case zhengzhao.AlgSM2SM3:
		// With these options the key hashes msg itself: SM3 over Z_A || msg.
		sig, err := s.key.Sign(rand.Reader, msg, sm2.DefaultSM2SignerOpts)
		if err != nil {
			return nil, fmt.Errorf("sign: %w", err)
		}
		return sig, nil
	case zhengzhao.AlgES256:
		digest := sha256.Sum256(msg)
		der, err := s.key.Sign(rand.Reader, digest[:], crypto.SHA256)
		if err != nil {
			return nil, fmt.Errorf("sign: %w", err)
		}
		var rs struct{ R, S *big.Int }
		if rest, err := asn1.Unmarshal(der, &rs); err != nil || len(rest) > 0 {
			return nil, errors.New("sign: key returned a malformed ECDSA signature")
		}
		sig := make([]byte, 64)
		rs.R.FillBytes(sig[:32])
		rs.S.FillBytes(sig[32:])
		return sig, nil
	case zhengzhao.AlgEdDSA:
		sig, err := s.key.Sign(rand.Reader, msg, crypto.Hash(0))
		if err != nil {
			return nil, fmt.Errorf("sign: %w", err)
		}
		return sig, nil
	}
	return nil, fmt.Errorf("sign: unknown algorithm %q", s.alg)
}

// Verify checks sig over msg for alg with pub. It returns a non-nil error
// saying why when the signature is bad or the key does not fit alg.
func Verify(alg string, pub crypto.PublicKey, msg, sig []byte) error {
	keyAlg, err := AlgOf(pub)
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	if keyAlg != alg {
		return fmt.Errorf("verify: the key is for %s, not %s", keyAlg, alg)
	}
	var ok bool
	switch alg {
	case zhengzhao.AlgSM2SM3:
		ok = sm2.VerifyASN1WithSM2(pub.(*ecdsa.PublicKey), nil, msg, sig)
	case zhengzhao.AlgES256:
		if len(sig) != 64 {
			return fmt.Errorf("verify: an ES256 signature has 64 bytes, not %d", len(sig))
		}
		der, err := asn1.Marshal(struct{ R, S *big.Int }{
			new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:]),
		})
		if err != nil {
			return fmt.Errorf("verify: %w", err)
		}
		digest := sha256.Sum256(msg)
		ok = ecdsa.VerifyASN1(pub.(*ecdsa.PublicKey), digest[:], der)
	case zhengzhao.AlgEdDSA:
		ok = ed25519.Verify(pub.(ed25519.PublicKey), msg, sig)
	}
	if !ok {
		return ErrBadSignature
	}
	return nil
}

// ErrBadSignature is returned by Verify when a signature does not match the
// message and key: the message or the signature was changed, or another key
// made it. Callers treat the signed data as untrusted.
var ErrBadSignature = errors.New("signature does not match")

// parseCertificatePEM parses the first certificate of a PEM text.
func parseCertificatePEM(data []byte) (*smx509.Certificate, error) {
	certs, err := parseCertificatesPEM(data)
	if err != nil {
		return nil, err
	}
	return certs[0], nil
}

// encodeCertPEM returns der as a PEM CERTIFICATE block.
func encodeCertPEM(der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

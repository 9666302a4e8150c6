package sign

import (
	"crypto"
	"crypto/rand"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
)

// CACommonName is the subject common name of the certificate authority that
// LoadOrCreateCA creates.
const CACommonName = "Zhengzhao Library CA"

// CA is the library's own certificate authority: it certifies the signing
// keys of the issuing units. There is one per library, kept in the data
// directory by default.
type CA struct {
	cert *smx509.Certificate
	key  crypto.Signer
}

// LoadOrCreateCA loads dir/ca.pem and dir/ca.key (PKCS#8 PEM) or, when
// neither exists, creates them: an SM2 key and a self-signed SM2-with-SM3
// certificate for CACommonName of organization name, valid for 20 years
// from now, that may sign only end-entity certificates. The key file has
// mode 0600, and dir is created with mode 0700 if missing. created is true
// when new files were made. One file without the other is an error, so that
// a lost key is never silently replaced.
func LoadOrCreateCA(dir, name string, now time.Time) (ca *CA, created bool, err error) {
	certFile, keyFile := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "ca.key")
	certErr, keyErr := statErr(certFile), statErr(keyFile)
	switch {
	case certErr == nil && keyErr == nil:
		ca, err := LoadCA(certFile, keyFile)
		return ca, false, err
	case certErr == nil:
		return nil, false, fmt.Errorf("load CA: %s exists but %s does not", certFile, keyFile)
	case keyErr == nil:
		return nil, false, fmt.Errorf("load CA: %s exists but %s does not", keyFile, certFile)
	case !errors.Is(certErr, fs.ErrNotExist):
		return nil, false, fmt.Errorf("load CA: %w", certErr)
	case !errors.Is(keyErr, fs.ErrNotExist):
		return nil, false, fmt.Errorf("load CA: %w", keyErr)
	}

	key, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		return nil, false, fmt.Errorf("create CA: %w", err)
	}
	ca, err = newCA(key, name, now)
	if err != nil {
		return nil, false, fmt.Errorf("create CA: %w", err)
	}
	keyDER, err := MarshalPrivateKey(key)
	if err != nil {
		return nil, false, fmt.Errorf("create CA: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, false, fmt.Errorf("create CA: %w", err)
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	if err := writeNewFile(keyFile, keyPEM, 0o600); err != nil {
		return nil, false, fmt.Errorf("create CA: %w", err)
	}
	if err := writeNewFile(certFile, []byte(ca.CertPEM()), 0o644); err != nil {
		os.Remove(keyFile) // the key is useless without its certificate
		return nil, false, fmt.Errorf("create CA: %w", err)
	}
	return ca, true, nil
}

// newCA creates a CA with a self-signed certificate for key.
func newCA(key crypto.Signer, name string, now time.Time) (*CA, error) {
	if _, err := AlgOf(key.Public()); err != nil {
		return nil, err
	}
	subject := pkix.Name{CommonName: CACommonName}
	if name != "" {
		subject.Organization = []string{name}
	}
	tmpl := &smx509.Certificate{
		SerialNumber:          randomSerial(),
		Subject:               subject,
		NotBefore:             now,
		NotAfter:              now.AddDate(20, 0, 0),
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLen:            0,
		MaxPathLenZero:        true,
		KeyUsage:              smx509.KeyUsageCertSign | smx509.KeyUsageCRLSign,
	}
	der, err := smx509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, err
	}
	cert, err := smx509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &CA{cert: cert, key: key}, nil
}

// LoadCA loads a CA from the PEM files named in the configuration: a CA
// certificate and its PKCS#8 private key, which may be SM2, ECDSA P-256 or
// Ed25519.
func LoadCA(certFile, keyFile string) (*CA, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return nil, fmt.Errorf("load CA: %w", err)
	}
	cert, err := parseCertificatePEM(certPEM)
	if err != nil {
		return nil, fmt.Errorf("load CA: %s: %w", certFile, err)
	}
	if !cert.IsCA {
		return nil, fmt.Errorf("load CA: %s is not a CA certificate", certFile)
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, fmt.Errorf("load CA: %w", err)
	}
	block, _ := pem.Decode(keyPEM)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("load CA: %s holds no PKCS#8 PRIVATE KEY block", keyFile)
	}
	key, err := ParsePrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("load CA: %s: %w", keyFile, err)
	}
	certKID, _ := KeyID(cert.PublicKey)
	keyKID, _ := KeyID(key.Public())
	if certKID != keyKID {
		return nil, fmt.Errorf("load CA: the key in %s does not belong to the certificate in %s", keyFile, certFile)
	}
	return &CA{cert: cert, key: key}, nil
}

// CertPEM returns the CA certificate, PEM-encoded.
func (ca *CA) CertPEM() string { return encodeCertPEM(ca.cert.Raw) }

// IssueCertificate issues a signing certificate for a unit's public key
// (SM2, ECDSA P-256 or Ed25519): subject common name unitName and serial
// number unitCode (the unit's unified social credit code), key usage digital
// signature and content commitment (non-repudiation), a random 128-bit
// serial and validity [notBefore, notAfter]. It returns the certificate,
// PEM-encoded.
func (ca *CA) IssueCertificate(unitCode, unitName string, pub crypto.PublicKey, notBefore, notAfter time.Time) (certPEM string, err error) {
	if unitCode == "" {
		return "", errors.New("issue certificate: no unit code")
	}
	if _, err := AlgOf(pub); err != nil {
		return "", fmt.Errorf("issue certificate for %s: %w", unitCode, err)
	}
	if !notAfter.After(notBefore) {
		return "", fmt.Errorf("issue certificate for %s: validity ends before it starts", unitCode)
	}
	tmpl := &smx509.Certificate{
		SerialNumber:          randomSerial(),
		Subject:               pkix.Name{CommonName: unitName, SerialNumber: unitCode},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              smx509.KeyUsageDigitalSignature | smx509.KeyUsageContentCommitment,
		BasicConstraintsValid: true,
	}
	der, err := smx509.CreateCertificate(rand.Reader, tmpl, ca.cert, pub, ca.key)
	if err != nil {
		return "", fmt.Errorf("issue certificate for %s: %w", unitCode, err)
	}
	return encodeCertPEM(der), nil
}

// randomSerial returns a random 128-bit certificate serial number.
func randomSerial() *big.Int {
	b := make([]byte, 16)
	rand.Read(b) // never fails (crypto/rand)
	return new(big.Int).SetBytes(b)
}

func statErr(name string) error {
	_, err := os.Stat(name)
	return err
}

// writeNewFile writes data to a file that must not exist yet.
func writeNewFile(name string, data []byte, perm os.FileMode) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(name)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(name)
		return err
	}
	return nil
}

package sign

import (
	"crypto"
	"fmt"

	"github.com/emmansun/gmsm/smx509"
)

// CertificatePublicKey returns the public key of a DER certificate (SM2,
// ECDSA or Ed25519), for callers that verify raw signatures.
func CertificatePublicKey(der []byte) (crypto.PublicKey, error) {
	c, err := smx509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("parse certificate: %w", err)
	}
	return c.PublicKey, nil
}

package sign

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/zhengzhao-project/zhengzhao"
)

// TrustStore holds trusted CA roots and, optionally, known issuer
// certificates by key ID, so that documents whose proof carries no
// certificate can still be verified. It is safe for concurrent use.
type TrustStore struct {
	roots *smx509.CertPool

	mu      sync.RWMutex
	issuers map[string]*smx509.Certificate // by KeyID of the public key
	chains  map[string]window              // by certificate DER; see verifyChain
}

// window is the time span in which a verified chain is valid: the
// intersection of its certificates' validity periods.
type window struct{ from, until time.Time }

// maxChains bounds the cache of verified chains.
const maxChains = 4096

func newTrustStore() *TrustStore {
	return &TrustStore{
		roots:   smx509.NewCertPool(),
		issuers: map[string]*smx509.Certificate{},
		chains:  map[string]window{},
	}
}

// NewTrustStore returns a trust store whose roots are the certificates in
// the given PEM texts. Each text must hold at least one certificate.
func NewTrustStore(roots ...string) (*TrustStore, error) {
	ts := newTrustStore()
	for i, r := range roots {
		certs, err := parseCertificatesPEM([]byte(r))
		if err != nil {
			return nil, fmt.Errorf("new trust store: root %d: %w", i, err)
		}
		for _, c := range certs {
			ts.roots.AddCert(c)
		}
	}
	return ts, nil
}

// ParseTrustBundle reads a PEM bundle such as GET /v1/keys serves: every
// CERTIFICATE block is read, self-signed CA certificates become roots and
// the others become known issuer certificates, indexed by key ID. Other
// blocks are ignored; a bundle without certificates is an error.
func ParseTrustBundle(pemBytes []byte) (*TrustStore, error) {
	certs, err := parseCertificatesPEM(pemBytes)
	if err != nil {
		return nil, fmt.Errorf("parse trust bundle: %w", err)
	}
	ts := newTrustStore()
	for _, c := range certs {
		if isSelfSignedCA(c) {
			ts.roots.AddCert(c)
			continue
		}
		if err := ts.addIssuer(c); err != nil {
			return nil, fmt.Errorf("parse trust bundle: %w", err)
		}
	}
	return ts, nil
}

// AddIssuerCert adds a known issuer certificate. It is only used to find a
// certificate by key ID; trust still comes from the roots.
func (ts *TrustStore) AddIssuerCert(certPEM string) error {
	c, err := parseCertificatePEM([]byte(certPEM))
	if err != nil {
		return fmt.Errorf("add issuer certificate: %w", err)
	}
	if err := ts.addIssuer(c); err != nil {
		return fmt.Errorf("add issuer certificate: %w", err)
	}
	return nil
}

func (ts *TrustStore) addIssuer(c *smx509.Certificate) error {
	kid, err := KeyID(c.PublicKey)
	if err != nil {
		return fmt.Errorf("certificate of %q: %w", c.Subject.CommonName, err)
	}
	ts.mu.Lock()
	ts.issuers[kid] = c
	ts.mu.Unlock()
	return nil
}

func (ts *TrustStore) issuer(kid string) *smx509.Certificate {
	ts.mu.RLock()
	defer ts.mu.RUnlock()
	return ts.issuers[kid]
}

// VerifyDocument checks a license document offline: the proof's signature
// over the canonical document and the trust in its certificate (the proof's
// cert if present, else the issuer certificate known by kid). The chain is
// checked at the document's signed_at, or at at when the document has none.
// A bad or malformed document is never an error but a DocumentCheck with
// reasons; the lifecycle members are not looked at (verify checks them
// online).
func (ts *TrustStore) VerifyDocument(doc []byte, at time.Time) DocumentCheck {
	var c DocumentCheck
	var d struct {
		Issuer struct {
			Code string `json:"code"`
		} `json:"issuer"`
		SignedAt *string          `json:"signed_at"`
		Proof    *zhengzhao.Proof `json:"proof"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		c.fail("the document is not a license: %s", jsonProblem(err))
		return c
	}
	if d.Proof == nil {
		c.fail("proof missing")
		return c
	}
	c.Alg, c.KID = d.Proof.Alg, d.Proof.KID

	var cert *smx509.Certificate
	if d.Proof.Cert != "" {
		der, err := base64.StdEncoding.DecodeString(d.Proof.Cert)
		if err == nil {
			cert, err = smx509.ParseCertificate(der)
		}
		if err != nil {
			c.fail("the proof's certificate is malformed")
			return c
		}
	} else if cert = ts.issuer(d.Proof.KID); cert == nil {
		c.fail("no certificate for key %q", d.Proof.KID)
		return c
	}
	c.IssuerCode = cert.Subject.SerialNumber

	c.Signature = c.checkSignature(doc, d.Proof, cert)

	t := at
	if d.SignedAt != nil {
		var err error
		if t, err = time.Parse(time.RFC3339Nano, *d.SignedAt); err != nil {
			c.fail("signed_at is not an RFC 3339 time")
			return c
		}
	}
	c.IssuerTrusted = c.checkIssuer(ts, cert, d.Proof.KID, d.Issuer.Code, t)
	return c
}

func (c *DocumentCheck) checkSignature(doc []byte, p *zhengzhao.Proof, cert *smx509.Certificate) bool {
	msg, err := Canonicalize(doc, zhengzhao.UnsignedFields)
	if err != nil {
		c.fail("the document cannot be canonicalized: %s", err)
		return false
	}
	sig, err := base64.RawURLEncoding.Strict().DecodeString(p.Value)
	if err != nil {
		c.fail("the proof's value is not base64url")
		return false
	}
	alg, err := AlgOf(cert.PublicKey)
	if err != nil {
		c.fail("the certificate's key is not supported: %s", err)
		return false
	}
	if alg != p.Alg {
		c.fail("the proof's algorithm %q does not fit the certificate's key (%s)", p.Alg, alg)
		return false
	}
	if err := Verify(p.Alg, cert.PublicKey, msg, sig); err != nil {
		c.fail("signature does not match the document")
		return false
	}
	return true
}

func (c *DocumentCheck) checkIssuer(ts *TrustStore, cert *smx509.Certificate, kid, issuer string, t time.Time) bool {
	ok := true
	if certKID, err := KeyID(cert.PublicKey); err != nil || certKID != kid {
		c.fail("the certificate's key is not the proof's key %q", kid)
		ok = false
	}
	err := ts.verifyChain(cert, t)
	var invalid smx509.CertificateInvalidError
	switch {
	case err == nil:
	case errors.As(err, &invalid) && invalid.Reason == smx509.Expired:
		which := "certificate"
		if invalid.Cert != cert {
			which = "the CA certificate"
		}
		c.fail("%s was not valid at %s", which, t.UTC().Format(time.RFC3339))
		ok = false
	default:
		c.fail("certificate not issued by a trusted CA")
		ok = false
	}
	const signing = smx509.KeyUsageDigitalSignature | smx509.KeyUsageContentCommitment
	if cert.IsCA || cert.KeyUsage&signing == 0 {
		c.fail("the certificate is not for signing documents")
		ok = false
	}
	if cert.Subject.SerialNumber != issuer {
		c.fail("certificate belongs to unit %s, not to the document's issuer %s", cert.Subject.SerialNumber, issuer)
		ok = false
	}
	return ok
}

// verifyChain checks that cert chains to a root at time t. Every license of
// an issuer carries the same certificate, so a chain once verified is
// remembered with the span in which all its certificates are valid: the
// roots never change, and the rest of path validation does not depend on
// the time.
func (ts *TrustStore) verifyChain(cert *smx509.Certificate, t time.Time) error {
	ts.mu.RLock()
	w, ok := ts.chains[string(cert.Raw)]
	ts.mu.RUnlock()
	if ok && !t.Before(w.from) && !t.After(w.until) {
		return nil
	}
	chains, err := cert.Verify(smx509.VerifyOptions{
		Roots:       ts.roots,
		CurrentTime: t,
		KeyUsages:   []smx509.ExtKeyUsage{smx509.ExtKeyUsageAny},
	})
	if err != nil {
		return err
	}
	w = window{cert.NotBefore, cert.NotAfter}
	for _, c := range chains[0] {
		if c.NotBefore.After(w.from) {
			w.from = c.NotBefore
		}
		if c.NotAfter.Before(w.until) {
			w.until = c.NotAfter
		}
	}
	ts.mu.Lock()
	if len(ts.chains) >= maxChains {
		clear(ts.chains)
	}
	ts.chains[string(cert.Raw)] = w
	ts.mu.Unlock()
	return nil
}

// jsonProblem describes a JSON decoding error without echoing the input.
func jsonProblem(err error) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return fmt.Sprintf("invalid JSON at byte %d", syntax.Offset)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return "not a JSON object"
		}
		return fmt.Sprintf("member %s has the wrong type", typ.Field)
	}
	return "invalid JSON"
}

// parseCertificatesPEM parses every CERTIFICATE block of data; there must
// be at least one.
func parseCertificatesPEM(data []byte) ([]*smx509.Certificate, error) {
	var certs []*smx509.Certificate
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := smx509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse certificate %d: %w", len(certs)+1, err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, errors.New("no PEM certificate")
	}
	return certs, nil
}

// isSelfSignedCA reports whether c is a CA certificate signed by its own key.
func isSelfSignedCA(c *smx509.Certificate) bool {
	return c.IsCA && bytes.Equal(c.RawSubject, c.RawIssuer) && c.CheckSignatureFrom(c) == nil
}

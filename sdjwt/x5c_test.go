package sdjwt

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net/url"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
)

type ca struct {
	key  *ecdsa.PrivateKey
	cert *x509.Certificate
}

func newCA(t *testing.T, name string) ca {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return ca{key, c}
}

func (c ca) issue(t *testing.T, pub *ecdsa.PublicKey, uri string, dns ...string) *x509.Certificate {
	t.Helper()
	u, _ := url.Parse(uri)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "issuer"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, URIs: []*url.URL{u}, DNSNames: dns,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, c.cert, pub, c.key)
	if err != nil {
		t.Fatal(err)
	}
	crt, _ := x509.ParseCertificate(der)
	return crt
}

// TestX5C: the issuer key comes from an x5c chain under the trusted root,
// and only for the issuer the leaf certificate names.
func TestX5C(t *testing.T) {
	k := newKeys(t)
	root, other := newCA(t, "Zhengzhao P-256 CA"), newCA(t, "someone else")
	const iss = "https://zz.example/issuers/310000-scjgj"
	leaf := root.issue(t, &k.issuer.PublicKey, iss)
	byDNS := root.issue(t, &k.issuer.PublicKey, "https://unrelated.example/x", "zz.example")
	stranger := other.issue(t, &k.issuer.PublicKey, iss)
	roots := x509.NewCertPool()
	roots.AddCert(root.cert)
	opts := VerifyOptions{Key: X5C(x509.VerifyOptions{Roots: roots, CurrentTime: now}), Now: func() time.Time { return now }}

	issue := func(iss string, chain []*x509.Certificate) string {
		h := map[string]any{}
		if chain != nil {
			h["x5c"] = chain
		}
		tok, err := (&Issuer{Alg: jwa.ES256(), Key: k.issuer, Header: h}).Issue(map[string]any{"iss": iss, "given_name": SD("x")})
		if err != nil {
			t.Fatal(err)
		}
		return tok.String()
	}
	if _, err := Verify(context.Background(), issue(iss, []*x509.Certificate{leaf}), opts); err != nil {
		t.Errorf("chain under the root: %v", err)
	}
	if _, err := Verify(context.Background(), issue(iss, []*x509.Certificate{byDNS}), opts); err != nil {
		t.Errorf("DNS SAN naming the https iss host: %v", err)
	}
	for name, s := range map[string]string{
		"other root":        issue(iss, []*x509.Certificate{stranger}),
		"other issuer":      issue("https://evil.example/issuers/x", []*x509.Certificate{leaf}),
		"no x5c":            issue(iss, nil),
		"expired at verify": "",
	} {
		o := opts
		if name == "expired at verify" {
			s = issue(iss, []*x509.Certificate{leaf})
			o.Key = X5C(x509.VerifyOptions{Roots: roots, CurrentTime: now.Add(48 * time.Hour)})
		}
		if _, err := Verify(context.Background(), s, o); !errors.Is(err, ErrSignature) {
			t.Errorf("%s: got %v, want ErrSignature", name, err)
		}
	}
}

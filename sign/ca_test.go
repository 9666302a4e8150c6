package sign

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"

	"github.com/emmansun/gmsm/smx509"

	"github.com/zhengzhao-project/zhengzhao"
)

func TestLoadOrCreateCA(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	ca, created, err := LoadOrCreateCA(dir, "上海市大数据中心", t0)
	if err != nil || !created {
		t.Fatalf("LoadOrCreateCA = %v, %v; want created", created, err)
	}
	for name, want := range map[string]os.FileMode{dir: 0o700 | os.ModeDir, filepath.Join(dir, "ca.key"): 0o600} {
		if fi, err := os.Stat(name); err != nil || fi.Mode() != want {
			t.Errorf("%s: mode %v, %v; want %v", name, fi.Mode(), err, want)
		}
	}

	c := parseCert(t, ca.CertPEM())
	switch {
	case c.Subject.CommonName != CACommonName || len(c.Subject.Organization) != 1 || c.Subject.Organization[0] != "上海市大数据中心":
		t.Errorf("subject %v", c.Subject)
	case !c.IsCA || !c.BasicConstraintsValid || c.MaxPathLen != 0 || !c.MaxPathLenZero:
		t.Errorf("basic constraints: CA %v, max path %d (zero %v)", c.IsCA, c.MaxPathLen, c.MaxPathLenZero)
	case c.KeyUsage != smx509.KeyUsageCertSign|smx509.KeyUsageCRLSign:
		t.Errorf("key usage %b", c.KeyUsage)
	case c.SignatureAlgorithm != smx509.SM2WithSM3:
		t.Errorf("signature algorithm %v", c.SignatureAlgorithm)
	case !c.NotBefore.Equal(t0) || !c.NotAfter.Equal(t0.AddDate(20, 0, 0)):
		t.Errorf("validity %v to %v", c.NotBefore, c.NotAfter)
	case c.SerialNumber.BitLen() > 128 || c.SerialNumber.Sign() <= 0:
		t.Errorf("serial %v", c.SerialNumber)
	}
	if alg, _ := AlgOf(c.PublicKey); alg != zhengzhao.AlgSM2SM3 {
		t.Errorf("CA key is %s", alg)
	}

	again, created, err := LoadOrCreateCA(dir, "ignored", t0.AddDate(1, 0, 0))
	if err != nil || created {
		t.Fatalf("second LoadOrCreateCA = %v, %v; want loaded", created, err)
	}
	if again.CertPEM() != ca.CertPEM() {
		t.Fatal("loaded CA has another certificate")
	}
	// The loaded key is the CA's key: its certificates verify against the
	// first CA.
	ts, _ := NewTrustStore(ca.CertPEM())
	mustVerify(t, ts, signLicense(t, newTestSigner(t, again, zhengzhao.AlgSM2SM3, issuerCode), testLicense()))

	// A lost key is never silently replaced.
	os.Remove(filepath.Join(dir, "ca.key"))
	if _, _, err := LoadOrCreateCA(dir, "x", t0); err == nil {
		t.Error("LoadOrCreateCA without ca.key succeeded")
	}
}

// TestCAKeyAlgorithms issues certificates of every key algorithm from CAs
// of every key algorithm (LoadCA accepts all three), and verifies documents
// signed with them.
func TestCAKeyAlgorithms(t *testing.T) {
	for _, caAlg := range algs {
		key, _ := GenerateKey(caAlg)
		created, err := newCA(key, "Test", t0)
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		certFile, keyFile := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "ca.key")
		der, _ := MarshalPrivateKey(key)
		os.WriteFile(certFile, []byte(created.CertPEM()), 0o644)
		os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
		ca, err := LoadCA(certFile, keyFile)
		if err != nil {
			t.Fatalf("LoadCA with %s key: %v", caAlg, err)
		}
		ts, _ := ParseTrustBundle([]byte(ca.CertPEM()))
		for _, alg := range algs {
			t.Run(caAlg+"/"+alg, func(t *testing.T) {
				s := newTestSigner(t, ca, alg, issuerCode)
				c := parseCert(t, encodeCertPEM(s.CertDER()))
				switch {
				case c.Subject.CommonName != "单位"+issuerCode || c.Subject.SerialNumber != issuerCode:
					t.Errorf("subject %v", c.Subject)
				case c.KeyUsage != smx509.KeyUsageDigitalSignature|smx509.KeyUsageContentCommitment:
					t.Errorf("key usage %b", c.KeyUsage)
				case c.IsCA:
					t.Error("unit certificate is a CA")
				case !c.NotBefore.Equal(t0) || !c.NotAfter.Equal(t0.AddDate(2, 0, 0)):
					t.Errorf("validity %v to %v", c.NotBefore, c.NotAfter)
				case c.SerialNumber.BitLen() > 128:
					t.Errorf("serial %v", c.SerialNumber)
				}
				mustVerify(t, ts, signLicense(t, s, testLicense()))
			})
		}
	}
}

func TestLoadCAErrors(t *testing.T) {
	dir := t.TempDir()
	a, _, err := LoadOrCreateCA(filepath.Join(dir, "a"), "A", t0)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadOrCreateCA(filepath.Join(dir, "b"), "B", t0); err != nil {
		t.Fatal(err)
	}
	unit := newTestSigner(t, a, zhengzhao.AlgSM2SM3, issuerCode)
	unitCert := filepath.Join(dir, "unit.pem")
	os.WriteFile(unitCert, []byte(encodeCertPEM(unit.CertDER())), 0o644)
	keyOnly := filepath.Join(dir, "nokey.pem")
	os.WriteFile(keyOnly, []byte("-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n"), 0o600)

	for name, files := range map[string][2]string{
		"key of another CA": {filepath.Join(dir, "a", "ca.pem"), filepath.Join(dir, "b", "ca.key")},
		"not a CA":          {unitCert, filepath.Join(dir, "a", "ca.key")},
		"no cert file":      {filepath.Join(dir, "missing.pem"), filepath.Join(dir, "a", "ca.key")},
		"no key file":       {filepath.Join(dir, "a", "ca.pem"), filepath.Join(dir, "missing.key")},
		"key not PKCS#8":    {filepath.Join(dir, "a", "ca.pem"), keyOnly},
		"key is a cert":     {filepath.Join(dir, "a", "ca.pem"), filepath.Join(dir, "a", "ca.pem")},
	} {
		if _, err := LoadCA(files[0], files[1]); err == nil {
			t.Errorf("%s: LoadCA succeeded", name)
		}
	}
}

func TestIssueCertificateErrors(t *testing.T) {
	ca := newTestCA(t)
	key, _ := GenerateKey(zhengzhao.AlgEdDSA)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	for name, call := range map[string]func() (string, error){
		"no unit code": func() (string, error) { return ca.IssueCertificate("", "x", key.Public(), t0, t0.Add(1)) },
		"empty validity": func() (string, error) {
			return ca.IssueCertificate(issuerCode, "x", key.Public(), t0, t0)
		},
		"P-384 key": func() (string, error) { return ca.IssueCertificate(issuerCode, "x", p384.Public(), t0, t0.Add(1)) },
		"no key":    func() (string, error) { return ca.IssueCertificate(issuerCode, "x", nil, t0, t0.Add(1)) },
	} {
		if _, err := call(); err == nil {
			t.Errorf("%s: IssueCertificate succeeded", name)
		}
	}
}

package http_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	zhttp "github.com/zhengzhao-project/zhengzhao/http"
)

// selfSigned writes a certificate for 127.0.0.1 and its key and returns
// the files and a pool that trusts the certificate.
func selfSigned(t *testing.T) (zhttp.TLSFiles, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "zhengzhao test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalPKCS8PrivateKey(key)
	dir := t.TempDir()
	f := zhttp.TLSFiles{Cert: filepath.Join(dir, "cert.pem"), Key: filepath.Join(dir, "key.pem")}
	os.WriteFile(f.Cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(f.Key, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return f, pool
}

// TestServeTLS13 serves through Listen with a certificate: a client
// connects with TLS 1.3 and gets HSTS and a Secure admin cookie; a client
// limited to TLS 1.2 is refused.
func TestServeTLS13(t *testing.T) {
	files, pool := selfSigned(t)
	s := MustOpenServer(t)
	ln, err := zhttp.Listen("127.0.0.1:0", &files)
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(ln)
	t.Cleanup(func() { s.Shutdown(t.Context()) })
	base := "https://" + ln.Addr().String()

	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.TLS == nil || resp.TLS.Version != tls.VersionTLS13 {
		t.Fatalf("connection state %+v, want TLS 1.3", resp.TLS)
	}
	if h := resp.Header.Get("Strict-Transport-Security"); !strings.HasPrefix(h, "max-age=") {
		t.Errorf("Strict-Transport-Security %q", h)
	}
	resp, err = client.PostForm(base+"/supervision/login", url.Values{"token": {adminToken}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if cs := resp.Cookies(); len(cs) == 0 || !cs[0].Secure {
		t.Errorf("admin session cookie over TLS %+v, want Secure", cs)
	}

	old := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MaxVersion: tls.VersionTLS12}}}
	if resp, err := old.Get(base + "/healthz"); err == nil {
		resp.Body.Close()
		t.Fatal("a TLS 1.2 client was served")
	}
}

// TestSecureCookiesAndNoStore checks, over plain HTTP, that without TLS or
// --secure-cookies cookies are not Secure and no HSTS is sent, that with
// SecureCookies every cookie (the admin session too) is, and that personal
// pages and answers are no-store.
func TestSecureCookiesAndNoStore(t *testing.T) {
	plain := MustOpenServer(t)
	rec := plain.Do(t, request{method: "POST", path: "/supervision/login", body: url.Values{"token": {adminToken}}.Encode(),
		header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}})
	if cs := rec.Result().Cookies(); len(cs) == 0 || cs[0].Secure {
		t.Errorf("plain HTTP cookie %+v", cs)
	}
	if rec.Header().Get("Strict-Transport-Security") != "" {
		t.Error("HSTS over plain HTTP")
	}

	s := MustOpenServerConfig(t, func(c *zhttp.Config) { c.SecureCookies = true })
	rec = s.Do(t, request{method: "POST", path: "/supervision/login", body: url.Values{"token": {adminToken}}.Encode(),
		header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}})
	if cs := rec.Result().Cookies(); len(cs) == 0 || !cs[0].Secure {
		t.Errorf("admin cookie with SecureCookies %+v, want Secure", cs)
	}
	rec = s.Do(t, request{method: "GET", path: "/supervision/login?lang=en"})
	for _, c := range rec.Result().Cookies() {
		if !c.Secure {
			t.Errorf("cookie %s not Secure", c.Name)
		}
	}
	for _, path := range []string{"/supervision/login", "/supervision", "/wallet", "/wallet/login", "/v/abc", "/v1/holder/licenses"} {
		rec := s.Do(t, request{method: "GET", path: path})
		if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
			t.Errorf("GET %s: Cache-Control %q, want no-store", path, cc)
		}
	}
}

// TestForwardedProtoTrustedOnly checks that X-Forwarded-Proto: https from
// a trusted gateway gives HSTS, and from anyone else nothing.
func TestForwardedProtoTrustedOnly(t *testing.T) {
	s := MustOpenServerConfig(t, func(c *zhttp.Config) {
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	})
	for _, c := range []struct {
		remote string
		hsts   bool
	}{{"10.1.2.3:5000", true}, {"203.0.113.7:5000", false}} {
		r := httptest.NewRequest("GET", "/healthz", nil)
		r.RemoteAddr = c.remote
		r.Header.Set("X-Forwarded-Proto", "https")
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, r)
		if got := rec.Header().Get("Strict-Transport-Security") != ""; got != c.hsts {
			t.Errorf("from %s: HSTS %v, want %v", c.remote, got, c.hsts)
		}
	}
}

// TestOIDCCookieCleared checks that the callback deletes the sign-in
// cookie on the path it was set on (/wallet/), and Secure with
// SecureCookies; a deletion on / left it in the browser.
func TestOIDCCookieCleared(t *testing.T) {
	var checks int
	s := limitsServer(t, &checks)
	rec := s.from("203.0.113.7", httptest.NewRequest("GET", "/wallet/callback?code=x&state=y", nil))
	for _, c := range rec.Result().Cookies() {
		if c.Name == "zz_oidc" {
			if c.Path != "/wallet/" || c.MaxAge >= 0 {
				t.Errorf("zz_oidc deleted with path %q max-age %d, want /wallet/ and < 0", c.Path, c.MaxAge)
			}
			return
		}
	}
	t.Error("the callback did not delete zz_oidc")
}

package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestWeakAdminTokenRefused starts the server with a one-character admin
// token: it refuses to start and names ZHENGZHAO_ADMIN_TOKEN.
func TestWeakAdminTokenRefused(t *testing.T) {
	t.Setenv("ZHENGZHAO_ADMIN_TOKEN", "x")
	m := NewMain()
	m.Config.DataDir = t.TempDir()
	m.Config.Addr = "127.0.0.1:0"
	m.Stdout = io.Discard
	m.Logger = newLogger("text", io.Discard)
	err := m.Run(context.Background())
	if err == nil {
		m.Close()
		t.Fatal("a one-character admin token was accepted")
	}
	if !strings.Contains(err.Error(), "ZHENGZHAO_ADMIN_TOKEN") || !strings.Contains(err.Error(), "32") {
		t.Errorf("error %q does not name ZHENGZHAO_ADMIN_TOKEN and the minimum", err)
	}
}

// TestServeTLS runs serve with --tls-cert/--tls-key: the URL is https and
// a TLS 1.3 client gets HSTS.
func TestServeTLS(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalPKCS8PrivateKey(key)
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}

	t.Setenv("ZHENGZHAO_ADMIN_TOKEN", testAdminToken)
	m := NewMain()
	m.Config.DataDir = t.TempDir()
	m.Config.Addr = "127.0.0.1:0"
	m.Config.Transport = TransportConfig{TLSCert: certFile, TLSKey: keyFile}
	m.Stdout = io.Discard
	m.Logger = newLogger("text", io.Discard)
	if err := m.Run(context.Background()); err != nil {
		t.Fatalf("Run: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	if !strings.HasPrefix(m.URL, "https://") {
		t.Fatalf("URL %s, want https", m.URL)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := c.Get(m.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.TLS == nil || resp.TLS.Version != tls.VersionTLS13 || resp.Header.Get("Strict-Transport-Security") == "" {
		t.Errorf("TLS %v, HSTS %q", resp.TLS != nil, resp.Header.Get("Strict-Transport-Security"))
	}

	bad := NewMain()
	bad.Config.DataDir = t.TempDir()
	bad.Config.Addr = "127.0.0.1:0"
	bad.Config.Transport = TransportConfig{TLSCert: certFile}
	bad.Stdout, bad.Logger = io.Discard, newLogger("text", io.Discard)
	if err := bad.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "--tls-key") {
		bad.Close()
		t.Errorf("--tls-cert without --tls-key: %v", err)
	}
}

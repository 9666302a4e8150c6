package sign

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestSealer(t *testing.T) {
	key := bytes.Repeat([]byte{7}, MasterKeySize)
	s, err := NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	plaintext, aad := []byte("-----PKCS#8-----"), []byte("kid-1")
	sealed, err := s.Seal(plaintext, aad)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, plaintext) {
		t.Fatal("sealed data holds the plaintext")
	}
	got, err := s.Open(sealed, aad)
	if err != nil || !bytes.Equal(got, plaintext) {
		t.Fatalf("Open = %q, %v", got, err)
	}
	again, _ := s.Seal(plaintext, aad)
	if bytes.Equal(again, sealed) {
		t.Error("two seals are equal: nonce reused")
	}

	if _, err := s.Open(sealed, []byte("kid-2")); err == nil {
		t.Error("Open with another aad succeeded")
	}
	if _, err := s.Open(sealed, nil); err == nil {
		t.Error("Open without aad succeeded")
	}
	tampered := bytes.Clone(sealed)
	tampered[len(tampered)/2] ^= 1
	if _, err := s.Open(tampered, aad); err == nil {
		t.Error("Open of changed ciphertext succeeded")
	}
	if _, err := s.Open(sealed[:10], aad); err == nil {
		t.Error("Open of short ciphertext succeeded")
	}
	other, _ := NewSealer(bytes.Repeat([]byte{8}, MasterKeySize))
	if _, err := other.Open(sealed, aad); err == nil {
		t.Error("Open with another key succeeded")
	}
	if _, err := NewSealer(key[:16]); err == nil {
		t.Error("NewSealer with a 16-byte key succeeded")
	}
}

func TestLoadOrCreateMasterKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "master.key")
	s, created, err := LoadOrCreateMasterKey(path)
	if err != nil || !created {
		t.Fatalf("LoadOrCreateMasterKey = %v, %v; want created", created, err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode() != 0o600 {
		t.Fatalf("mode %v, %v", fi.Mode(), err)
	}
	text, _ := os.ReadFile(path)
	if len(bytes.TrimSpace(text)) != 2*MasterKeySize {
		t.Fatalf("key file holds %q", text)
	}
	sealed, _ := s.Seal([]byte("secret"), []byte("aad"))

	loaded, created, err := LoadOrCreateMasterKey(path)
	if err != nil || created {
		t.Fatalf("second LoadOrCreateMasterKey = %v, %v; want loaded", created, err)
	}
	if got, err := loaded.Open(sealed, []byte("aad")); err != nil || string(got) != "secret" {
		t.Fatalf("loaded key opens %q, %v", got, err)
	}

	for name, content := range map[string]string{"not hex": "xyz", "short": "abcd", "empty": ""} {
		bad := filepath.Join(t.TempDir(), "master.key")
		os.WriteFile(bad, []byte(content), 0o600)
		if _, _, err := LoadOrCreateMasterKey(bad); err == nil {
			t.Errorf("%s: LoadOrCreateMasterKey succeeded", name)
		}
	}
}

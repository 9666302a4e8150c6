package sign

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// MasterKeySize is the size of the library's master key in bytes.
const MasterKeySize = 32

// Sealer encrypts private keys at rest with the library's master key:
// AES-256-GCM with a random 96-bit nonce prepended to the ciphertext. The
// additional data binds a ciphertext to its purpose (for example a key ID),
// so that a sealed key copied into another row does not open there. It is
// safe for concurrent use.
type Sealer struct {
	aead cipher.AEAD
}

// LoadOrCreateMasterKey reads a 32-byte master key, hex-encoded, from path,
// or creates the file with a new random key and mode 0600 (and its
// directory with mode 0700). created is true when it made the file.
func LoadOrCreateMasterKey(path string) (s *Sealer, created bool, err error) {
	text, err := os.ReadFile(path)
	if err == nil {
		key, err := hex.DecodeString(string(bytes.TrimSpace(text)))
		if err != nil || len(key) != MasterKeySize {
			return nil, false, fmt.Errorf("load master key: %s does not hold %d hex-encoded bytes", path, MasterKeySize)
		}
		s, err := NewSealer(key)
		return s, false, err
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, fmt.Errorf("load master key: %w", err)
	}
	key := make([]byte, MasterKeySize)
	rand.Read(key) // never fails (crypto/rand)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, false, fmt.Errorf("create master key: %w", err)
	}
	if err := writeNewFile(path, []byte(hex.EncodeToString(key)+"\n"), 0o600); err != nil {
		return nil, false, fmt.Errorf("create master key: %w", err)
	}
	s, err = NewSealer(key)
	return s, true, err
}

// NewSealer returns a sealer for a 32-byte master key.
func NewSealer(key []byte) (*Sealer, error) {
	if len(key) != MasterKeySize {
		return nil, fmt.Errorf("new sealer: the master key has %d bytes, not %d", len(key), MasterKeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("new sealer: %w", err)
	}
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return nil, fmt.Errorf("new sealer: %w", err)
	}
	return &Sealer{aead: aead}, nil
}

// Seal encrypts plaintext bound to aad.
func (s *Sealer) Seal(plaintext, aad []byte) ([]byte, error) {
	return s.aead.Seal(nil, nil, plaintext, aad), nil
}

// Open decrypts a ciphertext made by Seal with the same key and aad. A
// changed ciphertext, another key or another aad is an error.
func (s *Sealer) Open(ciphertext, aad []byte) ([]byte, error) {
	if len(ciphertext) < s.aead.Overhead() {
		return nil, errors.New("open sealed data: too short")
	}
	plaintext, err := s.aead.Open(nil, nil, ciphertext, aad)
	if err != nil {
		return nil, fmt.Errorf("open sealed data: %w", err)
	}
	return plaintext, nil
}

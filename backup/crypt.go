package backup

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"filippo.io/age"
)

// ageHeader starts every age-encrypted file.
const ageHeader = "age-encryption.org/v1\n"

// Encrypt returns a writer that encrypts what is written to it to the age
// recipients (X25519 public keys, "age1…") and writes it to w; Close
// finishes the encryption (it does not close w). age authenticates every
// 64 KiB chunk, so a changed or cut archive fails to decrypt.
func Encrypt(w io.Writer, recipients []string) (io.WriteCloser, error) {
	var rs []age.Recipient
	for _, r := range recipients {
		x, err := age.ParseX25519Recipient(strings.TrimSpace(r))
		if err != nil {
			return nil, fmt.Errorf("backup recipient %q: %w", r, err)
		}
		rs = append(rs, x)
	}
	if len(rs) == 0 {
		return nil, errors.New("backup: no recipient to encrypt to")
	}
	return age.Encrypt(w, rs...)
}

// Open returns the archive in r, decrypted with the age identities in
// identityFile when it is encrypted. It fails when the archive is
// encrypted and no identity file is given.
func Open(r io.Reader, identityFile string) (io.Reader, error) {
	br := bufio.NewReader(r)
	head, _ := br.Peek(len(ageHeader))
	if !bytes.Equal(head, []byte(ageHeader)) {
		return br, nil
	}
	if identityFile == "" {
		return nil, errors.New("the backup is encrypted (age): give the identity file that decrypts it (--identity)")
	}
	f, err := os.Open(identityFile)
	if err != nil {
		return nil, fmt.Errorf("backup identity: %w", err)
	}
	defer f.Close()
	ids, err := age.ParseIdentities(f)
	if err != nil {
		return nil, fmt.Errorf("backup identity %s: %w", identityFile, err)
	}
	dr, err := age.Decrypt(br, ids...)
	if err != nil {
		// A damaged header, or not one of our recipients.
		return nil, fmt.Errorf("%w: decrypt: %w", ErrCorrupt, err)
	}
	return dr, nil
}

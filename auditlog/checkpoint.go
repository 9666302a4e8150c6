package auditlog

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// GenerateLogKey returns a new Ed25519 signer key and its verifier key, both
// in the sumdb/note text encoding, named origin. The signer key is secret;
// the verifier key is what auditors need to check checkpoints.
func GenerateLogKey(origin string) (skey, vkey string, err error) {
	skey, vkey, err = note.GenerateKey(rand.Reader, origin)
	if err != nil {
		return "", "", fmt.Errorf("generate log key for %q: %w", origin, err)
	}
	// GenerateKey does not check the name; NewSigner does.
	if _, err := note.NewSigner(skey); err != nil {
		return "", "", fmt.Errorf("generate log key for %q: %w", origin, err)
	}
	return skey, vkey, nil
}

// LoadOrCreateLogKey reads the signer key at path, or, when there is no file
// there, creates one (mode 0600) with a new key named origin. Either way it
// makes sure path+".pub" (mode 0644) holds the verifier key, and returns the
// signer and the verifier. It is an error for the key's name not to be
// origin, so that a server never signs checkpoints for another log.
func LoadOrCreateLogKey(path, origin string) (note.Signer, note.Verifier, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		var skey string
		if skey, _, err = GenerateLogKey(origin); err != nil {
			return nil, nil, err
		}
		data = []byte(skey + "\n")
		err = writeNew(path, data, 0o600)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("log key: %w", err)
	}
	skey := strings.TrimSpace(string(data))
	s, err := note.NewSigner(skey)
	if err != nil {
		return nil, nil, fmt.Errorf("log key %s: %w", path, err)
	}
	if s.Name() != origin {
		return nil, nil, fmt.Errorf("log key %s is named %q, want %q", path, s.Name(), origin)
	}
	vkey, err := verifierKey(skey)
	if err != nil {
		return nil, nil, fmt.Errorf("log key %s: %w", path, err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, nil, fmt.Errorf("log key %s: %w", path, err)
	}
	if _, err := os.Stat(path + ".pub"); errors.Is(err, fs.ErrNotExist) {
		err = writeNew(path+".pub", []byte(vkey+"\n"), 0o644)
		if err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, nil, fmt.Errorf("log key: %w", err)
		}
	}
	return s, v, nil
}

// writeNew writes data to a file that must not exist yet.
func writeNew(path string, data []byte, perm os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// verifierKey derives the verifier key from an Ed25519 signer key
// "PRIVATE+KEY+<name>+<hash>+<base64(0x01 || seed)>", which note.NewSigner
// has already checked.
func verifierKey(skey string) (string, error) {
	parts := strings.SplitN(skey, "+", 5) // base64 may contain "+"
	if len(parts) != 5 {
		return "", errors.New("malformed signer key")
	}
	key, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(key) != 1+ed25519.SeedSize || key[0] != 1 {
		return "", errors.New("signer key is not an Ed25519 key")
	}
	pub := ed25519.NewKeyFromSeed(key[1:]).Public().(ed25519.PublicKey)
	return note.NewEd25519VerifierKey(parts[2], pub)
}

// SignCheckpoint returns a C2SP tlog-checkpoint for the tree of size leaves
// and root hash, signed by s: the note body is
//
//	<origin>
//	<size in decimal>
//	<base64 of root>
//
// followed by a blank line and the signature line.
func SignCheckpoint(s note.Signer, origin string, size int64, root []byte) (string, error) {
	if origin == "" || strings.ContainsAny(origin, "\n") {
		return "", fmt.Errorf("sign checkpoint: invalid origin %q", origin)
	}
	if size < 0 {
		return "", fmt.Errorf("sign checkpoint: negative size %d", size)
	}
	if len(root) != hashSize {
		return "", fmt.Errorf("sign checkpoint: root has %d bytes, want %d", len(root), hashSize)
	}
	body := fmt.Sprintf("%s\n%d\n%s\n", origin, size, base64.StdEncoding.EncodeToString(root))
	msg, err := note.Sign(&note.Note{Text: body}, s)
	if err != nil {
		return "", fmt.Errorf("sign checkpoint of size %d: %w", size, err)
	}
	return string(msg), nil
}

// OpenCheckpoint checks that text is a signed note carrying a signature by v
// and parses its C2SP tlog-checkpoint body. Extension lines after the root
// hash are allowed and ignored. Signatures by other keys are ignored too.
func OpenCheckpoint(text string, v note.Verifier) (origin string, size int64, root []byte, err error) {
	n, err := note.Open([]byte(text), note.VerifierList(v))
	if err != nil {
		return "", 0, nil, fmt.Errorf("open checkpoint: %w", err)
	}
	lines := strings.Split(n.Text, "\n") // n.Text ends in "\n".
	if len(lines) < 4 || lines[0] == "" {
		return "", 0, nil, errors.New("open checkpoint: body has fewer than three lines")
	}
	size, err = parseSize(lines[1])
	if err != nil {
		return "", 0, nil, fmt.Errorf("open checkpoint: %w", err)
	}
	root, err = base64.StdEncoding.Strict().DecodeString(lines[2])
	if err != nil || len(root) != hashSize {
		return "", 0, nil, fmt.Errorf("open checkpoint: malformed root hash %q", lines[2])
	}
	return lines[0], size, root, nil
}

// parseSize parses a tree size as C2SP spells it: ASCII decimal digits with
// no sign and no leading zeros.
func parseSize(s string) (int64, error) {
	if s == "" || strings.Trim(s, "0123456789") != "" || (len(s) > 1 && s[0] == '0') {
		return 0, fmt.Errorf("malformed tree size %q", s)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("malformed tree size %q: %w", s, err)
	}
	return n, nil
}

package auditlog_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zhengzhao-project/zhengzhao/auditlog"
	"golang.org/x/mod/sumdb/note"
)

func TestCheckpointGolden(t *testing.T) {
	s, v := testKey(t)
	m := buildLog(t, s, 42, 42, 0)
	text, err := auditlog.SignCheckpoint(s, testOrigin, 42, m.head.Root)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "checkpoint.golden", []byte(text))

	origin, size, root, err := auditlog.OpenCheckpoint(text, v)
	if err != nil {
		t.Fatal(err)
	}
	if origin != testOrigin || size != 42 || !bytes.Equal(root, m.head.Root) {
		t.Errorf("got %q %d %x, want %q 42 %x", origin, size, root, testOrigin, m.head.Root)
	}
}

func TestOpenCheckpoint(t *testing.T) {
	s, v := testKey(t)
	root := bytes.Repeat([]byte{7}, 32)
	root64 := base64.StdEncoding.EncodeToString(root)
	good, err := auditlog.SignCheckpoint(s, testOrigin, 5, root)
	if err != nil {
		t.Fatal(err)
	}
	sign := func(body string) string {
		msg, err := note.Sign(&note.Note{Text: body}, s)
		if err != nil {
			t.Fatal(err)
		}
		return string(msg)
	}
	forger, _, err := auditlog.GenerateLogKey(testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := note.NewSigner(forger)
	if err != nil {
		t.Fatal(err)
	}
	forged, err := auditlog.SignCheckpoint(fs, testOrigin, 5, root)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("extension lines", func(t *testing.T) {
		_, size, _, err := auditlog.OpenCheckpoint(sign(testOrigin+"\n5\n"+root64+"\nextension\n"), v)
		if err != nil || size != 5 {
			t.Errorf("got %d, %v", size, err)
		}
	})
	t.Run("cosigned", func(t *testing.T) {
		msg, err := note.Sign(&note.Note{Text: testOrigin + "\n5\n" + root64 + "\n"}, s, fs)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, _, err := auditlog.OpenCheckpoint(string(msg), v); err != nil {
			t.Error(err)
		}
	})

	bad := map[string]string{
		"forged":         forged,
		"tampered":       strings.Replace(good, "\n5\n", "\n6\n", 1),
		"unsigned":       testOrigin + "\n5\n" + root64 + "\n",
		"empty":          "",
		"no origin":      sign("\n5\n" + root64 + "\n"),
		"two lines":      sign(testOrigin + "\n5\n"),
		"size sign":      sign(testOrigin + "\n+5\n" + root64 + "\n"),
		"size negative":  sign(testOrigin + "\n-5\n" + root64 + "\n"),
		"size zero lead": sign(testOrigin + "\n05\n" + root64 + "\n"),
		"size space":     sign(testOrigin + "\n 5\n" + root64 + "\n"),
		"size overflow":  sign(testOrigin + "\n99999999999999999999\n" + root64 + "\n"),
		"root short":     sign(testOrigin + "\n5\n" + base64.StdEncoding.EncodeToString(root[:31]) + "\n"),
		"root not b64":   sign(testOrigin + "\n5\n" + "not base64!" + "\n"),
		"root unpadded":  sign(testOrigin + "\n5\n" + strings.TrimRight(root64, "=") + "\n"),
	}
	for name, text := range bad {
		t.Run(name, func(t *testing.T) {
			if _, _, _, err := auditlog.OpenCheckpoint(text, v); err == nil {
				t.Error("OpenCheckpoint succeeded")
			}
		})
	}
	var unverified *note.UnverifiedNoteError
	if _, _, _, err := auditlog.OpenCheckpoint(forged, v); !errors.As(err, &unverified) {
		t.Errorf("forged: got %v, want a *note.UnverifiedNoteError", err)
	}
}

func TestSignCheckpointErrors(t *testing.T) {
	s, _ := testKey(t)
	root := make([]byte, 32)
	tests := map[string]struct {
		origin string
		size   int64
		root   []byte
	}{
		"empty origin":   {"", 1, root},
		"newline origin": {"a\nb", 1, root},
		"negative size":  {testOrigin, -1, root},
		"short root":     {testOrigin, 1, root[:31]},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := auditlog.SignCheckpoint(s, tt.origin, tt.size, tt.root); err == nil {
				t.Error("SignCheckpoint succeeded")
			}
		})
	}
}

func TestLoadOrCreateLogKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.key")
	s1, v1, err := auditlog.LoadOrCreateLogKey(path, testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]os.FileMode{path: 0o600, path + ".pub": 0o644} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got&^want != 0 {
			t.Errorf("%s: mode %v, want at most %v", p, got, want)
		}
	}
	pub, err := os.ReadFile(path + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	vf, err := note.NewVerifier(strings.TrimSpace(string(pub)))
	if err != nil {
		t.Fatal(err)
	}

	os.Remove(path + ".pub")
	s2, v2, err := auditlog.LoadOrCreateLogKey(path, testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	if s1.KeyHash() != s2.KeyHash() || v1.KeyHash() != v2.KeyHash() || vf.KeyHash() != v1.KeyHash() {
		t.Error("the key changed on reload")
	}
	if _, err := os.Stat(path + ".pub"); err != nil {
		t.Errorf("verifier key not rewritten: %v", err)
	}

	text, err := auditlog.SignCheckpoint(s2, testOrigin, 1, make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []note.Verifier{v1, vf} {
		if _, _, _, err := auditlog.OpenCheckpoint(text, v); err != nil {
			t.Error(err)
		}
	}

	if _, _, err := auditlog.LoadOrCreateLogKey(path, "other.example/log"); err == nil {
		t.Error("loaded a key for another origin")
	}
	if _, _, err := auditlog.LoadOrCreateLogKey(filepath.Join("testdata", "log.key.pub"), testOrigin); err == nil {
		t.Error("loaded a verifier key as a signer key")
	}
	if _, _, err := auditlog.LoadOrCreateLogKey(filepath.Join(t.TempDir(), "no", "such", "dir"), testOrigin); err == nil {
		t.Error("created a key in a missing directory")
	}
}

func TestGenerateLogKey(t *testing.T) {
	if _, _, err := auditlog.GenerateLogKey("bad name+plus"); err == nil {
		t.Error("GenerateLogKey accepted a name with '+'")
	}
	skey, vkey, err := auditlog.GenerateLogKey(testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	text, err := auditlog.SignCheckpoint(s, testOrigin, 0, make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := auditlog.OpenCheckpoint(text, v); err != nil {
		t.Error(err)
	}
}

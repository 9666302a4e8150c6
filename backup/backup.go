// Package backup writes and reads the library's backup archives: one
// gzip-compressed tar file holding a consistent snapshot of the embedded
// database, the files a restore needs beside it (CA, master key, audit log
// keys, admin token) and, last, a manifest: the SHA-256 and size of every
// member, the checkpoint the snapshot contains and the configuration it
// was taken with, signed with the audit log key (a C2SP signed note). A
// byte changed anywhere or a missing tail makes Extract fail before the
// caller uses anything it extracted.
package backup

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
)

// Format names the archive layout in the manifest.
const Format = "zhengzhao-backup/1"

// ManifestName is the archive's last member.
const ManifestName = "MANIFEST"

// Manifest describes an archive.
type Manifest struct {
	Format  string    `json:"format"`
	Created time.Time `json:"created"`
	// Origin is the audit log's origin line.
	Origin string `json:"origin"`
	// Checkpoint is the newest signed checkpoint in the snapshot (its
	// note text); AuditSize is the number of audit entries in it, which
	// may exceed the checkpoint's size by the entries not yet
	// checkpointed when the snapshot was taken.
	Checkpoint string `json:"checkpoint,omitempty"`
	AuditSize  int64  `json:"audit_size"`
	Licenses   int    `json:"licenses"`
	// Config is the configuration the backup was taken with (flags that
	// a restored server needs the same, e.g. origin, checkpoint-dir).
	Config map[string]string `json:"config,omitempty"`
	Files  []File            `json:"files"`
}

// File is one member of the archive.
type File struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	Mode   uint32 `json:"mode"`
}

// Write writes an archive of the named files of dir (relative names, no
// directories) to w, and the manifest m, with Files filled in, signed
// with s. It returns the manifest written.
func Write(w io.Writer, dir string, names []string, m Manifest, s note.Signer) (*Manifest, error) {
	gz, err := gzip.NewWriterLevel(w, gzip.BestSpeed)
	if err != nil {
		return nil, err
	}
	tw := tar.NewWriter(gz)
	m.Format = Format
	m.Files = nil
	for _, n := range names {
		f, err := addFile(tw, dir, n)
		if err != nil {
			return nil, fmt.Errorf("backup %s: %w", n, err)
		}
		m.Files = append(m.Files, f)
	}
	body, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	signed, err := note.Sign(&note.Note{Text: Format + "\n" + string(body) + "\n"}, s)
	if err != nil {
		return nil, fmt.Errorf("backup manifest: %w", err)
	}
	if err := tw.WriteHeader(&tar.Header{Name: ManifestName, Mode: 0o600, Size: int64(len(signed)), ModTime: m.Created, Typeflag: tar.TypeReg}); err != nil {
		return nil, err
	}
	if _, err := tw.Write(signed); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	return &m, nil
}

func addFile(tw *tar.Writer, dir, name string) (File, error) {
	f, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		return File{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return File{}, err
	}
	if !st.Mode().IsRegular() {
		return File{}, errors.New("not a regular file")
	}
	hdr := &tar.Header{Name: name, Mode: int64(st.Mode().Perm()), Size: st.Size(), ModTime: st.ModTime(), Typeflag: tar.TypeReg}
	if err := tw.WriteHeader(hdr); err != nil {
		return File{}, err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tw, h), f)
	if err != nil {
		return File{}, err
	}
	if n != st.Size() {
		return File{}, fmt.Errorf("changed while read (%d of %d bytes)", n, st.Size())
	}
	return File{Name: name, Size: n, SHA256: hex.EncodeToString(h.Sum(nil)), Mode: uint32(st.Mode().Perm())}, nil
}

// ErrCorrupt is wrapped by Extract's errors when the archive is damaged
// (changed, truncated, members missing or added): the backup cannot be
// used; take another one or use an older one.
var ErrCorrupt = errors.New("backup archive is damaged")

// Extract reads the archive from r into dir (which must exist and is
// expected to be empty and private to the caller), checks every member
// against the manifest and the manifest's signature, and returns the
// manifest. vkey is the audit log's verifier key the manifest must be
// signed with; empty means the log.key.pub inside the archive, which
// detects damage but not a forger who rewrote the whole archive. On
// error, dir may hold partial files: the caller removes it.
func Extract(r io.Reader, dir, vkey string) (*Manifest, error) {
	gz, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	tr := tar.NewReader(gz)
	sums := map[string]File{}
	var manifest []byte
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
		if manifest != nil {
			return nil, fmt.Errorf("%w: member %q after the manifest", ErrCorrupt, hdr.Name)
		}
		if hdr.Name == ManifestName {
			if manifest, err = io.ReadAll(io.LimitReader(tr, 1<<20)); err != nil {
				return nil, fmt.Errorf("%w: manifest: %w", ErrCorrupt, err)
			}
			continue
		}
		if hdr.Typeflag != tar.TypeReg || hdr.Name != filepath.Base(hdr.Name) || strings.HasPrefix(hdr.Name, ".") {
			return nil, fmt.Errorf("%w: unexpected member %q", ErrCorrupt, hdr.Name)
		}
		if _, dup := sums[hdr.Name]; dup {
			return nil, fmt.Errorf("%w: member %q twice", ErrCorrupt, hdr.Name)
		}
		f, err := extractFile(&markedReader{r: tr}, filepath.Join(dir, hdr.Name), os.FileMode(hdr.Mode).Perm()|0o600)
		var re readError
		if errors.As(err, &re) {
			return nil, fmt.Errorf("%w: member %q: %w", ErrCorrupt, hdr.Name, re.error)
		} else if err != nil {
			return nil, fmt.Errorf("extract %s: %w", hdr.Name, err)
		}
		f.Name = hdr.Name
		sums[hdr.Name] = f
	}
	if manifest == nil {
		return nil, fmt.Errorf("%w: no manifest (the archive is truncated)", ErrCorrupt)
	}
	// Read to the gzip trailer, whose CRC and length cover every byte.
	if _, err := io.Copy(io.Discard, gz); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	if vkey == "" {
		b, err := os.ReadFile(filepath.Join(dir, "log.key.pub"))
		if err != nil {
			return nil, fmt.Errorf("%w: no audit log verifier key in the archive", ErrCorrupt)
		}
		vkey = strings.TrimSpace(string(b))
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("audit log verifier key: %w", err)
	}
	n, err := note.Open(manifest, note.VerifierList(v))
	if err != nil {
		return nil, fmt.Errorf("%w: manifest signature: %w", ErrCorrupt, err)
	}
	first, body, _ := strings.Cut(n.Text, "\n")
	if first != Format {
		return nil, fmt.Errorf("backup format %q, this version reads %q", first, Format)
	}
	var m Manifest
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		return nil, fmt.Errorf("%w: manifest: %w", ErrCorrupt, err)
	}
	for _, f := range m.Files {
		got, ok := sums[f.Name]
		switch {
		case !ok:
			return nil, fmt.Errorf("%w: member %q is missing", ErrCorrupt, f.Name)
		case got.Size != f.Size || got.SHA256 != f.SHA256:
			return nil, fmt.Errorf("%w: member %q does not match its SHA-256 in the manifest", ErrCorrupt, f.Name)
		}
		delete(sums, f.Name)
	}
	for name := range sums {
		return nil, fmt.Errorf("%w: member %q is not in the manifest", ErrCorrupt, name)
	}
	return &m, nil
}

func extractFile(r io.Reader, path string, mode os.FileMode) (File, error) {
	out, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode&0o700|mode&0o044)
	if err != nil {
		return File{}, err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(out, h), r)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return File{}, err
	}
	return File{Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// readError marks an error of reading the archive (as opposed to writing
// the extracted file): the archive is damaged.
type readError struct{ error }

type markedReader struct{ r io.Reader }

func (m *markedReader) Read(p []byte) (int, error) {
	n, err := m.r.Read(p)
	if err != nil && err != io.EOF {
		err = readError{err}
	}
	return n, err
}

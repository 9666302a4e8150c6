// Package ledger publishes the audit log's signed checkpoints outside the
// database, in a directory the operator names (a mount of another disk, a
// synced bucket), with the license changes each checkpoint adds: so that a
// library restored from an older backup can tell that it is behind, and
// what it lost.
//
// The directory holds:
//
//	checkpoint               the newest published checkpoint (signed note)
//	checkpoints/<size>       every published checkpoint, by size (20 digits)
//	changes/<from>-<to>      a note signed with the log key: one JSON line
//	                         (zhengzhao.LostChange) per license issue,
//	                         import, update or revocation among the entries
//	                         [from, to) of the log
//
// A change file is written before the checkpoint that covers it, each file
// by write-then-rename, so a reader never sees a checkpoint without its
// changes. The files carry license IDs, unit codes, idempotency keys and
// signature values, never holder data.
package ledger

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/auditlog"
)

// Latest returns the newest published checkpoint's text, or "" when
// nothing was published.
func Latest(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, "checkpoint"))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("published checkpoint: %w", err)
	}
	return string(b), nil
}

// Checkpoints returns every published checkpoint's text, smallest first.
func Checkpoints(dir string) ([]string, error) {
	names, err := list(filepath.Join(dir, "checkpoints"))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, "checkpoints", n))
		if err != nil {
			return nil, fmt.Errorf("published checkpoint: %w", err)
		}
		out = append(out, string(b))
	}
	return out, nil
}

func list(dir string) ([]string, error) {
	es, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("published checkpoints: %w", err)
	}
	var names []string
	for _, e := range es {
		if !e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names) // fixed-width numbers sort by value
	return names, nil
}

// Published is the newest published checkpoint, opened.
type Published struct {
	Text string
	Size int64
	Root []byte
}

// OpenLatest returns the newest published checkpoint, verified with v, or
// nil when nothing was published.
func OpenLatest(dir string, v note.Verifier) (*Published, error) {
	text, err := Latest(dir)
	if err != nil || text == "" {
		return nil, err
	}
	_, size, root, err := auditlog.OpenCheckpoint(text, v)
	if err != nil {
		return nil, fmt.Errorf("published checkpoint %s: %w", filepath.Join(dir, "checkpoint"), err)
	}
	return &Published{Text: text, Size: size, Root: root}, nil
}

// Publish writes the changes among entries [from, cp.Size) and then cp,
// signed with s (the log key). from is the size of the previously
// published checkpoint.
func Publish(dir string, s note.Signer, from int64, changes []zhengzhao.LostChange, cp *zhengzhao.Checkpoint) error {
	for _, d := range []string{dir, filepath.Join(dir, "checkpoints"), filepath.Join(dir, "changes")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("publish checkpoint: %w", err)
		}
	}
	if cp.Size > from {
		var body bytes.Buffer
		fmt.Fprintf(&body, "%s\nchanges %d %d\n", cp.Origin, from, cp.Size)
		for _, c := range changes {
			b, err := json.Marshal(c)
			if err != nil {
				return err
			}
			body.Write(b)
			body.WriteByte('\n')
		}
		signed, err := note.Sign(&note.Note{Text: body.String()}, s)
		if err != nil {
			return fmt.Errorf("publish changes: %w", err)
		}
		if err := writeAtomic(filepath.Join(dir, "changes", rangeName(from, cp.Size)), signed); err != nil {
			return err
		}
	}
	if err := writeAtomic(filepath.Join(dir, "checkpoints", sizeName(cp.Size)), []byte(cp.Note)); err != nil {
		return err
	}
	return writeAtomic(filepath.Join(dir, "checkpoint"), []byte(cp.Note))
}

func sizeName(n int64) string         { return fmt.Sprintf("%020d", n) }
func rangeName(from, to int64) string { return sizeName(from) + "-" + sizeName(to) }

// writeAtomic writes data to a temporary file, syncs it and renames it
// into place.
func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("publish: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("publish: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// Changes returns the published changes at entry indexes >= from, each
// file's signature verified with v. It fails when the files do not cover
// [from, the newest published size) without a gap.
func Changes(dir string, v note.Verifier, from int64) ([]zhengzhao.LostChange, error) {
	latest, err := OpenLatest(dir, v)
	if err != nil || latest == nil {
		return nil, err
	}
	names, err := list(filepath.Join(dir, "changes"))
	if err != nil {
		return nil, err
	}
	var out []zhengzhao.LostChange
	seen := map[int64]bool{} // servers sharing a database publish overlapping ranges
	covered := int64(-1)     // the end of the last file read that reaches from
	for _, n := range names {
		lo, hi, ok := parseRange(n)
		if !ok || hi <= from || lo >= latest.Size {
			continue
		}
		if covered >= 0 && lo > covered || covered < 0 && lo > from {
			return nil, fmt.Errorf("published changes: entries %d to %d are not covered by any file in %s", max(covered, from), lo, filepath.Join(dir, "changes"))
		}
		b, err := os.ReadFile(filepath.Join(dir, "changes", n))
		if err != nil {
			return nil, fmt.Errorf("published changes: %w", err)
		}
		nt, err := note.Open(b, note.VerifierList(v))
		if err != nil {
			return nil, fmt.Errorf("published changes %s: %w", n, err)
		}
		sc := bufio.NewScanner(strings.NewReader(nt.Text))
		sc.Buffer(nil, 1<<20)
		for line := 0; sc.Scan(); line++ {
			if line < 2 {
				continue // origin and range header
			}
			var c zhengzhao.LostChange
			if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
				return nil, fmt.Errorf("published changes %s: line %d: %w", n, line+1, err)
			}
			if c.Index >= from && !seen[c.Index] {
				seen[c.Index] = true
				out = append(out, c)
			}
		}
		covered = max(covered, hi)
	}
	if latest.Size > from && covered < latest.Size {
		return nil, fmt.Errorf("published changes: entries %d to %d are not covered by any file in %s", max(covered, from), latest.Size, filepath.Join(dir, "changes"))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Index < out[j].Index })
	return out, nil
}

func parseRange(name string) (lo, hi int64, ok bool) {
	a, b, found := strings.Cut(name, "-")
	if !found {
		return 0, 0, false
	}
	lo, err1 := strconv.ParseInt(a, 10, 64)
	hi, err2 := strconv.ParseInt(b, 10, 64)
	return lo, hi, err1 == nil && err2 == nil && lo < hi
}

// ChangesOf returns the license changes among entries, as published.
// proofs returns a license version's signature (nil if unknown).
func ChangesOf(entries []*zhengzhao.AuditEntry, proofs func(id string) (*zhengzhao.Proof, error)) ([]zhengzhao.LostChange, error) {
	var out []zhengzhao.LostChange
	for _, e := range entries {
		switch e.Action {
		case zhengzhao.ActionLicenseIssue, zhengzhao.ActionLicenseImport, zhengzhao.ActionLicenseUpdate, zhengzhao.ActionLicenseRevoke:
		default:
			continue
		}
		c := zhengzhao.LostChange{Index: e.Index, Action: e.Action, License: e.License,
			Unit: strings.TrimPrefix(e.Actor, "unit:"), IdempotencyKey: e.Details["idempotency_key"]}
		if id, err := zhengzhao.ParseLicenseID(e.License); err == nil || id.IssuerCode != "" {
			c.Unit = id.IssuerCode
		}
		if e.Action != zhengzhao.ActionLicenseRevoke {
			p, err := proofs(e.License)
			if err != nil {
				return nil, err
			}
			if p != nil {
				c.Proof = &zhengzhao.Proof{Alg: p.Alg, KID: p.KID, Value: p.Value}
			}
		}
		out = append(out, c)
	}
	return out, nil
}

// Archive moves the published files that a restore's accepted loss
// invalidates (every checkpoint larger than size, and the changes files
// beyond it) into dir/lost-<size>/, kept for the record.
func Archive(dir string, size int64) (string, error) {
	dest := filepath.Join(dir, fmt.Sprintf("lost-%d", size))
	for _, sub := range []string{"checkpoints", "changes"} {
		names, err := list(filepath.Join(dir, sub))
		if err != nil {
			return "", err
		}
		for _, n := range names {
			var beyond bool
			if sub == "checkpoints" {
				s, err := strconv.ParseInt(n, 10, 64)
				beyond = err == nil && s > size
			} else {
				_, hi, ok := parseRange(n)
				beyond = ok && hi > size
			}
			if !beyond {
				continue
			}
			if err := os.MkdirAll(filepath.Join(dest, sub), 0o755); err != nil {
				return "", err
			}
			if err := os.Rename(filepath.Join(dir, sub, n), filepath.Join(dest, sub, n)); err != nil {
				return "", fmt.Errorf("archive published %s: %w", n, err)
			}
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "checkpoint")); err == nil {
		if err := writeAtomic(filepath.Join(dest, "checkpoint"), b); err != nil {
			return "", err
		}
	}
	return dest, nil
}

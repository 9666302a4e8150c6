package main

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/auditlog"
	"github.com/zhengzhao-project/zhengzhao/backup"
	"github.com/zhengzhao-project/zhengzhao/sqlite"
)

func newBackupCommand() *cobra.Command {
	c := DefaultConfig()
	var out string
	cmd := &cobra.Command{
		Use:   "backup",
		Short: "Back up the embedded library while it serves",
		Long: `Backup writes one archive (gzip tar, mode 0600) of the data directory's
SQLite database, taken with VACUUM INTO while servers keep reading and
writing it, with the files a restore needs (CA, master key, audit log keys,
admin token) and a manifest of their SHA-256 sums, the checkpoint the
snapshot contains and the configuration, signed with the audit log key.
With --encrypt-to (age X25519 recipients, "age1…") the whole archive is
encrypted with age; restore then needs --identity. Without it the archive
holds the master key and the CA key unencrypted: keep it where the data
directory itself may be kept. For PostgreSQL use WAL archiving and
pg_basebackup (docs/operations.md).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return errors.New("--out is required: the archive file to write")
			}
			m, err := takeBackup(cmd.Context(), c, out)
			if err != nil {
				return err
			}
			printManifest(cmd.OutOrStdout(), out, m)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&c.DataDir, "data", envOr("ZHENGZHAO_DATA", c.DataDir), "data directory")
	f.StringVar(&c.DB, "db", envOr("ZHENGZHAO_DB", ""), "refused: back PostgreSQL up with its own tools")
	f.StringVar(&c.CACert, "ca-cert", envOr("ZHENGZHAO_CA_CERT", ""), "PEM file of the CA certificate, if not in the data directory")
	f.StringVar(&c.Origin, "origin", envOr("ZHENGZHAO_ORIGIN", c.Origin), "audit log origin, recorded in the manifest")
	f.StringVar(&out, "out", "", "archive file to write (must not exist)")
	f.StringSliceVar(&c.Recovery.BackupRecipients, "encrypt-to", nil, "encrypt the archive with age to these recipients (age1…; repeat or comma-separate)")
	return cmd
}

func printManifest(w io.Writer, path string, m *backup.Manifest) {
	var size int64
	for _, f := range m.Files {
		size += f.Size
	}
	cp := "none"
	if m.Checkpoint != "" {
		if s, err := checkpointSize(m.Checkpoint); err == nil {
			cp = fmt.Sprint(s)
		}
	}
	fmt.Fprintf(w, "backup %s: %d files, %d bytes; %d licenses, %d audit entries, checkpoint at size %s\n",
		path, len(m.Files), size, m.Licenses, m.AuditSize, cp)
}

// checkpointSize reads the size line of a checkpoint note without
// verifying it (for display; restore verifies).
func checkpointSize(text string) (int64, error) {
	lines := strings.SplitN(text, "\n", 3)
	if len(lines) < 2 {
		return 0, errors.New("short checkpoint")
	}
	var n int64
	_, err := fmt.Sscan(lines[1], &n)
	return n, err
}

// dbFiles are the SQLite files the snapshot replaces in an archive.
func isDBFile(name string) bool {
	return name == "zhengzhao.db" || strings.HasPrefix(name, "zhengzhao.db-")
}

// takeBackup writes a backup archive of the library in c.DataDir to out.
func takeBackup(ctx context.Context, c Config, out string) (*backup.Manifest, error) {
	if isPostgres(c.DB) || c.DB != "" {
		return nil, errors.New("backup archives the embedded SQLite library; back PostgreSQL up with WAL archiving and pg_basebackup (docs/operations.md)")
	}
	if _, err := os.Stat(out); !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("backup: %s exists; name a new file", out)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(out), ".zhengzhao-backup-*")
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	defer os.RemoveAll(tmp)

	snap := filepath.Join(tmp, "zhengzhao.db")
	if err := sqlite.Snapshot(ctx, c.path("zhengzhao.db"), snap); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	m := backup.Manifest{Created: time.Now().UTC(), Origin: c.Origin, Config: map[string]string{"origin": c.Origin}}
	if err := describeSnapshot(ctx, snap, &m); err != nil {
		return nil, err
	}
	names := []string{"zhengzhao.db"}
	es, err := os.ReadDir(c.DataDir)
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	for _, e := range es {
		n := e.Name()
		if !e.Type().IsRegular() || isDBFile(n) || strings.HasPrefix(n, ".") {
			continue
		}
		if err := copyFile(filepath.Join(c.DataDir, n), filepath.Join(tmp, n)); err != nil {
			return nil, fmt.Errorf("backup: %w", err)
		}
		names = append(names, n)
	}
	if c.CACert != "" {
		// An external CA: its certificate is what verifies the licenses;
		// its key stays where the operator keeps it.
		if err := copyFile(c.CACert, filepath.Join(tmp, "ca.pem")); err != nil {
			return nil, fmt.Errorf("backup: CA certificate: %w", err)
		}
		names = append(names, "ca.pem")
		m.Config["ca"] = "external: ca.pem only; the CA key is not in this backup"
	}
	sort.Strings(names[1:])
	if _, err := os.Stat(c.path("log.key")); err != nil {
		return nil, fmt.Errorf("backup: audit log key: %w", err)
	}
	signer, _, err := auditlog.LoadOrCreateLogKey(c.path("log.key"), c.Origin)
	if err != nil {
		return nil, fmt.Errorf("backup: audit log key: %w", err)
	}

	part := filepath.Join(tmp, "archive")
	f, err := os.OpenFile(part, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	var w io.Writer = f
	var enc io.WriteCloser
	if len(c.Recovery.BackupRecipients) > 0 {
		if enc, err = backup.Encrypt(f, c.Recovery.BackupRecipients); err != nil {
			f.Close()
			return nil, err
		}
		w = enc
	}
	written, err := backup.Write(w, tmp, names, m, signer)
	if err == nil && enc != nil {
		err = enc.Close()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	if err := os.Link(part, out); err != nil { // never replaces an existing file
		return nil, fmt.Errorf("backup: %w", err)
	}
	syncDir(filepath.Dir(out))
	return written, nil
}

// describeSnapshot records the snapshot's newest checkpoint and sizes.
func describeSnapshot(ctx context.Context, path string, m *backup.Manifest) error {
	s, err := sqlite.Open(path)
	if err != nil {
		return fmt.Errorf("backup: open snapshot: %w", err)
	}
	defer s.Close()
	return s.View(ctx, func(tx zhengzhao.ReadTx) error {
		var err error
		if m.AuditSize, err = tx.AuditSize(); err != nil {
			return err
		}
		if _, m.Licenses, _, err = tx.FindLicenses(zhengzhao.LicenseFilter{Page: zhengzhao.Page{Limit: 1}}); err != nil {
			return err
		}
		cp, err := tx.LatestCheckpoint()
		switch {
		case err == nil:
			m.Checkpoint = cp.Note
		case zhengzhao.ErrorCode(err) != zhengzhao.ENOTFOUND:
			return err
		}
		return nil
	})
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	st, err := in.Stat()
	if err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, st.Mode().Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

func newRestoreCommand() *cobra.Command {
	c := DefaultConfig()
	var from, logKey, checkpointDir, identity string
	var acceptLoss bool
	cmd := &cobra.Command{
		Use:   "restore",
		Short: "Restore a backup into a new data directory, and check it",
		Long: `Restore --from FILE --data DIR extracts a backup archive into DIR, which
must be empty or absent. It first extracts into a private directory beside
DIR and checks every file against the manifest's SHA-256 sums and the
manifest's signature (with --log-key, or the archive's own log.key.pub),
then checks the restored library: the audit log verifies (audit verify),
every checkpoint the backup holds is consistent (RFC 6962 consistency
proof) with its restored tree, and zhengzhao check is clean. Only then is
the directory moved into place: a damaged archive leaves DIR untouched.

Restore --accept-loss --data DIR --checkpoint-dir PUB is for a library
that is behind the checkpoints published in PUB (restored from an older
backup): it lists the license changes the published ledger records beyond
the restored log, revokes every lost license version as "lost in restore"
(a revoked stand-in keeps its ID and signature value, so the document
verifies as revoked online), applies lost revocations again, makes the
lost issues' idempotency keys answer with a conflict naming the lost
license, records all of it in the audit log, signs and publishes a new
checkpoint and moves the published files it supersedes to PUB/lost-N/.
Run it with the servers stopped.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if acceptLoss {
				if checkpointDir == "" {
					return errors.New("--accept-loss needs --checkpoint-dir: the directory of the published checkpoints")
				}
				return acceptRestoreLoss(cmd.Context(), cmd.OutOrStdout(), c, checkpointDir)
			}
			if from == "" {
				return errors.New("--from is required: the backup archive to restore")
			}
			return restoreBackup(cmd.Context(), cmd.OutOrStdout(), c, from, logKey, checkpointDir, identity)
		},
	}
	f := cmd.Flags()
	f.StringVar(&from, "from", "", "backup archive to restore")
	f.StringVar(&c.DataDir, "data", "", "data directory to restore into (empty or absent)")
	f.StringVar(&c.DB, "db", envOr("ZHENGZHAO_DB", ""), "with --accept-loss: the PostgreSQL URL of a restored library")
	f.StringVar(&c.Origin, "origin", envOr("ZHENGZHAO_ORIGIN", c.Origin), "audit log origin (with --accept-loss)")
	f.StringVar(&logKey, "log-key", "", "audit log verifier key the manifest must be signed with (default: the archive's log.key.pub)")
	f.StringVar(&checkpointDir, "checkpoint-dir", envOr("ZHENGZHAO_CHECKPOINT_DIR", ""), "directory of the published checkpoints (serve --checkpoint-dir)")
	f.StringVar(&identity, "identity", "", "age identity file that decrypts an encrypted backup")
	f.BoolVar(&acceptLoss, "accept-loss", false, "accept, on the record, that the restored library lost what the published checkpoints cover beyond it")
	cmd.MarkFlagRequired("data")
	return cmd
}

// restoreBackup extracts and checks the archive, then moves it into place.
func restoreBackup(ctx context.Context, w io.Writer, c Config, from, logKey, checkpointDir, identity string) error {
	target := filepath.Clean(c.DataDir)
	if es, err := os.ReadDir(target); err == nil && len(es) > 0 {
		return fmt.Errorf("restore: %s is not empty; restore into an empty or new directory", target)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("restore: %w", err)
	}
	vkey := ""
	if logKey != "" {
		b, err := os.ReadFile(logKey)
		if err != nil {
			return fmt.Errorf("restore: audit log verifier key: %w", err)
		}
		vkey = strings.TrimSpace(string(b))
	}
	in, err := os.Open(from)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	stage, err := os.MkdirTemp(filepath.Dir(target), ".zhengzhao-restore-*")
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer os.RemoveAll(stage) // gone after the rename below
	plain, err := backup.Open(in, identity)
	if err != nil {
		return fmt.Errorf("restore %s: %w; %s is untouched", from, err, target)
	}
	m, err := backup.Extract(plain, stage, vkey)
	if err != nil {
		return fmt.Errorf("restore %s: %w; %s is untouched", from, err, target)
	}
	fmt.Fprintf(w, "archive %s: %d files match the signed manifest of %s\n", from, len(m.Files), m.Created.Format(time.RFC3339))

	sc := c
	sc.DataDir, sc.DB = stage, ""
	if m.Origin != "" {
		sc.Origin = m.Origin
	}
	if err := checkRestored(ctx, w, sc, m, checkpointDir); err != nil {
		return fmt.Errorf("restore %s: %w; %s is untouched", from, err, target)
	}
	if err := os.Remove(target); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("restore: %w", err)
	}
	if err := os.Rename(stage, target); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	syncDir(filepath.Dir(target))
	fmt.Fprintf(w, "restored into %s; start it with: zhengzhao serve --data %s --origin %s\n", target, target, sc.Origin)
	return nil
}

// checkRestored runs audit verify and check on the restored library and
// proves every checkpoint it holds consistent with its tree.
func checkRestored(ctx context.Context, w io.Writer, c Config, m *backup.Manifest, checkpointDir string) error {
	store, err := sqlite.Open(c.path("zhengzhao.db"))
	if err != nil {
		return fmt.Errorf("open restored database: %w", err)
	}
	defer store.Close()
	v, err := logVerifier(c, "")
	if err != nil {
		return err
	}
	if m.Checkpoint != "" {
		if _, _, _, err := auditlog.OpenCheckpoint(m.Checkpoint, v); err != nil {
			return fmt.Errorf("the manifest's checkpoint: %w", err)
		}
	}
	var proved int
	var head zhengzhao.TreeHead
	err = store.View(ctx, func(tx zhengzhao.ReadTx) error {
		rep, err := auditlog.Check(tx, v)
		if err != nil {
			return err
		}
		if !rep.OK() {
			return fmt.Errorf("the restored audit log does not verify: %s", rep.Problems[0].Message)
		}
		if head, err = tx.FindTreeHead(); err != nil {
			return err
		}
		for after := int64(-1); ; {
			cps, err := tx.FindCheckpoints(after, 1000)
			if err != nil {
				return err
			}
			for _, cp := range cps {
				if cp.Size == 0 || cp.Size > head.Size {
					continue
				}
				proof, err := auditlog.ConsistencyProof(cp.Size, head.Size, tx.FindTreeNodes)
				if err != nil {
					return err
				}
				if err := auditlog.VerifyConsistency(cp.Size, head.Size, proof, cp.Root, head.Root); err != nil {
					return fmt.Errorf("checkpoint %d is not consistent with the restored tree: %w", cp.Size, err)
				}
				proved++
			}
			if len(cps) < 1000 {
				return nil
			}
			after = cps[len(cps)-1].Size
		}
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "audit log intact; %d checkpoints proved consistent with the restored tree of %d entries (root %s)\n",
		proved, head.Size, base64.StdEncoding.EncodeToString(head.Root))
	rep, err := runCheck(ctx, c, store, "", "")
	if err != nil {
		return err
	}
	if !printCheck(w, rep) {
		return errors.New("the restored library is inconsistent (zhengzhao check)")
	}
	if checkpointDir != "" {
		p, err := publishedState(ctx, store, checkpointDir, v)
		if err != nil {
			return err
		}
		if p.behind {
			fmt.Fprintf(w, "WARNING: %s\n", p.message(c.DataDir, checkpointDir))
		}
	}
	return nil
}

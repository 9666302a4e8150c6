package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"golang.org/x/mod/sumdb/note"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/auditlog"
	"github.com/zhengzhao-project/zhengzhao/ledger"
	"github.com/zhengzhao-project/zhengzhao/library"
	"github.com/zhengzhao-project/zhengzhao/metrics"
	"github.com/zhengzhao-project/zhengzhao/postgres"
)

// RecoveryConfig configures scheduled backups and the checkpoints
// published outside the database.
type RecoveryConfig struct {
	// BackupDir receives scheduled backups (zhengzhao backup archives);
	// empty turns them off. SQLite only.
	BackupDir string
	// BackupEvery is the interval of scheduled backups.
	BackupEvery time.Duration
	// BackupKeep is how many scheduled backups to keep (the newest).
	BackupKeep int
	// BackupRecipients, if any, are the age recipients (age1…) that
	// scheduled and command-line backups are encrypted to.
	BackupRecipients []string
	// CheckpointDir receives every signed checkpoint and the license
	// changes it covers (package ledger); at start the library compares
	// its log with the newest one there and refuses writes when behind.
	CheckpointDir string
	// DBReplica is the URL of a PostgreSQL hot standby that serves the
	// reads of anonymous callers (verification, public catalog, proofs)
	// while its lag is within ReplicaMaxLag (postgres.Replicated).
	DBReplica     string
	ReplicaMaxLag time.Duration
}

func addRecoveryFlags(f *pflag.FlagSet, c *RecoveryConfig) {
	f.StringVar(&c.BackupDir, "backup-dir", envOr("ZHENGZHAO_BACKUP_DIR", ""), "directory for scheduled backups of the embedded database (off if empty)")
	f.DurationVar(&c.BackupEvery, "backup-every", time.Hour, "interval of scheduled backups")
	f.IntVar(&c.BackupKeep, "backup-keep", 48, "how many scheduled backups to keep")
	f.StringSliceVar(&c.BackupRecipients, "backup-encrypt-to", nil, "encrypt scheduled backups with age to these recipients (age1…)")
	f.StringVar(&c.DBReplica, "db-replica", envOr("ZHENGZHAO_DB_REPLICA", ""), "PostgreSQL URL of a hot standby for public reads (verify, catalog, proofs) that may be stale by --db-replica-max-lag")
	f.DurationVar(&c.ReplicaMaxLag, "db-replica-max-lag", 2*time.Second, "the most a read sent to --db-replica may lag behind the primary; beyond it reads go to the primary")
	f.StringVar(&c.CheckpointDir, "checkpoint-dir", envOr("ZHENGZHAO_CHECKPOINT_DIR", ""), "directory outside the database where signed checkpoints and the license changes they cover are published; a library behind it refuses writes")
}

// publishedStatus compares a store's log with the newest published
// checkpoint.
type publishedStatus struct {
	published *ledger.Published // nil: nothing published
	size      int64             // the store's audit log size
	behind    bool              // the store lacks published entries, or differs from them
	diverged  bool              // the store has the size but another root
}

func (p publishedStatus) message(data, dir string) string {
	what := fmt.Sprintf("its audit log has %d entries but a checkpoint of %d entries was published in %s", p.size, p.published.Size, dir)
	if p.diverged {
		what = fmt.Sprintf("its audit log differs from the checkpoint of %d entries published in %s", p.published.Size, dir)
	}
	return "the library is behind what it published (restored from an older backup?): " + what +
		"; writes are refused until the operator restores a newer backup or runs `zhengzhao restore --accept-loss --data " + data +
		" --checkpoint-dir " + dir + "`, which lists and revokes the lost licenses on the record"
}

// publishedState compares store with the newest checkpoint in dir.
func publishedState(ctx context.Context, store zhengzhao.Store, dir string, v note.Verifier) (publishedStatus, error) {
	var st publishedStatus
	p, err := ledger.OpenLatest(dir, v)
	if err != nil || p == nil {
		return st, err
	}
	st.published = p
	err = store.View(ctx, func(tx zhengzhao.ReadTx) error {
		var err error
		if st.size, err = tx.AuditSize(); err != nil {
			return err
		}
		if st.size < p.Size {
			st.behind = true
			return nil
		}
		root, err := rootAt(tx, p.Size)
		if err != nil {
			return err
		}
		st.diverged = !bytes.Equal(root, p.Root)
		st.behind = st.diverged
		return nil
	})
	return st, err
}

// rootAt returns the root of the log's first size entries, from the
// stored tree and the entries not integrated yet.
func rootAt(tx zhengzhao.ReadTx, size int64) ([]byte, error) {
	head, err := tx.FindTreeHead()
	if err != nil {
		return nil, err
	}
	if head.Size >= size {
		return auditlog.RootAt(size, tx.FindTreeNodes)
	}
	hashes, err := tx.FindTreeNodes(auditlog.ResumeNodes(head.Size))
	if err != nil {
		return nil, err
	}
	tree, err := auditlog.NewTree(head.Size, hashes)
	if err != nil {
		return nil, err
	}
	for start := head.Size; start < size; start += 1000 {
		es, err := tx.AuditEntries(start, min(start+1000, size))
		if err != nil {
			return nil, err
		}
		for _, e := range es {
			if _, err := tree.Append(auditlog.LeafHash(e)); err != nil {
				return nil, err
			}
		}
	}
	return tree.Root()
}

// refusingStore refuses every write transaction with a message that says
// why and what to do; reads, verification and the audit log's own
// integration go through.
type refusingStore struct {
	zhengzhao.Store
	msg string
}

func (s refusingStore) Update(context.Context, func(zhengzhao.Tx) error) error {
	return &zhengzhao.Error{Code: zhengzhao.EUNAVAILABLE, Message: s.msg}
}

func (s refusingStore) UpdateAlone(ctx context.Context, fn func(zhengzhao.Tx) error) error {
	if solo, ok := s.Store.(zhengzhao.SoloUpdater); ok {
		return solo.UpdateAlone(ctx, fn)
	}
	return s.Store.Update(ctx, fn)
}

func (s refusingStore) Peek(ctx context.Context, fn func(zhengzhao.ReadTx) error) error {
	if p, ok := s.Store.(zhengzhao.Peeker); ok {
		return p.Peek(ctx, fn)
	}
	return s.Store.View(ctx, fn)
}

func (s refusingStore) Ping(ctx context.Context) error {
	if p, ok := s.Store.(zhengzhao.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

// guardPublished returns store, or a store that refuses writes when the
// library is behind its published checkpoints. It returns whether it
// refuses.
func guardPublished(ctx context.Context, c Config, store zhengzhao.Store, log *slog.Logger) (zhengzhao.Store, bool, error) {
	dir := c.Recovery.CheckpointDir
	if dir == "" {
		return store, false, nil
	}
	if _, err := os.Stat(c.path("log.key.pub")); err != nil {
		return store, false, nil // a new library: nothing can have been published with its key
	}
	v, err := logVerifier(c, "")
	if err != nil {
		return nil, false, err
	}
	st, err := publishedState(ctx, store, dir, v)
	if err != nil {
		return nil, false, fmt.Errorf("compare with the published checkpoint: %w", err)
	}
	if !st.behind {
		return store, false, nil
	}
	msg := st.message(c.DataDir, dir)
	log.Error("refusing writes", "reason", msg)
	return refusingStore{Store: store, msg: msg}, true, nil
}

// runPublisher signs a checkpoint every interval and publishes it with
// the license changes it adds, until ctx ends.
func runPublisher(ctx context.Context, c Config, lib *library.Services, log *slog.Logger) {
	signer, _, err := auditlog.LoadOrCreateLogKey(c.path("log.key"), c.Origin)
	if err != nil {
		log.Error("publish checkpoints", "err", err)
		return
	}
	sys := zhengzhao.NewContextWithActor(ctx, zhengzhao.Actor{Kind: zhengzhao.ActorSystem})
	var last int64 = -1
	t := time.NewTicker(c.CheckpointInterval)
	defer t.Stop()
	for {
		if err := publishOnce(sys, c.Recovery.CheckpointDir, lib, signer, &last); err != nil && ctx.Err() == nil {
			log.Error("publish checkpoint", "dir", c.Recovery.CheckpointDir, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// publishOnce signs a checkpoint and publishes it if it is newer than
// the newest published one.
func publishOnce(ctx context.Context, dir string, lib *library.Services, signer note.Signer, last *int64) error {
	cp, err := lib.Audit.SignCheckpoint(ctx)
	if err != nil {
		return err
	}
	if *last < 0 {
		p, err := ledger.OpenLatest(dir, lib.LogVerifier())
		if err != nil {
			return err
		}
		*last = 0
		if p != nil {
			*last = p.Size
		}
	}
	if cp.Size <= *last {
		return nil
	}
	var changes []zhengzhao.LostChange
	err = lib.Store().View(ctx, func(tx zhengzhao.ReadTx) error {
		for start := *last; start < cp.Size; start += 1000 {
			es, err := tx.AuditEntries(start, min(start+1000, cp.Size))
			if err != nil {
				return err
			}
			cs, err := ledger.ChangesOf(es, func(id string) (*zhengzhao.Proof, error) {
				l, err := tx.FindLicenseByID(id)
				if err != nil {
					return nil, err
				}
				return l.Proof, nil
			})
			if err != nil {
				return err
			}
			changes = append(changes, cs...)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := ledger.Publish(dir, signer, *last, changes, cp); err != nil {
		return err
	}
	*last = cp.Size
	return nil
}

// runBackups takes a backup every interval into c.Recovery.BackupDir and
// keeps the newest BackupKeep, until ctx ends.
func runBackups(ctx context.Context, c Config, lib *library.Services, mx *metrics.Metrics, log *slog.Logger) {
	if mx != nil {
		mx.SetBackupInterval(c.Recovery.BackupEvery)
	}
	t := time.NewTicker(c.Recovery.BackupEvery)
	defer t.Stop()
	sys := zhengzhao.NewContextWithActor(ctx, zhengzhao.Actor{Kind: zhengzhao.ActorSystem})
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		// A fresh checkpoint first, so the backup's covers what it holds.
		if _, err := lib.Audit.SignCheckpoint(sys); err != nil {
			log.Error("scheduled backup: checkpoint", "err", err)
		}
		path, err := scheduledBackup(ctx, c)
		if mx != nil {
			mx.Backup(err == nil, time.Now())
		}
		if err != nil {
			log.Error("scheduled backup", "dir", c.Recovery.BackupDir, "err", err)
			continue
		}
		log.Info("scheduled backup", "file", path)
	}
}

// scheduledBackup writes one backup into the backup directory and prunes
// the oldest beyond BackupKeep.
func scheduledBackup(ctx context.Context, c Config) (string, error) {
	dir := c.Recovery.BackupDir
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	path := filepath.Join(dir, "zhengzhao-"+time.Now().UTC().Format("20060102T150405.000Z")+".backup")
	if _, err := takeBackup(ctx, c, path); err != nil {
		return "", err
	}
	es, err := os.ReadDir(dir)
	if err != nil {
		return path, err
	}
	var names []string
	for _, e := range es {
		if strings.HasPrefix(e.Name(), "zhengzhao-") && strings.HasSuffix(e.Name(), ".backup") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	for len(names) > max(c.Recovery.BackupKeep, 1) {
		if err := os.Remove(filepath.Join(dir, names[0])); err != nil {
			return path, err
		}
		names = names[1:]
	}
	return path, nil
}

// startRecovery starts the publisher and the scheduled backups.
func (m *Main) startRecovery(ctx context.Context) error {
	c := m.Config
	if c.Recovery.BackupDir != "" {
		if c.DB != "" {
			return errors.New("--backup-dir backs up the embedded SQLite database; back PostgreSQL up with WAL archiving and pg_basebackup (docs/operations.md)")
		}
		if c.Recovery.BackupEvery <= 0 {
			c.Recovery.BackupEvery = time.Hour
		}
		if c.Recovery.BackupKeep <= 0 {
			c.Recovery.BackupKeep = 48
		}
		go runBackups(ctx, c, m.Library, m.Metrics, m.Logger)
	}
	if c.Recovery.CheckpointDir != "" && !m.refusing {
		go runPublisher(ctx, c, m.Library, m.Logger)
	}
	return nil
}

// acceptRestoreLoss is restore --accept-loss.
func acceptRestoreLoss(ctx context.Context, w io.Writer, c Config, dir string) error {
	log := newLogger("text", io.Discard)
	store, err := openStore(ctx, c, log)
	if err != nil {
		return err
	}
	defer store.Close()
	v, err := logVerifier(c, "")
	if err != nil {
		return err
	}
	st, err := publishedState(ctx, store, dir, v)
	if err != nil {
		return err
	}
	if !st.behind {
		fmt.Fprintf(w, "the library (%d entries) is not behind the checkpoints published in %s: nothing to accept\n", st.size, dir)
		return nil
	}
	lost, err := ledger.Changes(dir, v, st.size)
	if err != nil {
		return err
	}
	lib, err := openLibrary(c, store, log, holderOptions(c, ""))
	if err != nil {
		return err
	}
	sys := zhengzhao.NewContextWithActor(ctx, zhengzhao.Actor{Kind: zhengzhao.ActorSystem})
	rep, err := lib.Licenses.AcceptLoss(sys, lost, st.published.Size, st.published.Root)
	if err != nil {
		return err
	}
	archived, err := ledger.Archive(dir, st.size)
	if err != nil {
		return err
	}
	last := st.size // publish from the restored log's end, over what was archived
	signer, _, err := auditlog.LoadOrCreateLogKey(c.path("log.key"), c.Origin)
	if err != nil {
		return err
	}
	if err := publishOnce(sys, dir, lib, signer, &last); err != nil {
		return err
	}
	fmt.Fprintf(w, "published log: %d entries; restored log: %d entries; %d license changes lost\n", st.published.Size, st.size, len(lost))
	for _, id := range rep.Lost {
		fmt.Fprintf(w, "lost: %s (revoked: %s)\n", id, zhengzhao.ReasonLostInRestore)
	}
	for _, id := range rep.Rerevoked {
		fmt.Fprintf(w, "revoked again: %s (its revocation was lost)\n", id)
	}
	for _, s := range rep.Skipped {
		fmt.Fprintf(w, "not lost: %s\n", s)
	}
	fmt.Fprintf(w, "the superseded published files are kept in %s; a new checkpoint is published; writes are allowed again\n", archived)
	return nil
}

// withReplica wraps a PostgreSQL store so that public reads go to the
// configured hot standby.
func withReplica(ctx context.Context, c Config, store zhengzhao.Store, log *slog.Logger) (zhengzhao.Store, error) {
	if c.Recovery.DBReplica == "" {
		return store, nil
	}
	primary, ok := store.(*postgres.Store)
	if !ok || !isPostgres(c.Recovery.DBReplica) {
		store.Close()
		return nil, errors.New("--db-replica needs --db: a PostgreSQL primary and a postgres:// URL of its standby")
	}
	replica, err := postgres.Open(ctx, c.Recovery.DBReplica, postgres.WithLogger(log), postgres.AsReplica())
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("open PostgreSQL replica %s: %w", redactDSN(c.Recovery.DBReplica), err)
	}
	maxLag := c.Recovery.ReplicaMaxLag
	if maxLag <= 0 {
		maxLag = 2 * time.Second
	}
	return postgres.NewReplicated(primary, replica, maxLag, log), nil
}

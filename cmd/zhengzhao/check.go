package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/mod/sumdb/note"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/check"
	"github.com/zhengzhao-project/zhengzhao/ledger"
	"github.com/zhengzhao-project/zhengzhao/sign"
)

func newCheckCommand() *cobra.Command {
	c := DefaultConfig()
	var logKey, checkpointDir string
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Check the whole library against its audit log (fsck)",
		Long: `Check runs audit verify, then verifies every stored license document's
signature and compares its digest with the one its audit entry recorded,
replays the audit log's issues, updates and revocations and compares every
license's status, superseded_by and revocation with the replay, checks that
every idempotency record names a stored license, and that the checkpoints
published in --checkpoint-dir lie on this log. It names every license and
entry that differs. Exit status: 0 clean, 1 differences found, 2 error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			store, err := openStore(cmd.Context(), c, newLogger("text", cmd.ErrOrStderr()))
			if err != nil {
				return err
			}
			defer store.Close()
			rep, err := runCheck(cmd.Context(), c, store, logKey, checkpointDir)
			if err != nil {
				return err
			}
			if !printCheck(cmd.OutOrStdout(), rep) {
				return exitError{1}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&c.DataDir, "data", envOr("ZHENGZHAO_DATA", c.DataDir), "data directory")
	f.StringVar(&c.DB, "db", envOr("ZHENGZHAO_DB", ""), "PostgreSQL URL instead of the data directory's SQLite database")
	f.StringVar(&c.CACert, "ca-cert", envOr("ZHENGZHAO_CA_CERT", ""), "PEM file of the library CA certificate (default: DATA/ca.pem)")
	f.StringVar(&logKey, "log-key", "", "verifier key of the audit log (default: DATA/log.key.pub)")
	f.StringVar(&checkpointDir, "checkpoint-dir", envOr("ZHENGZHAO_CHECKPOINT_DIR", ""), "directory of the checkpoints published outside the database (serve --checkpoint-dir)")
	return cmd
}

// runCheck checks store with the data directory's CA and log key.
func runCheck(ctx context.Context, c Config, store zhengzhao.Store, logKey, checkpointDir string) (*check.Report, error) {
	v, err := logVerifier(c, logKey)
	if err != nil {
		return nil, err
	}
	caFile := c.CACert
	if caFile == "" {
		caFile = c.path("ca.pem")
	}
	ca, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("library CA certificate: %w", err)
	}
	trust, err := sign.NewTrustStore(string(ca))
	if err != nil {
		return nil, fmt.Errorf("library CA certificate %s: %w", caFile, err)
	}
	var published []string
	if checkpointDir != "" {
		if published, err = ledger.Checkpoints(checkpointDir); err != nil {
			return nil, err
		}
	}
	return check.Run(ctx, store, check.Config{LogVerifier: v, Trust: trust, Published: published, Now: c.Now})
}

// logVerifier reads the audit log's verifier key (default DATA/log.key.pub).
func logVerifier(c Config, logKey string) (note.Verifier, error) {
	if logKey == "" {
		logKey = c.path("log.key.pub")
	}
	vkey, err := os.ReadFile(logKey)
	if err != nil {
		return nil, fmt.Errorf("audit log verifier key: %w", err)
	}
	v, err := note.NewVerifier(strings.TrimSpace(string(vkey)))
	if err != nil {
		return nil, fmt.Errorf("audit log verifier key %s: %w", logKey, err)
	}
	return v, nil
}

// printCheck writes the report and returns whether it is clean.
func printCheck(w io.Writer, rep *check.Report) bool {
	fmt.Fprintf(w, "entries: %d, licenses: %d, idempotency records: %d, published checkpoints: %d\n",
		rep.Entries, rep.Licenses, rep.Idempotent, rep.Published)
	for _, p := range rep.Problems {
		fmt.Fprintln(w, p)
	}
	if rep.OK() {
		fmt.Fprintln(w, "library consistent with its audit log")
		return true
	}
	fmt.Fprintf(w, "%d differences: library INCONSISTENT\n", len(rep.Problems))
	return false
}

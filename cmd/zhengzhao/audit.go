package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/mod/sumdb/note"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/auditlog"
)

func newAuditCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "audit", Short: "Audit log tools"}
	cmd.AddCommand(newAuditVerifyCommand())
	return cmd
}

func newAuditVerifyCommand() *cobra.Command {
	c := DefaultConfig()
	var logKey string
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Recompute the audit log and name the first changed, inserted or removed entry",
		Long: `Audit verify reads every audit entry, recomputes the Merkle tree, and
checks it against the stored tree and every signed checkpoint. It names the
first entry that was changed, inserted or removed, including removal of the
newest entries that a checkpoint covers. Exit status: 0 intact, 1 tampered,
2 error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if logKey == "" {
				logKey = c.path("log.key.pub")
			}
			vkey, err := os.ReadFile(logKey)
			if err != nil {
				return fmt.Errorf("audit log verifier key: %w", err)
			}
			v, err := note.NewVerifier(strings.TrimSpace(string(vkey)))
			if err != nil {
				return fmt.Errorf("audit log verifier key %s: %w", logKey, err)
			}
			store, err := openStore(cmd.Context(), c, newLogger("text", cmd.ErrOrStderr()))
			if err != nil {
				return err
			}
			defer store.Close()
			var rep *auditlog.Report
			err = store.View(cmd.Context(), func(tx zhengzhao.ReadTx) (err error) {
				rep, err = auditlog.Check(tx, v)
				return err
			})
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "entries: %d, tree size: %d, checkpoints: %d\n", rep.Entries, rep.TreeSize, rep.Checkpoints)
			if rep.OK() {
				fmt.Fprintln(w, "audit log intact")
				return nil
			}
			for _, p := range rep.Problems {
				if p.Index >= 0 {
					fmt.Fprintf(w, "%s: entry %d: %s\n", p.Kind, p.Index, p.Message)
				} else {
					fmt.Fprintf(w, "%s: %s\n", p.Kind, p.Message)
				}
			}
			fmt.Fprintln(w, "audit log TAMPERED")
			return exitError{1}
		},
	}
	f := cmd.Flags()
	f.StringVar(&c.DataDir, "data", envOr("ZHENGZHAO_DATA", c.DataDir), "data directory")
	f.StringVar(&c.DB, "db", envOr("ZHENGZHAO_DB", ""), "PostgreSQL URL instead of the data directory's SQLite database")
	f.StringVar(&logKey, "log-key", "", "verifier key of the audit log (default: DATA/log.key.pub)")
	return cmd
}

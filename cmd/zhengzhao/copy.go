package main

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"

	"github.com/zhengzhao-project/zhengzhao/library"
)

func newCopyCommand() *cobra.Command {
	var from, to string
	cmd := &cobra.Command{
		Use:   "copy --from DATA_DIR --to postgres://…",
		Short: "Move a whole library from SQLite to PostgreSQL",
		Long: `Copy moves a whole library from the embedded SQLite database of a data
directory to an empty PostgreSQL database: units and keys, the catalog,
every license version, the records of every area (import jobs and their
reports, increment receipts, outages, objections, notices, responsible
staff, supervision counters, random checks, holder inboxes and the
notification outbox, display keys, presentations, proxy authorizations,
matters, usage lists, scenarios, grants), the audit log and its signed
checkpoints, each record as it is. The audit tree is rebuilt on the
destination and checked against every checkpoint the source signed. Holder
sessions are not copied: holders sign in again. Stop the source server
first. Afterwards, run the servers
with --db pointing at PostgreSQL and --data at the same data directory (it
holds the CA, the master key and the audit log key).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if from == "" || !isPostgres(to) {
				return fmt.Errorf("--from DATA_DIR and --to postgres://… are required")
			}
			log := newLogger("text", cmd.ErrOrStderr())
			srcCfg := DefaultConfig()
			srcCfg.DataDir = from
			src, err := openStore(cmd.Context(), srcCfg, log)
			if err != nil {
				return err
			}
			defer src.Close()
			dst, err := openStore(cmd.Context(), Config{DB: to}, log)
			if err != nil {
				return err
			}
			defer dst.Close()
			st, err := library.Copy(cmd.Context(), src, dst, func(stage string, n int64) {
				log.Info("copy", slog.String("stage", stage), slog.Int64("n", n))
			})
			if err != nil {
				return err
			}
			var areas []string
			for _, table := range library.CopiedTables {
				if n, ok := st.Records[table]; ok {
					areas = append(areas, fmt.Sprintf("%s %d", table, n))
				}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "copied %d units (%d API keys, %d signing keys), %d license types, %d licenses, %d idempotency records, %d audit entries, %d checkpoints; audit tree rebuilt to size %d and matches every checkpoint\nareas: %s\n",
				st.Units, st.UnitKeys, st.SigningKeys, st.LicenseTypes, st.Licenses, st.IdempotencyRecords, st.AuditEntries, st.Checkpoints, st.TreeSize,
				strings.Join(areas, ", "))
			return nil
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "source data directory (SQLite)")
	cmd.Flags().StringVar(&to, "to", "", "destination PostgreSQL URL (an empty database)")
	return cmd
}

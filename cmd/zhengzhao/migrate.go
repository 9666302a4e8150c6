package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newMigrateCommand() *cobra.Command {
	c := DefaultConfig()
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply pending database migrations and exit",
		Long: `Migrate brings the database schema up to date and exits. serve does the
same at start, so migrate is for deployments that change the schema in a
separate step before rolling out new servers. Several processes migrating
at once are safe: PostgreSQL migrations run under an advisory lock.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			store, err := openStore(cmd.Context(), c, newLogger("text", cmd.ErrOrStderr()))
			if err != nil {
				return err
			}
			if err := store.Close(); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), "migrations applied:", storeName(c))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&c.DataDir, "data", envOr("ZHENGZHAO_DATA", c.DataDir), "data directory (SQLite)")
	f.StringVar(&c.DB, "db", envOr("ZHENGZHAO_DB", ""), "PostgreSQL URL")
	return cmd
}

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/library"
	zreport "github.com/zhengzhao-project/zhengzhao/report"
)

// localLibrary opens the store and library of the data directory or
// database for an operator's command; close releases them. The operator
// acts as the system.
func localLibrary(ctx context.Context, c Config, cmd *cobra.Command) (*library.Services, context.Context, func(), error) {
	log := newLogger("text", cmd.ErrOrStderr())
	store, err := openStore(ctx, c, log)
	if err != nil {
		return nil, nil, nil, err
	}
	lib, err := openLibrary(c, store, log, holderOptions(c, ""))
	if err != nil {
		store.Close()
		return nil, nil, nil, err
	}
	sys := zhengzhao.NewContextWithActor(ctx, zhengzhao.Actor{Kind: zhengzhao.ActorSystem})
	return lib, sys, func() { store.Close() }, nil
}

// storeFlags adds --data and --db.
func storeFlags(cmd *cobra.Command, c *Config) {
	f := cmd.Flags()
	f.StringVar(&c.DataDir, "data", envOr("ZHENGZHAO_DATA", c.DataDir), "data directory (env ZHENGZHAO_DATA)")
	f.StringVar(&c.DB, "db", envOr("ZHENGZHAO_DB", ""), "PostgreSQL URL instead of the data directory's SQLite database (env ZHENGZHAO_DB)")
	f.StringVar(&c.CalendarFile, "calendar", envOr("ZHENGZHAO_CALENDAR", ""), "file of working-day corrections (env ZHENGZHAO_CALENDAR)")
}

func newReconcileCommand() *cobra.Command {
	c := DefaultConfig()
	var issuer, format, encoding, report string
	cmd := &cobra.Command{
		Use:   "reconcile FILE",
		Short: "Compare an issuer's export of its business system with the library",
		Long: `Reconcile reads an issuer's export — CSV or JSON Lines with the columns
id (the current version's license ID) and any of version, status and digest,
sorted by id in byte order (LC_ALL=C sort) — and walks it beside the
library's licenses of the issuer in the same order. It writes every
difference to the report (FILE.reconcile.csv unless --report says
otherwise): missing in the library, missing in the issuer's system, version,
status or content (digest) differing, unreadable record.

Exit status: 0 no difference, 1 differences (see the report), 2 error.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := args[0]
			if issuer == "" {
				return errors.New("--issuer is required")
			}
			if format == "" {
				format = zhengzhao.FormatCSV
				if ext := strings.ToLower(filepath.Ext(path)); ext == ".jsonl" || ext == ".ndjson" {
					format = zhengzhao.FormatJSONL
				}
			}
			if report == "" {
				report = path + ".reconcile.csv"
			}
			in, err := os.Open(path)
			if err != nil {
				return err
			}
			defer in.Close()
			lib, ctx, closeLib, err := localLibrary(cmd.Context(), c, cmd)
			if err != nil {
				return err
			}
			defer closeLib()
			out, err := os.Create(report + ".tmp")
			if err != nil {
				return err
			}
			defer os.Remove(report + ".tmp")
			w := zreport.NewCSVWriter(out)
			_ = w.Write([]string{"row", "base", "kind", "library", "issuer"})
			var diffs int64
			sum, err := lib.Aggregation.Reconcile(ctx, &zhengzhao.ReconcileSpec{Issuer: issuer, Format: format, Encoding: encoding}, in,
				func(d *zhengzhao.ReconcileDiff) error {
					diffs++
					return w.Write([]string{strconv.FormatInt(d.Row, 10), d.Base, d.Kind, d.Library, d.Issuer})
				})
			w.Flush()
			if err = errors.Join(err, w.Error(), out.Close()); err != nil {
				printFields(cmd, err)
				return err
			}
			if err := os.Rename(report+".tmp", report); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "export %d records, library %d: %d matched, %d missing in the library, %d missing in the issuer's system, %d differing, %d unreadable\nreport: %s\n",
				sum.ExportRecords, sum.LibraryRecords, sum.Matched, sum.MissingInLibrary, sum.MissingInIssuer, sum.Differing, sum.Invalid, report)
			if diffs > 0 {
				return exitError{1}
			}
			return nil
		},
	}
	storeFlags(cmd, &c)
	f := cmd.Flags()
	f.StringVar(&issuer, "issuer", "", "the issuing unit's credit code")
	f.StringVar(&format, "format", "", "csv or jsonl (default: from the extension)")
	f.StringVar(&encoding, "encoding", "", "utf-8 or gb18030 (default: detected)")
	f.StringVar(&report, "report", "", "where to write the differences (default FILE.reconcile.csv)")
	return cmd
}

func printFields(cmd *cobra.Command, err error) {
	var de *zhengzhao.Error
	if errors.As(err, &de) {
		for _, fe := range de.Fields {
			fmt.Fprintf(cmd.ErrOrStderr(), "  %s: %s\n", fe.Field, fe.Message)
		}
	}
}

func newIncrementCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "increment", Short: "Daily increments of issuers that cannot synchronise (Measures art. 8)"}
	c := DefaultConfig()
	var issuer string
	submit := &cobra.Command{
		Use:   "submit FILE.json",
		Short: "Apply one day's increment: {date, issued: [...], updated: [...], revoked: [...]}",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			b, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			var inc zhengzhao.Increment
			d := json.NewDecoder(strings.NewReader(string(b)))
			d.UseNumber()
			if err := d.Decode(&inc); err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			if issuer != "" {
				inc.Issuer = issuer
			}
			lib, ctx, closeLib, err := localLibrary(cmd.Context(), c, cmd)
			if err != nil {
				return err
			}
			defer closeLib()
			rec, err := lib.Aggregation.SubmitIncrement(ctx, &inc)
			if err != nil {
				printFields(cmd, err)
				return err
			}
			return json.NewEncoder(cmd.OutOrStdout()).Encode(rec)
		},
	}
	storeFlags(submit, &c)
	submit.Flags().StringVar(&issuer, "issuer", "", "the issuing unit's credit code (default: the file's issuer)")

	c2 := DefaultConfig()
	var issuer2, from, to string
	status := &cobra.Command{
		Use:   "status",
		Short: "List an issuer's increment days: received, late, missing",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			lib, ctx, closeLib, err := localLibrary(cmd.Context(), c2, cmd)
			if err != nil {
				return err
			}
			defer closeLib()
			st, err := lib.Aggregation.IncrementStatus(ctx, issuer2, from, to)
			if err != nil {
				printFields(cmd, err)
				return err
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "%s %s..%s: expected %d, received %d (late %d), missing %d, pending %d\n",
				st.Issuer, st.From, st.To, st.Expected, st.Received, st.Late, st.Missing, st.Pending)
			for _, d := range st.Days {
				if d.State != zhengzhao.DayReceived {
					fmt.Fprintf(w, "%s %s (due %s)\n", d.Date, d.State, d.Due.In(zhengzhao.ChinaTime).Format(time.DateTime))
				}
			}
			if st.Missing > 0 {
				return exitError{1}
			}
			return nil
		},
	}
	storeFlags(status, &c2)
	status.Flags().StringVar(&issuer2, "issuer", "", "the issuing unit's credit code")
	status.Flags().StringVar(&from, "from", "", "first day YYYY-MM-DD (default: the first received)")
	status.Flags().StringVar(&to, "to", "", "last day YYYY-MM-DD (default: yesterday)")
	cmd.AddCommand(submit, status)
	return cmd
}

func newOutageCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "outage", Short: "Issuers' outages and their catch-up deadlines in working days (Measures art. 11)"}
	parseTime := func(name, s string) (time.Time, error) {
		if t, err := time.Parse(time.RFC3339, s); err == nil {
			return t, nil
		}
		t, err := time.ParseInLocation("2006-01-02 15:04", s, zhengzhao.ChinaTime)
		if err != nil {
			return time.Time{}, fmt.Errorf("--%s %q: want RFC 3339 or \"2006-01-02 15:04\" (Beijing time)", name, s)
		}
		return t, nil
	}
	show := func(cmd *cobra.Command, o *zhengzhao.Outage) {
		line := fmt.Sprintf("%s %s start %s", o.ID, o.Issuer, o.Start.In(zhengzhao.ChinaTime).Format(time.DateTime))
		if o.End != nil {
			line += fmt.Sprintf(" end %s catch-up deadline %s", o.End.In(zhengzhao.ChinaTime).Format(time.DateTime),
				formatDeadline(*o.Deadline))
		}
		if o.CaughtUpAt != nil {
			line += " caught up " + o.CaughtUpAt.In(zhengzhao.ChinaTime).Format(time.DateTime)
		}
		if o.Late {
			line += " LATE"
		}
		fmt.Fprintln(cmd.OutOrStdout(), line)
	}

	var (
		c                       = DefaultConfig()
		issuer, start, end, why string
	)
	record := &cobra.Command{
		Use:   "record",
		Short: "Record an outage (with --end, its deadline too)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o := &zhengzhao.Outage{Issuer: issuer, Reason: why}
			var err error
			if o.Start, err = parseTime("start", start); err != nil {
				return err
			}
			if end != "" {
				e, err := parseTime("end", end)
				if err != nil {
					return err
				}
				o.End = &e
			}
			lib, ctx, closeLib, err := localLibrary(cmd.Context(), c, cmd)
			if err != nil {
				return err
			}
			defer closeLib()
			if err := lib.Aggregation.RecordOutage(ctx, o); err != nil {
				printFields(cmd, err)
				return err
			}
			show(cmd, o)
			return nil
		},
	}
	storeFlags(record, &c)
	record.Flags().StringVar(&issuer, "issuer", "", "the issuing unit's credit code")
	record.Flags().StringVar(&start, "start", "", "when the outage began")
	record.Flags().StringVar(&end, "end", "", "when it ended, if it has")
	record.Flags().StringVar(&why, "reason", "", "what happened")

	c2 := DefaultConfig()
	var end2 string
	endCmd := &cobra.Command{
		Use:   "end ID",
		Short: "Record the end of an outage and compute its catch-up deadline",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := parseTime("end", end2)
			if err != nil {
				return err
			}
			lib, ctx, closeLib, err := localLibrary(cmd.Context(), c2, cmd)
			if err != nil {
				return err
			}
			defer closeLib()
			o, err := lib.Aggregation.EndOutage(ctx, args[0], e)
			if err != nil {
				printFields(cmd, err)
				return err
			}
			show(cmd, o)
			return nil
		},
	}
	storeFlags(endCmd, &c2)
	endCmd.Flags().StringVar(&end2, "end", "", "when the outage ended")

	c3 := DefaultConfig()
	caught := &cobra.Command{
		Use:   "caught-up ID",
		Short: "Record that the issuer has caught up",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			lib, ctx, closeLib, err := localLibrary(cmd.Context(), c3, cmd)
			if err != nil {
				return err
			}
			defer closeLib()
			o, err := lib.Aggregation.CatchUpOutage(ctx, args[0])
			if err != nil {
				return err
			}
			show(cmd, o)
			return nil
		},
	}
	storeFlags(caught, &c3)

	c4 := DefaultConfig()
	var issuer4 string
	var late bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List outages with deadlines; --late: only those late now",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			lib, ctx, closeLib, err := localLibrary(cmd.Context(), c4, cmd)
			if err != nil {
				return err
			}
			defer closeLib()
			f := zhengzhao.OutageFilter{Page: zhengzhao.Page{Limit: zhengzhao.MaxPageLimit}}
			if issuer4 != "" {
				f.Issuer = &issuer4
			}
			if late {
				now := time.Now()
				f.LateAt = &now
			}
			for {
				os, _, next, err := lib.Aggregation.FindOutages(ctx, f)
				if err != nil {
					return err
				}
				for _, o := range os {
					show(cmd, o)
				}
				if next == "" {
					return nil
				}
				f.Cursor = next
			}
		},
	}
	storeFlags(list, &c4)
	list.Flags().StringVar(&issuer4, "issuer", "", "only this issuer's outages")
	list.Flags().BoolVar(&late, "late", false, "only outages whose catch-up is late now")
	cmd.AddCommand(record, endCmd, caught, list)
	return cmd
}

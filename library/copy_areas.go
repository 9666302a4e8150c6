package library

import (
	"context"
	"fmt"

	"github.com/zhengzhao-project/zhengzhao"
)

// Every table of both stores' migrations is accounted for here: Copy moves
// it (CopiedTables), or leaves it behind for the reason NotCopiedTables
// gives. TestEveryTableAccountedFor reads the migrations and fails on a
// table named in neither.

// CopiedTables names the tables Copy moves, in the order it moves them.
// ReadTable reads each of them.
var CopiedTables = []string{
	// The core, moved by Copy itself.
	"units", "unit_keys", "signing_keys", "license_types", "licenses", "idempotency_records",
	// The feature areas, moved by copyAreas (areaTables).
	"import_jobs", "import_problems", "increment_receipts", "outages",
	"objections", "notices", "unit_contacts", "stats", "random_checks",
	"inbox_messages", "notifications", "display_keys", "presentations", "proxy_authorizations",
	"matters", "usage_lists", "scenarios", "grants",
	// The audit log, last: the tree is rebuilt from it and the
	// checkpoints are checked against the tree.
	"audit_entries", "checkpoints",
}

// NotCopiedTables names the tables Copy does not move, with the reason.
var NotCopiedTables = map[string]string{
	"tree_nodes": "rebuilt on the destination from the copied audit entries; every copied checkpoint's root is checked against it",
	"tree_head":  "rebuilt with tree_nodes",
	"audit_counter": "PostgreSQL only: the next audit index, advanced by AppendAudit as the entries are copied " +
		"(the destination is always PostgreSQL or an empty store)",
	"schema_migrations": "each store records its own migrations when it is opened",
	"holder_sessions": "sign-in state that expires within hours (--session-ttl, 12 h), not a record of the library: holders sign in again " +
		"after the move, and a session cookie stolen before it does not survive it",
}

// areaTable reads and writes one table of a feature area.
type areaTable struct {
	name string
	// read calls emit with every record of the table in src, a batch at
	// a time, in a stable order. units are the library's units.
	read func(ctx context.Context, src zhengzhao.Store, units []string, emit func([]any) error) error
	// write stores a batch read from another store as it is.
	write func(tx zhengzhao.Tx, batch []any) error
}

// areaTables are the feature areas' tables in the order Copy moves them.
var areaTables = []areaTable{
	{"import_jobs", readImportJobs, each(func(tx zhengzhao.Tx, j *zhengzhao.ImportJob) error { return tx.CreateImportJob(j) })},
	{"import_problems", readImportProblems, func(tx zhengzhao.Tx, batch []any) error {
		return tx.CreateImportProblems(typed[*zhengzhao.ImportProblem](batch))
	}},
	{"increment_receipts", perUnit(func(tx zhengzhao.ReadTx, unit string) ([]*zhengzhao.IncrementReceipt, error) {
		return tx.FindIncrementReceipts(unit, "0000-01-01", "9999-12-31")
	}), each(func(tx zhengzhao.Tx, r *zhengzhao.IncrementReceipt) error { return tx.CreateIncrementReceipt(r) })},
	{"outages", pagedTable(func(tx zhengzhao.ReadTx, p zhengzhao.Page) ([]*zhengzhao.Outage, string, error) {
		os, _, next, err := tx.FindOutages(zhengzhao.OutageFilter{Page: p})
		return os, next, err
	}), each(func(tx zhengzhao.Tx, o *zhengzhao.Outage) error { return tx.CreateOutage(o) })},

	{"objections", pagedTable(func(tx zhengzhao.ReadTx, p zhengzhao.Page) ([]*zhengzhao.Objection, string, error) {
		os, _, next, err := tx.FindObjections(zhengzhao.ObjectionFilter{Page: p})
		return os, next, err
	}), each(func(tx zhengzhao.Tx, o *zhengzhao.Objection) error { return tx.CreateObjection(o) })},
	{"notices", pagedTable(zhengzhao.ReadTx.FindAllNotices),
		each(func(tx zhengzhao.Tx, n *zhengzhao.Notice) error { return tx.CreateNotice(n) })},
	{"unit_contacts", perUnit(zhengzhao.ReadTx.FindUnitContacts),
		each(func(tx zhengzhao.Tx, c *zhengzhao.UnitContact) error { return tx.CreateUnitContact(c) })},
	{"stats", pagedTable(zhengzhao.ReadTx.FindAllStats), func(tx zhengzhao.Tx, batch []any) error {
		return tx.PutStats(typed[*zhengzhao.StatCounter](batch))
	}},
	{"random_checks", pagedTable(func(tx zhengzhao.ReadTx, p zhengzhao.Page) ([]*zhengzhao.RandomCheck, string, error) {
		cs, _, next, err := tx.FindRandomChecks(zhengzhao.RandomCheckFilter{Page: p})
		return cs, next, err
	}), each(func(tx zhengzhao.Tx, c *zhengzhao.RandomCheck) error { return tx.CreateRandomCheck(c) })},

	{"inbox_messages", pagedTable(zhengzhao.ReadTx.FindAllInboxMessages),
		each(func(tx zhengzhao.Tx, m *zhengzhao.InboxMessage) error { return tx.CreateInboxMessage(m) })},
	{"notifications", pagedTable(zhengzhao.ReadTx.FindAllNotifications),
		each(func(tx zhengzhao.Tx, n *zhengzhao.Notification) error { return tx.CreateNotification(n) })},
	{"display_keys", whole(func(tx zhengzhao.ReadTx) ([]*zhengzhao.DisplayKey, error) { return tx.FindDisplayKeys() }),
		each(func(tx zhengzhao.Tx, k *zhengzhao.DisplayKey) error { return tx.CreateDisplayKey(k) })},
	{"presentations", pagedTable(zhengzhao.ReadTx.FindAllPresentations),
		each(func(tx zhengzhao.Tx, p *zhengzhao.Presentation) error { return tx.CreatePresentation(p) })},
	{"proxy_authorizations", pagedTable(zhengzhao.ReadTx.FindAllProxyAuthorizations),
		each(func(tx zhengzhao.Tx, p *zhengzhao.ProxyAuthorization) error { return tx.CreateProxyAuthorization(p) })},

	// Matters, usage lists and scenarios are a city's configuration:
	// thousands, read whole.
	{"matters", whole(func(tx zhengzhao.ReadTx) ([]*zhengzhao.Matter, error) { return tx.FindMatters("") }),
		each(func(tx zhengzhao.Tx, m *zhengzhao.Matter) error { return tx.CreateMatter(m) })},
	{"usage_lists", whole(func(tx zhengzhao.ReadTx) ([]*zhengzhao.UsageList, error) { return tx.FindUsageLists("") }),
		each(func(tx zhengzhao.Tx, u *zhengzhao.UsageList) error { return tx.PutUsageList(u) })},
	{"scenarios", whole(func(tx zhengzhao.ReadTx) ([]*zhengzhao.Scenario, error) {
		return tx.FindScenarios(zhengzhao.ScenarioFilter{})
	}), each(func(tx zhengzhao.Tx, s *zhengzhao.Scenario) error { return tx.CreateScenario(s) })},
	{"grants", pagedTable(zhengzhao.ReadTx.FindAllGrants),
		each(func(tx zhengzhao.Tx, g *zhengzhao.Grant) error { return tx.CreateGrant(g) })},
}

// copyAreas moves every table of the feature areas from src to dst, one
// destination transaction per batch, and counts the records per table.
func copyAreas(ctx context.Context, src, dst zhengzhao.Store, units []string, counts map[string]int64, progress func(string, int64)) error {
	for _, t := range areaTables {
		counts[t.name] = 0
		err := t.read(ctx, src, units, func(batch []any) error {
			if err := dst.Update(ctx, func(tx zhengzhao.Tx) error { return t.write(tx, batch) }); err != nil {
				return err
			}
			counts[t.name] += int64(len(batch))
			progress(t.name, counts[t.name])
			return nil
		})
		if err != nil {
			return fmt.Errorf("copy %s: %w", t.name, err)
		}
		if counts[t.name] == 0 {
			progress(t.name, 0)
		}
	}
	return nil
}

// ReadTable calls fn with every record of the named table of s (one of
// CopiedTables), a batch at a time, in the stable order Copy moves them:
// pointers to the root package's types (*zhengzhao.Unit, *zhengzhao.Grant,
// *zhengzhao.StatCounter …). It serves to compare two libraries after a
// copy, record by record.
func ReadTable(ctx context.Context, s zhengzhao.Store, table string, fn func(batch []any) error) error {
	units, err := unitCodes(ctx, s)
	if err != nil {
		return err
	}
	for _, t := range areaTables {
		if t.name == table {
			return t.read(ctx, s, units, fn)
		}
	}
	read, ok := coreTables[table]
	if !ok {
		return zhengzhao.Errorf(zhengzhao.EINVALID, "no table %q is copied", table)
	}
	return read(ctx, s, units, fn)
}

// coreTables read the tables Copy moves itself.
var coreTables = map[string]func(ctx context.Context, src zhengzhao.Store, units []string, emit func([]any) error) error{
	"units": pagedTable(func(tx zhengzhao.ReadTx, p zhengzhao.Page) ([]*zhengzhao.Unit, string, error) {
		us, _, next, err := tx.FindUnits(zhengzhao.UnitFilter{Page: p})
		return us, next, err
	}),
	"unit_keys": perUnit(zhengzhao.ReadTx.FindUnitKeys),
	"signing_keys": perUnit(func(tx zhengzhao.ReadTx, unit string) ([]*zhengzhao.SigningKey, error) {
		return tx.FindSigningKeys(zhengzhao.SigningKeyFilter{Unit: &unit})
	}),
	"license_types": pagedTable(func(tx zhengzhao.ReadTx, p zhengzhao.Page) ([]*zhengzhao.LicenseType, string, error) {
		ts, _, next, err := tx.FindLicenseTypes(zhengzhao.LicenseTypeFilter{Page: p})
		return ts, next, err
	}),
	"licenses": pagedTable(func(tx zhengzhao.ReadTx, p zhengzhao.Page) ([]*zhengzhao.License, string, error) {
		ls, _, next, err := tx.FindLicenses(zhengzhao.LicenseFilter{Page: p})
		return ls, next, err
	}),
	"idempotency_records": func(ctx context.Context, src zhengzhao.Store, units []string, emit func([]any) error) error {
		for _, u := range units {
			for after := ""; ; {
				var rs []*zhengzhao.IdempotencyRecord
				if err := src.View(ctx, func(tx zhengzhao.ReadTx) (err error) {
					rs, err = tx.FindIdempotencyRecords(u, after, copyBatch)
					return err
				}); err != nil {
					return err
				}
				if len(rs) > 0 {
					if err := emit(untyped(rs)); err != nil {
						return err
					}
				}
				if len(rs) < copyBatch {
					break
				}
				after = rs[len(rs)-1].Key
			}
		}
		return nil
	},
	"audit_entries": func(ctx context.Context, src zhengzhao.Store, _ []string, emit func([]any) error) error {
		var size int64
		if err := src.View(ctx, func(tx zhengzhao.ReadTx) (err error) { size, err = tx.AuditSize(); return err }); err != nil {
			return err
		}
		for start := int64(0); start < size; start += copyBatch {
			var es []*zhengzhao.AuditEntry
			if err := src.View(ctx, func(tx zhengzhao.ReadTx) (err error) { es, err = tx.AuditEntries(start, start+copyBatch); return err }); err != nil {
				return err
			}
			if err := emit(untyped(es)); err != nil {
				return err
			}
		}
		return nil
	},
	"checkpoints": func(ctx context.Context, src zhengzhao.Store, _ []string, emit func([]any) error) error {
		for after := int64(-1); ; {
			var cps []*zhengzhao.Checkpoint
			if err := src.View(ctx, func(tx zhengzhao.ReadTx) (err error) { cps, err = tx.FindCheckpoints(after, copyBatch); return err }); err != nil {
				return err
			}
			if len(cps) == 0 {
				return nil
			}
			if err := emit(untyped(cps)); err != nil {
				return err
			}
			after = cps[len(cps)-1].Size
		}
	},
}

// unitCodes returns the codes of every unit of s.
func unitCodes(ctx context.Context, s zhengzhao.Store) ([]string, error) {
	var codes []string
	err := coreTables["units"](ctx, s, nil, func(batch []any) error {
		for _, u := range batch {
			codes = append(codes, u.(*zhengzhao.Unit).Code)
		}
		return nil
	})
	return codes, err
}

// pagedTable reads a table through a paged read, copyBatch records (at
// most MaxPageLimit) a page, each page in its own read transaction.
func pagedTable[T any](find func(tx zhengzhao.ReadTx, p zhengzhao.Page) ([]T, string, error)) func(context.Context, zhengzhao.Store, []string, func([]any) error) error {
	return func(ctx context.Context, src zhengzhao.Store, _ []string, emit func([]any) error) error {
		for cursor := ""; ; {
			var (
				page []T
				next string
			)
			if err := src.View(ctx, func(tx zhengzhao.ReadTx) (err error) {
				page, next, err = find(tx, zhengzhao.Page{Limit: min(copyBatch, zhengzhao.MaxPageLimit), Cursor: cursor})
				return err
			}); err != nil {
				return err
			}
			if len(page) > 0 {
				if err := emit(untyped(page)); err != nil {
					return err
				}
			}
			if next == "" {
				return nil
			}
			cursor = next
		}
	}
}

// perUnit reads a table unit by unit.
func perUnit[T any](find func(tx zhengzhao.ReadTx, unit string) ([]T, error)) func(context.Context, zhengzhao.Store, []string, func([]any) error) error {
	return func(ctx context.Context, src zhengzhao.Store, units []string, emit func([]any) error) error {
		for _, u := range units {
			var rs []T
			if err := src.View(ctx, func(tx zhengzhao.ReadTx) (err error) { rs, err = find(tx, u); return err }); err != nil {
				return err
			}
			if len(rs) > 0 {
				if err := emit(untyped(rs)); err != nil {
					return err
				}
			}
		}
		return nil
	}
}

// whole reads a small table in one read and emits it in batches.
func whole[T any](find func(tx zhengzhao.ReadTx) ([]T, error)) func(context.Context, zhengzhao.Store, []string, func([]any) error) error {
	return func(ctx context.Context, src zhengzhao.Store, _ []string, emit func([]any) error) error {
		var rs []T
		if err := src.View(ctx, func(tx zhengzhao.ReadTx) (err error) { rs, err = find(tx); return err }); err != nil {
			return err
		}
		for len(rs) > 0 {
			n := min(len(rs), copyBatch)
			if err := emit(untyped(rs[:n])); err != nil {
				return err
			}
			rs = rs[n:]
		}
		return nil
	}
}

var readImportJobs = pagedTable(func(tx zhengzhao.ReadTx, p zhengzhao.Page) ([]*zhengzhao.ImportJob, string, error) {
	js, _, next, err := tx.FindImportJobs(zhengzhao.ImportJobFilter{Page: p})
	return js, next, err
})

// readImportProblems reads every job's report lines. FindImportProblems
// pages by row, and a row may have several lines: a full page is cut
// before its last row, which the next page then reads whole.
func readImportProblems(ctx context.Context, src zhengzhao.Store, units []string, emit func([]any) error) error {
	var jobs []string
	err := readImportJobs(ctx, src, units, func(batch []any) error {
		for _, j := range batch {
			jobs = append(jobs, j.(*zhengzhao.ImportJob).ID)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, job := range jobs {
		for after, limit := int64(-1), copyBatch; ; { // a header problem is row 0
			var ps []*zhengzhao.ImportProblem
			if err := src.View(ctx, func(tx zhengzhao.ReadTx) (err error) { ps, err = tx.FindImportProblems(job, after, limit); return err }); err != nil {
				return err
			}
			full := len(ps) == limit
			if full {
				last := ps[len(ps)-1].Row
				keep := len(ps)
				for keep > 0 && ps[keep-1].Row == last {
					keep--
				}
				if keep == 0 { // one row fills the page: read more at once
					limit *= 2
					continue
				}
				ps = ps[:keep]
			}
			for _, p := range ps {
				p.Job = job
			}
			if len(ps) > 0 {
				if err := emit(untyped(ps)); err != nil {
					return err
				}
				after = ps[len(ps)-1].Row
			}
			if !full {
				break
			}
		}
	}
	return nil
}

// each writes a batch record by record.
func each[T any](put func(tx zhengzhao.Tx, r T) error) func(zhengzhao.Tx, []any) error {
	return func(tx zhengzhao.Tx, batch []any) error {
		for _, r := range batch {
			if err := put(tx, r.(T)); err != nil {
				return err
			}
		}
		return nil
	}
}

func untyped[T any](rs []T) []any {
	out := make([]any, len(rs))
	for i, r := range rs {
		out[i] = r
	}
	return out
}

func typed[T any](batch []any) []T {
	out := make([]T, len(batch))
	for i, r := range batch {
		out[i] = r.(T)
	}
	return out
}

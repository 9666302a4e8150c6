package library_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/auditlog"
	"github.com/zhengzhao-project/zhengzhao/library"
	"github.com/zhengzhao-project/zhengzhao/sign"
	"github.com/zhengzhao-project/zhengzhao/sqlite"
)

// statsLicenses is how many licenses' worth of history
// BenchmarkSupervision fills the counters with. CI runs the default; the
// figure in docs/performance.md is for -stats.licenses=10000000.
var (
	statsLicenses = flag.Int("stats.licenses", 200_000, "licenses' worth of counter history for BenchmarkSupervision")
	statsDB       = flag.String("stats.db", "", "SQLite file for BenchmarkSupervision: reused when it exists (a fill takes ~30 min at 10M), filled and kept otherwise")
)

// statsHistory is the filled store of BenchmarkSupervision, shared by its
// sub-benchmarks.
type statsHistory struct {
	e       *env
	issuers []string
	fill    time.Duration
	rows    int
}

var (
	statsOnce sync.Once
	statsEnv  *statsHistory
)

// fillStats writes five years (2022–2026) of counters for n licenses
// straight through Tx.AddStats, as issuing them would: per issuing unit,
// type and day the issues and on-time issues, per using unit and type and
// day the uses and refusals, objections now and then, plus units, catalog
// types, contacts and open objections for the other figures. It does not
// issue or sign licenses: the benchmark measures the supervision queries,
// whose cost depends on the counters, not on the licenses table.
func fillStats(b *testing.B, n int) *statsHistory {
	var e *env
	if *statsDB != "" {
		_, err := os.Stat(*statsDB)
		reuse := err == nil
		e = newEnvAt(b, *statsDB)
		if reuse {
			h := &statsHistory{e: e}
			role := zhengzhao.RoleIssuer
			err := e.lib.Store().View(context.Background(), func(tx zhengzhao.ReadTx) error {
				us, _, _, err := tx.FindUnits(zhengzhao.UnitFilter{Role: &role, Page: zhengzhao.Page{Limit: zhengzhao.MaxPageLimit}})
				for _, u := range us {
					h.issuers = append(h.issuers, u.Code)
				}
				return err
			})
			if err != nil || len(h.issuers) == 0 {
				b.Fatalf("reuse %s: %d issuers, %v", *statsDB, len(h.issuers), err)
			}
			b.Logf("reusing the counters in %s (%d issuers)", *statsDB, len(h.issuers))
			return h
		}
	} else {
		e = newEnv(b)
	}
	h := &statsHistory{e: e}
	days := 1826
	start := time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC)
	nIssuers := max(1, n/50_000) // 10M licenses: 200 issuers
	const typesPer = 3
	nUsers := max(1, nIssuers/2)
	perDay := float64(n) / float64(days*nIssuers*typesPer)
	ctx := context.Background()
	code := func(kind string, i int) string {
		first := fmt.Sprintf("%s310000%09d", kind, i)
		c, _ := zhengzhao.USCCCheckChar(first)
		return first + string(c)
	}
	t0 := time.Now()
	err := e.lib.Store().Update(ctx, func(tx zhengzhao.Tx) error {
		for i := 0; i < nIssuers; i++ {
			u := code("11", i)
			h.issuers = append(h.issuers, u)
			if err := tx.CreateUnit(&zhengzhao.Unit{Code: u, Name: fmt.Sprintf("发证单位%03d", i), Roles: []zhengzhao.Role{zhengzhao.RoleIssuer},
				Region: "310000", SigningAlg: zhengzhao.AlgSM2SM3, CreatedAt: start}); err != nil {
				return err
			}
			for k := 0; k < typesPer; k++ {
				t := &zhengzhao.LicenseType{Code: fmt.Sprintf("%s%03d", u, k), Name: "证照", Definer: u, HolderKind: zhengzhao.HolderPerson,
					Level: zhengzhao.LevelMunicipal, Public: true, CollectSince: "2022-01-01", Issuers: []string{u}, Owner: u, CreatedAt: start,
					Fields: []zhengzhao.FieldSpec{{Key: "a", Label: "甲", Type: zhengzhao.FieldString}}}
				if err := tx.CreateLicenseType(t); err != nil {
					return err
				}
			}
			if i%3 != 0 {
				if err := tx.CreateUnitContact(&zhengzhao.UnitContact{ID: fmt.Sprintf("c%d", i), Unit: u, Name: "王小明", Title: "处长",
					Phone: "13812345678", CreatedAt: start}); err != nil {
					return err
				}
			}
			for j := 0; j < 5; j++ {
				if err := tx.CreateObjection(&zhengzhao.Objection{ID: fmt.Sprintf("o%d-%d", i, j), License: "L", LicenseBase: fmt.Sprintf("B%d-%d", i, j),
					Type: fmt.Sprintf("%s%03d", u, 0), Issuer: u, Filer: "unit:x", FiledBy: "unit:x", Fields: []string{"number"}, Reason: "r",
					Status: zhengzhao.ObjectionOpen, FiledAt: start, DueOn: "2026-0" + fmt.Sprint(1+j) + "-15"}); err != nil {
					return err
				}
			}
		}
		for i := 0; i < nUsers; i++ {
			if err := tx.CreateUnit(&zhengzhao.Unit{Code: code("12", i), Name: fmt.Sprintf("用证单位%03d", i), Roles: []zhengzhao.Role{zhengzhao.RoleUser},
				Region: "310000", CreatedAt: start}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	var batch []zhengzhao.StatDelta
	flush := func() {
		if err := e.lib.Store().Update(ctx, func(tx zhengzhao.Tx) error { return tx.AddStats(batch) }); err != nil {
			b.Fatal(err)
		}
		h.rows += len(batch)
		batch = batch[:0]
	}
	issued := 0
	for d := 0; d < days; d++ {
		day := start.AddDate(0, 0, d).Format(zhengzhao.DateLayout)
		for i, u := range h.issuers {
			for k := 0; k < typesPer; k++ {
				typ := fmt.Sprintf("%s%03d", u, k)
				c := int64(perDay*float64(d+1)) - int64(perDay*float64(d)) // spreads the fraction over the days
				if c == 0 {
					continue
				}
				issued += int(c)
				batch = append(batch,
					zhengzhao.StatDelta{Day: day, Unit: u, Type: typ, Metric: zhengzhao.MetricIssued, N: c, Sum: c / 3},
					zhengzhao.StatDelta{Day: day, Unit: u, Type: typ, Metric: zhengzhao.MetricIssuedOnTime, N: c - c/5})
				if (d+i+k)%7 == 0 {
					batch = append(batch, zhengzhao.StatDelta{Day: day, Unit: u, Type: typ, Metric: zhengzhao.MetricObjectionFiled, N: 1},
						zhengzhao.StatDelta{Day: day, Unit: u, Type: typ, Metric: zhengzhao.MetricObjectionAnswered, N: 1, Sum: int64(1 + d%12)})
				}
				uu := code("12", (i+k)%nUsers)
				batch = append(batch, zhengzhao.StatDelta{Day: day, Unit: uu, Type: typ, Metric: zhengzhao.MetricUsed, N: 2 * c})
				if (d+i)%11 == 0 {
					batch = append(batch, zhengzhao.StatDelta{Day: day, Unit: uu, Type: typ, Metric: zhengzhao.MetricRefused, N: 1})
				}
			}
		}
		if len(batch) > 20_000 {
			flush()
		}
	}
	flush()
	h.fill = time.Since(t0)
	b.Logf("filled counters for %d licenses (%d issuers × %d types, %d using units, %d days): %d deltas (each to a day, a month and a year counter) in %v",
		issued, nIssuers, typesPer, nUsers, days, h.rows, h.fill.Round(time.Second))
	return h
}

// BenchmarkSupervision measures the dashboard and report queries over
// counters filled for -stats.licenses licenses' worth of history and
// reports their p50 and p99 latency. Run the full size with
//
//	go test ./library/ -run '^$' -bench BenchmarkSupervision -benchtime 1x -stats.licenses 10000000 -timeout 60m
func BenchmarkSupervision(b *testing.B) {
	statsOnce.Do(func() { statsEnv = fillStats(b, *statsLicenses) })
	h := statsEnv
	if h == nil {
		b.Skip("fill failed")
	}
	admin := h.e.admin
	unit := h.issuers[len(h.issuers)/2]
	for _, q := range []struct {
		name string
		fn   func() error
	}{
		{"dashboard-all-units-year", func() error {
			_, err := h.e.lib.Supervision.Supervise(admin, zhengzhao.SupervisionFilter{From: "2026-01-01", To: "2026-12-31"})
			return err
		}},
		{"dashboard-all-units-odd-period", func() error {
			_, err := h.e.lib.Supervision.Supervise(admin, zhengzhao.SupervisionFilter{From: "2024-03-17", To: "2026-10-20"})
			return err
		}},
		{"dashboard-all-units-5-years", func() error {
			_, err := h.e.lib.Supervision.Supervise(admin, zhengzhao.SupervisionFilter{From: "2022-01-01", To: "2026-12-31"})
			return err
		}},
		{"one-unit-month", func() error {
			_, err := h.e.lib.Supervision.Supervise(admin, zhengzhao.SupervisionFilter{Unit: &unit, From: "2026-10-01", To: "2026-10-31"})
			return err
		}},
		{"annual-report", func() error {
			_, err := h.e.lib.Supervision.AnnualReport(admin, unit, 2025)
			return err
		}},
	} {
		b.Run(q.name, func(b *testing.B) {
			const samples = 50
			var lat []time.Duration
			for i := 0; i < b.N; i++ {
				lat = lat[:0]
				for range samples {
					t := time.Now()
					if err := q.fn(); err != nil {
						b.Fatal(err)
					}
					lat = append(lat, time.Since(t))
				}
			}
			slices.Sort(lat)
			ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
			b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
			b.ReportMetric(ms(lat[len(lat)*99/100]), "p99-ms")
			b.ReportMetric(float64(*statsLicenses), "licenses")
		})
	}
}

// newEnvAt is newEnv with the SQLite store at path (kept after the test).
func newEnvAt(tb testing.TB, path string) *env {
	tb.Helper()
	dir := tb.TempDir()
	store, err := sqlite.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { store.Close() })
	ca, _, err := sign.LoadOrCreateCA(dir, "Test", time.Now())
	if err != nil {
		tb.Fatal(err)
	}
	sealer, _, err := sign.LoadOrCreateMasterKey(filepath.Join(dir, "master.key"))
	if err != nil {
		tb.Fatal(err)
	}
	s, v, err := auditlog.LoadOrCreateLogKey(filepath.Join(dir, "log.key"), "test.local/audit")
	if err != nil {
		tb.Fatal(err)
	}
	lib, err := library.New(library.Config{Store: store, CA: ca, Sealer: sealer, LogSigner: s, LogVerifier: v})
	if err != nil {
		tb.Fatal(err)
	}
	return &env{lib: lib, admin: zhengzhao.NewContextWithActor(context.Background(), zhengzhao.Actor{Kind: zhengzhao.ActorAdmin}), dir: dir}
}

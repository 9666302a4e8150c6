package main

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/demo"
)

// benchMatter is the service matter the exemption benchmark asks about:
// three materials, two of them replaced by demo license types held by
// organisations, the third by a type organisations rarely hold.
const benchMatter = "ZZ-BENCH-001"

func newExemptionCommand() *cobra.Command {
	var (
		db, data string
		clients  int
		duration time.Duration
	)
	cmd := &cobra.Command{
		Use:   "exemption",
		Short: "Measure the material-exemption query (art. 14) over a loaded library, next to a raw holder lookup",
		Long: `Exemption opens a library filled by 'load' (same --db and --data), gives
the demo using unit a service matter whose three materials map to demo
license types, and asks, from --clients concurrent callers inside this
process, which materials random organisations from the library need not
hand in: the whole library path, with the use.exemption audit entry
committed for every query. In the same run it measures the raw floor: the
same holders' licenses read by holder_id straight from the database.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if data == "" {
				return fmt.Errorf("--data is required (the keys of the loaded library)")
			}
			lib, store, err := openLibrary(ctx, db, data)
			if err != nil {
				return err
			}
			defer store.Close()
			if _, err := ensureDemoUnits(ctx, lib); err != nil {
				return err
			}
			var user *zhengzhao.Unit
			for _, du := range demo.Units {
				if len(du.Roles) == 1 && du.Roles[0] == zhengzhao.RoleUser {
					sys := zhengzhao.NewContextWithActor(ctx, zhengzhao.Actor{Kind: zhengzhao.ActorSystem})
					if user, err = lib.Units.FindUnitByCode(sys, du.Code); err != nil {
						return err
					}
				}
			}
			if user == nil {
				return fmt.Errorf("the demo has no using unit")
			}
			uctx := zhengzhao.NewContextWithActor(ctx, zhengzhao.Actor{Kind: zhengzhao.ActorUnit, Unit: user})
			if err := ensureBenchMatter(uctx, lib.Use, user.Code); err != nil {
				return err
			}

			lookup, size, closeDB, err := openRaw(ctx, db, data)
			if err != nil {
				return err
			}
			defer closeDB()
			smp, err := lookup.sample(ctx, 20000)
			if err != nil {
				return err
			}
			var orgs []string
			for _, h := range smp.holders {
				if zhengzhao.ValidateUSCC(h) == nil {
					orgs = append(orgs, h)
				}
			}
			if len(orgs) == 0 {
				return fmt.Errorf("no organisation holds a license in the sample: load the library first")
			}
			n, _, _ := size(ctx)
			fmt.Printf("library of %d licenses; %d organisations sampled; %d callers; %s per run; GOMAXPROCS %d\n\n",
				n, len(orgs), clients, duration, runtime.GOMAXPROCS(0))

			raw := closedLoop("raw lookup by holder", clients, duration, func(w, i int) bool {
				return lookup.byHolder(ctx, orgs[(w*7919+i)%len(orgs)]) == nil
			})
			var exempted atomic.Int64
			ex := closedLoop("Exemption (library)", clients, duration, func(w, i int) bool {
				r := &zhengzhao.ExemptionRequest{Matter: benchMatter,
					Applicant: zhengzhao.HolderRef{IDType: "001", ID: orgs[(w*7919+i)%len(orgs)]},
					Context: zhengzhao.UseContext{Operator: "bench", MatterCode: benchMatter, MatterName: "企业开办（基准）",
						CaseNumber: fmt.Sprintf("BENCH-%d-%d", w, i)}}
				res, err := lib.Use.Exemption(uctx, r)
				if err == nil && slices.ContainsFunc(res.Materials, func(m zhengzhao.MaterialCoverage) bool { return m.Exempted }) {
					exempted.Add(1)
				}
				return err == nil
			})
			fmt.Println(raw)
			fmt.Println(ex)
			fmt.Printf("\n%d of %d answers exempted at least one material\n", exempted.Load(), ex.Requests)
			fmt.Printf("exemption p99 %.2f ms (target ≤ 20 ms); throughput %.0f%% of the raw holder lookup\n",
				ms(ex.P99), 100*ex.PerSecond/raw.PerSecond)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&db, "db", "", "PostgreSQL URL; empty: SQLite in --data")
	f.StringVar(&data, "data", "", "data directory of the loaded library")
	f.IntVar(&clients, "clients", 16, "concurrent callers")
	f.DurationVar(&duration, "duration", 20*time.Second, "length of each run")
	return cmd
}

// ensureBenchMatter creates the benchmark's matter and the using unit's
// usage list for it, once.
func ensureBenchMatter(ctx context.Context, lib interface {
	CreateMatter(context.Context, *zhengzhao.Matter) error
	PutUsageList(context.Context, *zhengzhao.UsageList) (*zhengzhao.UsageList, error)
}, unit string) error {
	m := &zhengzhao.Matter{Code: benchMatter, Name: "企业开办（基准）", Owner: unit, ApplicantKind: zhengzhao.HolderOrganization,
		Materials: []zhengzhao.Material{{Key: "biz", Name: "营业执照"}, {Key: "food", Name: "食品经营许可证"}, {Key: "safety", Name: "安全生产许可证"}}}
	if err := lib.CreateMatter(ctx, m); err != nil && zhengzhao.ErrorCode(err) != zhengzhao.ECONFLICT {
		return fmt.Errorf("create matter: %w", err)
	}
	code := func(name string) string {
		for _, t := range demo.Types {
			if t.Name == name {
				return t.Code
			}
		}
		panic("no demo type " + name)
	}
	_, err := lib.PutUsageList(ctx, &zhengzhao.UsageList{Unit: unit, Matter: benchMatter, Items: []zhengzhao.UsageItem{
		{Material: "biz", LicenseTypes: []string{code("营业执照")}},
		{Material: "food", LicenseTypes: []string{code("食品经营许可证")}},
		{Material: "safety", LicenseTypes: []string{code("建筑施工企业安全生产许可证")}},
	}})
	if err != nil {
		return fmt.Errorf("put usage list: %w", err)
	}
	return nil
}

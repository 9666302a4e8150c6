package demo_test

import (
	"context"
	"testing"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/demo"
	"github.com/zhengzhao-project/zhengzhao/internal/libtest"
	"github.com/zhengzhao-project/zhengzhao/library"
)

// openLibrary builds a real library on SQLite in a temporary directory,
// as serve does.
func openLibrary(t *testing.T) *library.Services { return libtest.Open(t).Services }

// TestLoadLooksLikeAMonth loads the demo and reads the supervision figures
// the dashboard shows: the imported back catalogue is not counted as
// issuing, and each issuing unit's on-time rate is the share of this
// month's licenses the demo dates on time (the applicant's food license,
// dated 2024, is the market regulator's one late license).
func TestLoadLooksLikeAMonth(t *testing.T) {
	lib := openLibrary(t)
	sys := zhengzhao.NewContextWithActor(context.Background(), zhengzhao.Actor{Kind: zhengzhao.ActorSystem})
	if _, err := demo.Load(sys, demo.Services{Units: lib.Units, Catalog: lib.Catalog, Licenses: lib.Licenses,
		Aggregation: lib.Aggregation, Supervision: lib.Supervision, Use: lib.Use}, demo.Options{}); err != nil {
		t.Fatal(err)
	}
	admin := zhengzhao.NewContextWithActor(context.Background(), zhengzhao.Actor{Kind: zhengzhao.ActorAdmin})
	rep, err := lib.Supervision.Supervise(admin, zhengzhao.SupervisionFilter{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		issued int64
		rate   float64
	}{
		"上海市市场监督管理局":      {25, 0.96},
		"上海市住房和城乡建设管理委员会": {12, 0.75},
		"上海市应急管理局":        {12, 1},
		"上海市公安局交通警察总队":    {12, 0.917},
		"上海市浦东新区民政局":      {12, 0.667},
	}
	for _, u := range rep.Units {
		w, ok := want[u.Unit.Name]
		if !ok {
			continue
		}
		if u.Issued != w.issued || u.OnTimeRate != w.rate {
			t.Errorf("%s: %d issued, on time %.3f; want %d, %.3f", u.Unit.Name, u.Issued, u.OnTimeRate, w.issued, w.rate)
		}
		delete(want, u.Unit.Name)
	}
	if len(want) > 0 {
		t.Errorf("no figures for %v", want)
	}
	// The back catalogue is in the library all the same.
	_, total, _, err := lib.Licenses.FindLicenses(admin, zhengzhao.LicenseFilter{Page: zhengzhao.Page{Limit: 1}})
	if err != nil || total < 300+73 {
		t.Fatalf("%d licenses in the library (%v), want the 300 of the back catalogue and this month's", total, err)
	}
}

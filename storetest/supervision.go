package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
)

// supervisionTests pin down the stores' SupervisionReadTx and SupervisionTx.
var supervisionTests = []test{
	{"ObjectionRoundTrip", testObjectionRoundTrip},
	{"ObjectionFilters", testObjectionFilters},
	{"ObjectionMissing", testObjectionMissing},
	{"Notices", testNotices},
	{"Contacts", testContacts},
	{"StatsAddAndSum", testStatsAddAndSum},
	{"StatsGroupAndFilter", testStatsGroupAndFilter},
	{"StatsLargeBatch", testStatsLargeBatch},
	{"SampleLicenses", testSampleLicenses},
	{"SampleUses", testSampleUses},
	{"RandomChecks", testRandomChecks},
}

// newObjection returns the nth objection against license base b.
func newObjection(n int, base, filer string) *zhengzhao.Objection {
	return &zhengzhao.Objection{
		ID: fmt.Sprintf("obj-%03d", n), License: base + ".001.X", LicenseBase: base, Type: typeCode(1, 1), Issuer: uscc(1),
		Filer: filer, FiledBy: filer, Fields: []string{"fields.business_scope", "holder.name"},
		Reason: "经营项目与纸质证照不符 <&>", Status: zhengzhao.ObjectionOpen, FiledAt: at(time.Duration(n) * time.Minute),
		DueOn: "2026-06-03",
		Attachments: []zhengzhao.Attachment{{Name: "纸质证照扫描件.pdf", MediaType: "application/pdf", Size: 123456,
			SHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}},
	}
}

func testObjectionRoundTrip(t *testing.T, s zhengzhao.Store) {
	o := newObjection(1, "b1", "holder:111:110101199003077777")
	update(t, s, func(tx zhengzhao.Tx) error { return tx.CreateObjection(o) })
	view(t, s, func(tx zhengzhao.ReadTx) error {
		got, err := tx.FindObjectionByID(o.ID)
		if err != nil {
			t.Fatal(err)
		}
		if d := diff(o, got); d != "" {
			t.Errorf("FindObjectionByID (-want +got):\n%s", d)
		}
		return nil
	})
	update(t, s, func(tx zhengzhao.Tx) error {
		wantCode(t, tx.CreateObjection(newObjection(1, "b9", "unit:x")), zhengzhao.ECONFLICT)
		return nil
	})

	answered := at(time.Hour)
	o.Status, o.AnsweredAt, o.AnsweredBy, o.Answer, o.Correction = zhengzhao.ObjectionCorrected, &answered, "unit:"+uscc(1), "已更正", "b1.002.Y"
	update(t, s, func(tx zhengzhao.Tx) error { return tx.UpdateObjection(o) })
	view(t, s, func(tx zhengzhao.ReadTx) error {
		got, err := tx.FindObjectionByID(o.ID)
		if err != nil {
			t.Fatal(err)
		}
		if d := diff(o, got); d != "" {
			t.Errorf("after UpdateObjection (-want +got):\n%s", d)
		}
		return nil
	})
}

func testObjectionFilters(t *testing.T, s zhengzhao.Store) {
	update(t, s, func(tx zhengzhao.Tx) error {
		for i := 1; i <= 5; i++ {
			o := newObjection(i, fmt.Sprintf("b%d", i%2), fmt.Sprintf("unit:%d", i%3))
			if i == 5 {
				o.Issuer = uscc(2)
			}
			if i == 4 {
				o.DueOn = "2026-07-01"
			}
			if i == 3 {
				o.Status = zhengzhao.ObjectionRejected
			}
			if err := tx.CreateObjection(o); err != nil {
				return err
			}
		}
		return nil
	})
	ids := func(os []*zhengzhao.Objection) []string {
		var out []string
		for _, o := range os {
			out = append(out, o.ID)
		}
		return out
	}
	open := zhengzhao.ObjectionOpen
	for _, tc := range []struct {
		name string
		f    zhengzhao.ObjectionFilter
		want []string
	}{
		{"all", zhengzhao.ObjectionFilter{}, []string{"obj-001", "obj-002", "obj-003", "obj-004", "obj-005"}},
		{"issuer", zhengzhao.ObjectionFilter{Issuer: ptr(uscc(2))}, []string{"obj-005"}},
		{"filer", zhengzhao.ObjectionFilter{Filer: ptr("unit:1")}, []string{"obj-001", "obj-004"}},
		{"base", zhengzhao.ObjectionFilter{LicenseBase: ptr("b0")}, []string{"obj-002", "obj-004"}},
		{"open", zhengzhao.ObjectionFilter{Status: &open}, []string{"obj-001", "obj-002", "obj-004", "obj-005"}},
		{"overdue", zhengzhao.ObjectionFilter{Status: &open, DueBefore: ptr("2026-06-10")}, []string{"obj-001", "obj-002", "obj-005"}},
	} {
		view(t, s, func(tx zhengzhao.ReadTx) error {
			got, n, _, err := tx.FindObjections(tc.f)
			if err != nil {
				t.Fatal(err)
			}
			if d := diff(tc.want, ids(got)); d != "" || n != len(tc.want) {
				t.Errorf("%s: total %d (-want +got):\n%s", tc.name, n, d)
			}
			return nil
		})
	}
	view(t, s, func(tx zhengzhao.ReadTx) error {
		page, n, next, err := tx.FindObjections(zhengzhao.ObjectionFilter{Page: zhengzhao.Page{Limit: 2}})
		if err != nil || n != 5 || next == "" || len(page) != 2 {
			t.Fatalf("first page: %d items, total %d, next %q, %v", len(page), n, next, err)
		}
		rest, _, next, err := tx.FindObjections(zhengzhao.ObjectionFilter{Page: zhengzhao.Page{Limit: 10, Cursor: next}})
		if err != nil || next != "" || len(rest) != 3 || rest[0].ID != "obj-003" {
			t.Fatalf("second page: %v, next %q, %v", ids(rest), next, err)
		}
		counts, err := tx.CountOpenObjections("2026-06-10")
		if err != nil {
			t.Fatal(err)
		}
		want := []zhengzhao.ObjectionCount{{Issuer: uscc(1), Open: 3, Overdue: 2}, {Issuer: uscc(2), Open: 1, Overdue: 1}}
		if d := diff(want, counts); d != "" {
			t.Errorf("CountOpenObjections (-want +got):\n%s", d)
		}
		return nil
	})
}

func testObjectionMissing(t *testing.T, s zhengzhao.Store) {
	update(t, s, func(tx zhengzhao.Tx) error {
		_, err := tx.FindObjectionByID("nope")
		wantCode(t, err, zhengzhao.ENOTFOUND)
		wantCode(t, tx.UpdateObjection(newObjection(9, "b", "f")), zhengzhao.ENOTFOUND)
		return nil
	})
}

func testNotices(t *testing.T, s zhengzhao.Store) {
	a := &zhengzhao.Notice{ID: "n1", Recipient: "unit:a", Kind: zhengzhao.NoticeObjectionFiled, Objection: "obj-1", License: "l1",
		Message: "收到异议", CreatedAt: at(0)}
	b := &zhengzhao.Notice{ID: "n2", Recipient: "holder:111:x", Kind: zhengzhao.NoticeObjectionAnswered, Objection: "obj-1",
		Message: "已处理", CreatedAt: at(time.Second)}
	c := &zhengzhao.Notice{ID: "n3", Recipient: "unit:a", Kind: zhengzhao.NoticeObjectionFiled, Message: "m", CreatedAt: at(2 * time.Second)}
	update(t, s, func(tx zhengzhao.Tx) error {
		for _, n := range []*zhengzhao.Notice{a, b, c} {
			if err := tx.CreateNotice(n); err != nil {
				return err
			}
		}
		wantCode(t, tx.CreateNotice(a), zhengzhao.ECONFLICT)
		return nil
	})
	update(t, s, func(tx zhengzhao.Tx) error {
		_, err := tx.MarkNoticeRead("n1", "unit:b", at(time.Hour))
		wantCode(t, err, zhengzhao.ENOTFOUND)
		got, err := tx.MarkNoticeRead("n1", "unit:a", at(time.Hour))
		if err != nil || got.ReadAt == nil || !got.ReadAt.Equal(at(time.Hour)) {
			t.Fatalf("MarkNoticeRead = %+v, %v", got, err)
		}
		got, err = tx.MarkNoticeRead("n1", "unit:a", at(2*time.Hour))
		if err != nil || !got.ReadAt.Equal(at(time.Hour)) {
			t.Fatalf("second MarkNoticeRead changed the read time: %+v, %v", got, err)
		}
		return nil
	})
	view(t, s, func(tx zhengzhao.ReadTx) error {
		all, n, _, err := tx.FindNotices(zhengzhao.NoticeFilter{Recipient: "unit:a"})
		if err != nil || n != 2 || all[0].ID != "n1" || all[1].ID != "n3" {
			t.Fatalf("FindNotices = %d, %v", n, err)
		}
		read := at(time.Hour)
		want := *a
		want.ReadAt = &read
		if d := diff(&want, all[0]); d != "" {
			t.Errorf("notice (-want +got):\n%s", d)
		}
		unread, n, _, err := tx.FindNotices(zhengzhao.NoticeFilter{Recipient: "unit:a", UnreadOnly: true})
		if err != nil || n != 1 || unread[0].ID != "n3" {
			t.Fatalf("unread = %d, %v", n, err)
		}
		return nil
	})
}

func testContacts(t *testing.T, s zhengzhao.Store) {
	update(t, s, func(tx zhengzhao.Tx) error {
		for i := 1; i <= 3; i++ {
			if err := tx.CreateUnit(newUnit(i)); err != nil {
				return err
			}
		}
		return nil
	})
	c1 := &zhengzhao.UnitContact{ID: "c1", Unit: uscc(1), Name: "王小明", Title: "处长", Phone: "13812345678", Email: "wang@example.gov.cn", CreatedAt: at(0)}
	c2 := &zhengzhao.UnitContact{ID: "c2", Unit: uscc(1), Name: "李四", Title: "科员", Phone: "021-12345678", CreatedAt: at(time.Second)}
	c3 := &zhengzhao.UnitContact{ID: "c3", Unit: uscc(3), Name: "赵六", Title: "主任", Email: "zhao@example.gov.cn", CreatedAt: at(time.Second)}
	update(t, s, func(tx zhengzhao.Tx) error {
		for _, c := range []*zhengzhao.UnitContact{c1, c2, c3} {
			if err := tx.CreateUnitContact(c); err != nil {
				return err
			}
		}
		wantCode(t, tx.CreateUnitContact(c1), zhengzhao.ECONFLICT)
		missing := *c1
		missing.ID, missing.Unit = "c9", uscc(9)
		wantCode(t, tx.CreateUnitContact(&missing), zhengzhao.ENOTFOUND)
		return nil
	})
	view(t, s, func(tx zhengzhao.ReadTx) error {
		cs, err := tx.FindUnitContacts(uscc(1))
		if err != nil {
			t.Fatal(err)
		}
		if d := diff([]*zhengzhao.UnitContact{c1, c2}, cs); d != "" {
			t.Errorf("FindUnitContacts (-want +got):\n%s", d)
		}
		got, err := tx.FindUnitContactByID("c3")
		if err != nil || got.Name != "赵六" {
			t.Errorf("FindUnitContactByID = %+v, %v", got, err)
		}
		_, err = tx.FindUnitContactByID("c9")
		wantCode(t, err, zhengzhao.ENOTFOUND)
		counts, err := tx.CountUnitContacts()
		if d := diff(map[string]int{uscc(1): 2, uscc(3): 1}, counts); d != "" || err != nil {
			t.Errorf("CountUnitContacts (-want +got): %v\n%s", err, d)
		}
		us, n, _, err := tx.FindUnitsWithoutContacts(zhengzhao.Page{})
		if err != nil || n != 1 || us[0].Code != uscc(2) {
			t.Errorf("FindUnitsWithoutContacts = %d, %v", n, err)
		}
		return nil
	})
	update(t, s, func(tx zhengzhao.Tx) error {
		wantCode(t, tx.DeleteUnitContact(uscc(2), "c3"), zhengzhao.ENOTFOUND)
		return tx.DeleteUnitContact(uscc(3), "c3")
	})
	view(t, s, func(tx zhengzhao.ReadTx) error {
		us, n, _, err := tx.FindUnitsWithoutContacts(zhengzhao.Page{})
		if err != nil || n != 2 || us[0].Code != uscc(2) || us[1].Code != uscc(3) {
			t.Errorf("FindUnitsWithoutContacts after delete = %d, %v", n, err)
		}
		return nil
	})
}

func testStatsAddAndSum(t *testing.T, s zhengzhao.Store) {
	u := uscc(1)
	update(t, s, func(tx zhengzhao.Tx) error {
		return tx.AddStats([]zhengzhao.StatDelta{
			{Day: "2026-05-30", Unit: u, Type: "T1", Metric: zhengzhao.MetricIssued, N: 1, Sum: 2},
			{Day: "2026-05-30", Unit: u, Type: "T1", Metric: zhengzhao.MetricIssued, N: 1, Sum: 0}, // same counter twice
			{Day: "2026-05-31", Unit: u, Type: "T1", Metric: zhengzhao.MetricIssued, N: 1, Sum: 5},
			{Day: "2026-06-01", Unit: u, Type: "T1", Metric: zhengzhao.MetricIssued, N: 1, Sum: 1},
		})
	})
	update(t, s, func(tx zhengzhao.Tx) error {
		return tx.AddStats([]zhengzhao.StatDelta{{Day: "2026-05-30", Unit: u, Type: "T1", Metric: zhengzhao.MetricIssued, N: 3, Sum: 3}})
	})
	sum := func(r ...zhengzhao.StatRange) []zhengzhao.StatSum {
		var out []zhengzhao.StatSum
		view(t, s, func(tx zhengzhao.ReadTx) (err error) {
			out, err = tx.SumStats(zhengzhao.StatFilter{Ranges: r, GroupBy: []string{zhengzhao.StatByUnit}})
			return err
		})
		return out
	}
	for _, tc := range []struct {
		name   string
		ranges []zhengzhao.StatRange
		n, sum int64
	}{
		{"one day", []zhengzhao.StatRange{{Granularity: zhengzhao.StatDaily, From: "2026-05-30", To: "2026-05-30"}}, 5, 5},
		{"days", []zhengzhao.StatRange{{Granularity: zhengzhao.StatDaily, From: "2026-05-30", To: "2026-06-01"}}, 7, 11},
		{"month", []zhengzhao.StatRange{{Granularity: zhengzhao.StatMonthly, From: "2026-05", To: "2026-05"}}, 6, 10},
		{"months", []zhengzhao.StatRange{{Granularity: zhengzhao.StatMonthly, From: "2026-01", To: "2026-12"}}, 7, 11},
		{"month and days", []zhengzhao.StatRange{{Granularity: zhengzhao.StatMonthly, From: "2026-05", To: "2026-05"},
			{Granularity: zhengzhao.StatDaily, From: "2026-06-01", To: "2026-06-30"}}, 7, 11},
		{"year", []zhengzhao.StatRange{{Granularity: zhengzhao.StatYearly, From: "2026", To: "2026"}}, 7, 11},
		{"years", []zhengzhao.StatRange{{Granularity: zhengzhao.StatYearly, From: "0000", To: "9999"}}, 7, 11},
		{"days, month and year", []zhengzhao.StatRange{{Granularity: zhengzhao.StatDaily, From: "2025-12-30", To: "2025-12-31"},
			{Granularity: zhengzhao.StatYearly, From: "2026", To: "2026"}, {Granularity: zhengzhao.StatMonthly, From: "2027-01", To: "2027-01"}}, 7, 11},
	} {
		got := sum(tc.ranges...)
		want := []zhengzhao.StatSum{{Unit: u, Metric: zhengzhao.MetricIssued, N: tc.n, Sum: tc.sum}}
		if d := diff(want, got); d != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, d)
		}
	}
	if got := sum(zhengzhao.StatRange{Granularity: zhengzhao.StatDaily, From: "2025-01-01", To: "2025-12-31"}); len(got) != 0 {
		t.Errorf("empty range: %v", got)
	}
	update(t, s, func(tx zhengzhao.Tx) error {
		wantCode(t, tx.AddStats([]zhengzhao.StatDelta{{Day: "2026-5-1", Unit: u, Metric: "x", N: 1}}), zhengzhao.EINVALID)
		return nil
	})
}

func testStatsGroupAndFilter(t *testing.T, s zhengzhao.Store) {
	a, b := uscc(1), uscc(2)
	update(t, s, func(tx zhengzhao.Tx) error {
		return tx.AddStats([]zhengzhao.StatDelta{
			{Day: "2026-05-01", Unit: a, Type: "T1", Metric: zhengzhao.MetricIssued, N: 2},
			{Day: "2026-05-02", Unit: a, Type: "T2", Metric: zhengzhao.MetricIssued, N: 3},
			{Day: "2026-05-02", Unit: a, Type: "T2", Metric: zhengzhao.MetricUsed, N: 7},
			{Day: "2026-06-02", Unit: b, Type: "T1", Metric: zhengzhao.MetricUsed, N: 4},
		})
	})
	year := []zhengzhao.StatRange{{Granularity: zhengzhao.StatMonthly, From: "2026-01", To: "2026-12"}}
	for _, tc := range []struct {
		name string
		f    zhengzhao.StatFilter
		want []zhengzhao.StatSum
	}{
		{"by unit", zhengzhao.StatFilter{Ranges: year, GroupBy: []string{zhengzhao.StatByUnit}}, []zhengzhao.StatSum{
			{Unit: a, Metric: zhengzhao.MetricIssued, N: 5}, {Unit: a, Metric: zhengzhao.MetricUsed, N: 7}, {Unit: b, Metric: zhengzhao.MetricUsed, N: 4}}},
		{"monthly counters keep no type", zhengzhao.StatFilter{Unit: &a, Ranges: year, GroupBy: []string{zhengzhao.StatByType}}, []zhengzhao.StatSum{
			{Metric: zhengzhao.MetricIssued, N: 5}, {Metric: zhengzhao.MetricUsed, N: 7}}},
		{"daily counters keep no type", zhengzhao.StatFilter{Unit: &a, Ranges: []zhengzhao.StatRange{{Granularity: zhengzhao.StatDaily, From: "2026-05-01", To: "2026-05-31"}},
			GroupBy: []string{zhengzhao.StatByType}}, []zhengzhao.StatSum{{Metric: zhengzhao.MetricIssued, N: 5}, {Metric: zhengzhao.MetricUsed, N: 7}}},
		{"yearly by type", zhengzhao.StatFilter{Unit: &a, Ranges: []zhengzhao.StatRange{{Granularity: zhengzhao.StatYearly, From: "2026", To: "2026"}},
			GroupBy: []string{zhengzhao.StatByType}, Metrics: []string{zhengzhao.MetricIssued}}, []zhengzhao.StatSum{
			{Type: "T1", Metric: zhengzhao.MetricIssued, N: 2}, {Type: "T2", Metric: zhengzhao.MetricIssued, N: 3}}},
		{"by period, metric filter", zhengzhao.StatFilter{Metrics: []string{zhengzhao.MetricUsed}, Ranges: year, GroupBy: []string{zhengzhao.StatByPeriod}},
			[]zhengzhao.StatSum{{Period: "2026-05", Metric: zhengzhao.MetricUsed, N: 7}, {Period: "2026-06", Metric: zhengzhao.MetricUsed, N: 4}}},
		{"by day", zhengzhao.StatFilter{Unit: &a, Metrics: []string{zhengzhao.MetricIssued},
			Ranges: []zhengzhao.StatRange{{Granularity: zhengzhao.StatDaily, From: "2026-05-01", To: "2026-05-31"}}, GroupBy: []string{zhengzhao.StatByPeriod}},
			[]zhengzhao.StatSum{{Period: "2026-05-01", Metric: zhengzhao.MetricIssued, N: 2}, {Period: "2026-05-02", Metric: zhengzhao.MetricIssued, N: 3}}},
		{"no grouping", zhengzhao.StatFilter{Ranges: year}, []zhengzhao.StatSum{
			{Metric: zhengzhao.MetricIssued, N: 5}, {Metric: zhengzhao.MetricUsed, N: 11}}},
	} {
		view(t, s, func(tx zhengzhao.ReadTx) error {
			got, err := tx.SumStats(tc.f)
			if err != nil {
				t.Fatal(err)
			}
			if d := diff(tc.want, got); d != "" {
				t.Errorf("%s (-want +got):\n%s", tc.name, d)
			}
			return nil
		})
	}
	view(t, s, func(tx zhengzhao.ReadTx) error {
		_, err := tx.SumStats(zhengzhao.StatFilter{Ranges: year, GroupBy: []string{"n; DROP TABLE stats"}})
		wantCode(t, err, zhengzhao.EINVALID)
		return nil
	})
}

// licensesOf stores n licenses of issuer unit 1, interleaved with
// licenses of unit 2, and returns unit 1's IDs.
func licensesOf(t *testing.T, s zhengzhao.Store, n int) []string {
	var want []string
	update(t, s, func(tx zhengzhao.Tx) error {
		for _, u := range []int{1, 2} {
			if err := tx.CreateUnit(newUnit(u)); err != nil {
				return err
			}
		}
		if err := tx.CreateLicenseType(newLicenseType(typeCode(1, 1))); err != nil {
			return err
		}
		for i := 0; i < 2*n; i++ {
			issuer := uscc(1 + i%2)
			l := newLicense(typeCode(1, 1), issuer, fmt.Sprintf("S%04d", i), 1, uscc(50))
			if err := tx.CreateLicense(l); err != nil {
				return err
			}
			if i%2 == 0 {
				want = append(want, l.ID)
			}
		}
		return nil
	})
	return want
}

func testSampleLicenses(t *testing.T, s zhengzhao.Store) {
	want := licensesOf(t, s, 20)
	view(t, s, func(tx zhengzhao.ReadTx) error {
		got, err := tx.SampleLicenses(uscc(1), []float64{0, 0, 0.5, 0.999, 1.5})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 || got[0].ID != want[0] || got[2].ID != want[len(want)-1] {
			t.Fatalf("SampleLicenses: %v, want the first, one in the middle and the last of %v", ids(got), want)
		}
		for _, l := range got {
			if l.Issuer.Code != uscc(1) {
				t.Errorf("sampled %s of another issuer", l.ID)
			}
		}
		none, err := tx.SampleLicenses(uscc(7), []float64{0.5})
		if err != nil || len(none) != 0 {
			t.Errorf("SampleLicenses of an issuer without licenses = %v, %v", none, err)
		}
		return nil
	})
}

func testSampleUses(t *testing.T, s zhengzhao.Store) {
	update(t, s, func(tx zhengzhao.Tx) error {
		for i := 0; i < 30; i++ {
			e := &zhengzhao.AuditEntry{Actor: fmt.Sprintf("unit:%d", i%3), Action: zhengzhao.ActionLicenseRead, License: fmt.Sprintf("L%d", i)}
			if i%5 == 0 {
				e.Action = zhengzhao.ActionLicenseIssue
			}
			if err := tx.AppendAudit(e); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, s, func(tx zhengzhao.ReadTx) error {
		got, err := tx.SampleUses("unit:1", []float64{0, 0.3, 0.3, 0.99})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 {
			t.Fatalf("SampleUses: %d entries, want 3", len(got))
		}
		for _, e := range got {
			if e.Actor != "unit:1" || e.Action != zhengzhao.ActionLicenseRead {
				t.Errorf("sampled %+v", e)
			}
		}
		if got[0].Index != 1 || got[2].Index != 28 {
			t.Errorf("first and last sampled %d and %d, want 1 and 28", got[0].Index, got[2].Index)
		}
		return nil
	})
}

func testRandomChecks(t *testing.T, s zhengzhao.Store) {
	idx := int64(7)
	c := &zhengzhao.RandomCheck{ID: "chk-1", Unit: uscc(1), Kind: zhengzhao.CheckUses, CreatedAt: at(0), CreatedBy: "admin",
		Items: []zhengzhao.CheckItem{{License: "L1", AuditIndex: &idx}, {License: "L2"}}}
	c2 := &zhengzhao.RandomCheck{ID: "chk-2", Unit: uscc(2), Kind: zhengzhao.CheckLicenses, CreatedAt: at(time.Second), CreatedBy: "admin",
		Items: []zhengzhao.CheckItem{{License: "L3"}}}
	update(t, s, func(tx zhengzhao.Tx) error {
		if err := tx.CreateRandomCheck(c); err != nil {
			return err
		}
		if err := tx.CreateRandomCheck(c2); err != nil {
			return err
		}
		wantCode(t, tx.CreateRandomCheck(c), zhengzhao.ECONFLICT)
		return nil
	})
	reviewed := at(time.Hour)
	c.Items[1].Outcome, c.Items[1].Note, c.Items[1].ReviewedAt, c.Items[1].ReviewedBy = zhengzhao.OutcomeFail, "未按用证清单使用", &reviewed, "admin"
	c.Tally()
	update(t, s, func(tx zhengzhao.Tx) error {
		wantCode(t, tx.UpdateRandomCheck(&zhengzhao.RandomCheck{ID: "nope"}), zhengzhao.ENOTFOUND)
		return tx.UpdateRandomCheck(c)
	})
	view(t, s, func(tx zhengzhao.ReadTx) error {
		got, err := tx.FindRandomCheckByID("chk-1")
		if err != nil {
			t.Fatal(err)
		}
		if d := diff(c, got); d != "" {
			t.Errorf("FindRandomCheckByID (-want +got):\n%s", d)
		}
		if got.Reviewed != 1 || got.Failed != 1 {
			t.Errorf("tally %d/%d, want 1/1", got.Reviewed, got.Failed)
		}
		_, err = tx.FindRandomCheckByID("nope")
		wantCode(t, err, zhengzhao.ENOTFOUND)
		list, n, _, err := tx.FindRandomChecks(zhengzhao.RandomCheckFilter{Unit: ptr(uscc(2))})
		if err != nil || n != 1 || list[0].ID != "chk-2" {
			t.Errorf("FindRandomChecks(unit 2) = %d, %v", n, err)
		}
		_, n, _, err = tx.FindRandomChecks(zhengzhao.RandomCheckFilter{})
		if err != nil || n != 2 {
			t.Errorf("FindRandomChecks() total %d, %v", n, err)
		}
		return nil
	})
}

// testStatsLargeBatch adds more counters in one call than one SQLite
// statement may bind (32,766 variables at 7 a row): the store splits it.
func testStatsLargeBatch(t *testing.T, s zhengzhao.Store) {
	u := uscc(1)
	var ds []zhengzhao.StatDelta
	for i := range 6000 {
		ds = append(ds, zhengzhao.StatDelta{Day: "2026-05-01", Unit: u, Type: fmt.Sprintf("T%05d", i), Metric: zhengzhao.MetricIssued, N: 1})
	}
	update(t, s, func(tx zhengzhao.Tx) error { return tx.AddStats(ds) })
	view(t, s, func(tx zhengzhao.ReadTx) error {
		got, err := tx.SumStats(zhengzhao.StatFilter{Unit: &u, Ranges: []zhengzhao.StatRange{{Granularity: zhengzhao.StatYearly, From: "2026", To: "2026"}},
			GroupBy: []string{zhengzhao.StatByType}})
		if err != nil {
			return err
		}
		if len(got) != 6000 {
			t.Errorf("yearly counters by type = %d, want 6000", len(got))
		}
		return nil
	})
}

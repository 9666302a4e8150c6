package library_test

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/auditlog"
	"github.com/zhengzhao-project/zhengzhao/calendar"
	"github.com/zhengzhao-project/zhengzhao/library"
	"github.com/zhengzhao-project/zhengzhao/sign"
)

// bj is Beijing time.
var bj = zhengzhao.ChinaTime

// TestCatchUpDeadline checks the art. 11 deadline — 24:00 Beijing time of
// the 3rd working day after an outage's end — around the real holidays
// and make-up working days of 2025 and 2026.
func TestCatchUpDeadline(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		e := newEnv(t)
		at := func(s string) time.Time {
			tm, err := time.ParseInLocation("2006-01-02 15:04", s, bj)
			if err != nil {
				t.Fatal(err)
			}
			return tm
		}
		for _, c := range []struct {
			name, end, deadline string // deadline: the last day, ending at 24:00
		}{
			{"ordinary week", "2026-03-10 09:00", "2026-03-13"},
			{"over a weekend", "2026-03-12 17:00", "2026-03-17"},
			{"2026 New Year, make-up Sunday 01-04", "2025-12-31 18:00", "2026-01-06"},
			{"before the 2026 Spring Festival, make-up Saturday 02-14", "2026-02-12 10:00", "2026-02-24"},
			{"UTC evening is the next Beijing day", "2026-02-12 23:30", "2026-02-25"},
			{"after the 2026 Spring Festival, make-up Saturday 02-28", "2026-02-25 08:00", "2026-02-28"},
			{"before 2026 Labour Day", "2026-04-30 16:00", "2026-05-08"},
			{"make-up Saturday 2026-05-09", "2026-05-06 12:00", "2026-05-09"},
			{"make-up Sunday 2026-09-20", "2026-09-18 20:00", "2026-09-22"},
			{"before 2026 National Day, make-up Saturday 10-10", "2026-09-30 18:00", "2026-10-10"},
			{"before the 2025 Spring Festival, make-up Sunday 01-26", "2025-01-24 15:00", "2025-02-05"},
			{"make-up Saturday 2025-02-08", "2025-02-05 09:00", "2025-02-08"},
			{"make-up Sunday 2025-09-28", "2025-09-26 11:00", "2025-09-30"},
			{"2025 National Day and Mid-Autumn, make-up Saturday 10-11", "2025-09-30 22:00", "2025-10-11"},
		} {
			t.Run(c.name, func(t *testing.T) {
				end := at(c.end)
				if c.name == "UTC evening is the next Beijing day" {
					end = time.Date(2026, 2, 12, 23, 30, 0, 0, time.UTC) // 07:30 on 02-13 in Beijing
				}
				got := e.lib.Aggregation.CatchUpDeadline(end)
				last, _ := time.ParseInLocation(time.DateOnly, c.deadline, bj)
				want := last.AddDate(0, 0, 1)
				if !got.Equal(want) {
					t.Fatalf("deadline %s, want %s (end of %s)", got.In(bj).Format(time.DateTime), want.Format(time.DateTime), c.deadline)
				}
				// Cross-check with the calendar: the last day is a working day
				// and exactly three working days follow the end's date.
				if !calendar.IsWorkday(last) || calendar.WorkdaysBetween(end.In(bj), last) != zhengzhao.CatchUpWorkdays {
					t.Fatalf("calendar disagrees: workday %v, between %d", calendar.IsWorkday(last), calendar.WorkdaysBetween(end.In(bj), last))
				}
			})
		}
	})
}

// TestCatchUpDeadlineWithCorrections: a correction file moves a deadline.
func TestCatchUpDeadlineWithCorrections(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		e := newEnv(t)
		cal := &calendar.Calendar{Overrides: map[string]bool{"2026-03-11": false, "2026-03-14": true}}
		lib := e.withCalendar(t, cal)
		end := time.Date(2026, 3, 10, 9, 0, 0, 0, bj)
		// 03-11 off, 03-12, 03-13, 03-14 (Saturday, made a working day).
		if got, want := lib.Aggregation.CatchUpDeadline(end), time.Date(2026, 3, 15, 0, 0, 0, 0, bj); !got.Equal(want) {
			t.Fatalf("deadline %s, want %s", got.In(bj), want)
		}
	})
}

func TestOutageLifecycle(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		e := newImportEnv(t)
		other := e.unit(t, codeB, zhengzhao.AlgSM2SM3, zhengzhao.RoleIssuer)
		start := time.Date(2026, 9, 30, 8, 0, 0, 0, bj)
		o := &zhengzhao.Outage{Start: start, Reason: "机房断电"}
		if err := e.lib.Aggregation.RecordOutage(e.issuer, o); err != nil {
			t.Fatal(err)
		}
		if o.Issuer != codeA || o.Deadline != nil || o.Late {
			t.Fatalf("open outage: %+v", o)
		}
		if _, err := e.lib.Aggregation.CatchUpOutage(e.issuer, o.ID); zhengzhao.ErrorCode(err) != zhengzhao.ECONFLICT {
			t.Fatalf("catch up before the end: %v", err)
		}
		if _, err := e.lib.Aggregation.EndOutage(other, o.ID, start.Add(time.Hour)); zhengzhao.ErrorCode(err) != zhengzhao.ENOTFOUND {
			t.Fatalf("another issuer ends it: %v", err)
		}
		if _, err := e.lib.Aggregation.EndOutage(e.issuer, o.ID, start.Add(-time.Hour)); zhengzhao.ErrorCode(err) != zhengzhao.EINVALID {
			t.Fatalf("end before start: %v", err)
		}
		ended, err := e.lib.Aggregation.EndOutage(e.issuer, o.ID, start.Add(10*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if want := time.Date(2026, 10, 11, 0, 0, 0, 0, bj); !ended.Deadline.Equal(want) || !ended.Late {
			t.Fatalf("ended: deadline %s late %v", ended.Deadline.In(bj), ended.Late)
		}
		if _, err := e.lib.Aggregation.EndOutage(e.issuer, o.ID, start.Add(11*time.Hour)); zhengzhao.ErrorCode(err) != zhengzhao.ECONFLICT {
			t.Fatalf("end twice: %v", err)
		}
		// A second outage, caught up in time (it ends now, by the clock).
		now := time.Now()
		fresh := &zhengzhao.Outage{Issuer: codeB, Start: now.Add(-2 * time.Hour), End: &now, Reason: "网络中断"}
		if err := e.lib.Aggregation.RecordOutage(e.admin, fresh); err != nil {
			t.Fatal(err)
		}
		if fresh.Deadline == nil || !fresh.Deadline.After(now) || fresh.Late {
			t.Fatalf("fresh outage: %+v", fresh)
		}
		if c, err := e.lib.Aggregation.CatchUpOutage(other, fresh.ID); err != nil || c.Late || c.CaughtUpAt == nil {
			t.Fatalf("catch up: %+v %v", c, err)
		}
		late, n, _, err := e.lib.Aggregation.FindOutages(e.admin, zhengzhao.OutageFilter{LateAt: &now})
		if err != nil || n != 1 || late[0].ID != o.ID || !late[0].Late {
			t.Fatalf("late outages: %d %v %v", n, late, err)
		}
		mine, n, _, err := e.lib.Aggregation.FindOutages(other, zhengzhao.OutageFilter{})
		if err != nil || n != 1 || mine[0].ID != fresh.ID {
			t.Fatalf("issuer B's outages: %d %v", n, err)
		}
		if _, _, _, err := e.lib.Aggregation.FindOutages(other, zhengzhao.OutageFilter{Issuer: ptr(codeA)}); zhengzhao.ErrorCode(err) != zhengzhao.EFORBIDDEN {
			t.Fatalf("B lists A's: %v", err)
		}
		// Every change is audited.
		entries, _, _, err := e.lib.Audit.FindAuditEntries(e.admin, zhengzhao.AuditFilter{Page: zhengzhao.Page{Limit: 1000}})
		if err != nil {
			t.Fatal(err)
		}
		actions := map[string]int{}
		for _, en := range entries {
			actions[en.Action]++
		}
		if actions[zhengzhao.ActionOutageRecord] != 2 || actions[zhengzhao.ActionOutageEnd] != 1 || actions[zhengzhao.ActionOutageCaughtUp] != 1 {
			t.Fatalf("audit actions %v", actions)
		}
	})
}

func ptr[T any](v T) *T { return &v }

func TestIncrements(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		e := newImportEnv(t)
		today := time.Now().In(bj)
		day := func(back int) string { return today.AddDate(0, 0, -back).Format(time.DateOnly) }
		issued := func(n int) zhengzhao.IssueRequest {
			return zhengzhao.IssueRequest{Type: e.typ.Code, Serial: fmt.Sprintf("INC%04d", n), Number: fmt.Sprintf("INC-%d", n),
				Holder:   zhengzhao.Holder{Kind: zhengzhao.HolderOrganization, IDType: "001", ID: holderID(n), Name: "上海增量有限公司"},
				IssuedOn: "2026-01-05", ValidFrom: "2026-01-05", Fields: map[string]any{"legal_representative": "张三"}}
		}
		// Ten days ago: two issued, on time? No: received now, so late.
		first := &zhengzhao.Increment{Date: day(10), Issued: []zhengzhao.IssueRequest{issued(1), issued(2)}}
		rec, err := e.lib.Aggregation.SubmitIncrement(e.issuer, first)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Issued != 2 || len(rec.Licenses) != 2 || !rec.Late {
			t.Fatalf("receipt %+v", rec)
		}
		// The same increment again returns the receipt; another is refused.
		again, err := e.lib.Aggregation.SubmitIncrement(e.issuer, &zhengzhao.Increment{Date: day(10), Issued: []zhengzhao.IssueRequest{issued(1), issued(2)}})
		if err != nil || again.ReceivedAt != rec.ReceivedAt {
			t.Fatalf("replay: %+v %v", again, err)
		}
		if _, err := e.lib.Aggregation.SubmitIncrement(e.issuer, &zhengzhao.Increment{Date: day(10)}); zhengzhao.ErrorCode(err) != zhengzhao.ECONFLICT {
			t.Fatalf("another increment for the day: %v", err)
		}
		// Yesterday: one updated, one revoked, one issued — applied together.
		upd := zhengzhao.IncrementUpdate{ID: rec.Licenses[0], LicenseUpdate: zhengzhao.LicenseUpdate{Number: "INC-1", Holder: issued(1).Holder,
			IssuedOn: "2026-01-05", ValidFrom: "2026-01-05", Fields: map[string]any{"legal_representative": "李四"}}}
		second := &zhengzhao.Increment{Date: day(1), Issued: []zhengzhao.IssueRequest{issued(3)}, Updated: []zhengzhao.IncrementUpdate{upd},
			Revoked: []zhengzhao.IncrementRevoke{{ID: rec.Licenses[1], Reason: "企业注销"}}}
		rec2, err := e.lib.Aggregation.SubmitIncrement(e.issuer, second)
		if err != nil {
			t.Fatal(err)
		}
		if rec2.Late || rec2.Issued != 1 || rec2.Updated != 1 || rec2.Revoked != 1 {
			t.Fatalf("yesterday's receipt %+v", rec2)
		}
		ls := e.licenses(t)
		if ls[rec.Licenses[0]].Status != zhengzhao.StatusSuperseded || ls[rec.Licenses[1]].Status != zhengzhao.StatusRevoked || len(ls) != 4 {
			t.Fatalf("licenses after the increments: %d", len(ls))
		}
		// A bad item rejects the whole increment, naming it.
		bad := issued(4)
		bad.Holder.ID = "x"
		_, err = e.lib.Aggregation.SubmitIncrement(e.issuer, &zhengzhao.Increment{Date: day(2), Issued: []zhengzhao.IssueRequest{issued(5), bad},
			Revoked: []zhengzhao.IncrementRevoke{{ID: rec.Licenses[1], Reason: "again"}}})
		if zhengzhao.ErrorCode(err) != zhengzhao.EINVALID || !strings.Contains(fmt.Sprint(fieldsOf(err)), "issued[1].holder.id") {
			t.Fatalf("bad item: %v %v", err, fieldsOf(err))
		}
		_, err = e.lib.Aggregation.SubmitIncrement(e.issuer, &zhengzhao.Increment{Date: day(2), Issued: []zhengzhao.IssueRequest{issued(5)},
			Revoked: []zhengzhao.IncrementRevoke{{ID: rec.Licenses[1], Reason: "again"}}})
		if zhengzhao.ErrorCode(err) != zhengzhao.ECONFLICT || len(e.licenses(t)) != 4 {
			t.Fatalf("revoking a revoked license: %v (nothing of the increment may stay)", err)
		}
		if _, err := e.lib.Aggregation.SubmitIncrement(e.issuer, &zhengzhao.Increment{Date: today.AddDate(0, 0, 2).Format(time.DateOnly)}); zhengzhao.ErrorCode(err) != zhengzhao.EINVALID {
			t.Fatalf("future date: %v", err)
		}

		// The status: day(10) late, day(1) received, the days between missing,
		// today pending.
		st, err := e.lib.Aggregation.IncrementStatus(e.issuer, "", "", today.Format(time.DateOnly))
		if err != nil {
			t.Fatal(err)
		}
		if st.From != day(10) || st.Expected != 11 || st.Received != 2 || st.Late != 1 || st.Pending+st.Missing != 9 || st.Pending < 1 {
			t.Fatalf("status %+v", st)
		}
		states := map[string]string{}
		for _, d := range st.Days {
			states[d.Date] = d.State
		}
		if states[day(10)] != zhengzhao.DayLate || states[day(1)] != zhengzhao.DayReceived || states[day(5)] != zhengzhao.DayMissing || states[day(0)] != zhengzhao.DayPending {
			t.Fatalf("states %v", states)
		}
		if _, err := e.lib.Aggregation.IncrementStatus(e.admin, "", "", ""); zhengzhao.ErrorCode(err) != zhengzhao.EINVALID {
			t.Fatalf("admin without issuer: %v", err)
		}
	})
}

func fieldsOf(err error) []string {
	var out []string
	if e, ok := err.(*zhengzhao.Error); ok {
		for _, f := range e.Fields {
			out = append(out, f.Field)
		}
	}
	return out
}

func TestReconcile(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		e := newImportEnv(t)
		if _, err := e.lib.Aggregation.Import(e.issuer, &zhengzhao.ImportSpec{Type: e.typ.Code, Format: "csv"}, strings.NewReader(genCSV(e.typ.Code, 6, nil))); err != nil {
			t.Fatal(err)
		}
		ls := e.licenses(t)
		var ids []string
		for id := range ls {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		// Revoke the 3rd in the library; the issuer's system still has it valid.
		if _, err := e.lib.Licenses.RevokeLicense(e.issuer, ids[2], "注销"); err != nil {
			t.Fatal(err)
		}
		digest := func(id string) string {
			d, err := library.ContentDigest(ls[id])
			if err != nil {
				t.Fatal(err)
			}
			return d
		}
		missing := zhengzhao.LicenseID{TypeCode: e.typ.Code, IssuerCode: codeA, Serial: "310000000000005A", Version: 1}.String()
		export := "id,version,status,digest\n" +
			ids[0] + ",001,有效," + digest(ids[0]) + "\n" + // matches
			ids[1] + ",002,valid,\n" + // version differs
			ids[2] + ",,valid,\n" + // status differs
			ids[3] + ",,," + strings.Repeat("0", 64) + "\n" + // content differs
			// ids[4] left out: missing in the issuer's system
			missing + ",,valid,\n" + // missing in the library (sorts before ids[5])
			"nonsense,,,\n" + // unreadable
			ids[5] + ",1,valid,\n" // matches
		if missing > ids[5] || missing < ids[4] {
			t.Fatalf("test export out of order: %s", missing)
		}
		var diffs []string
		sum, err := e.lib.Aggregation.Reconcile(e.issuer, &zhengzhao.ReconcileSpec{Format: "csv"}, strings.NewReader(export), func(d *zhengzhao.ReconcileDiff) error {
			diffs = append(diffs, fmt.Sprintf("%d %s", d.Row, d.Kind))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"2 version_differs", "3 status_differs", "4 content_differs", "0 missing_in_issuer", "5 missing_in_library", "6 invalid_record"}
		if strings.Join(diffs, ",") != strings.Join(want, ",") {
			t.Fatalf("differences %v, want %v", diffs, want)
		}
		if sum.ExportRecords != 7 || sum.LibraryRecords != 6 || sum.Matched != 2 || sum.Differing != 3 || sum.MissingInIssuer != 1 || sum.MissingInLibrary != 1 || sum.Invalid != 1 {
			t.Fatalf("summary %+v", sum)
		}
		// An unsorted export is refused.
		unsorted := "id\n" + ids[1] + "\n" + ids[0] + "\n"
		if _, err := e.lib.Aggregation.Reconcile(e.issuer, &zhengzhao.ReconcileSpec{Format: "csv"}, strings.NewReader(unsorted), func(*zhengzhao.ReconcileDiff) error { return nil }); zhengzhao.ErrorCode(err) != zhengzhao.EINVALID {
			t.Fatalf("unsorted export: %v", err)
		}
	})
}

// withCalendar returns a library on e's store and keys with the calendar.
func (e *env) withCalendar(tb testing.TB, cal *calendar.Calendar) *library.Services {
	return e.another(tb, func(c *library.Config) { c.Calendar = cal })
}

// another returns a second library on e's store and keys — another
// server on the same database — with its configuration changed by adjust.
func (e *env) another(tb testing.TB, adjust func(*library.Config)) *library.Services {
	tb.Helper()
	ca, _, err := sign.LoadOrCreateCA(e.dir, "Test", time.Now())
	if err != nil {
		tb.Fatal(err)
	}
	sealer, _, err := sign.LoadOrCreateMasterKey(filepath.Join(e.dir, "master.key"))
	if err != nil {
		tb.Fatal(err)
	}
	s, v, err := auditlog.LoadOrCreateLogKey(filepath.Join(e.dir, "log.key"), "test.local/audit")
	if err != nil {
		tb.Fatal(err)
	}
	c := library.Config{Store: e.lib.Store(), CA: ca, Sealer: sealer, LogSigner: s, LogVerifier: v}
	adjust(&c)
	lib, err := library.New(c)
	if err != nil {
		tb.Fatal(err)
	}
	return lib
}

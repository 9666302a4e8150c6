package library_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/auditlog"
	"github.com/zhengzhao-project/zhengzhao/library"
	"github.com/zhengzhao-project/zhengzhao/sign"
)

// ovClock is a settable test clock.
type ovClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *ovClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *ovClock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

var cst = time.FixedZone("CST", 8*3600)

// newClockEnv is newEnv with the library and the store on a test clock.
func newClockEnv(tb testing.TB, c *ovClock) *env {
	tb.Helper()
	dir := tb.TempDir()
	store := openStore(tb, dir, c.Now)
	ca, _, err := sign.LoadOrCreateCA(dir, "Test", c.Now().Add(-time.Hour))
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
	lib, err := library.New(library.Config{Store: store, CA: ca, Sealer: sealer, LogSigner: s, LogVerifier: v, Now: c.Now})
	if err != nil {
		tb.Fatal(err)
	}
	return &env{lib: lib, admin: zhengzhao.NewContextWithActor(context.Background(), zhengzhao.Actor{Kind: zhengzhao.ActorAdmin}), dir: dir}
}

// objectionEnv is an issuer A with one license, a using unit U, the
// license's holder and an unrelated issuer B.
type objectionEnv struct {
	*env
	clk                 *ovClock
	issuer, user, other context.Context
	holder, stranger    context.Context
	lic                 *zhengzhao.License
}

func newObjectionEnv(t *testing.T) *objectionEnv {
	t.Helper()
	// Tuesday 2026-09-29, 10:00 in Shanghai: ten working days later is
	// 2026-10-19, across the National Day holiday and its make-up Saturday.
	c := &ovClock{t: time.Date(2026, 9, 29, 10, 0, 0, 0, cst)}
	e := &objectionEnv{env: newClockEnv(t, c), clk: c}
	e.issuer = e.unit(t, codeA, "", zhengzhao.RoleIssuer)
	e.user = e.unit(t, codeU, "", zhengzhao.RoleUser)
	e.other = e.unit(t, codeB, "", zhengzhao.RoleIssuer)
	typ := bizType(codeA)
	if err := e.lib.Catalog.CreateLicenseType(e.issuer, typ); err != nil {
		t.Fatal(err)
	}
	lic, err := e.lib.Licenses.IssueLicense(e.issuer, request(typ.Code, 1), "")
	if err != nil {
		t.Fatal(err)
	}
	e.lic = lic
	e.holder = zhengzhao.NewContextWithActor(context.Background(), zhengzhao.Actor{Kind: zhengzhao.ActorHolder,
		HolderIDType: lic.Holder.IDType, HolderID: lic.Holder.ID})
	e.stranger = zhengzhao.NewContextWithActor(context.Background(), zhengzhao.Actor{Kind: zhengzhao.ActorHolder,
		HolderIDType: "001", HolderID: "91310000MA1FL8XQ30"})
	return e
}

func (e *objectionEnv) verify(t *testing.T, lic *zhengzhao.License) *zhengzhao.VerifyResult {
	t.Helper()
	doc, _ := json.Marshal(lic)
	res, err := e.lib.Licenses.VerifyLicense(context.Background(), doc)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func objectionRequest(id string) *zhengzhao.ObjectionRequest {
	return &zhengzhao.ObjectionRequest{License: id, Fields: []string{"fields.address", "holder.name"},
		Reason: "住所应为世纪大道100号，营业执照副本可证。",
		Attachments: []zhengzhao.Attachment{{Name: "副本.pdf", MediaType: "application/pdf", Size: 2048,
			SHA256: strings.Repeat("ab", 32)}}}
}

func TestObjectionCorrected(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		e := newObjectionEnv(t)
		if res := e.verify(t, e.lic); !res.Valid || res.UnderObjection {
			t.Fatalf("before: %+v", res)
		}
		o, err := e.lib.Supervision.FileObjection(e.holder, objectionRequest(e.lic.ID))
		if err != nil {
			t.Fatal(err)
		}
		if o.Status != zhengzhao.ObjectionOpen || o.DueOn != "2026-10-19" || o.Issuer != codeA || o.Overdue ||
			o.Filer != "holder:001:91350100M000100Y43" || len(o.Attachments) != 1 {
			t.Fatalf("filed: %+v", o)
		}
		res := e.verify(t, e.lic)
		if !res.Valid || !res.UnderObjection || res.Status != zhengzhao.StatusValid {
			t.Fatalf("while open: %+v", res)
		}
		for _, r := range res.Reasons {
			if strings.Contains(r, "住所") {
				t.Fatalf("verification reveals the objection: %q", r)
			}
		}

		queue, n, _, err := e.lib.Supervision.FindObjections(e.issuer, zhengzhao.ObjectionFilter{})
		if err != nil || n != 1 || queue[0].ID != o.ID {
			t.Fatalf("issuer's queue: %d, %v", n, err)
		}
		if _, n, _, _ := e.lib.Supervision.FindObjections(e.other, zhengzhao.ObjectionFilter{}); n != 0 {
			t.Fatalf("another issuer sees %d objections", n)
		}
		notes, n, _, err := e.lib.Supervision.FindNotices(e.issuer, zhengzhao.NoticeFilter{})
		if err != nil || n != 1 || notes[0].Kind != zhengzhao.NoticeObjectionFiled || !strings.Contains(notes[0].Message, "2026-10-19") {
			t.Fatalf("issuer's notices: %+v, %v", notes, err)
		}

		e.clk.Set(time.Date(2026, 10, 9, 15, 0, 0, 0, cst))
		up := &zhengzhao.LicenseUpdate{Number: e.lic.Number, Holder: e.lic.Holder, IssuedOn: "2026-10-09", ValidFrom: e.lic.ValidFrom,
			Fields: map[string]any{}}
		for k, v := range e.lic.Fields {
			up.Fields[k] = v
		}
		up.Fields["address"] = "上海市浦东新区世纪大道100号"
		ans, err := e.lib.Supervision.AnswerObjection(e.issuer, o.ID, &zhengzhao.ObjectionAnswer{Decision: zhengzhao.DecisionCorrect, Reason: "已核实并更正住所", Update: up})
		if err != nil {
			t.Fatal(err)
		}
		if ans.Status != zhengzhao.ObjectionCorrected || ans.Overdue || ans.AnsweredAt == nil || !strings.HasSuffix(strings.TrimRight(ans.Correction, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"), ".002.") {
			t.Fatalf("answer: %+v", ans)
		}
		if res := e.verify(t, e.lic); res.Status != zhengzhao.StatusSuperseded || res.UnderObjection || res.SupersededBy != ans.Correction {
			t.Fatalf("old version after the correction: %+v", res)
		}
		v2, err := e.lib.Licenses.FindLicenseByID(e.issuer, ans.Correction)
		if err != nil || v2.Fields["address"] != "上海市浦东新区世纪大道100号" {
			t.Fatalf("corrected version: %+v, %v", v2, err)
		}
		if res := e.verify(t, v2); !res.Valid || res.UnderObjection {
			t.Fatalf("corrected version: %+v", res)
		}

		// The filer is informed.
		inbox, n, _, err := e.lib.Supervision.FindNotices(e.holder, zhengzhao.NoticeFilter{UnreadOnly: true})
		if err != nil || n != 1 || inbox[0].Kind != zhengzhao.NoticeObjectionAnswered || !strings.Contains(inbox[0].Message, ans.Correction) {
			t.Fatalf("filer's notices: %+v, %v", inbox, err)
		}
		if _, err := e.lib.Supervision.MarkNoticeRead(e.stranger, inbox[0].ID); zhengzhao.ErrorCode(err) != zhengzhao.ENOTFOUND {
			t.Fatalf("another holder marks the notice read: %v", err)
		}
		read, err := e.lib.Supervision.MarkNoticeRead(e.holder, inbox[0].ID)
		if err != nil || read.ReadAt == nil {
			t.Fatalf("mark read: %+v, %v", read, err)
		}
		if _, n, _, _ := e.lib.Supervision.FindNotices(e.holder, zhengzhao.NoticeFilter{UnreadOnly: true}); n != 0 {
			t.Fatalf("%d unread after reading", n)
		}
		got, err := e.lib.Supervision.FindObjectionByID(e.holder, o.ID)
		if err != nil || got.Status != zhengzhao.ObjectionCorrected {
			t.Fatalf("filer reads the objection: %+v, %v", got, err)
		}
		if _, err := e.lib.Supervision.FindObjectionByID(e.stranger, o.ID); zhengzhao.ErrorCode(err) != zhengzhao.ENOTFOUND {
			t.Fatalf("a stranger reads the objection: %v", err)
		}

		// Every step is in the audit log.
		base := e.lic.Base()
		entries, _, _, err := e.lib.Audit.FindAuditEntries(e.admin, zhengzhao.AuditFilter{LicenseBase: &base})
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, en := range entries {
			actions = append(actions, en.Action+" "+en.Actor)
		}
		want := []string{
			"license.issue unit:" + codeA,
			"objection.file holder:001:91350100M000100Y43",
			"license.update unit:" + codeA,
			"objection.answer unit:" + codeA,
			"license.read unit:" + codeA,
		}
		if strings.Join(actions, "\n") != strings.Join(want, "\n") {
			t.Fatalf("audit entries:\n%s\nwant:\n%s", strings.Join(actions, "\n"), strings.Join(want, "\n"))
		}
	})
}

func TestObjectionOverdueAndRejected(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		e := newObjectionEnv(t)
		o, err := e.lib.Supervision.FileObjection(e.user, objectionRequest(e.lic.ID))
		if err != nil {
			t.Fatal(err)
		}
		if o.Filer != "unit:"+codeU {
			t.Fatalf("filer %s", o.Filer)
		}
		overdue := func() int {
			_, n, _, err := e.lib.Supervision.FindObjections(e.admin, zhengzhao.ObjectionFilter{Overdue: true})
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		e.clk.Set(time.Date(2026, 10, 19, 23, 59, 0, 0, cst)) // the last day
		if n := overdue(); n != 0 {
			t.Fatalf("overdue on the due day: %d", n)
		}
		e.clk.Set(time.Date(2026, 10, 20, 0, 1, 0, 0, cst))
		if n := overdue(); n != 1 {
			t.Fatalf("overdue the day after: %d", n)
		}
		got, _ := e.lib.Supervision.FindObjectionByID(e.issuer, o.ID)
		if !got.Overdue {
			t.Fatalf("not flagged overdue: %+v", got)
		}
		rep, err := e.lib.Supervision.Supervise(e.admin, zhengzhao.SupervisionFilter{Unit: ptrTo(codeA), From: "2026-01-01", To: "2026-12-31"})
		if err != nil {
			t.Fatal(err)
		}
		if f := rep.Units[0]; f.ObjectionsOpen != 1 || f.ObjectionsOverdue != 1 || f.ObjectionsFiled != 1 {
			t.Fatalf("figures while overdue: %+v", f)
		}

		ans, err := e.lib.Supervision.AnswerObjection(e.issuer, o.ID, &zhengzhao.ObjectionAnswer{Decision: zhengzhao.DecisionReject, Reason: "登记档案显示住所无误"})
		if err != nil {
			t.Fatal(err)
		}
		if ans.Status != zhengzhao.ObjectionRejected || !ans.Overdue || ans.Correction != "" {
			t.Fatalf("late rejection: %+v", ans)
		}
		if res := e.verify(t, e.lic); !res.Valid || res.UnderObjection {
			t.Fatalf("after the rejection: %+v", res)
		}
		notes, _, _, _ := e.lib.Supervision.FindNotices(e.user, zhengzhao.NoticeFilter{})
		if len(notes) != 1 || !strings.Contains(notes[0].Message, "登记档案显示住所无误") {
			t.Fatalf("the using unit's notices: %+v", notes)
		}
		if _, err := e.lib.Supervision.AnswerObjection(e.issuer, o.ID, &zhengzhao.ObjectionAnswer{Decision: zhengzhao.DecisionReject, Reason: "again"}); zhengzhao.ErrorCode(err) != zhengzhao.ECONFLICT {
			t.Fatalf("second answer: %v", err)
		}
		rep, err = e.lib.Supervision.Supervise(e.admin, zhengzhao.SupervisionFilter{Unit: ptrTo(codeA), From: "2026-01-01", To: "2026-12-31"})
		if err != nil {
			t.Fatal(err)
		}
		// Filed on 09-29, answered on 10-20: 11 working days.
		if f := rep.Units[0]; f.ObjectionsOpen != 0 || f.ObjectionsAnswered != 1 || f.ObjectionsLate != 1 || f.AvgAnswerWorkdays != 11 {
			t.Fatalf("figures after the late answer: %+v", f)
		}
	})
}

func ptrTo[T any](v T) *T { return &v }

// TestObjectionRefusals checks that refused objections and answers say why
// and change nothing: no objection, notice, audit entry or counter.
func TestObjectionRefusals(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		e := newObjectionEnv(t)
		issuerOnly := e.other
		userAndIssuer := e.unit(t, codeC, "", zhengzhao.RoleIssuer, zhengzhao.RoleUser)
		_ = userAndIssuer

		// An objection that stands, to answer wrongly below.
		open, err := e.lib.Supervision.FileObjection(e.user, objectionRequest(e.lic.ID))
		if err != nil {
			t.Fatal(err)
		}
		snapshot := func() string {
			var b strings.Builder
			err := e.lib.Store().View(context.Background(), func(tx zhengzhao.ReadTx) error {
				size, _ := tx.AuditSize()
				_, os, _, _ := tx.FindObjections(zhengzhao.ObjectionFilter{})
				_, ns1, _, _ := tx.FindNotices(zhengzhao.NoticeFilter{Recipient: "unit:" + codeA})
				sums, _ := tx.SumStats(zhengzhao.StatFilter{Ranges: []zhengzhao.StatRange{{Granularity: zhengzhao.StatMonthly, From: "0000-01", To: "9999-12"}}})
				o, _ := tx.FindObjectionByID(open.ID)
				b.WriteString(strings.Join([]string{itoa(size), itoa(int64(os)), itoa(int64(ns1)), o.Status}, "/"))
				for _, s := range sums {
					b.WriteString(" " + s.Metric + "=" + itoa(s.N))
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			return b.String()
		}
		before := snapshot()

		up := &zhengzhao.LicenseUpdate{Number: e.lic.Number, Holder: e.lic.Holder, IssuedOn: e.lic.IssuedOn, ValidFrom: e.lic.ValidFrom, Fields: e.lic.Fields}
		bad := objectionRequest(e.lic.ID)
		bad.Fields = []string{"fields.no_such_field"}
		noReason := objectionRequest(e.lic.ID)
		noReason.Reason = " "
		for _, tc := range []struct {
			name string
			err  error
			code string
			msg  string
		}{
			{"unknown license", second(e.lib.Supervision.FileObjection(e.holder, objectionRequest("1.2.156.3005.2.nope"))), zhengzhao.ENOTFOUND, "no license"},
			{"not the holder", second(e.lib.Supervision.FileObjection(e.stranger, objectionRequest(e.lic.ID))), zhengzhao.EFORBIDDEN, "not the holder"},
			{"issuer without the user role", second(e.lib.Supervision.FileObjection(issuerOnly, objectionRequest(e.lic.ID))), zhengzhao.EFORBIDDEN, "does not have the user role"},
			{"the issuer itself", second(e.lib.Supervision.FileObjection(e.issuer, objectionRequest(e.lic.ID))), zhengzhao.EFORBIDDEN, "user role"},
			{"anonymous", second(e.lib.Supervision.FileObjection(context.Background(), objectionRequest(e.lic.ID))), zhengzhao.EUNAUTHENTICATED, ""},
			{"admin without a holder", second(e.lib.Supervision.FileObjection(e.admin, objectionRequest(e.lic.ID))), zhengzhao.EINVALID, ""},
			{"unknown face field", second(e.lib.Supervision.FileObjection(e.holder, bad)), zhengzhao.EINVALID, ""},
			{"no reason", second(e.lib.Supervision.FileObjection(e.holder, noReason)), zhengzhao.EINVALID, ""},
			{"second open objection", second(e.lib.Supervision.FileObjection(e.user, objectionRequest(e.lic.ID))), zhengzhao.ECONFLICT, "still open"},
			{"answered by another issuer", second(e.lib.Supervision.AnswerObjection(e.other, open.ID, &zhengzhao.ObjectionAnswer{Decision: zhengzhao.DecisionReject, Reason: "x"})), zhengzhao.EFORBIDDEN, "another issuer"},
			{"answered by the using unit", second(e.lib.Supervision.AnswerObjection(e.user, open.ID, &zhengzhao.ObjectionAnswer{Decision: zhengzhao.DecisionReject, Reason: "x"})), zhengzhao.EFORBIDDEN, "only the issuing unit"},
			{"answered by the holder", second(e.lib.Supervision.AnswerObjection(e.holder, open.ID, &zhengzhao.ObjectionAnswer{Decision: zhengzhao.DecisionReject, Reason: "x"})), zhengzhao.EFORBIDDEN, ""},
			{"correction by another issuer", second(e.lib.Supervision.AnswerObjection(e.other, open.ID, &zhengzhao.ObjectionAnswer{Decision: zhengzhao.DecisionCorrect, Update: up})), zhengzhao.EFORBIDDEN, ""},
			{"rejection without reasons", second(e.lib.Supervision.AnswerObjection(e.issuer, open.ID, &zhengzhao.ObjectionAnswer{Decision: zhengzhao.DecisionReject})), zhengzhao.EINVALID, ""},
			{"unknown objection", second(e.lib.Supervision.AnswerObjection(e.issuer, "obj-nope", &zhengzhao.ObjectionAnswer{Decision: zhengzhao.DecisionReject, Reason: "x"})), zhengzhao.ENOTFOUND, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if got := zhengzhao.ErrorCode(tc.err); got != tc.code {
					t.Fatalf("code %q, want %q (%v)", got, tc.code, tc.err)
				}
				if !strings.Contains(zhengzhao.ErrorMessage(tc.err), tc.msg) {
					t.Fatalf("message %q does not say %q", zhengzhao.ErrorMessage(tc.err), tc.msg)
				}
			})
		}
		if after := snapshot(); after != before {
			t.Fatalf("refusals changed the state:\nbefore %s\nafter  %s", before, after)
		}

		// An objection to a superseded version is refused too.
		v2, err := e.lib.Licenses.UpdateLicense(e.issuer, e.lic.ID, up)
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.lib.Supervision.FileObjection(e.holder, objectionRequest(e.lic.ID))
		if zhengzhao.ErrorCode(err) != zhengzhao.ECONFLICT || !strings.Contains(zhengzhao.ErrorMessage(err), v2.ID) {
			t.Fatalf("objection to a superseded version: %v", err)
		}
		// The open objection now corrects the current version.
		up.Fields = map[string]any{}
		for k, v := range e.lic.Fields {
			up.Fields[k] = v
		}
		up.Fields["address"] = "上海市浦东新区世纪大道100号"
		ans, err := e.lib.Supervision.AnswerObjection(e.issuer, open.ID, &zhengzhao.ObjectionAnswer{Decision: zhengzhao.DecisionCorrect, Update: up})
		if err != nil || !strings.Contains(ans.Correction, ".003.") {
			t.Fatalf("correction after an intervening update: %+v, %v", ans, err)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestAdminFilesForHolder(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		e := newObjectionEnv(t)
		r := objectionRequest(e.lic.ID)
		r.Holder = &zhengzhao.ObjectionHolder{IDType: "001", ID: "91310000MA1FL8XQ30"}
		if _, err := e.lib.Supervision.FileObjection(e.admin, r); zhengzhao.ErrorCode(err) != zhengzhao.EFORBIDDEN {
			t.Fatalf("admin names the wrong holder: %v", err)
		}
		r.Holder = &zhengzhao.ObjectionHolder{IDType: e.lic.Holder.IDType, ID: e.lic.Holder.ID}
		o, err := e.lib.Supervision.FileObjection(e.admin, r)
		if err != nil {
			t.Fatal(err)
		}
		if o.FiledBy != "admin" || o.Filer != "holder:001:91350100M000100Y43" {
			t.Fatalf("filed at the counter: %+v", o)
		}
		// The holder sees it once signed in.
		mine, n, _, err := e.lib.Supervision.FindObjections(e.holder, zhengzhao.ObjectionFilter{})
		if err != nil || n != 1 || mine[0].ID != o.ID {
			t.Fatalf("holder's objections: %d, %v", n, err)
		}
		r.Holder = nil
		if _, err := e.lib.Supervision.FileObjection(e.holder, &zhengzhao.ObjectionRequest{License: e.lic.ID, Fields: []string{"number"}, Reason: "x",
			Holder: &zhengzhao.ObjectionHolder{IDType: "001", ID: "x"}}); zhengzhao.ErrorCode(err) != zhengzhao.EINVALID {
			t.Fatalf("a holder names a holder: %v", err)
		}
	})
}

func TestUnitContacts(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		e := newEnv(t)
		a := e.unit(t, codeA, "", zhengzhao.RoleIssuer)
		b := e.unit(t, codeB, "", zhengzhao.RoleIssuer)
		c := &zhengzhao.UnitContact{Unit: codeA, Name: "王小明", Title: "数据资源处处长", Phone: "13812345678", Email: "wang@example.gov.cn"}
		if err := e.lib.Supervision.CreateUnitContact(b, c); zhengzhao.ErrorCode(err) != zhengzhao.EFORBIDDEN {
			t.Fatalf("another unit records a contact: %v", err)
		}
		if err := e.lib.Supervision.CreateUnitContact(a, &zhengzhao.UnitContact{Unit: codeA, Name: "x", Title: "y"}); zhengzhao.ErrorCode(err) != zhengzhao.EINVALID {
			t.Fatalf("contact without phone or email: %v", err)
		}
		if err := e.lib.Supervision.CreateUnitContact(a, c); err != nil {
			t.Fatal(err)
		}
		list, err := e.lib.Supervision.FindUnitContacts(e.admin, codeA)
		if err != nil || len(list) != 1 {
			t.Fatalf("contacts: %v, %v", list, err)
		}
		if got := list[0]; !got.Masked || got.Name != "王**" || got.Phone != "138****5678" || got.Email != "w***@example.gov.cn" || got.Title != "数据资源处处长" {
			t.Fatalf("masked contact: %+v", got)
		}
		without, n, _, err := e.lib.Supervision.FindUnitsWithoutContacts(e.admin, zhengzhao.Page{})
		if err != nil || n != 1 || without[0].Code != codeB {
			t.Fatalf("units without contacts: %d, %v", n, err)
		}
		if _, _, _, err := e.lib.Supervision.FindUnitsWithoutContacts(a, zhengzhao.Page{}); zhengzhao.ErrorCode(err) != zhengzhao.EFORBIDDEN {
			t.Fatalf("a unit lists units without contacts: %v", err)
		}
		if err := e.lib.Supervision.DeleteUnitContact(b, codeA, c.ID); zhengzhao.ErrorCode(err) != zhengzhao.EFORBIDDEN {
			t.Fatalf("another unit deletes a contact: %v", err)
		}
		if err := e.lib.Supervision.DeleteUnitContact(a, codeA, c.ID); err != nil {
			t.Fatal(err)
		}
		if _, n, _, _ := e.lib.Supervision.FindUnitsWithoutContacts(e.admin, zhengzhao.Page{}); n != 2 {
			t.Fatalf("units without contacts after delete: %d", n)
		}
		// The audit log has the contact's ID and title, not the personal data.
		actor := "unit:" + codeA
		es, _, _, _ := e.lib.Audit.FindAuditEntries(e.admin, zhengzhao.AuditFilter{Actor: &actor})
		for _, en := range es {
			js, _ := json.Marshal(en)
			if strings.Contains(string(js), "13812345678") || strings.Contains(string(js), "王小明") {
				t.Fatalf("personal data in the audit log: %s", js)
			}
		}
	})
}

func TestPublicCatalog(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		e := newEnv(t)
		a := e.unit(t, codeA, "", zhengzhao.RoleIssuer)
		pub := bizType(codeA)
		hidden := bizType(codeA)
		hidden.Code, hidden.Public, hidden.Name = hidden.Code[:18]+"009", false, "内部证照"
		district := bizType(codeA)
		district.Code, district.Level = district.Code[:18]+"010", zhengzhao.LevelDistrict
		for _, typ := range []*zhengzhao.LicenseType{district, pub, hidden} {
			if err := e.lib.Catalog.CreateLicenseType(a, typ); err != nil {
				t.Fatal(err)
			}
		}
		cat, err := e.lib.Supervision.PublicCatalog(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if cat.Total != 2 || len(cat.Issuers) != 1 || cat.Issuers[0].Issuer.Name != "单位"+codeA[10:14] {
			t.Fatalf("catalog: %+v", cat)
		}
		levels := cat.Issuers[0].Levels
		if len(levels) != 2 || levels[0].Level != zhengzhao.LevelNational || levels[1].Level != zhengzhao.LevelDistrict {
			t.Fatalf("levels: %+v", levels)
		}
		if f := levels[0].Types[0].Fields; len(f) == 0 || f[0].Label == "" {
			t.Fatalf("field names: %+v", f)
		}
	})
}

func TestSupervisionCounts(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		e := newObjectionEnv(t)
		typ := e.lic.Type
		for i := 2; i <= 4; i++ {
			r := request(typ, i)
			r.IssuedOn = "2026-09-01" // paper issued a month ago: late
			if _, err := e.lib.Licenses.IssueLicense(e.issuer, r, ""); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := e.lib.Licenses.FindLicenseByID(e.issuer, e.lic.ID); err != nil { // a use by its issuer
			t.Fatal(err)
		}
		if _, err := e.lib.Licenses.FindLicenseByID(e.other, e.lic.ID); zhengzhao.ErrorCode(err) != zhengzhao.EFORBIDDEN { // refused
			t.Fatal(err)
		}
		if _, err := e.lib.Licenses.FindLicenseByID(e.admin, e.lic.ID); err != nil { // supervision, not use
			t.Fatal(err)
		}
		if _, err := e.lib.Licenses.RevokeLicense(e.issuer, e.lic.ID, "持证主体申请注销"); err != nil {
			t.Fatal(err)
		}
		rep, err := e.lib.Supervision.Supervise(e.admin, zhengzhao.SupervisionFilter{From: "2026-09-01", To: "2026-09-30"})
		if err != nil {
			t.Fatal(err)
		}
		fig := map[string]zhengzhao.UnitFigures{}
		for _, f := range rep.Units {
			fig[f.Unit.Code] = f
		}
		a, b := fig[codeA], fig[codeB]
		// request() issues on 2024-01-02: far from on time; the three others
		// 2026-09-01, 20 working days before 09-29.
		if a.Issued != 4 || a.IssuedOnTime != 0 || a.Used != 1 || a.Revoked != 1 || a.CatalogTypes != 1 || a.TypesWithLicenses != 1 || a.CatalogCompleteness != 1 {
			t.Fatalf("issuer figures: %+v", a)
		}
		if b.Refused != 1 || b.Used != 0 {
			t.Fatalf("other unit's figures: %+v", b)
		}
		if rep.Totals.Issued != 4 || len(rep.Series) != 30 || rep.Series[28].Issued != 4 {
			t.Fatalf("totals %+v, series %d", rep.Totals, len(rep.Series))
		}
		if _, err := e.lib.Supervision.Supervise(e.other, zhengzhao.SupervisionFilter{Unit: ptrTo(codeA)}); zhengzhao.ErrorCode(err) != zhengzhao.EFORBIDDEN {
			t.Fatalf("a unit reads another's figures: %v", err)
		}
		if own, err := e.lib.Supervision.Supervise(e.other, zhengzhao.SupervisionFilter{Unit: ptrTo(codeB)}); err != nil || len(own.Units) != 1 {
			t.Fatalf("a unit reads its own figures: %v", err)
		}
		if _, err := e.lib.Supervision.Supervise(e.admin, zhengzhao.SupervisionFilter{From: "2026-10-01", To: "2026-09-01"}); zhengzhao.ErrorCode(err) != zhengzhao.EINVALID {
			t.Fatalf("reversed period: %v", err)
		}

		// Today on time: issued_on is today.
		r := request(typ, 9)
		r.IssuedOn = "2026-09-29"
		if _, err := e.lib.Licenses.IssueLicense(e.issuer, r, ""); err != nil {
			t.Fatal(err)
		}
		rep, _ = e.lib.Supervision.Supervise(e.admin, zhengzhao.SupervisionFilter{Unit: ptrTo(codeA), From: "2026-09-29", To: "2026-09-29"})
		if f := rep.Units[0]; f.Issued != 5 || f.IssuedOnTime != 1 {
			t.Fatalf("on-time count: %+v", f)
		}
		// The same figures whatever mix of daily, monthly and yearly counters
		// a period reads.
		for _, p := range [][2]string{{"2026-01-01", "2026-12-31"}, {"2025-12-15", "2027-02-03"}, {"2026-09-29", "2026-10-31"}, {"2022-01-01", "2026-12-31"}} {
			rep, err := e.lib.Supervision.Supervise(e.admin, zhengzhao.SupervisionFilter{Unit: ptrTo(codeA), From: p[0], To: p[1]})
			if err != nil {
				t.Fatal(err)
			}
			if f := rep.Units[0]; f.Issued != 5 || f.IssuedOnTime != 1 || f.Revoked != 1 || f.Used != 1 {
				t.Fatalf("period %v: %+v", p, f)
			}
			var sum int64
			for _, pt := range rep.Series {
				sum += pt.Issued
			}
			if sum != 5 {
				t.Fatalf("period %v: series adds up to %d: %+v", p, sum, rep.Series)
			}
		}
	})
}

func TestRandomCheck(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		e := newObjectionEnv(t)
		for i := 2; i <= 20; i++ {
			if _, err := e.lib.Licenses.IssueLicense(e.issuer, request(e.lic.Type, i), ""); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := e.lib.Supervision.CreateRandomCheck(e.issuer, &zhengzhao.RandomCheckRequest{Unit: codeA, Kind: zhengzhao.CheckLicenses}); zhengzhao.ErrorCode(err) != zhengzhao.EFORBIDDEN {
			t.Fatalf("a unit draws a check: %v", err)
		}
		if _, err := e.lib.Supervision.CreateRandomCheck(e.admin, &zhengzhao.RandomCheckRequest{Unit: codeU, Kind: zhengzhao.CheckUses}); zhengzhao.ErrorCode(err) != zhengzhao.EINVALID {
			t.Fatalf("a check with nothing to sample: %v", err)
		}
		c, err := e.lib.Supervision.CreateRandomCheck(e.admin, &zhengzhao.RandomCheckRequest{Unit: codeA, Kind: zhengzhao.CheckLicenses, Size: 5})
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Items) == 0 || len(c.Items) > 5 {
			t.Fatalf("items: %d", len(c.Items))
		}
		if _, err := e.lib.Supervision.ReviewRandomCheck(e.admin, c.ID, 0, &zhengzhao.CheckReview{Outcome: zhengzhao.OutcomeFail}); zhengzhao.ErrorCode(err) != zhengzhao.EINVALID {
			t.Fatalf("a failure without a note: %v", err)
		}
		c, err = e.lib.Supervision.ReviewRandomCheck(e.admin, c.ID, 0, &zhengzhao.CheckReview{Outcome: zhengzhao.OutcomeFail, Note: "照面信息与档案不符"})
		if err != nil || c.Reviewed != 1 || c.Failed != 1 || c.Items[0].ReviewedBy != "admin" {
			t.Fatalf("review: %+v, %v", c, err)
		}
		if _, err := e.lib.Supervision.ReviewRandomCheck(e.admin, c.ID, 0, &zhengzhao.CheckReview{Outcome: zhengzhao.OutcomePass}); zhengzhao.ErrorCode(err) != zhengzhao.ECONFLICT {
			t.Fatalf("second review: %v", err)
		}
		if _, err := e.lib.Supervision.ReviewRandomCheck(e.admin, c.ID, 99, &zhengzhao.CheckReview{Outcome: zhengzhao.OutcomePass}); zhengzhao.ErrorCode(err) != zhengzhao.ENOTFOUND {
			t.Fatalf("no such item: %v", err)
		}
		if own, _, _, err := e.lib.Supervision.FindRandomChecks(e.issuer, zhengzhao.RandomCheckFilter{}); err != nil || len(own) != 1 {
			t.Fatalf("the checked unit sees its check: %v", err)
		}
		if _, err := e.lib.Supervision.FindRandomCheckByID(e.other, c.ID); zhengzhao.ErrorCode(err) != zhengzhao.ENOTFOUND {
			t.Fatalf("another unit reads the check: %v", err)
		}
		rep, err := e.lib.Supervision.AnnualReport(e.admin, codeA, 2026)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Figures.ChecksReviewed != 1 || rep.Figures.ChecksFailed != 1 || len(rep.Checks) != 1 || len(rep.Monthly) != 12 || rep.Monthly[8].Issued != 20 {
			t.Fatalf("annual report: %+v", rep)
		}
		if _, err := e.lib.Supervision.AnnualReport(e.other, codeA, 2026); zhengzhao.ErrorCode(err) != zhengzhao.EFORBIDDEN {
			t.Fatalf("another unit's annual report: %v", err)
		}
		if _, err := e.lib.Supervision.AnnualReport(e.admin, codeA, 1999); zhengzhao.ErrorCode(err) != zhengzhao.EINVALID {
			t.Fatalf("year 1999: %v", err)
		}
	})
}

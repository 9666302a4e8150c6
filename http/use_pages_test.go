package http_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/demo"
	zhttp "github.com/zhengzhao-project/zhengzhao/http"
	"github.com/zhengzhao-project/zhengzhao/internal/libtest"
	"github.com/zhengzhao-project/zhengzhao/library"
)

// The matter pages are tested against the real library on SQLite, not
// mocks: what they must show is that a form post goes through the
// library's rules and leaves an audit entry, and that a refused one
// changes nothing.

var (
	pageUserUnit   = demo.USCC("12310115MB2C19817") // a using unit
	pageIssuerUnit = demo.USCC("11310000MB2F38611") // issues the demo business license
	pageMatterCode = "310115-SPJY-001"
)

// usePages is a server over a real library with a using unit, the demo
// business-license type and one matter.
type usePages struct {
	lib      *library.Services
	admin    context.Context
	handler  http.Handler
	unitKey  string
	bizType  string
	foodType string
}

func newUsePages(t *testing.T) *usePages {
	t.Helper()
	lib := libtest.Open(t).Services
	var err error
	p := &usePages{lib: lib, admin: zhengzhao.NewContextWithActor(context.Background(), zhengzhao.Actor{Kind: zhengzhao.ActorAdmin})}
	for _, u := range []*zhengzhao.Unit{
		{Code: pageIssuerUnit, Name: "上海市市场监督管理局", Roles: []zhengzhao.Role{zhengzhao.RoleIssuer}, Region: "310000", SigningAlg: zhengzhao.AlgEdDSA},
		{Code: pageUserUnit, Name: "上海市浦东新区企业服务中心", Roles: []zhengzhao.Role{zhengzhao.RoleUser}, Region: "310115"},
	} {
		if err := lib.Units.CreateUnit(p.admin, u); err != nil {
			t.Fatal(err)
		}
	}
	if p.unitKey, _, err = lib.Units.CreateUnitKey(p.admin, pageUserUnit); err != nil {
		t.Fatal(err)
	}
	for _, dt := range demo.Types[:2] {
		lt := dt.LicenseType
		lt.Issuers = []string{pageIssuerUnit}
		if err := lib.Catalog.CreateLicenseType(p.admin, &lt); err != nil {
			t.Fatal(err)
		}
	}
	p.bizType, p.foodType = demo.Types[0].Code, demo.Types[1].Code
	if err := lib.Use.CreateMatter(p.admin, &zhengzhao.Matter{Code: pageMatterCode, Name: "食品经营许可（新办）", Owner: pageUserUnit,
		ApplicantKind: zhengzhao.HolderOrganization, Materials: []zhengzhao.Material{
			{Key: "business_license", Name: "营业执照"}, {Key: "food_safety_rules", Name: "食品安全管理制度"}}}); err != nil {
		t.Fatal(err)
	}
	p.handler = checked(t, zhttp.NewServer(zhttp.Config{Units: lib.Units, Catalog: lib.Catalog, Licenses: lib.Licenses, Keys: lib.Keys, Audit: lib.Audit,
		Aggregation: lib.Aggregation, Supervision: lib.Supervision, Holders: lib.Holders, Use: lib.Use, AdminToken: adminToken}).Handler())
	return p
}

// do serves a request; a form body is sent as a same-origin browser post.
func (p *usePages) do(t *testing.T, method, path string, form url.Values, header http.Header) *httptest.ResponseRecorder {
	t.Helper()
	var req *http.Request
	if form != nil {
		req = httptest.NewRequest(method, path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	} else {
		req = httptest.NewRequest(method, path, nil)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	p.handler.ServeHTTP(rec, req)
	return rec
}

// signIn returns the Cookie header of an administrator's page session.
func (p *usePages) signIn(t *testing.T) http.Header {
	t.Helper()
	rec := p.do(t, "POST", "/supervision/login", url.Values{"token": {adminToken}}, nil)
	for _, c := range rec.Result().Cookies() {
		if c.Name == "zz_admin" {
			return http.Header{"Cookie": {c.Name + "=" + c.Value}}
		}
	}
	t.Fatalf("sign-in: %d", rec.Code)
	return nil
}

// auditCount counts the audit entries with the action and subject.
func (p *usePages) auditCount(t *testing.T, action, subject string) int {
	t.Helper()
	es, _, _, err := p.lib.Audit.FindAuditEntries(p.admin, zhengzhao.AuditFilter{Page: zhengzhao.Page{Limit: zhengzhao.MaxPageLimit}})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range es {
		if e.Action == action && e.Subject == subject && e.Actor == "admin" {
			n++
		}
	}
	return n
}

func mustContain(t *testing.T, rec *httptest.ResponseRecorder, status int, wants ...string) {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status %d, want %d: %s", rec.Code, status, rec.Body)
	}
	for _, w := range wants {
		if !strings.Contains(rec.Body.String(), w) {
			t.Errorf("page lacks %q", w)
		}
	}
	if strings.Contains(rec.Body.String(), "style=") {
		t.Error("inline style: the pages' CSP blocks it")
	}
}

// TestMatterPagesShowData: the list, one matter and a unit's usage lists
// render the library's data with names, in Chinese and in English.
func TestMatterPagesShowData(t *testing.T) {
	p := newUsePages(t)
	if _, err := p.lib.Use.PutUsageList(p.admin, &zhengzhao.UsageList{Unit: pageUserUnit, Matter: pageMatterCode,
		Items: []zhengzhao.UsageItem{{Material: "business_license", LicenseTypes: []string{p.bizType}}}}); err != nil {
		t.Fatal(err)
	}
	c := p.signIn(t)
	mustContain(t, p.do(t, "GET", "/supervision/matters?lang=zh", nil, c), 200,
		"服务事项", pageMatterCode, "食品经营许可（新办）", "上海市浦东新区企业服务中心", "法人和其他组织", `<td class="n">2</td>`)
	mustContain(t, p.do(t, "GET", "/supervision/matters?lang=en&owner="+pageIssuerUnit, nil, c), 200, "Service matters", "No matters yet")
	mustContain(t, p.do(t, "GET", "/supervision/matters/"+pageMatterCode+"?lang=zh", nil, c), 200,
		"营业执照", "食品安全管理制度", "尚无用证目录替代此材料", "上海市浦东新区企业服务中心",
		`<option value="`+p.foodType+`">食品经营许可证`)
	// ?unit= fills the form with that unit's list.
	mustContain(t, p.do(t, "GET", "/supervision/matters/"+pageMatterCode+"?unit="+pageUserUnit, nil, c), 200,
		`<option value="`+p.bizType+`" selected>营业执照`)
	mustContain(t, p.do(t, "GET", "/supervision/units/"+pageUserUnit+"/usage-lists?lang=en", nil, c), 200,
		"Usage lists", "食品经营许可（新办）", "business_license", "营业执照")
	rec := p.do(t, "GET", "/supervision/matters/NOPE", nil, c)
	if rec.Code != 404 || !strings.Contains(rec.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("unknown matter: %d %s", rec.Code, rec.Header())
	}
}

// TestMatterFormCreatesAndAudits: posting the forms creates and changes a
// matter and a usage list through the library, each change audited as the
// administrator's.
func TestMatterFormCreatesAndAudits(t *testing.T) {
	p := newUsePages(t)
	c := p.signIn(t)
	form := url.Values{"code": {"310115-JZ-002"}, "name": {"建筑工程施工许可"}, "owner": {pageUserUnit}, "applicant_kind": {"organization"},
		"material_key": {"business_license", "", "safety_permit"}, "material_name": {"营业执照", "", "安全生产许可证"}}
	rec := p.do(t, "POST", "/supervision/matters", form, c)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/supervision/matters/310115-JZ-002?saved=matter" {
		t.Fatalf("create: %d %v %s", rec.Code, rec.Header(), rec.Body)
	}
	m, err := p.lib.Use.FindMatterByCode(p.admin, "310115-JZ-002")
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != "建筑工程施工许可" || m.Owner != pageUserUnit || len(m.Materials) != 2 || m.Materials[1] != (zhengzhao.Material{Key: "safety_permit", Name: "安全生产许可证"}) {
		t.Fatalf("created %+v", m)
	}
	if n := p.auditCount(t, zhengzhao.ActionMatterCreate, "310115-JZ-002"); n != 1 {
		t.Fatalf("%d matter.create entries, want 1", n)
	}
	mustContain(t, p.do(t, "GET", rec.Header().Get("Location"), nil, c), 200, "事项已保存")

	form.Set("name", "建筑工程施工许可（新办）")
	form["material_key"] = []string{"business_license"}
	form["material_name"] = []string{"营业执照"}
	if rec = p.do(t, "POST", "/supervision/matters/310115-JZ-002", form, c); rec.Code != http.StatusSeeOther {
		t.Fatalf("update: %d %s", rec.Code, rec.Body)
	}
	if m, _ = p.lib.Use.FindMatterByCode(p.admin, "310115-JZ-002"); m.Name != "建筑工程施工许可（新办）" || len(m.Materials) != 1 {
		t.Fatalf("updated %+v", m)
	}
	if n := p.auditCount(t, zhengzhao.ActionMatterUpdate, "310115-JZ-002"); n != 1 {
		t.Fatalf("%d matter.update entries, want 1", n)
	}

	rec = p.do(t, "POST", "/supervision/matters/"+pageMatterCode+"/usage-lists",
		url.Values{"unit": {pageUserUnit}, "types.business_license": {p.bizType, p.foodType}}, c)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("put usage list: %d %s", rec.Code, rec.Body)
	}
	ul, err := p.lib.Use.FindUsageLists(p.admin, pageUserUnit)
	if err != nil || len(ul) != 1 || len(ul[0].Items) != 1 || len(ul[0].Items[0].LicenseTypes) != 2 {
		t.Fatalf("usage lists %+v %v", ul, err)
	}
	if n := p.auditCount(t, zhengzhao.ActionUsageListPut, pageUserUnit); n != 1 {
		t.Fatalf("%d usage_list.put entries, want 1", n)
	}
	mustContain(t, p.do(t, "GET", "/supervision/matters/"+pageMatterCode, nil, c), 200, "营业执照、食品经营许可证")

	rec = p.do(t, "POST", "/supervision/matters/"+pageMatterCode+"/usage-lists/"+pageUserUnit+"/delete", url.Values{}, c)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("delete usage list: %d %s", rec.Code, rec.Body)
	}
	if ul, _ = p.lib.Use.FindUsageLists(p.admin, pageUserUnit); len(ul) != 0 {
		t.Fatalf("after delete: %+v", ul)
	}
	if n := p.auditCount(t, zhengzhao.ActionUsageListDelete, pageUserUnit); n != 1 {
		t.Fatalf("%d usage_list.delete entries, want 1", n)
	}
}

// TestMatterFormRejectsBadInput: a bad form comes back with each bad field
// named next to it, in Chinese with the English, and nothing changes.
func TestMatterFormRejectsBadInput(t *testing.T) {
	p := newUsePages(t)
	c := p.signIn(t)
	before := p.auditCount(t, zhengzhao.ActionMatterCreate, "bad code!")
	cases := []struct {
		name  string
		path  string
		form  url.Values
		code  int
		wants []string
	}{
		{"bad code and owner, duplicate material", "/supervision/matters", url.Values{"code": {"bad code!"}, "name": {"某事项"},
			"owner": {"91310000MA1FL8XQ3X"}, "applicant_kind": {"organization"},
			"material_key": {"a", "a"}, "material_name": {"甲", ""}}, 400,
			[]string{`id="code" name="code" value="bad code!" aria-invalid="true"`, "1 至 64 位字母", "1 to 64 letters",
				"统一社会信用代码校验位错误", "材料代码：材料 a 重复（key: duplicate material a）", "材料名称：必填（name: required）"}},
		{"no materials", "/supervision/matters", url.Values{"code": {"X-1"}, "name": {"某事项"}, "owner": {pageUserUnit},
			"applicant_kind": {"organization"}}, 400, []string{"至少填写一项申请材料（at least one material is required）"}},
		{"existing code", "/supervision/matters", url.Values{"code": {pageMatterCode}, "name": {"重复"}, "owner": {pageUserUnit},
			"applicant_kind": {"person"}, "material_key": {"a"}, "material_name": {"甲"}}, 409, []string{"事项编码 " + pageMatterCode + " 已存在"}},
		{"update with no name", "/supervision/matters/" + pageMatterCode, url.Values{"name": {""}, "applicant_kind": {"organization"},
			"material_key": {"business_license"}, "material_name": {"营业执照"}}, 400, []string{`id="name" name="name" value="" aria-invalid="true"`, "必填（required）"}},
		{"usage list: unknown type", "/supervision/matters/" + pageMatterCode + "/usage-lists", url.Values{"unit": {pageUserUnit},
			"types.food_safety_rules": {pageUserUnit + "999"}}, 400, []string{"证照类型：目录中没有证照类型 " + pageUserUnit + "999"}},
		{"usage list: nothing chosen", "/supervision/matters/" + pageMatterCode + "/usage-lists", url.Values{"unit": {pageUserUnit}}, 400,
			[]string{"请至少为一项材料选择可替代的证照类型"}},
		{"usage list: not a using unit", "/supervision/matters/" + pageMatterCode + "/usage-lists", url.Values{"unit": {pageIssuerUnit},
			"types.business_license": {demo.Types[0].Code}}, 400, []string{"不是用证单位", `id="unit" name="unit" list="using-units" value="` + pageIssuerUnit + `" aria-invalid="true"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mustContain(t, p.do(t, "POST", tc.path, tc.form, c), tc.code, tc.wants...)
		})
	}
	if _, err := p.lib.Use.FindMatterByCode(p.admin, "bad code!"); zhengzhao.ErrorCode(err) != zhengzhao.ENOTFOUND {
		t.Fatalf("bad matter stored: %v", err)
	}
	if m, _ := p.lib.Use.FindMatterByCode(p.admin, pageMatterCode); m.Name != "食品经营许可（新办）" || m.ApplicantKind != zhengzhao.HolderOrganization {
		t.Fatalf("matter changed: %+v", m)
	}
	if ul, _ := p.lib.Use.FindUsageLists(p.admin, ""); len(ul) != 0 {
		t.Fatalf("usage lists stored: %+v", ul)
	}
	if n := p.auditCount(t, zhengzhao.ActionMatterCreate, "bad code!"); n != before {
		t.Fatal("a refused form was audited as a change")
	}
	if n := p.auditCount(t, zhengzhao.ActionMatterUpdate, pageMatterCode) + p.auditCount(t, zhengzhao.ActionUsageListPut, pageUserUnit); n != 0 {
		t.Fatalf("%d change entries after refused forms", n)
	}
	// English pages show the English message alone.
	en := http.Header{"Cookie": {c.Get("Cookie") + "; lang=en"}}
	mustContain(t, p.do(t, "POST", "/supervision/matters", cases[1].form, en), 400, ">at least one material is required<")
}

// TestMatterPagesRefuseOthers: without the administrator's session — a
// unit key, a forged cookie, nothing — the pages redirect to the sign-in
// and change nothing; a cross-site post is refused even with the session.
func TestMatterPagesRefuseOthers(t *testing.T) {
	p := newUsePages(t)
	create := url.Values{"code": {"X-1"}, "name": {"某事项"}, "owner": {pageUserUnit}, "applicant_kind": {"organization"},
		"material_key": {"a"}, "material_name": {"甲"}}
	for name, h := range map[string]http.Header{
		"anonymous":     nil,
		"unit key":      {"Authorization": {"Bearer " + p.unitKey}},
		"forged cookie": {"Cookie": {"zz_admin=" + strings.Repeat("A", 43)}},
	} {
		for _, r := range []struct {
			method, path string
			form         url.Values
		}{
			{"GET", "/supervision/matters", nil},
			{"GET", "/supervision/matters/" + pageMatterCode, nil},
			{"GET", "/supervision/units/" + pageUserUnit + "/usage-lists", nil},
			{"POST", "/supervision/matters", create},
			{"POST", "/supervision/matters/" + pageMatterCode + "/usage-lists", url.Values{"unit": {pageUserUnit}, "types.business_license": {p.bizType}}},
		} {
			rec := p.do(t, r.method, r.path, r.form, h)
			if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/supervision/login" || strings.Contains(rec.Body.String(), "食品经营许可") {
				t.Errorf("%s %s %s: %d %v", name, r.method, r.path, rec.Code, rec.Header())
			}
		}
	}
	c := p.signIn(t)
	cross := c.Clone()
	cross.Set("Sec-Fetch-Site", "cross-site")
	if rec := p.do(t, "POST", "/supervision/matters", create, cross); rec.Code != http.StatusForbidden {
		t.Errorf("cross-site post: %d", rec.Code)
	}
	if _, err := p.lib.Use.FindMatterByCode(p.admin, "X-1"); zhengzhao.ErrorCode(err) != zhengzhao.ENOTFOUND {
		t.Fatalf("a refused post created the matter: %v", err)
	}
	if ul, _ := p.lib.Use.FindUsageLists(p.admin, ""); len(ul) != 0 {
		t.Fatalf("a refused post stored a usage list: %+v", ul)
	}
}

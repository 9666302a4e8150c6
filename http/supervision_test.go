package http_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
	zhttp "github.com/zhengzhao-project/zhengzhao/http"
	"github.com/zhengzhao-project/zhengzhao/mock"
)

// supervisionServer is a test server with a mock supervision service.
type supervisionServer struct {
	*Server
	ov *mock.SupervisionService
}

func newSupervisionServer(t *testing.T) *supervisionServer {
	t.Helper()
	ov := &mock.SupervisionService{}
	s := MustOpenServerConfig(t, func(c *zhttp.Config) {
		c.Supervision = ov
	})
	return &supervisionServer{s, ov}
}

func testObjection() *zhengzhao.Objection {
	return &zhengzhao.Objection{ID: "obj-1", License: licenseID(1), LicenseBase: "b", Type: typeCode, Issuer: issuerUnit.Code,
		Filer: "unit:" + userUnit.Code, FiledBy: "unit:" + userUnit.Code, Fields: []string{"fields.capital"}, Reason: "注册资本有误",
		Attachments: []zhengzhao.Attachment{}, Status: zhengzhao.ObjectionOpen, FiledAt: signedAt, DueOn: "2025-03-14"}
}

func testReport() *zhengzhao.SupervisionReport {
	f := zhengzhao.UnitFigures{Unit: zhengzhao.Party{Code: issuerUnit.Code, Name: issuerUnit.Name}, Roles: issuerUnit.Roles,
		Issued: 120, IssuedOnTime: 100, OnTimeRate: 0.833, Used: 40, Refused: 2, ObjectionsFiled: 3, ObjectionsOpen: 1, ObjectionsOverdue: 1}
	return &zhengzhao.SupervisionReport{From: "2025-01-01", To: "2025-12-31", GeneratedAt: signedAt, Units: []zhengzhao.UnitFigures{f},
		Totals: f, Series: []zhengzhao.SeriesPoint{{Period: "2025-01", Issued: 50, Used: 10}, {Period: "2025-02", Issued: 70, Used: 30, Objections: 3}}}
}

func testAnnual() *zhengzhao.AnnualReport {
	r := testReport()
	return &zhengzhao.AnnualReport{Year: 2025, Unit: r.Units[0].Unit, Figures: r.Units[0], Monthly: r.Series,
		Contacts: []*zhengzhao.UnitContact{}, Checks: []*zhengzhao.RandomCheck{}, GeneratedAt: signedAt}
}

// checkSchema checks a JSON response against the documented schema.
func checkSchema(t *testing.T, rec interface{ Result() *http.Response }, body []byte, pattern, method string) {
	t.Helper()
	doc := loadOpenAPI(t)
	res := rec.Result()
	op := get(doc, "paths", pattern, strings.ToLower(method))
	resp := doc.resolve(get(op, "responses", strconv.Itoa(res.StatusCode)))
	if resp == nil {
		t.Fatalf("status %d not documented for %s %s", res.StatusCode, method, pattern)
	}
	ct, _, _ := strings.Cut(res.Header.Get("Content-Type"), ";")
	if res.StatusCode == http.StatusNoContent && get(resp, "content") == nil {
		return
	}
	media := get(resp, "content", ct)
	if media == nil {
		t.Fatalf("content type %q not documented for %s %s %d", ct, method, pattern, res.StatusCode)
	}
	if ct != "application/json" && ct != "application/problem+json" {
		return
	}
	var v any
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		t.Fatal(err)
	}
	var errs []string
	doc.check(&errs, "", get(media, "schema"), v)
	if len(errs) > 0 {
		t.Fatalf("%s %s: response does not match the schema:\n%s\n%s", method, pattern, strings.Join(errs, "\n"), body)
	}
}

func TestSupervisionAPI(t *testing.T) {
	s := newSupervisionServer(t)
	var filed *zhengzhao.ObjectionRequest
	s.ov.FileObjectionFn = func(ctx context.Context, r *zhengzhao.ObjectionRequest) (*zhengzhao.Objection, error) {
		if zhengzhao.ActorFromContext(ctx).Unit.Code != userUnit.Code {
			t.Errorf("actor %+v", zhengzhao.ActorFromContext(ctx))
		}
		filed = r
		return testObjection(), nil
	}
	var answered *zhengzhao.ObjectionAnswer
	s.ov.AnswerObjectionFn = func(ctx context.Context, id string, a *zhengzhao.ObjectionAnswer) (*zhengzhao.Objection, error) {
		answered = a
		o := testObjection()
		at := signedAt.Add(time.Hour)
		o.Status, o.AnsweredAt, o.AnsweredBy, o.Correction = zhengzhao.ObjectionCorrected, &at, "unit:"+issuerUnit.Code, licenseID(2)
		return o, nil
	}
	var listed zhengzhao.ObjectionFilter
	s.ov.FindObjectionsFn = func(ctx context.Context, f zhengzhao.ObjectionFilter) ([]*zhengzhao.Objection, int, string, error) {
		listed = f
		return []*zhengzhao.Objection{testObjection()}, 1, "", nil
	}
	s.ov.FindObjectionByIDFn = func(ctx context.Context, id string) (*zhengzhao.Objection, error) {
		return nil, zhengzhao.Errorf(zhengzhao.ENOTFOUND, "no objection %s", id)
	}
	s.ov.FindNoticesFn = func(ctx context.Context, f zhengzhao.NoticeFilter) ([]*zhengzhao.Notice, int, string, error) {
		return []*zhengzhao.Notice{{ID: "n1", Recipient: "unit:" + userUnit.Code, Kind: zhengzhao.NoticeObjectionAnswered, Objection: "obj-1",
			Message: "已处理", CreatedAt: signedAt}}, 1, "", nil
	}
	s.ov.MarkNoticeReadFn = func(ctx context.Context, id string) (*zhengzhao.Notice, error) {
		return &zhengzhao.Notice{ID: id, Recipient: "unit:x", Kind: zhengzhao.NoticeObjectionFiled, Message: "m", CreatedAt: signedAt, ReadAt: &signedAt}, nil
	}
	s.ov.CreateUnitContactFn = func(ctx context.Context, c *zhengzhao.UnitContact) error {
		c.ID, c.CreatedAt = "ctc-1", signedAt
		return nil
	}
	s.ov.FindUnitContactsFn = func(ctx context.Context, unit string) ([]*zhengzhao.UnitContact, error) {
		return []*zhengzhao.UnitContact{(&zhengzhao.UnitContact{ID: "ctc-1", Unit: unit, Name: "王小明", Title: "处长", Phone: "13812345678", CreatedAt: signedAt}).Mask()}, nil
	}
	s.ov.DeleteUnitContactFn = func(ctx context.Context, unit, id string) error { return nil }
	s.ov.FindUnitsWithoutContactsFn = func(ctx context.Context, p zhengzhao.Page) ([]*zhengzhao.Unit, int, string, error) {
		return []*zhengzhao.Unit{userUnit}, 1, "", nil
	}
	s.ov.SuperviseFn = func(ctx context.Context, f zhengzhao.SupervisionFilter) (*zhengzhao.SupervisionReport, error) {
		if f.From == "bad" {
			return nil, zhengzhao.Invalid("invalid period", []zhengzhao.FieldError{{Field: "from", Message: "must be a date"}})
		}
		return testReport(), nil
	}
	s.ov.AnnualReportFn = func(ctx context.Context, unit string, year int) (*zhengzhao.AnnualReport, error) {
		return testAnnual(), nil
	}
	check := &zhengzhao.RandomCheck{ID: "chk-1", Unit: issuerUnit.Code, Kind: zhengzhao.CheckLicenses, CreatedAt: signedAt, CreatedBy: "admin",
		Items: []zhengzhao.CheckItem{{License: licenseID(1)}}}
	s.ov.CreateRandomCheckFn = func(ctx context.Context, r *zhengzhao.RandomCheckRequest) (*zhengzhao.RandomCheck, error) {
		return check, nil
	}
	s.ov.FindRandomChecksFn = func(ctx context.Context, f zhengzhao.RandomCheckFilter) ([]*zhengzhao.RandomCheck, int, string, error) {
		return []*zhengzhao.RandomCheck{check}, 1, "", nil
	}
	s.ov.FindRandomCheckByIDFn = func(ctx context.Context, id string) (*zhengzhao.RandomCheck, error) { return check, nil }
	var reviewedItem int
	s.ov.ReviewRandomCheckFn = func(ctx context.Context, id string, item int, r *zhengzhao.CheckReview) (*zhengzhao.RandomCheck, error) {
		reviewedItem = item
		return check, nil
	}
	s.ov.PublicCatalogFn = func(ctx context.Context) (*zhengzhao.PublicCatalog, error) {
		return &zhengzhao.PublicCatalog{GeneratedAt: signedAt, Total: 1, Issuers: []zhengzhao.CatalogIssuer{{Issuer: zhengzhao.Party{Code: issuerUnit.Code, Name: issuerUnit.Name},
			Levels: []zhengzhao.CatalogLevel{{Level: zhengzhao.LevelMunicipal, Types: []zhengzhao.CatalogEntry{{Code: typeCode, Name: "营业执照",
				HolderKind: zhengzhao.HolderPerson, CollectSince: "2020-01-01", Fields: []zhengzhao.CatalogField{{Key: "capital", Label: "注册资本"}}}}}}}}}, nil
	}

	objBody := `{"fields":["fields.capital"],"reason":"注册资本有误","attachments":[{"name":"a.pdf","size":10,"sha256":"` + strings.Repeat("0", 64) + `"}]}`
	for _, tc := range []struct {
		pattern string
		req     request
		status  int
	}{
		{"/v1/licenses/{id}/objections", request{method: "POST", path: "/v1/licenses/" + licenseID(1) + "/objections", token: userToken, body: objBody}, 201},
		{"/v1/licenses/{id}/objections", request{method: "POST", path: "/v1/licenses/" + licenseID(1) + "/objections", token: userToken, body: `{"fields":"x","extra":1}`}, 400},
		{"/v1/licenses/{id}/objections", request{method: "POST", path: "/v1/licenses/" + licenseID(1) + "/objections", body: objBody}, 401},
		{"/v1/objections", request{method: "GET", path: "/v1/objections?role=issuer&status=open&overdue=true&license=" + licenseID(1), token: issuerToken}, 200},
		{"/v1/objections", request{method: "GET", path: "/v1/objections?status=maybe", token: issuerToken}, 400},
		{"/v1/objections/{id}", request{method: "GET", path: "/v1/objections/obj-9", token: issuerToken}, 404},
		{"/v1/objections/{id}/answer", request{method: "POST", path: "/v1/objections/obj-1/answer", token: issuerToken,
			body: `{"decision":"correct","reason":"已更正","update":` + updateBody + `}`}, 200},
		{"/v1/notices", request{method: "GET", path: "/v1/notices?unread=true", token: userToken}, 200},
		{"/v1/notices/{id}/read", request{method: "POST", path: "/v1/notices/n1/read", token: userToken}, 200},
		{"/v1/units/{code}/contacts", request{method: "POST", path: "/v1/units/" + userUnit.Code + "/contacts", token: userToken,
			body: `{"name":"王小明","title":"处长","phone":"13812345678"}`}, 201},
		{"/v1/units/{code}/contacts", request{method: "GET", path: "/v1/units/" + userUnit.Code + "/contacts", token: adminToken}, 200},
		{"/v1/units/{code}/contacts/{id}", request{method: "DELETE", path: "/v1/units/" + userUnit.Code + "/contacts/ctc-1", token: adminToken}, 204},
		{"/v1/catalog", request{method: "GET", path: "/v1/catalog"}, 200},
		{"/v1/catalog", request{method: "GET", path: "/v1/catalog?format=csv"}, 200},
		{"/v1/catalog", request{method: "GET", path: "/v1/catalog?format=xml"}, 400},
		{"/v1/supervision", request{method: "GET", path: "/v1/supervision?from=2025-01-01&to=2025-12-31", token: adminToken}, 200},
		{"/v1/supervision", request{method: "GET", path: "/v1/supervision?from=bad", token: adminToken}, 400},
		{"/v1/supervision/units-without-contacts", request{method: "GET", path: "/v1/supervision/units-without-contacts", token: adminToken}, 200},
		{"/v1/supervision/units/{code}/report", request{method: "GET", path: "/v1/supervision/units/" + issuerUnit.Code + "/report?year=2025", token: adminToken}, 200},
		{"/v1/supervision/units/{code}/report", request{method: "GET", path: "/v1/supervision/units/" + issuerUnit.Code + "/report?year=2025&format=csv", token: adminToken}, 200},
		{"/v1/supervision/units/{code}/report", request{method: "GET", path: "/v1/supervision/units/" + issuerUnit.Code + "/report?format=pdf", token: adminToken}, 200},
		{"/v1/supervision/units/{code}/report", request{method: "GET", path: "/v1/supervision/units/" + issuerUnit.Code + "/report?year=x", token: adminToken}, 400},
		{"/v1/supervision/checks", request{method: "POST", path: "/v1/supervision/checks", token: adminToken, body: `{"unit":"` + issuerUnit.Code + `","kind":"licenses","size":5}`}, 201},
		{"/v1/supervision/checks", request{method: "GET", path: "/v1/supervision/checks?unit=" + issuerUnit.Code, token: adminToken}, 200},
		{"/v1/supervision/checks/{id}", request{method: "GET", path: "/v1/supervision/checks/chk-1", token: adminToken}, 200},
		{"/v1/supervision/checks/{id}/items/{item}/review", request{method: "POST", path: "/v1/supervision/checks/chk-1/items/3/review", token: adminToken,
			body: `{"outcome":"fail","note":"不符"}`}, 200},
	} {
		t.Run(tc.req.method+" "+tc.req.path, func(t *testing.T) {
			rec := s.Do(t, tc.req)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			checkSchema(t, rec, rec.Body.Bytes(), tc.pattern, tc.req.method)
		})
	}
	if filed == nil || filed.License != licenseID(1) || filed.Reason != "注册资本有误" || len(filed.Attachments) != 1 {
		t.Errorf("filed %+v", filed)
	}
	if answered == nil || answered.Update == nil || answered.Update.Holder.Name != "张三丰" || answered.Update.Fields["capital"] != json.Number("20") {
		t.Errorf("answered %+v", answered)
	}
	if listed.Role != "issuer" || !listed.Overdue || listed.LicenseBase == nil || *listed.Status != "open" {
		t.Errorf("listed with %+v", listed)
	}
	if reviewedItem != 3 {
		t.Errorf("reviewed item %d", reviewedItem)
	}
}

func TestCatalogCSVAndPage(t *testing.T) {
	s := newSupervisionServer(t)
	s.ov.PublicCatalogFn = func(ctx context.Context) (*zhengzhao.PublicCatalog, error) {
		return &zhengzhao.PublicCatalog{GeneratedAt: signedAt, Total: 1, Issuers: []zhengzhao.CatalogIssuer{{Issuer: zhengzhao.Party{Code: issuerUnit.Code, Name: issuerUnit.Name},
			Levels: []zhengzhao.CatalogLevel{{Level: zhengzhao.LevelNational, Types: []zhengzhao.CatalogEntry{{Code: typeCode, Name: "营业执照<b>",
				HolderKind: zhengzhao.HolderOrganization, CollectSince: "2020-01-01", Fields: []zhengzhao.CatalogField{{Key: "capital", Label: "注册资本"}}}}}}}}}, nil
	}
	rec := s.Do(t, request{method: "GET", path: "/v1/catalog?format=csv"})
	if !bytes.HasPrefix(rec.Body.Bytes(), []byte("\xEF\xBB\xBF")) || !strings.Contains(rec.Body.String(), "营业执照<b>") ||
		!strings.Contains(rec.Header().Get("Content-Disposition"), "attachment") {
		t.Fatalf("CSV: %q %v", rec.Body.String(), rec.Header())
	}
	rec = s.Do(t, request{method: "GET", path: "/catalog?lang=zh"})
	body := rec.Body.String()
	if rec.Code != 200 || !strings.Contains(body, "电子证照目录") || !strings.Contains(body, "国家级") || !strings.Contains(body, "注册资本") ||
		!strings.Contains(body, "营业执照&lt;b&gt;") || !strings.Contains(body, `href="/v1/catalog?format=csv"`) {
		t.Fatalf("page %d: %s", rec.Code, body)
	}
	rec = s.Do(t, request{method: "GET", path: "/catalog?lang=en"})
	if !strings.Contains(rec.Body.String(), "Electronic license catalog") {
		t.Fatalf("English page: %s", rec.Body)
	}
}

// signIn posts the admin token to the sign-in form and returns the
// session cookie.
func signIn(t *testing.T, s *supervisionServer, token string) (*http.Cookie, int) {
	t.Helper()
	rec := s.Do(t, request{method: "POST", path: "/supervision/login", body: url.Values{"token": {token}}.Encode(),
		header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}})
	for _, c := range rec.Result().Cookies() {
		if c.Name == "zz_admin" {
			return c, rec.Code
		}
	}
	return nil, rec.Code
}

func TestSupervisionPages(t *testing.T) {
	s := newSupervisionServer(t)
	s.ov.SuperviseFn = func(ctx context.Context, f zhengzhao.SupervisionFilter) (*zhengzhao.SupervisionReport, error) {
		if zhengzhao.ActorFromContext(ctx).Kind != zhengzhao.ActorAdmin {
			t.Errorf("dashboard actor %+v", zhengzhao.ActorFromContext(ctx))
		}
		return testReport(), nil
	}
	s.ov.FindObjectionsFn = func(ctx context.Context, f zhengzhao.ObjectionFilter) ([]*zhengzhao.Objection, int, string, error) {
		return []*zhengzhao.Objection{testObjection()}, 1, "", nil
	}
	s.ov.FindUnitsWithoutContactsFn = func(ctx context.Context, p zhengzhao.Page) ([]*zhengzhao.Unit, int, string, error) {
		return []*zhengzhao.Unit{userUnit}, 1, "", nil
	}
	s.ov.FindRandomChecksFn = func(ctx context.Context, f zhengzhao.RandomCheckFilter) ([]*zhengzhao.RandomCheck, int, string, error) {
		return nil, 0, "", nil
	}
	s.ov.AnnualReportFn = func(ctx context.Context, unit string, year int) (*zhengzhao.AnnualReport, error) {
		return testAnnual(), nil
	}

	rec := s.Do(t, request{method: "GET", path: "/supervision"})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/supervision/login" {
		t.Fatalf("without a session: %d %v", rec.Code, rec.Header())
	}
	if c, code := signIn(t, s, "wrong"); c != nil || code != http.StatusUnauthorized {
		t.Fatalf("wrong token: cookie %v, status %d", c, code)
	}
	if c, _ := signIn(t, s, issuerToken); c != nil {
		t.Fatal("a unit key signs in to the dashboard")
	}
	c, code := signIn(t, s, adminToken)
	if c == nil || code != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", code)
	}
	if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/supervision" || c.Value == adminToken || len(c.Value) < 40 {
		t.Fatalf("session cookie %+v", c)
	}
	cookie := http.Header{"Cookie": {c.Name + "=" + c.Value}}
	rec = s.Do(t, request{method: "GET", path: "/supervision?lang=zh", header: cookie})
	body := rec.Body.String()
	// Each figure says what it means: the on-time rule in the footnote
	// and the tooltip, in Chinese and (with lang=en) in English.
	for _, want := range []string{"指标说明", "发证日（issued_on）后第 1 个工作日", `href="#rule-1"`} {
		if !strings.Contains(body, want) {
			t.Errorf("dashboard lacks %q", want)
		}
	}
	en := s.Do(t, request{method: "GET", path: "/supervision?lang=en", header: cookie}).Body.String()
	if !strings.Contains(en, "What the figures mean") || !strings.Contains(en, "no later than the working day after their paper issue date") {
		t.Errorf("the English dashboard does not explain the figures")
	}
	for _, want := range []string{"监管看板", "<svg", "83.3%", issuerUnit.Name, "obj-1", userUnit.Name, "format=pdf"} {
		if !strings.Contains(body, want) {
			t.Errorf("dashboard lacks %q", want)
		}
	}
	if rec.Code != 200 || strings.Contains(body, "style=") {
		t.Fatalf("dashboard %d (inline styles break the CSP)", rec.Code)
	}
	// The session cookie is no credential for the API.
	rec = s.Do(t, request{method: "GET", path: "/v1/supervision", header: cookie})
	mustProblem(t, rec, http.StatusUnauthorized, zhengzhao.EUNAUTHENTICATED)

	rec = s.Do(t, request{method: "GET", path: "/supervision/units/" + issuerUnit.Code + "/report?year=2025&format=csv", header: cookie})
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "text/csv; charset=utf-8" {
		t.Fatalf("CSV download: %d %v", rec.Code, rec.Header())
	}
	rec = s.Do(t, request{method: "GET", path: "/supervision/units/" + issuerUnit.Code + "/report?format=pdf", header: cookie})
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/pdf" {
		t.Fatalf("PDF with the built-in font: %d %v", rec.Code, rec.Header())
	}

	rec = s.Do(t, request{method: "POST", path: "/supervision/logout", header: cookie})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("logout %d", rec.Code)
	}
	rec = s.Do(t, request{method: "GET", path: "/supervision", header: cookie})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("after logout: %d", rec.Code)
	}
}

func TestAnnualReportPDF(t *testing.T) {
	s := newSupervisionServer(t)
	s.ov.AnnualReportFn = func(ctx context.Context, unit string, year int) (*zhengzhao.AnnualReport, error) {
		if unit != issuerUnit.Code || year != 2025 {
			t.Errorf("report of %s %d", unit, year)
		}
		return testAnnual(), nil
	}
	rec := s.Do(t, request{method: "GET", path: "/v1/supervision/units/" + issuerUnit.Code + "/report?year=2025&format=pdf", token: adminToken})
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(rec.Body.Bytes(), []byte("%PDF-")) {
		t.Fatalf("PDF: %d %v", rec.Code, rec.Header())
	}
	checkSchema(t, rec, nil, "/v1/supervision/units/{code}/report", "GET")
}

func TestBarChartEscapes(t *testing.T) {
	s := newSupervisionServer(t)
	s.ov.SuperviseFn = func(ctx context.Context, f zhengzhao.SupervisionFilter) (*zhengzhao.SupervisionReport, error) {
		r := testReport()
		r.Series[0].Period = `<script>x</script>`
		return r, nil
	}
	s.ov.FindObjectionsFn = func(ctx context.Context, f zhengzhao.ObjectionFilter) ([]*zhengzhao.Objection, int, string, error) {
		return nil, 0, "", nil
	}
	s.ov.FindUnitsWithoutContactsFn = func(ctx context.Context, p zhengzhao.Page) ([]*zhengzhao.Unit, int, string, error) {
		return nil, 0, "", nil
	}
	s.ov.FindRandomChecksFn = func(ctx context.Context, f zhengzhao.RandomCheckFilter) ([]*zhengzhao.RandomCheck, int, string, error) {
		return nil, 0, "", nil
	}
	c, _ := signIn(t, s, adminToken)
	rec := s.Do(t, request{method: "GET", path: "/supervision", header: http.Header{"Cookie": {c.Name + "=" + c.Value}}})
	if strings.Contains(rec.Body.String(), "<script>x") {
		t.Fatal("chart label not escaped")
	}
}

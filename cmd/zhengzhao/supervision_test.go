package main

import (
	"context"
	"encoding/json"
	"io"
	nethttp "net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zhengzhao-project/zhengzhao/demo"
)

// runMainWithClock starts a real server whose library clock runs offset
// ahead of the wall clock.
func runMainWithClock(t *testing.T, db string, offset *atomic.Int64) *Main {
	t.Helper()
	t.Setenv("ZHENGZHAO_ADMIN_TOKEN", testAdminToken)
	m := NewMain()
	m.Config.DB = db
	m.Config.DataDir = t.TempDir()
	m.Config.Addr = "127.0.0.1:0"
	m.Config.Now = func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	m.Stdout = io.Discard
	m.Logger = newLogger("text", io.Discard)
	if err := m.Run(context.Background()); err != nil {
		t.Fatalf("Run: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

var userCode = demo.USCC("12310115MB2C19817")

// TestObjections walks objections through the real server: filed by a
// using unit, verification showing "under objection" while it is open,
// answered with a correction, the filer informed; refusals that change
// nothing; an overdue objection flagged.
func TestObjections(t *testing.T) { forEachStore(t, testObjections) }

func testObjections(t *testing.T, db string) {
	var offset atomic.Int64
	m := runMainWithClock(t, db, &offset)
	admin, issuer, other := setup(t, m)
	anon := client{t, m.URL, ""}
	admin.do("POST", "/v1/units", map[string]any{"code": userCode, "name": "上海市浦东新区企业服务中心", "roles": []string{"user"}, "region": "310115"}).want(t, 201)
	user := client{t, m.URL, admin.do("POST", "/v1/units/"+userCode+"/keys", nil).want(t, 201).json(t)["key"].(string)}

	doc := issuer.do("POST", "/v1/licenses", issueBody()).want(t, 201).body
	var lic map[string]any
	json.Unmarshal(doc, &lic)
	id := lic["id"].(string)

	state := func() string { // what a refusal must not change
		objs := admin.do("GET", "/v1/objections", nil).want(t, 200).json(t)["total"]
		notes := issuer.do("GET", "/v1/notices", nil).want(t, 200).json(t)["total"]
		v := anon.do("POST", "/v1/verify", doc).want(t, 200).json(t)["under_objection"]
		entries := admin.do("GET", "/v1/audit/entries?license="+id, nil).want(t, 200).json(t)["total"]
		b, _ := json.Marshal([]any{objs, notes, v, entries})
		return string(b)
	}
	before := state()

	// Refusals: an unknown license, a unit without the user role, a
	// holder-less filing by the administrator, an unknown field.
	body := map[string]any{"fields": []string{"fields.legal_representative"}, "reason": "法定代表人已变更为李四，见股东会决议。",
		"attachments": []map[string]any{{"name": "股东会决议.pdf", "media_type": "application/pdf", "size": 52311, "sha256": strings.Repeat("3f", 32)}}}
	user.do("POST", "/v1/licenses/"+strings.Replace(id, ".001.", ".009.", 1)+"/objections", body).want(t, 404)
	p := other.do("POST", "/v1/licenses/"+id+"/objections", body).want(t, 403).json(t)
	if !strings.Contains(p["detail"].(string), "user role") {
		t.Fatalf("refusal without the reason: %v", p)
	}
	admin.do("POST", "/v1/licenses/"+id+"/objections", body).want(t, 400)
	bad := map[string]any{"fields": []string{"fields.no_such"}, "reason": "x"}
	user.do("POST", "/v1/licenses/"+id+"/objections", bad).want(t, 400)
	if after := state(); after != before {
		t.Fatalf("refused objections changed the state: %s → %s", before, after)
	}

	// Filed.
	o := user.do("POST", "/v1/licenses/"+id+"/objections", body).want(t, 201).json(t)
	oid := o["id"].(string)
	if o["status"] != "open" || o["due_on"] == "" || o["overdue"] != false || o["filer"] != "unit:"+userCode {
		t.Fatalf("filed: %v", o)
	}
	v := anon.do("POST", "/v1/verify", doc).want(t, 200).json(t)
	if v["valid"] != true || v["under_objection"] != true || v["status"] != "valid" {
		t.Fatalf("verify while open: %v", v)
	}
	if strings.Contains(string(anon.do("POST", "/v1/verify", doc).body), "李四") {
		t.Fatal("verification reveals the objection")
	}
	queue := issuer.do("GET", "/v1/objections?status=open", nil).want(t, 200).json(t)
	if queue["total"] != 1.0 {
		t.Fatalf("issuer's queue: %v", queue)
	}
	if n := issuer.do("GET", "/v1/notices?unread=true", nil).want(t, 200).json(t)["total"]; n != 1.0 {
		t.Fatalf("issuer's notices: %v", n)
	}

	// A wrong answerer is refused and changes nothing.
	before = state()
	update := map[string]any{"number": lic["number"], "holder": lic["holder"], "issued_on": "2024-01-02", "valid_from": lic["valid_from"],
		"valid_until": lic["valid_until"], "fields": map[string]any{"legal_representative": "李四", "registered_capital": 100,
			"entity_type": "有限责任公司", "established_on": "2024-01-02"}}
	p = other.do("POST", "/v1/objections/"+oid+"/answer", map[string]any{"decision": "correct", "update": update}).want(t, 403).json(t)
	if !strings.Contains(p["detail"].(string), "another issuer") {
		t.Fatalf("refusal: %v", p)
	}
	user.do("POST", "/v1/objections/"+oid+"/answer", map[string]any{"decision": "reject", "reason": "x"}).want(t, 403)
	if after := state(); after != before {
		t.Fatalf("refused answers changed the state: %s → %s", before, after)
	}

	// Answered with a correction.
	a := issuer.do("POST", "/v1/objections/"+oid+"/answer", map[string]any{"decision": "correct", "reason": "已核实并更正", "update": update}).want(t, 200).json(t)
	corr, _ := a["correction"].(string)
	if a["status"] != "corrected" || !strings.Contains(corr, ".002.") {
		t.Fatalf("answer: %v", a)
	}
	v = anon.do("POST", "/v1/verify", doc).want(t, 200).json(t)
	if v["status"] != "superseded" || v["under_objection"] != false || v["superseded_by"] != corr {
		t.Fatalf("verify after the correction: %v", v)
	}
	v2 := issuer.do("GET", "/v1/licenses/"+corr, nil).want(t, 200)
	if got := v2.json(t)["fields"].(map[string]any)["legal_representative"]; got != "李四" {
		t.Fatalf("corrected field: %v", got)
	}
	if v := anon.do("POST", "/v1/verify", v2.body).want(t, 200).json(t); v["valid"] != true || v["under_objection"] != false {
		t.Fatalf("verify the corrected version: %v", v)
	}

	// The filer is informed.
	notes := user.do("GET", "/v1/notices?unread=true", nil).want(t, 200).json(t)["items"].([]any)
	if len(notes) != 1 {
		t.Fatalf("filer's notices: %v", notes)
	}
	note := notes[0].(map[string]any)
	if note["kind"] != "objection.answered" || note["objection"] != oid || !strings.Contains(note["message"].(string), corr) {
		t.Fatalf("notice: %v", note)
	}
	user.do("POST", "/v1/notices/"+note["id"].(string)+"/read", nil).want(t, 200)
	if n := user.do("GET", "/v1/notices?unread=true", nil).want(t, 200).json(t)["total"]; n != 0.0 {
		t.Fatalf("unread after reading: %v", n)
	}
	got := user.do("GET", "/v1/objections/"+oid, nil).want(t, 200).json(t)
	if got["status"] != "corrected" || got["correction"] != corr {
		t.Fatalf("the filer's view: %v", got)
	}
	other.do("GET", "/v1/objections/"+oid, nil).want(t, 404)

	// The audit log has every step.
	entries := admin.do("GET", "/v1/audit/entries?license="+id, nil).want(t, 200).json(t)["items"].([]any)
	var actions []string
	for _, e := range entries {
		actions = append(actions, e.(map[string]any)["action"].(string))
	}
	if j := strings.Join(actions, ","); !strings.Contains(j, "objection.file") || !strings.Contains(j, "license.update,objection.answer") {
		t.Fatalf("audit actions: %s", j)
	}

	// An overdue objection is flagged.
	body2 := issueBody()
	body2["number"] = "310000000000002"
	doc2 := issuer.do("POST", "/v1/licenses", body2).want(t, 201).json(t)
	o2 := user.do("POST", "/v1/licenses/"+doc2["id"].(string)+"/objections", body).want(t, 201).json(t)
	if n := admin.do("GET", "/v1/objections?overdue=true", nil).want(t, 200).json(t)["total"]; n != 0.0 {
		t.Fatalf("overdue right after filing: %v", n)
	}
	offset.Store(int64(40 * 24 * time.Hour)) // forty days on: past ten working days whatever the holidays
	od := admin.do("GET", "/v1/objections?overdue=true", nil).want(t, 200).json(t)
	items := od["items"].([]any)
	if od["total"] != 1.0 || items[0].(map[string]any)["id"] != o2["id"] || items[0].(map[string]any)["overdue"] != true {
		t.Fatalf("overdue list: %v", od)
	}
	if q := issuer.do("GET", "/v1/objections/"+o2["id"].(string), nil).want(t, 200).json(t); q["overdue"] != true {
		t.Fatalf("not flagged: %v", q)
	}
	now := time.Now()
	sup := admin.do("GET", "/v1/supervision?unit="+issuerCode+"&from="+now.AddDate(0, 0, -2).Format("2006-01-02")+
		"&to="+now.AddDate(0, 0, 45).Format("2006-01-02"), nil).want(t, 200).json(t)
	fig := sup["units"].([]any)[0].(map[string]any)
	if fig["objections_open"] != 1.0 || fig["objections_overdue"] != 1.0 || fig["objections_filed"] != 2.0 || fig["objections_corrected"] != 1.0 {
		t.Fatalf("supervision figures: %v", fig)
	}
}

// TestSupervisionAndCatalog checks the public catalog page and CSV, the
// dashboard's sign-in and the annual report downloads on the real server.
func TestSupervisionAndCatalog(t *testing.T) {
	m := MustRunMain(t)
	admin, issuer, _ := setup(t, m)
	issuer.do("POST", "/v1/licenses", issueBody()).want(t, 201)
	anon := client{t, m.URL, ""}

	page := anon.do("GET", "/catalog?lang=zh", nil).want(t, 200)
	if !strings.Contains(string(page.body), "营业执照") || !strings.Contains(string(page.body), "法定代表人") {
		t.Fatalf("catalog page: %s", page.body)
	}
	csv := anon.do("GET", "/v1/catalog?format=csv", nil).want(t, 200)
	if !strings.HasPrefix(string(csv.body), "\uFEFF") || !strings.Contains(string(csv.body), "上海市市场监督管理局") {
		t.Fatalf("catalog CSV: %q", csv.body)
	}

	admin.do("POST", "/v1/units/"+issuerCode+"/contacts", map[string]any{"name": "王小明", "title": "数据资源处处长", "phone": "13812345678"}).want(t, 201)
	cs := admin.do("GET", "/v1/units/"+issuerCode+"/contacts", nil).want(t, 200).json(t)["items"].([]any)
	if c := cs[0].(map[string]any); c["name"] != "王**" || c["phone"] != "138****5678" {
		t.Fatalf("contacts are not masked: %v", c)
	}
	without := admin.do("GET", "/v1/supervision/units-without-contacts", nil).want(t, 200).json(t)
	if without["total"] != 1.0 || without["items"].([]any)[0].(map[string]any)["code"] != otherCode {
		t.Fatalf("units without contacts: %v", without)
	}

	year := time.Now().In(time.FixedZone("CST", 8*3600)).Format("2006")
	rep := issuer.do("GET", "/v1/supervision/units/"+issuerCode+"/report?format=csv&year="+year, nil).want(t, 200)
	if !strings.Contains(string(rep.body), "发证数量 Licenses issued,1") {
		t.Fatalf("annual CSV: %s", rep.body)
	}
	pdf := issuer.do("GET", "/v1/supervision/units/"+issuerCode+"/report?format=pdf", nil).want(t, 200)
	if !strings.HasPrefix(string(pdf.body), "%PDF-") {
		t.Fatal("not a PDF")
	}

	// The dashboard: sign in with the admin token through the form.
	jar, _ := cookiejar.New(nil)
	browser := &nethttp.Client{Jar: jar}
	res, err := browser.PostForm(m.URL+"/supervision/login", url.Values{"token": {testAdminToken}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(b), "<svg") || !strings.Contains(string(b), "上海市市场监督管理局") {
		t.Fatalf("dashboard after sign-in: %d %s", res.StatusCode, b)
	}
}

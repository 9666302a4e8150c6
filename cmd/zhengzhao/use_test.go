package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/demo"
	"github.com/zhengzhao-project/zhengzhao/library"
	"github.com/zhengzhao-project/zhengzhao/sign"
)

var (
	useUnitCode  = demo.USCC("11310115MB2F38612")
	bankCode     = demo.USCC("91310115MA1K00001")
	districtCode = demo.USCC("11310115000000001")
	orgHolder    = zhengzhao.HolderRef{IDType: "001", ID: "91350100M000100Y43"}
)

const (
	matterCode = "310000-SC-0001"
	matterName = "食品经营许可（新办）"
)

// useFixture is a running library with an issuer that issued a business
// license to orgHolder, a using unit with a matter on its usage list, and
// the holder's session.
type useFixture struct {
	m                   *Main
	admin, issuer, user client
	license             map[string]any
	holderCookie        string
	usecontext          map[string]any
}

func newUseFixture(t *testing.T, db string) *useFixture {
	t.Helper()
	m := MustRunMainDB(t, db)
	admin, issuer, _ := setup(t, m)
	f := &useFixture{m: m, admin: admin, issuer: issuer}
	admin.do("POST", "/v1/units", map[string]any{"code": useUnitCode, "name": "浦东新区市场监督管理局", "roles": []string{"user"}, "region": "310115"}).want(t, 201)
	f.user = client{t, m.URL, admin.do("POST", "/v1/units/"+useUnitCode+"/keys", nil).want(t, 201).json(t)["key"].(string)}
	f.user.do("POST", "/v1/matters", map[string]any{"code": matterCode, "name": matterName, "applicant_kind": "organization",
		"materials": []map[string]any{{"key": "business_license", "name": "营业执照"}, {"key": "premises", "name": "经营场所证明"}}}).want(t, 201)
	f.user.do("PUT", "/v1/units/"+useUnitCode+"/usage-lists/"+matterCode, map[string]any{
		"items": []map[string]any{{"material": "business_license", "license_types": []string{typeCode}}}}).want(t, 200)
	f.license = issuer.do("POST", "/v1/licenses", issueBody()).want(t, 201).json(t)
	sys := zhengzhao.NewContextWithActor(context.Background(), zhengzhao.Actor{Kind: zhengzhao.ActorSystem})
	var err error
	f.holderCookie, err = m.Library.Holders.CreateHolderSession(sys, &zhengzhao.HolderSession{Holder: orgHolder, Name: "上海示例科技有限公司", Method: zhengzhao.SignInOIDC}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	f.usecontext = map[string]any{"operator": "窗口 3 王敏", "matter_code": matterCode, "matter_name": matterName, "case_number": "SC20260520-0001"}
	return f
}

func withContext(c map[string]any, k string, v any) map[string]any {
	out := map[string]any{}
	for kk, vv := range c {
		out[kk] = vv
	}
	if v == nil {
		delete(out, k)
	} else {
		out[k] = v
	}
	return out
}

// refusals returns the use.refused entries of the unit, oldest first.
func refusals(t *testing.T, admin client, unit string) []map[string]any {
	t.Helper()
	es := admin.do("GET", "/v1/audit/entries?actor=unit:"+unit+"&limit=1000", nil).want(t, 200).json(t)["items"].([]any)
	var out []map[string]any
	for _, e := range es {
		if m := e.(map[string]any); m["action"] == zhengzhao.ActionUseRefused {
			out = append(out, m)
		}
	}
	return out
}

// TestUsingUnitExemptionAndFetch: a using unit handles a matter for an
// applicant, sees which materials are exempted, fetches the covering
// license with a case number, and the holder's usage record shows the
// fetch with the matter name. Bad requests are refused with the reason
// and audited.
func TestUsingUnitExemptionAndFetch(t *testing.T) { forEachStore(t, testUsingUnitExemptionAndFetch) }

func testUsingUnitExemptionAndFetch(t *testing.T, db string) {
	f := newUseFixture(t, db)
	ex := f.user.do("POST", "/v1/use/exemptions", map[string]any{"matter": matterCode,
		"applicant": orgHolder, "context": f.usecontext}).want(t, 200).json(t)
	mats := ex["materials"].([]any)
	if len(mats) != 2 {
		t.Fatalf("materials: %v", mats)
	}
	bl, premises := mats[0].(map[string]any), mats[1].(map[string]any)
	if bl["exempted"] != true || premises["exempted"] != false {
		t.Fatalf("exempted: business license %v, premises %v", bl["exempted"], premises["exempted"])
	}
	covering := bl["licenses"].([]any)[0].(map[string]any)["id"].(string)
	if covering != f.license["id"] {
		t.Fatalf("covering license %s, want %s", covering, f.license["id"])
	}

	got := f.user.do("POST", "/v1/use/fetch", map[string]any{"license": covering, "context": f.usecontext}).want(t, 200).json(t)
	if got["id"] != covering || got["proof"] == nil {
		t.Fatalf("fetched %v", got)
	}
	usage := holderDo(t, f.m.URL, f.holderCookie, "GET", "/v1/holder/licenses/"+covering+"/usage", nil).want(t, 200).json(t)["items"].([]any)
	found := false
	for _, e := range usage {
		e := e.(map[string]any)
		if e["action"] == zhengzhao.ActionUseFetch {
			d := e["details"].(map[string]any)
			found = d["matter_name"] == matterName && d["case_number"] == "SC20260520-0001" && d["operator"] == "窗口 3 王敏" &&
				d["unit"] == useUnitCode && e["actor_name"] == "浦东新区市场监督管理局"
		}
	}
	if !found {
		t.Fatalf("the holder's usage record lacks the fetch with the matter name: %v", usage)
	}

	// Bad requests: each refused with its reason, each audited.
	wrongCheck := orgHolder.ID[:17] + "X"
	if wrongCheck == orgHolder.ID {
		wrongCheck = orgHolder.ID[:17] + "Y"
	}
	otherType := typeCode[:18] + "009"
	f.issuer.do("POST", "/v1/license-types", map[string]any{"code": otherType, "name": "其他许可", "holder_kind": "organization",
		"level": "municipal", "public": true, "collect_since": "2020-01-01", "fields": []map[string]any{{"key": "x", "label": "X", "type": "string"}}}).want(t, 201)
	other := f.issuer.do("POST", "/v1/licenses", map[string]any{"type": otherType, "number": "N-2", "holder": issueBody()["holder"],
		"issued_on": "2024-01-02", "valid_from": "2024-01-02", "fields": map[string]any{"x": "y"}}).want(t, 201).json(t)
	before := len(refusals(t, f.admin, useUnitCode))
	cases := []struct {
		name   string
		path   string
		body   map[string]any
		status int
		reason string
	}{
		{"unknown matter", "/v1/use/exemptions", map[string]any{"matter": "NOPE-1", "applicant": orgHolder, "context": withContext(f.usecontext, "matter_code", "NOPE-1")}, 400, "unknown matter"},
		{"wrong check digit", "/v1/use/exemptions", map[string]any{"matter": matterCode, "applicant": map[string]any{"id_type": "001", "id": wrongCheck}, "context": f.usecontext}, 400, "applicant.id"},
		{"missing case number", "/v1/use/fetch", map[string]any{"license": covering, "context": withContext(f.usecontext, "case_number", nil)}, 400, "context.case_number"},
		{"type not on the usage list", "/v1/use/fetch", map[string]any{"license": other["id"], "context": f.usecontext}, 403, "does not accept license type"},
		{"wrong matter name", "/v1/use/fetch", map[string]any{"license": covering, "context": withContext(f.usecontext, "matter_name", "别的事项")}, 400, "matter name"},
	}
	for _, c := range cases {
		r := f.user.do("POST", c.path, c.body)
		if r.status != c.status || !strings.Contains(string(r.body), c.reason) && !strings.Contains(r.json(t)["detail"].(string)+string(r.body), c.reason) {
			t.Errorf("%s: status %d, want %d with %q: %s", c.name, r.status, c.status, c.reason, r.body)
		}
	}
	after := refusals(t, f.admin, useUnitCode)
	if len(after)-before != len(cases) {
		t.Fatalf("%d refusals audited, want %d", len(after)-before, len(cases))
	}
	for i, e := range after[before:] {
		d := e["details"].(map[string]any)
		if d["reason"] == "" || d["case_number"] == nil && cases[i].name != "missing case number" {
			t.Errorf("refusal %d lacks reason or context: %v", i, d)
		}
	}
	// A unit that is not a using unit is refused too (issuer).
	f.issuer.do("POST", "/v1/use/fetch", map[string]any{"license": covering, "context": f.usecontext}).want(t, 403)
}

// TestBankConsent: a bank asks for two fields of a business license under
// a scenario its district approved; the holder approves; the bank gets
// exactly those two fields; after withdrawal, expiry or suspension the
// next fetch is refused and audited. The consent receipt verifies offline.
func TestBankConsent(t *testing.T) { forEachStore(t, testBankConsent) }

func testBankConsent(t *testing.T, db string) {
	f := newUseFixture(t, db)
	admin := f.admin
	admin.do("POST", "/v1/units", map[string]any{"code": bankCode, "name": "示例银行浦东支行", "roles": []string{"social"}, "region": "310115"}).want(t, 201)
	admin.do("POST", "/v1/units", map[string]any{"code": districtCode, "name": "浦东新区人民政府", "roles": []string{"district"}, "region": "310115"}).want(t, 201)
	bank := client{t, f.m.URL, admin.do("POST", "/v1/units/"+bankCode+"/keys", nil).want(t, 201).json(t)["key"].(string)}
	district := client{t, f.m.URL, admin.do("POST", "/v1/units/"+districtCode+"/keys", nil).want(t, 201).json(t)["key"].(string)}

	sc := bank.do("POST", "/v1/scenarios", map[string]any{"kind": "social", "name": "企业开户", "purpose": "对公账户开户核验",
		"items": []map[string]any{{"license_type": typeCode, "fields": []string{"legal_representative", "registered_capital", "holder.name"}}}}).want(t, 201).json(t)
	scID := sc["id"].(string)
	grantBody := func(fields []string, until time.Time) map[string]any {
		return map[string]any{"scenario": scID, "holder": orgHolder, "purpose": "对公账户开户", "valid_until": until.UTC().Format(time.RFC3339),
			"items": []map[string]any{{"license_type": typeCode, "fields": fields}}}
	}
	two := []string{"legal_representative", "registered_capital"}
	// Not yet approved: refused.
	bank.do("POST", "/v1/grants", grantBody(two, time.Now().Add(time.Hour))).want(t, 403)
	f.user.do("POST", "/v1/scenarios/"+scID+"/decision", map[string]any{"decision": "approve"}).want(t, 404)
	district.do("POST", "/v1/scenarios/"+scID+"/decision", map[string]any{"decision": "approve"}).want(t, 200)
	rep := admin.do("GET", "/v1/scenarios/report", nil).want(t, 200).json(t)
	if rs := rep["regions"].([]any); len(rs) != 1 || rs[0].(map[string]any)["region"] != "310115" {
		t.Fatalf("report: %v", rep)
	}

	// A field the scenario does not allow: refused with the reason, audited.
	r := bank.do("POST", "/v1/grants", grantBody([]string{"legal_representative", "entity_type"}, time.Now().Add(time.Hour))).want(t, 400)
	if !strings.Contains(string(r.body), "does not allow field") {
		t.Fatalf("reason: %s", r.body)
	}
	if len(refusals(t, admin, bankCode)) != 2 {
		t.Fatalf("refusals not audited: %v", refusals(t, admin, bankCode))
	}

	g := bank.do("POST", "/v1/grants", grantBody(two, time.Now().Add(time.Hour))).want(t, 201).json(t)
	gid := g["id"].(string)
	bank.do("POST", "/v1/grants/"+gid+"/use", nil).want(t, 403) // not approved yet
	// The holder sees exactly the fields and purpose asked for.
	mine := holderDo(t, f.m.URL, f.holderCookie, "GET", "/v1/grants", nil).want(t, 200).json(t)["items"].([]any)
	if len(mine) != 1 {
		t.Fatalf("holder's grants: %v", mine)
	}
	seen := mine[0].(map[string]any)
	if seen["purpose"] != "对公账户开户" || seen["unit_name"] != "示例银行浦东支行" ||
		strings.Join(toStrings(seen["items"].([]any)[0].(map[string]any)["fields"]), ",") != "legal_representative,registered_capital" {
		t.Fatalf("the holder sees %v", seen)
	}
	ok := holderDo(t, f.m.URL, f.holderCookie, "POST", "/v1/grants/"+gid+"/decision", map[string]any{"approve": true}).want(t, 200).json(t)
	receipt, _ := json.Marshal(ok["receipt"])
	pem := f.admin.do("GET", "/v1/keys?format=pem", nil).want(t, 200).body
	ts, err := sign.ParseTrustBundle(pem)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := library.VerifyConsentReceipt(ts, receipt)
	if err != nil {
		t.Fatalf("receipt does not verify offline: %v", err)
	}
	if rc.Grant != gid || rc.Purpose != "对公账户开户" || rc.Unit.Code != bankCode {
		t.Fatalf("receipt: %+v", rc)
	}
	tampered := strings.Replace(string(receipt), "对公账户开户", "贷款审批", 1)
	if _, err := library.VerifyConsentReceipt(ts, []byte(tampered)); err == nil {
		t.Fatal("a tampered receipt verifies")
	}

	dres := bank.do("POST", "/v1/grants/"+gid+"/use", nil).want(t, 200)
	d := dres.json(t)
	lics := d["licenses"].([]any)
	if len(lics) != 1 {
		t.Fatalf("disclosed %v", lics)
	}
	fields := lics[0].(map[string]any)["fields"].(map[string]any)
	if len(fields) != 2 || fields["legal_representative"] != "张三" || fields["registered_capital"] == nil {
		t.Fatalf("the bank got %v, want exactly the two authorised fields", fields)
	}
	issuerSig := f.license["proof"].(map[string]any)["value"].(string)
	if strings.Contains(string(dres.body), "有限责任公司") || strings.Contains(string(dres.body), issuerSig) {
		t.Fatalf("disclosure carries more than the authorised fields: %s", dres.body)
	}
	// The disclosure is signed by the library: the bank proves offline,
	// with the trust bundle only, what it received; a changed value fails.
	gd, err := library.VerifyGrantDisclosure(ts, dres.body)
	if err != nil {
		t.Fatalf("the disclosure does not verify offline: %v", err)
	}
	if gd.Grant != gid || gd.Unit.Code != bankCode || gd.Licenses[0].ID != f.license["id"] || gd.Licenses[0].Version != "001" || len(gd.Licenses[0].Fields) != 2 {
		t.Fatalf("verified disclosure: %+v", gd)
	}
	out, err := runVerifyCLI(t, pem, dres.body)
	if err != nil || !strings.Contains(out, "VALID") || !strings.Contains(out, "legal_representative: 张三") {
		t.Fatalf("zhengzhao verify of the disclosure: %v\n%s", err, out)
	}
	bad := []byte(strings.Replace(string(dres.body), "张三", "王五", 1))
	if _, err := library.VerifyGrantDisclosure(ts, bad); err == nil {
		t.Fatal("a tampered disclosure verifies")
	}
	if out, err := runVerifyCLI(t, pem, bad); err == nil || !strings.Contains(out, "INVALID") {
		t.Fatalf("zhengzhao verify of a tampered disclosure: %v\n%s", err, out)
	}
	// The holder sees every use with the unit and purpose.
	uses := holderDo(t, f.m.URL, f.holderCookie, "GET", "/v1/grants/"+gid+"/uses", nil).want(t, 200).json(t)["items"].([]any)
	var used bool
	for _, e := range uses {
		e := e.(map[string]any)
		if e["action"] == zhengzhao.ActionGrantUse {
			det := e["details"].(map[string]any)
			used = det["purpose"] == "对公账户开户" && det["unit_name"] == "示例银行浦东支行" && e["actor"] == "unit:"+bankCode
		}
	}
	if !used {
		t.Fatalf("holder's record of uses: %v", uses)
	}
	// Another unit cannot use it, another holder cannot see it.
	f.user.do("POST", "/v1/grants/"+gid+"/use", nil).want(t, 403)

	// Withdrawn: the next fetch is refused, and the refusal audited.
	holderDo(t, f.m.URL, f.holderCookie, "POST", "/v1/grants/"+gid+"/withdraw", nil).want(t, 200)
	r = bank.do("POST", "/v1/grants/"+gid+"/use", nil).want(t, 403)
	if !strings.Contains(string(r.body), "withdrew") {
		t.Fatalf("reason: %s", r.body)
	}

	// Expired: a grant valid for two seconds.
	g2 := bank.do("POST", "/v1/grants", grantBody(two, time.Now().Add(2*time.Second))).want(t, 201).json(t)["id"].(string)
	holderDo(t, f.m.URL, f.holderCookie, "POST", "/v1/grants/"+g2+"/decision", map[string]any{"approve": true}).want(t, 200)
	bank.do("POST", "/v1/grants/"+g2+"/use", nil).want(t, 200)
	time.Sleep(time.Until(time.Now().Add(2100 * time.Millisecond)))
	r = bank.do("POST", "/v1/grants/"+g2+"/use", nil).want(t, 403)
	if !strings.Contains(string(r.body), "expired") {
		t.Fatalf("reason: %s", r.body)
	}

	// Suspended scenario: a live grant stops working at once.
	g3 := bank.do("POST", "/v1/grants", grantBody(two, time.Now().Add(time.Hour))).want(t, 201).json(t)["id"].(string)
	holderDo(t, f.m.URL, f.holderCookie, "POST", "/v1/grants/"+g3+"/decision", map[string]any{"approve": true}).want(t, 200)
	bank.do("POST", "/v1/grants/"+g3+"/use", nil).want(t, 200)
	district.do("POST", "/v1/scenarios/"+scID+"/decision", map[string]any{"decision": "suspend", "note": "投诉核查"}).want(t, 200)
	r = bank.do("POST", "/v1/grants/"+g3+"/use", nil).want(t, 403)
	if !strings.Contains(string(r.body), "suspended") {
		t.Fatalf("reason: %s", r.body)
	}
	var withdrawn, expired, suspended bool
	for _, e := range refusals(t, admin, bankCode) {
		reason := e["details"].(map[string]any)["reason"].(string)
		withdrawn = withdrawn || strings.Contains(reason, "withdrew")
		expired = expired || strings.Contains(reason, "expired")
		suspended = suspended || strings.Contains(reason, "suspended")
	}
	if !withdrawn || !expired || !suspended {
		t.Fatalf("refusals audited: withdrawn %v expired %v suspended %v", withdrawn, expired, suspended)
	}
}

// runVerifyCLI runs "zhengzhao verify DOC --keys KEYS" offline.
func runVerifyCLI(t *testing.T, keys, doc []byte) (string, error) {
	t.Helper()
	dir := t.TempDir()
	kp, dp := filepath.Join(dir, "keys.pem"), filepath.Join(dir, "doc.json")
	if err := os.WriteFile(kp, keys, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dp, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	cmd := newRootCommand()
	cmd.SetArgs([]string{"verify", dp, "--keys", kp})
	cmd.SetOut(&out)
	err := cmd.ExecuteContext(context.Background())
	return out.String(), err
}

// TestGovernmentScenario: a using unit's approved government scenario lets
// it fetch, for a case, the scenario's fields of a license its usage lists
// do not cover; the disclosure is signed by the library and verifies
// offline; the holder's usage record shows the fetch with the matter name
// and the scenario; pending and suspended scenarios grant nothing, and
// each refusal is audited.
func TestGovernmentScenario(t *testing.T) { forEachStore(t, testGovernmentScenario) }

func testGovernmentScenario(t *testing.T, db string) {
	f := newUseFixture(t, db)
	const govMatter, govName = "310000-GOV-0001", "企业信用核查"
	f.user.do("POST", "/v1/matters", map[string]any{"code": govMatter, "name": govName, "applicant_kind": "organization",
		"materials": []map[string]any{{"key": "business_license", "name": "营业执照"}}}).want(t, 201)
	uctx := map[string]any{"operator": "核查科 周敏", "matter_code": govMatter, "matter_name": govName, "case_number": "HC-2026-0042"}
	lid := f.license["id"].(string)
	// The matter is on no usage list: the plain fetch is refused.
	f.user.do("POST", "/v1/use/fetch", map[string]any{"license": lid, "context": uctx}).want(t, 403)

	sc := f.user.do("POST", "/v1/scenarios", map[string]any{"kind": "government", "name": "企业信用核查", "purpose": "行政检查中核验企业登记信息",
		"items": []map[string]any{{"license_type": typeCode, "fields": []string{"legal_representative", "holder.name"}}}}).want(t, 201).json(t)
	scID := sc["id"].(string)
	body := map[string]any{"scenario": scID, "license": lid, "context": uctx}
	r := f.user.do("POST", "/v1/use/scenario-fetch", body).want(t, 403)
	if !strings.Contains(string(r.body), "not approved") {
		t.Fatalf("pending scenario: %s", r.body)
	}
	f.admin.do("POST", "/v1/scenarios/"+scID+"/decision", map[string]any{"decision": "approve"}).want(t, 200)
	res := f.user.do("POST", "/v1/use/scenario-fetch", body).want(t, 200)
	d := res.json(t)
	fields := d["license"].(map[string]any)["fields"].(map[string]any)
	if len(fields) != 2 || fields["legal_representative"] != "张三" || fields["holder.name"] != "上海示例科技有限公司" || d["document"] != nil {
		t.Fatalf("disclosed %v, want exactly the scenario's two fields", d)
	}
	pem := f.admin.do("GET", "/v1/keys?format=pem", nil).want(t, 200).body
	if out, err := runVerifyCLI(t, pem, res.body); err != nil || !strings.Contains(out, "case HC-2026-0042") || !strings.Contains(out, "VALID") {
		t.Fatalf("zhengzhao verify of the disclosure: %v\n%s", err, out)
	}
	if out, err := runVerifyCLI(t, pem, []byte(strings.Replace(string(res.body), "张三", "李四", 1))); err == nil {
		t.Fatalf("a tampered disclosure verifies:\n%s", out)
	}
	usage := holderDo(t, f.m.URL, f.holderCookie, "GET", "/v1/holder/licenses/"+lid+"/usage", nil).want(t, 200).json(t)["items"].([]any)
	found := false
	for _, e := range usage {
		e := e.(map[string]any)
		if e["action"] == zhengzhao.ActionUseFetch {
			det := e["details"].(map[string]any)
			found = found || det["matter_name"] == govName && det["case_number"] == "HC-2026-0042" && det["operator"] == "核查科 周敏" &&
				det["unit"] == useUnitCode && det["scenario"] == scID && det["fields"] == "holder.name,legal_representative"
		}
	}
	if !found {
		t.Fatalf("the holder's usage record lacks the scenario fetch: %v", usage)
	}

	// Missing case number; another unit; suspended.
	before := len(refusals(t, f.admin, useUnitCode))
	r = f.user.do("POST", "/v1/use/scenario-fetch", map[string]any{"scenario": scID, "license": lid, "context": withContext(uctx, "case_number", nil)}).want(t, 400)
	if !strings.Contains(string(r.body), "context.case_number") {
		t.Fatalf("missing case number: %s", r.body)
	}
	f.issuer.do("POST", "/v1/use/scenario-fetch", body).want(t, 403)
	f.admin.do("POST", "/v1/scenarios/"+scID+"/decision", map[string]any{"decision": "suspend", "note": "超范围使用核查"}).want(t, 200)
	r = f.user.do("POST", "/v1/use/scenario-fetch", body).want(t, 403)
	if !strings.Contains(string(r.body), "suspended") {
		t.Fatalf("suspended scenario: %s", r.body)
	}
	after := refusals(t, f.admin, useUnitCode)
	if len(after)-before != 2 {
		t.Fatalf("%d refusals of the using unit audited, want 2", len(after)-before)
	}
	if det := after[len(after)-1]["details"].(map[string]any); det["scenario"] != scID || det["case_number"] != "HC-2026-0042" {
		t.Fatalf("refusal audit: %v", det)
	}
}

func toStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// TestCompositeLicense: an industry composite license bundles two permits;
// verifying it shows each component and its status, and a revoked
// component shows as revoked.
func TestCompositeLicense(t *testing.T) { forEachStore(t, testCompositeLicense) }

func testCompositeLicense(t *testing.T, db string) {
	f := newUseFixture(t, db)
	compType := typeCode[:18] + "010"
	f.issuer.do("POST", "/v1/license-types", map[string]any{"code": compType, "name": "行业综合许可证", "holder_kind": "organization",
		"level": "municipal", "public": true, "collect_since": "2020-01-01", "fields": []map[string]any{
			{"key": "industry", "label": "行业", "type": "string", "required": true},
			{"key": zhengzhao.CompositeField, "label": "所含许可", "type": "string", "required": true}}}).want(t, 201)
	second := issueBody()
	second["number"] = "310000000000009"
	lic2 := f.issuer.do("POST", "/v1/licenses", second).want(t, 201).json(t)
	ids := f.license["id"].(string) + "," + lic2["id"].(string)
	comp := f.issuer.do("POST", "/v1/licenses", map[string]any{"type": compType, "number": "ZH-1", "holder": issueBody()["holder"],
		"issued_on": "2024-01-02", "valid_from": "2024-01-02", "fields": map[string]any{"industry": "便利店", zhengzhao.CompositeField: ids}}).want(t, 201)
	res := client{t, f.m.URL, ""}.do("POST", "/v1/verify", comp.body).want(t, 200).json(t)
	cs := res["components"].([]any)
	if res["valid"] != true || len(cs) != 2 || cs[0].(map[string]any)["status"] != "valid" || cs[1].(map[string]any)["valid"] != true {
		t.Fatalf("composite verify: %v", res)
	}
	f.issuer.do("POST", "/v1/licenses/"+lic2["id"].(string)+"/revoke", map[string]any{"reason": "歇业"}).want(t, 200)
	res = client{t, f.m.URL, ""}.do("POST", "/v1/verify", comp.body).want(t, 200).json(t)
	cs = res["components"].([]any)
	if c := cs[1].(map[string]any); c["status"] != "revoked" || c["valid"] != false || c["type_name"] != "营业执照" {
		t.Fatalf("revoked component: %v", res)
	}
	// A license that is not composite has no components.
	plain := client{t, f.m.URL, ""}.do("POST", "/v1/verify", mustJSON(f.license)).want(t, 200).json(t)
	if _, ok := plain["components"]; ok {
		t.Fatalf("plain license shows components: %v", plain)
	}
}

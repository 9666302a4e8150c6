package library_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/demo"
	"github.com/zhengzhao-project/zhengzhao/library"
	"github.com/zhengzhao-project/zhengzhao/sign"
)

// useEnv is a library with an issuer that issued one business license,
// a using unit with a matter that is on no usage list, and the trust
// store a receiving unit would build from the library's CA.
type useEnv struct {
	*env
	issuer, user context.Context
	typ          *zhengzhao.LicenseType
	lic          *zhengzhao.License
	ts           *sign.TrustStore
	ctx          zhengzhao.UseContext
}

func newUseEnv(t *testing.T) *useEnv {
	t.Helper()
	e := &useEnv{env: newEnv(t)}
	e.issuer = e.unit(t, codeA, zhengzhao.AlgSM2SM3, zhengzhao.RoleIssuer)
	e.user = e.unit(t, codeU, "", zhengzhao.RoleUser)
	e.typ = bizType(codeA)
	if err := e.lib.Catalog.CreateLicenseType(e.issuer, e.typ); err != nil {
		t.Fatal(err)
	}
	var err error
	if e.lic, err = e.lib.Licenses.IssueLicense(e.issuer, request(e.typ.Code, 1), ""); err != nil {
		t.Fatal(err)
	}
	if err := e.lib.Use.CreateMatter(e.user, &zhengzhao.Matter{Code: "M-GOV-1", Name: "政府核查事项", ApplicantKind: zhengzhao.HolderOrganization,
		Materials: []zhengzhao.Material{{Key: "business_license", Name: "营业执照"}}}); err != nil {
		t.Fatal(err)
	}
	if e.ts, err = sign.NewTrustStore(e.lib.Keys.CACertificatePEM()); err != nil {
		t.Fatal(err)
	}
	e.ctx = zhengzhao.UseContext{Operator: "窗口 1 李雷", MatterCode: "M-GOV-1", MatterName: "政府核查事项", CaseNumber: "GOV-2026-0001"}
	return e
}

// scenario applies for a scenario as the actor and, unless decision is
// empty, has the administrator decide it.
func (e *useEnv) scenario(t *testing.T, as context.Context, kind string, fields []string, decision string) string {
	t.Helper()
	s := &zhengzhao.Scenario{Kind: kind, Name: "数据共享", Purpose: "行政核查",
		Items: []zhengzhao.ScenarioItem{{LicenseType: e.typ.Code, Fields: fields}}}
	if err := e.lib.Use.ApplyScenario(as, s); err != nil {
		t.Fatal(err)
	}
	if decision != "" {
		if _, err := e.lib.Use.DecideScenario(e.admin, s.ID, &zhengzhao.ScenarioDecision{Decision: decision, Note: "审核"}); err != nil {
			t.Fatal(err)
		}
	}
	return s.ID
}

// entries returns the audit entries of an action, in order.
func (e *useEnv) entries(t *testing.T, action string) []*zhengzhao.AuditEntry {
	t.Helper()
	var out []*zhengzhao.AuditEntry
	err := e.lib.Store().View(context.Background(), func(tx zhengzhao.ReadTx) error {
		es, _, _, err := tx.FindAuditEntries(zhengzhao.AuditFilter{Page: zhengzhao.Page{Limit: zhengzhao.MaxPageLimit}})
		for _, x := range es {
			if x.Action == action {
				out = append(out, x)
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestGovernmentScenarioFetch: an approved government scenario lets its
// using unit fetch, for a case, the scenario's fields of a license of the
// scenario's type although no usage list covers it; the disclosure is
// signed by the library and audited with the five context items and the
// scenario; a pending, rejected, suspended, foreign or social scenario
// grants nothing, and each refusal is audited.
func TestGovernmentScenarioFetch(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		e := newUseEnv(t)
		two := []string{"legal_representative", zhengzhao.ShowHolderName}
		pending := e.scenario(t, e.user, zhengzhao.ScenarioGovernment, two, "")
		rejected := e.scenario(t, e.user, zhengzhao.ScenarioGovernment, two, "reject")
		approved := e.scenario(t, e.user, zhengzhao.ScenarioGovernment, two, "approve")
		req := func(sc string) *zhengzhao.ScenarioFetchRequest {
			return &zhengzhao.ScenarioFetchRequest{Scenario: sc, License: e.lic.ID, Context: e.ctx}
		}

		// Without a scenario the usage-list rule stands: the matter is on no list.
		if _, err := e.lib.Use.FetchLicense(e.user, &zhengzhao.FetchRequest{License: e.lic.ID, Context: e.ctx}); zhengzhao.ErrorCode(err) != zhengzhao.EFORBIDDEN {
			t.Fatalf("fetch without a usage list: %v, want forbidden", err)
		}

		d, err := e.lib.Use.FetchUnderScenario(e.user, req(approved))
		if err != nil {
			t.Fatalf("fetch under an approved scenario: %v", err)
		}
		if got := slices.Sorted(func(yield func(string) bool) {
			for k := range d.License.Fields {
				if !yield(k) {
					return
				}
			}
		}); strings.Join(got, ",") != "holder.name,legal_representative" {
			t.Fatalf("disclosed fields %v, want exactly the scenario's two", got)
		}
		if d.License.Fields["legal_representative"] != "张三" || d.License.Fields["holder.name"] != "上海示例有限公司" ||
			d.License.ID != e.lic.ID || d.License.Version != "001" || d.Document != nil {
			t.Fatalf("disclosure %+v", d)
		}
		doc, _ := json.Marshal(d)
		got, err := library.VerifyScenarioDisclosure(e.ts, doc)
		if err != nil {
			t.Fatalf("the disclosure does not verify offline: %v", err)
		}
		if got.Context.CaseNumber != "GOV-2026-0001" || got.Unit.Code != codeU || got.Scenario != approved {
			t.Fatalf("verified disclosure %+v", got)
		}
		tampered := strings.Replace(string(doc), "张三", "李四", 1)
		if _, err := library.VerifyScenarioDisclosure(e.ts, []byte(tampered)); err == nil {
			t.Fatal("a tampered disclosure verifies")
		}

		fetches := e.entries(t, zhengzhao.ActionUseFetch)
		if len(fetches) != 1 {
			t.Fatalf("%d use.fetch entries, want 1", len(fetches))
		}
		det := fetches[0].Details
		for k, want := range map[string]string{"unit": codeU, "operator": "窗口 1 李雷", "matter_code": "M-GOV-1", "matter_name": "政府核查事项",
			"case_number": "GOV-2026-0001", "scenario": approved, "fields": "holder.name,legal_representative"} {
			if det[k] != want {
				t.Errorf("audit detail %s = %q, want %q", k, det[k], want)
			}
		}
		if fetches[0].License != e.lic.ID {
			t.Errorf("the fetch is logged on %q, want the license", fetches[0].License)
		}

		// Another using unit may not use the scenario.
		other := e.unit(t, demoUser2, "", zhengzhao.RoleUser)
		social := e.unit(t, codeB, "", zhengzhao.RoleSocial)
		socialSc := e.scenario(t, social, zhengzhao.ScenarioSocial, []string{"legal_representative"}, "approve")
		noCase := req(approved)
		noCase.Context.CaseNumber = ""
		otherType := *e.typ
		otherType.Code = e.typ.Code[:18] + "077"
		if err := e.lib.Catalog.CreateLicenseType(e.issuer, &otherType); err != nil {
			t.Fatal(err)
		}
		lic2, err := e.lib.Licenses.IssueLicense(e.issuer, request(otherType.Code, 2), "")
		if err != nil {
			t.Fatal(err)
		}
		wrongType := req(approved)
		wrongType.License = lic2.ID

		before := len(e.entries(t, zhengzhao.ActionUseRefused))
		cases := []struct {
			name string
			as   context.Context
			r    *zhengzhao.ScenarioFetchRequest
			code string
			msg  string
		}{
			{"pending", e.user, req(pending), zhengzhao.EFORBIDDEN, "not approved"},
			{"rejected", e.user, req(rejected), zhengzhao.EFORBIDDEN, "rejected"},
			{"another unit's scenario", other, req(approved), zhengzhao.EINVALID, "unknown scenario"},
			{"a social scenario of another unit", e.user, req(socialSc), zhengzhao.EINVALID, "unknown scenario"},
			{"missing case number", e.user, noCase, zhengzhao.EINVALID, "invalid use request"},
			{"type outside the scenario", e.user, wrongType, zhengzhao.EFORBIDDEN, "does not cover license type"},
		}
		for _, c := range cases {
			_, err := e.lib.Use.FetchUnderScenario(c.as, c.r)
			if zhengzhao.ErrorCode(err) != c.code || !strings.Contains(zhengzhao.ErrorMessage(err), c.msg) {
				t.Errorf("%s: %v (%s), want %s with %q", c.name, err, zhengzhao.ErrorCode(err), c.code, c.msg)
			}
		}

		// Suspended: stops at once; resumed: works again.
		if _, err := e.lib.Use.DecideScenario(e.admin, approved, &zhengzhao.ScenarioDecision{Decision: "suspend", Note: "核查"}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.lib.Use.FetchUnderScenario(e.user, req(approved)); zhengzhao.ErrorCode(err) != zhengzhao.EFORBIDDEN || !strings.Contains(err.Error(), "suspended") {
			t.Fatalf("fetch under a suspended scenario: %v", err)
		}
		refused := e.entries(t, zhengzhao.ActionUseRefused)[before:]
		if len(refused) != len(cases)+1 {
			t.Fatalf("%d refusals audited, want %d", len(refused), len(cases)+1)
		}
		last := refused[len(refused)-1].Details
		if last["scenario"] != approved || last["case_number"] != "GOV-2026-0001" || !strings.Contains(last["reason"], "suspended") {
			t.Fatalf("refusal audit %v", last)
		}
		if _, err := e.lib.Use.DecideScenario(e.admin, approved, &zhengzhao.ScenarioDecision{Decision: "resume"}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.lib.Use.FetchUnderScenario(e.user, req(approved)); err != nil {
			t.Fatalf("fetch after resume: %v", err)
		}
		if n := len(e.entries(t, zhengzhao.ActionUseFetch)); n != 2 {
			t.Fatalf("%d fetches audited, want 2 (refusals are not fetches)", n)
		}
	})
}

// demoUser2 is a second using unit.
var demoUser2 = demo.USCC("12310104MB2C19817")

// TestGovernmentScenarioAllFields: a government scenario whose item names
// every field ("*") discloses the whole license, with the issuer-signed
// document; a social scenario may not name every field.
func TestGovernmentScenarioAllFields(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		e := newUseEnv(t)
		sc := e.scenario(t, e.user, zhengzhao.ScenarioGovernment, []string{zhengzhao.ScenarioAllFields}, "approve")
		d, err := e.lib.Use.FetchUnderScenario(e.user, &zhengzhao.ScenarioFetchRequest{Scenario: sc, License: e.lic.ID, Context: e.ctx})
		if err != nil {
			t.Fatal(err)
		}
		for k := range e.lic.Fields {
			if _, ok := d.License.Fields[k]; !ok {
				t.Errorf("field %s not disclosed under an all-fields scenario", k)
			}
		}
		var lic zhengzhao.License
		if err := json.Unmarshal(d.Document, &lic); err != nil || lic.ID != e.lic.ID || lic.Proof == nil {
			t.Fatalf("document %s: %v", d.Document, err)
		}
		res, err := e.lib.Licenses.VerifyLicense(context.Background(), d.Document)
		if err != nil || !res.Valid {
			t.Fatalf("the embedded license does not verify: %+v %v", res, err)
		}
		doc, _ := json.Marshal(d)
		if _, err := library.VerifyScenarioDisclosure(e.ts, doc); err != nil {
			t.Fatalf("all-fields disclosure: %v", err)
		}
		if es := e.entries(t, zhengzhao.ActionUseFetch); len(es) != 1 || es[0].Details["fields"] != "*" {
			t.Fatalf("audit: %v", es)
		}

		social := e.unit(t, codeB, "", zhengzhao.RoleSocial)
		err = e.lib.Use.ApplyScenario(social, &zhengzhao.Scenario{Kind: zhengzhao.ScenarioSocial, Name: "开户", Purpose: "开户",
			Items: []zhengzhao.ScenarioItem{{LicenseType: e.typ.Code, Fields: []string{zhengzhao.ScenarioAllFields}}}})
		if zhengzhao.ErrorCode(err) != zhengzhao.EINVALID || !slices.Contains(fieldsOf(err), "items[0].fields[0]") {
			t.Fatalf("social all-fields scenario: %v", err)
		}
		err = e.lib.Use.ApplyScenario(e.user, &zhengzhao.Scenario{Kind: zhengzhao.ScenarioGovernment, Name: "核查", Purpose: "核查",
			Items: []zhengzhao.ScenarioItem{{LicenseType: e.typ.Code, Fields: []string{"legal_representative", zhengzhao.ScenarioAllFields}}}})
		if zhengzhao.ErrorCode(err) != zhengzhao.EINVALID || !slices.Contains(fieldsOf(err), "items[0].fields[1]") {
			t.Fatalf("'*' among named fields: %v", err)
		}
	})
}

// TestGrantDisclosureSigned: what a social unit gets under a grant is a
// library-signed document naming the grant, the unit, the license ID and
// version and exactly the authorised fields and values; it verifies
// offline; a changed or added value does not, and neither does a signed
// document of another type (a consent receipt, a license).
func TestGrantDisclosureSigned(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		e := newUseEnv(t)
		bank := e.unit(t, codeB, "", zhengzhao.RoleSocial)
		sc := e.scenario(t, bank, zhengzhao.ScenarioSocial, []string{"legal_representative", "registered_capital", "address"}, "approve")
		holder := request(e.typ.Code, 1).Holder
		g, err := e.lib.Use.RequestGrant(bank, &zhengzhao.GrantRequest{Scenario: sc, Holder: holder.Ref(), Purpose: "开户",
			Items: []zhengzhao.ScenarioItem{{LicenseType: e.typ.Code, Fields: []string{"legal_representative", "registered_capital"}}}, ValidUntil: time.Now().Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.lib.Use.DecideGrant(holderCtx(holder), g.ID, &zhengzhao.GrantDecision{Approve: true}); err != nil {
			t.Fatal(err)
		}
		d, err := e.lib.Use.UseGrant(bank, g.ID)
		if err != nil {
			t.Fatal(err)
		}
		doc, _ := json.Marshal(d)
		got, err := library.VerifyGrantDisclosure(e.ts, doc)
		if err != nil {
			t.Fatalf("the disclosure does not verify offline: %v", err)
		}
		if got.Grant != g.ID || got.Unit.Code != codeB || len(got.Licenses) != 1 || got.Licenses[0].ID != e.lic.ID ||
			got.Licenses[0].Version != "001" || got.DisclosedAt.IsZero() || !got.DisclosedAt.Equal(got.FetchedAt) {
			t.Fatalf("verified disclosure %+v", got)
		}
		if f := got.Licenses[0].Fields; len(f) != 2 || f["legal_representative"] != "张三" || f["registered_capital"] == nil {
			t.Fatalf("signed fields %v, want exactly the two authorised ones", f)
		}
		for _, tamper := range []struct{ from, to string }{{"张三", "王五"}, {`"registered_capital":100`, `"registered_capital":1000`}, {g.ID, "gr_000000000000000000000000"}} {
			bad := strings.Replace(string(doc), tamper.from, tamper.to, 1)
			if bad == string(doc) {
				t.Fatalf("tamper %q not applied to %s", tamper.from, doc)
			}
			if _, err := library.VerifyGrantDisclosure(e.ts, []byte(bad)); err == nil {
				t.Errorf("a disclosure with %q changed to %q verifies", tamper.from, tamper.to)
			}
		}
		// An added field breaks the signature too.
		var m map[string]any
		_ = json.Unmarshal(doc, &m)
		m["licenses"].([]any)[0].(map[string]any)["fields"].(map[string]any)["address"] = "上海市"
		added, _ := json.Marshal(m)
		if _, err := library.VerifyGrantDisclosure(e.ts, added); err == nil {
			t.Error("a disclosure with an added field verifies")
		}
		// A consent receipt is not a disclosure; an issuer's license is neither.
		g2, _ := e.lib.Use.FindGrantByID(bank, g.ID)
		if _, err := library.VerifyGrantDisclosure(e.ts, g2.Receipt); err == nil {
			t.Error("a consent receipt verifies as a disclosure")
		}
		licDoc, _ := json.Marshal(e.lic)
		if _, err := library.VerifyGrantDisclosure(e.ts, licDoc); err == nil {
			t.Error("a license verifies as a library disclosure")
		}
	})
}

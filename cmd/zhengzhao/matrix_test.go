package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/demo"
)

// The access-control matrix (docs/access-control.md): every API route of
// the route table × every role × object ownership (own / other's), with
// the expected allow or deny. TestAccessMatrix drives every cell against
// the running server: it fails on any unexpected allow (a 2xx answer to a
// cell that must be denied), on a denied cell that changed anything (an
// audit entry other than a recorded refusal), on an allowed cell that is
// not answered 2xx, and on any route the table does not cover. Allowed
// writes get fresh objects where one write would spoil the next cell.

// roles of the matrix, in column order.
var matrixRoles = []string{"admin", "issuer", "user", "social", "district", "holder", "proxy", "anonymous"}

// accessMatrix maps "METHOD path" to the cells that are allowed: a role
// (own and other's objects), "role:own", "auth" (every authenticated
// role) or "all" (everyone, anonymous included). Every other cell must be
// denied.
var accessMatrix = map[string]string{
	// Core.
	"GET /healthz":                           "all",
	"GET /readyz":                            "all",
	"GET /openapi.json":                      "all",
	"GET /metrics":                           "admin",
	"POST /v1/units":                         "admin",
	"GET /v1/units":                          "admin",
	"GET /v1/units/{code}":                   "admin,issuer:own,user:own,social:own,district:own",
	"POST /v1/units/{code}/keys":             "admin",
	"POST /v1/license-types":                 "admin,issuer",
	"GET /v1/license-types":                  "all",
	"GET /v1/license-types/{code}":           "all",
	"POST /v1/licenses":                      "issuer",
	"GET /v1/licenses":                       "admin,issuer",
	"GET /v1/licenses/{id}":                  "admin,issuer:own",
	"PUT /v1/licenses/{id}":                  "issuer:own",
	"POST /v1/licenses/{id}/revoke":          "issuer:own",
	"POST /v1/verify":                        "all",
	"GET /v1/keys":                           "all",
	"GET /v1/audit/checkpoint":               "all",
	"POST /v1/audit/checkpoint":              "admin",
	"GET /v1/audit/entries":                  "admin",
	"GET /v1/audit/proof":                    "all",
	"GET /v1/audit/consistency":              "all",
	"GET /v1/units/{code}/keys":              "admin",
	"POST /v1/units/{code}/keys/{id}/revoke": "admin",
	"POST /v1/units/{code}/signing-keys":     "admin",

	// Holders.
	"POST /v1/presentations/verify":      "all",
	"POST /v1/holder/presentations":      "holder,proxy",
	"GET /v1/holder/licenses":            "holder,proxy",
	"GET /v1/holder/licenses/{id}":       "holder:own,proxy:own",
	"GET /v1/holder/licenses/{id}/usage": "holder:own,proxy:own",
	"GET /v1/holder/inbox":               "holder,proxy",
	"POST /v1/holder/inbox/{id}/read":    "holder:own,proxy:own",
	"POST /v1/proxies":                   "admin,holder",
	"POST /v1/proxies/{id}/revoke":       "admin,holder:own",

	// Aggregation (issue 6).
	"POST /v1/imports":                "admin,issuer",
	"GET /v1/imports":                 "admin,issuer",
	"GET /v1/imports/{id}":            "admin,issuer:own",
	"GET /v1/imports/{id}/report":     "admin,issuer:own",
	"POST /v1/increments":             "admin,issuer",
	"GET /v1/increments":              "admin,issuer",
	"POST /v1/reconciliations":        "admin,issuer",
	"POST /v1/outages":                "admin,issuer",
	"GET /v1/outages":                 "admin,issuer",
	"POST /v1/outages/{id}/end":       "admin,issuer:own",
	"POST /v1/outages/{id}/caught-up": "admin,issuer:own",

	// Supervision and objections (issue 7).
	"POST /v1/licenses/{id}/objections":                    "holder:own,proxy:own,user",
	"GET /v1/objections":                                   "admin,issuer,user,social,district,holder,proxy",
	"GET /v1/objections/{id}":                              "admin,issuer:own,user:own,holder:own,proxy:own",
	"POST /v1/objections/{id}/answer":                      "issuer:own",
	"GET /v1/notices":                                      "issuer,user,social,district,holder,proxy",
	"POST /v1/notices/{id}/read":                           "issuer:own,user:own,social:own,district:own,holder:own,proxy:own",
	"POST /v1/units/{code}/contacts":                       "admin,issuer:own,user:own,social:own,district:own",
	"GET /v1/units/{code}/contacts":                        "admin,issuer:own,user:own,social:own,district:own",
	"DELETE /v1/units/{code}/contacts/{id}":                "admin,issuer:own,user:own,social:own,district:own",
	"GET /v1/catalog":                                      "all",
	"GET /v1/supervision":                                  "admin",
	"GET /v1/supervision/units-without-contacts":           "admin",
	"GET /v1/supervision/units/{code}/report":              "admin,issuer:own,user:own,social:own,district:own",
	"POST /v1/supervision/checks":                          "admin",
	"GET /v1/supervision/checks":                           "admin,issuer,user,social,district",
	"GET /v1/supervision/checks/{id}":                      "admin,issuer:own",
	"POST /v1/supervision/checks/{id}/items/{item}/review": "admin",

	// Use (issue 5).
	"POST /v1/matters":                             "admin,user:own",
	"GET /v1/matters":                              "auth",
	"GET /v1/matters/{code}":                       "auth",
	"PUT /v1/matters/{code}":                       "admin,user:own",
	"GET /v1/units/{code}/usage-lists":             "admin,issuer:own,user:own,social:own,district:own",
	"PUT /v1/units/{code}/usage-lists/{matter}":    "admin,user:own",
	"DELETE /v1/units/{code}/usage-lists/{matter}": "admin,user:own",
	"POST /v1/use/exemptions":                      "user:own",
	"POST /v1/use/fetch":                           "user:own",
	"POST /v1/use/scenario-fetch":                  "user:own",
	"POST /v1/scenarios":                           "user,social",
	"GET /v1/scenarios":                            "admin,issuer,user,social,district",
	"GET /v1/scenarios/report":                     "admin",
	"GET /v1/scenarios/{id}":                       "admin,user:own,social:own,district:own",
	"POST /v1/scenarios/{id}/decision":             "admin,district:own",
	"POST /v1/grants":                              "social:own",
	"GET /v1/grants":                               "auth",
	"GET /v1/grants/{id}":                          "admin,social:own,holder:own,proxy:own",
	"POST /v1/grants/{id}/decision":                "holder:own,proxy:own",
	"POST /v1/grants/{id}/withdraw":                "holder:own,proxy:own",
	"POST /v1/grants/{id}/use":                     "social:own",
	"GET /v1/grants/{id}/uses":                     "admin,holder:own,proxy:own",
}

// allowed reports whether the matrix allows the cell.
func allowed(rule, role string, own bool) bool {
	for _, tok := range strings.Split(rule, ",") {
		r, o, _ := strings.Cut(tok, ":")
		switch {
		case r == "all", r == "auth" && role != "anonymous":
			return true
		case r == role && (o == "" || own):
			return true
		}
	}
	return false
}

// matrixWorld is the server with one object of each kind per side.
type matrixWorld struct {
	f                *useFixture
	clients          map[string]client // bearer clients by role
	cookies          map[string]string // session cookies of holder and proxy
	units            map[string]string // unit code by role
	licOwn, licOther string
	scOwn, scOther   string
	grOwn, grOther   string
	scGov            string // the using unit's approved government scenario
	otherUser        string
	matterOther      string
	bank2            client
	user2            client
	licDoc           []byte            // the own license document
	token            string            // a display token of the own license
	seq              int               // makes fresh objects' codes unique
	proxyActor       string            // the proxy's actor ID, its notices' recipient
	cpSize           int64             // the tree size of a signed checkpoint
	importOwn        string            // an import job of the own issuer
	importOther      string            // one of the other issuer
	objHolder        string            // an objection of the holder to the own license
	objUser          string            // one of the using unit to the own license
	objOther         string            // one of another using unit to another's license
	checks           map[string]string // a random check of the role's unit (admin, issuer: the issuer's)
	checkOther       string            // a random check of another unit
	objProxy         string            // an objection the proxy filed for the holder
}

func newMatrixWorld(t *testing.T) *matrixWorld {
	f := newUseFixture(t, "")
	w := &matrixWorld{f: f, clients: map[string]client{}, cookies: map[string]string{}, units: map[string]string{}}
	admin := f.admin
	w.clients["admin"], w.clients["issuer"], w.clients["user"] = admin, f.issuer, f.user
	w.units["issuer"], w.units["user"] = issuerCode, useUnitCode
	mk := func(code, name, role, region string) client {
		admin.do("POST", "/v1/units", map[string]any{"code": code, "name": name, "roles": []string{role}, "region": region}).want(t, 201)
		return client{t, f.m.URL, admin.do("POST", "/v1/units/"+code+"/keys", nil).want(t, 201).json(t)["key"].(string)}
	}
	w.clients["social"] = mk(bankCode, "示例银行浦东支行", "social", "310115")
	w.units["social"] = bankCode
	w.clients["district"] = mk(districtCode, "浦东新区人民政府", "district", "310115")
	w.units["district"] = districtCode
	bank2 := mk(demo.USCC("91310104MA1K00002"), "示例银行徐汇支行", "social", "310104")
	w.otherUser = demo.USCC("11310104MB2F38613")
	user2 := mk(w.otherUser, "徐汇区市场监督管理局", "user", "310104")
	w.bank2, w.user2 = bank2, user2

	// The other side's objects: a matter and usage list of another using
	// unit, a license of another holder, a scenario and grant of another
	// bank in another district.
	w.matterOther = "310104-SC-0002"
	user2.do("POST", "/v1/matters", map[string]any{"code": w.matterOther, "name": "另一事项", "applicant_kind": "organization",
		"materials": []map[string]any{{"key": "business_license", "name": "营业执照"}}}).want(t, 201)
	user2.do("PUT", "/v1/units/"+w.otherUser+"/usage-lists/"+w.matterOther, map[string]any{
		"items": []map[string]any{{"material": "business_license", "license_types": []string{typeCode}}}}).want(t, 200)
	w.licOwn = f.license["id"].(string)
	otherHolder := map[string]any{"kind": "organization", "id_type": "001", "id": demo.USCC("91310104MA1K0000X"[:17]), "name": "另一公司"}
	body := issueBody()
	body["holder"], body["number"] = otherHolder, "310000000000002"
	// Another issuer's license of another holder.
	other := client{t, f.m.URL, admin.do("POST", "/v1/units/"+otherCode+"/keys", nil).want(t, 201).json(t)["key"].(string)}
	otherType := demo.USCC("11100000MB0143028") + "005"
	other.do("POST", "/v1/license-types", map[string]any{"code": otherType, "name": "另一执照", "holder_kind": "organization", "level": "municipal",
		"public": true, "collect_since": "2020-01-01", "fields": []map[string]any{{"key": "legal_representative", "label": "法定代表人", "type": "string"}}}).want(t, 201)
	w.licOther = other.do("POST", "/v1/licenses", map[string]any{"type": otherType, "number": "N-9", "holder": otherHolder, "issued_on": "2024-01-02",
		"valid_from": "2024-01-02", "fields": map[string]any{"legal_representative": "李四"}}).want(t, 201).json(t)["id"].(string)

	scenario := func(c client) string {
		return c.do("POST", "/v1/scenarios", map[string]any{"kind": "social", "name": "开户", "purpose": "开户核验",
			"items": []map[string]any{{"license_type": typeCode, "fields": []string{"legal_representative"}}}}).want(t, 201).json(t)["id"].(string)
	}
	w.scOwn, w.scOther = scenario(w.clients["social"]), scenario(bank2)
	admin.do("POST", "/v1/scenarios/"+w.scOwn+"/decision", map[string]any{"decision": "approve"}).want(t, 200)
	admin.do("POST", "/v1/scenarios/"+w.scOther+"/decision", map[string]any{"decision": "approve"}).want(t, 200)
	grant := func(c client, sc string, h any) string {
		return c.do("POST", "/v1/grants", map[string]any{"scenario": sc, "holder": h, "purpose": "开户", "valid_until": time.Now().Add(time.Hour).UTC().Format(time.RFC3339),
			"items": []map[string]any{{"license_type": typeCode, "fields": []string{"legal_representative"}}}}).want(t, 201).json(t)["id"].(string)
	}
	w.grOwn = grant(w.clients["social"], w.scOwn, orgHolder)
	w.grOther = grant(bank2, w.scOther, map[string]any{"id_type": "001", "id": otherHolder["id"]})
	holderDo(t, f.m.URL, f.holderCookie, "POST", "/v1/grants/"+w.grOwn+"/decision", map[string]any{"approve": true}).want(t, 200)
	w.scGov = f.user.do("POST", "/v1/scenarios", map[string]any{"kind": "government", "name": "核查", "purpose": "行政核查",
		"items": []map[string]any{{"license_type": typeCode, "fields": []string{"legal_representative"}}}}).want(t, 201).json(t)["id"].(string)
	admin.do("POST", "/v1/scenarios/"+w.scGov+"/decision", map[string]any{"decision": "approve"}).want(t, 200)
	w.licDoc = admin.do("GET", "/v1/licenses/"+w.licOwn, nil).want(t, 200).body
	w.token = holderDo(t, f.m.URL, f.holderCookie, "POST", "/v1/holder/presentations", map[string]any{"license": w.licOwn,
		"fields": []string{"holder.name"}}).want(t, 201).json(t)["token"].(string)

	// The holder and a proxy acting for it.
	w.cookies["holder"] = f.holderCookie
	hctx := zhengzhao.NewContextWithActor(context.Background(), zhengzhao.Actor{Kind: zhengzhao.ActorHolder, HolderIDType: orgHolder.IDType, HolderID: orgHolder.ID})
	proxyPerson := zhengzhao.HolderRef{IDType: "111", ID: demo.ResidentID("310115", time.Date(1985, 5, 5, 0, 0, 0, 0, time.UTC), 21)}
	pa := &zhengzhao.ProxyAuthorization{Holder: orgHolder, HolderName: "上海示例科技有限公司", Proxy: proxyPerson, ProxyName: "赵六", Relation: zhengzhao.RelationOther}
	if err := f.m.Library.Holders.GrantProxy(hctx, pa); err != nil {
		t.Fatalf("grant proxy: %v", err)
	}
	sys := zhengzhao.NewContextWithActor(context.Background(), zhengzhao.Actor{Kind: zhengzhao.ActorSystem})
	secret, err := f.m.Library.Holders.CreateHolderSession(sys, &zhengzhao.HolderSession{Holder: proxyPerson, Name: "赵六", Method: zhengzhao.SignInOIDC}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.Library.Holders.ActFor(sys, secret, orgHolder); err != nil {
		t.Fatalf("act for: %v", err)
	}
	w.cookies["proxy"] = secret
	w.proxyActor = zhengzhao.Actor{Kind: zhengzhao.ActorHolder, HolderIDType: orgHolder.IDType, HolderID: orgHolder.ID,
		ProxyIDType: proxyPerson.IDType, ProxyID: proxyPerson.ID}.ID()

	// Objects of the aggregation and supervision areas, for their reads.
	csvRow := func(number, fields string) string {
		return "number,holder_id,holder_name,issued_on," + fields + "\n" + number + "," + demo.USCC("91310115MA1P00001") + ",导入公司,2020-01-02,"
	}
	w.importOwn = f.issuer.do("POST", "/v1/imports?format=csv&type="+typeCode,
		csvRow("3105000000000001", "legal_representative,registered_capital,entity_type")+"王五,10,有限责任公司\n").want(t, 201).json(t)["id"].(string)
	w.importOther = admin.do("POST", "/v1/imports?format=csv&type="+otherType+"&issuer="+otherCode,
		csvRow("3105000000000002", "legal_representative")+"王五\n").want(t, 201).json(t)["id"].(string)
	objection := map[string]any{"fields": []string{"fields.legal_representative"}, "reason": "法定代表人有误"}
	w.objHolder = holderDo(t, f.m.URL, f.holderCookie, "POST", "/v1/licenses/"+w.licOwn+"/objections", objection).want(t, 201).json(t)["id"].(string)
	w.objUser = f.user.do("POST", "/v1/licenses/"+w.licOwn+"/objections", objection).want(t, 201).json(t)["id"].(string)
	w.objOther = user2.do("POST", "/v1/licenses/"+w.licOther+"/objections", objection).want(t, 201).json(t)["id"].(string)
	w.objProxy = holderDo(t, f.m.URL, w.cookies["proxy"], "POST", "/v1/licenses/"+w.licOwn+"/objections", objection).want(t, 201).json(t)["id"].(string)
	check := func(unit, kind string) string {
		return admin.do("POST", "/v1/supervision/checks", map[string]any{"unit": unit, "kind": kind, "size": 1}).want(t, 201).json(t)["id"].(string)
	}
	// Checks of licenses only: a check of a unit's uses (which that unit
	// may read too) needs sampled reads, and the supervision tests cover it.
	w.checks = map[string]string{"admin": check(issuerCode, "licenses")}
	w.checks["issuer"] = w.checks["admin"]
	w.checkOther = check(otherCode, "licenses")
	w.cpSize = int64(admin.do("POST", "/v1/audit/checkpoint", nil).want(t, 200).json(t)["size"].(float64))
	return w
}

// path fills a route's path parameters with the role's own or another
// party's objects. Objects of areas without fixtures here are missing
// (a missing object is never an allow).
func (w *matrixWorld) path(route, role string, own bool) string {
	unit := w.units[role]
	if unit == "" || !own {
		unit = otherCode
		if own {
			unit = issuerCode
		}
	}
	if !own && unit == otherCode && role == "issuer" {
		unit = otherCode
	}
	p := route
	switch route {
	case "/v1/audit/proof":
		return fmt.Sprintf("%s?index=0&size=%d", route, w.cpSize)
	case "/v1/audit/consistency":
		return fmt.Sprintf("%s?size1=1&size2=%d", route, w.cpSize)
	case "/v1/increments":
		if role == "admin" {
			return route + "?issuer=" + issuerCode
		}
	}
	switch {
	case strings.HasPrefix(route, "/v1/imports/"):
		p = strings.Replace(p, "{id}", pick(own, w.importOwn, w.importOther), 1)
	case strings.HasPrefix(route, "/v1/objections/"):
		mine := map[string]string{"user": w.objUser, "proxy": w.objProxy}[role]
		p = strings.Replace(p, "{id}", pick(own, pick(mine != "", mine, w.objHolder), w.objOther), 1)
	case strings.HasPrefix(route, "/v1/supervision/checks/"):
		c := w.checks[role]
		if !own || c == "" {
			c = w.checkOther
		}
		p = strings.Replace(p, "{id}", c, 1)
	case strings.HasPrefix(route, "/v1/matters/"):
		p = strings.Replace(p, "{code}", pick(own, matterCode, w.matterOther), 1)
	case strings.Contains(route, "/usage-lists/"):
		p = strings.Replace(p, "{code}", pick(own && role != "admin", unit, w.otherUser), 1)
		if role == "admin" && own {
			p = strings.Replace(route, "{code}", useUnitCode, 1)
		}
		p = strings.Replace(p, "{matter}", pick(own, matterCode, w.matterOther), 1)
	case strings.HasPrefix(route, "/v1/scenarios/") && role == "user" && own:
		p = strings.Replace(p, "{id}", w.scGov, 1)
	case strings.HasPrefix(route, "/v1/scenarios/"):
		p = strings.Replace(p, "{id}", pick(own, w.scOwn, w.scOther), 1)
	case strings.HasPrefix(route, "/v1/grants/"):
		p = strings.Replace(p, "{id}", pick(own, w.grOwn, w.grOther), 1)
	case strings.HasPrefix(route, "/v1/licenses/"), strings.HasPrefix(route, "/v1/holder/licenses/"):
		p = strings.Replace(p, "{id}", pick(own, w.licOwn, w.licOther), 1)
	}
	p = strings.Replace(p, "{code}", unit, 1)
	p = strings.Replace(p, "{id}", "missing-object", 1)
	p = strings.Replace(p, "{item}", "missing-item", 1)
	p = strings.Replace(p, "{matter}", "missing-matter", 1)
	if strings.HasPrefix(route, "/v1/license-types/") {
		p = "/v1/license-types/" + typeCode
	}
	return p
}

func pick(own bool, a, b string) string {
	if own {
		return a
	}
	return b
}

// body returns a request body that an allowed cell would accept, so that
// a denied cell is denied for who asks, not for what.
func (w *matrixWorld) body(route, role string, own bool) any {
	ctx := func(code, name string) map[string]any {
		return map[string]any{"operator": "x", "matter_code": code, "matter_name": name, "case_number": "C-1"}
	}
	mc, mn := matterCode, matterName
	if !own {
		mc, mn = w.matterOther, "另一事项"
	}
	switch route {
	case "POST /v1/matters":
		owner := pick(own, w.units[role], w.otherUser)
		if owner == "" {
			owner = w.otherUser
		}
		return map[string]any{"code": fmt.Sprintf("M-%s-%v-%d", role, own, time.Now().UnixNano()), "name": "新事项", "owner": owner,
			"applicant_kind": "organization", "materials": []map[string]any{{"key": "business_license", "name": "营业执照"}}}
	case "PUT /v1/matters/{code}":
		return map[string]any{"name": pick(own, matterName, "另一事项"), "applicant_kind": "organization",
			"materials": []map[string]any{{"key": "business_license", "name": "营业执照"}, {"key": "premises", "name": "经营场所证明"}}}
	case "PUT /v1/units/{code}/usage-lists/{matter}":
		return map[string]any{"items": []map[string]any{{"material": "business_license", "license_types": []string{typeCode}}}}
	case "POST /v1/use/exemptions":
		return map[string]any{"matter": mc, "applicant": orgHolder, "context": ctx(mc, mn)}
	case "POST /v1/use/fetch":
		return map[string]any{"license": pick(own, w.licOwn, w.licOther), "context": ctx(mc, mn)}
	case "POST /v1/use/scenario-fetch":
		return map[string]any{"scenario": pick(own, w.scGov, w.scOther), "license": pick(own, w.licOwn, w.licOther), "context": ctx(mc, mn)}
	case "POST /v1/scenarios":
		return map[string]any{"kind": pick(role == "user", "government", "social"), "name": "开户", "purpose": "开户核验",
			"items": []map[string]any{{"license_type": typeCode, "fields": []string{"legal_representative"}}}}
	case "POST /v1/scenarios/{id}/decision":
		return map[string]any{"decision": "approve"} // both are approved: an allowed cell gets 409, changing nothing
	case "POST /v1/grants":
		return map[string]any{"scenario": pick(own, w.scOwn, w.scOther), "holder": orgHolder, "purpose": "开户",
			"valid_until": time.Now().Add(time.Hour).UTC().Format(time.RFC3339),
			"items":       []map[string]any{{"license_type": typeCode, "fields": []string{"legal_representative"}}}}
	case "POST /v1/grants/{id}/decision":
		return map[string]any{"approve": true} // already approved: an allowed cell gets 409
	}
	return map[string]any{}
}

// next returns a number no fresh object has used.
func (w *matrixWorld) next() int { w.seq++; return w.seq }

// freshLicense issues a new license to the own holder and returns its ID.
func (w *matrixWorld) freshLicense(t *testing.T) string {
	b := issueBody()
	b["number"] = fmt.Sprintf("3109%011d", w.next())
	return w.f.issuer.do("POST", "/v1/licenses", b).want(t, 201).json(t)["id"].(string)
}

// freshGrant asks the own holder for consent under the own scenario and
// returns the requested grant's ID.
func (w *matrixWorld) freshGrant(t *testing.T) string {
	return w.clients["social"].do("POST", "/v1/grants", w.body("POST /v1/grants", "social", true)).want(t, 201).json(t)["id"].(string)
}

// freshObjection files an objection by the own holder against a fresh
// license of the own issuer and returns its ID.
func (w *matrixWorld) freshObjection(t *testing.T) string {
	lic := w.freshLicense(t)
	return holderDo(t, w.f.m.URL, w.cookies["holder"], "POST", "/v1/licenses/"+lic+"/objections",
		map[string]any{"fields": []string{"fields.legal_representative"}, "reason": "法定代表人有误"}).want(t, 201).json(t)["id"].(string)
}

// freshNotice puts an unread notice for the recipient into the store
// directly: some parties (a district) get notices from no API path the
// matrix can walk in a few calls.
func (w *matrixWorld) freshNotice(t *testing.T, recipient string) string {
	id := fmt.Sprintf("ntc-matrix-%d", w.next())
	err := w.f.m.Library.Store().Update(context.Background(), func(tx zhengzhao.Tx) error {
		return tx.CreateNotice(&zhengzhao.Notice{ID: id, Recipient: recipient, Kind: zhengzhao.NoticeObjectionAnswered,
			Message: "矩阵测试通知", CreatedAt: time.Now().UTC()})
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// recipient is the party notices of the role go to.
func (w *matrixWorld) recipient(role string) string {
	if role == "proxy" {
		return w.proxyActor
	}
	if role == "holder" {
		return "holder:" + orgHolder.String()
	}
	return "unit:" + w.units[role]
}

// unitOf is the unit an allowed unit-scoped write of the role goes to: its
// own unit, or for the administrator the using unit (own) or another
// unit (other).
func (w *matrixWorld) unitOf(role string, own bool) string {
	if role == "admin" {
		return pick(own, useUnitCode, w.otherUser)
	}
	return w.units[role]
}

// write returns the path and body of an allowed write cell, making fresh
// objects where the write would change the shared ones; ok is false for a
// route whose default path and body are right.
func (w *matrixWorld) write(t *testing.T, key, route, role string, own bool) (path string, body any, ok bool) {
	n := w.next()
	switch key {
	case "POST /v1/units":
		return route, map[string]any{"code": demo.USCC(fmt.Sprintf("91310115MA1M%05d", n)), "name": fmt.Sprintf("矩阵单位%d", n),
			"roles": []string{"social"}, "region": "310115"}, true
	case "POST /v1/units/{code}/keys/{id}/revoke":
		unit := pick(own, issuerCode, otherCode)
		id := w.clients["admin"].do("POST", "/v1/units/"+unit+"/keys", nil).want(t, 201).json(t)["id"].(string)
		return "/v1/units/" + unit + "/keys/" + id + "/revoke", nil, true
	case "POST /v1/license-types":
		b := map[string]any{"code": typeCode[:18] + fmt.Sprintf("%03d", 100+n%900), "name": fmt.Sprintf("矩阵证照%d", n), "holder_kind": "organization",
			"level": "municipal", "public": true, "collect_since": "2020-01-01", "fields": []map[string]any{{"key": "x", "label": "X", "type": "string"}}}
		if role == "admin" {
			b["issuers"] = []string{issuerCode}
		}
		return route, b, true
	case "POST /v1/licenses":
		b := issueBody()
		b["number"] = fmt.Sprintf("3108%011d", n)
		return route, b, true
	case "PUT /v1/licenses/{id}":
		b := issueBody()
		delete(b, "type")
		b["fields"].(map[string]any)["legal_representative"] = "李四"
		return "/v1/licenses/" + w.freshLicense(t), b, true
	case "POST /v1/licenses/{id}/revoke":
		return "/v1/licenses/" + w.freshLicense(t) + "/revoke", map[string]any{"reason": "矩阵测试注销"}, true
	case "POST /v1/verify":
		return route, json.RawMessage(w.licDoc), true
	case "POST /v1/presentations/verify":
		return route, map[string]any{"token": w.token}, true
	case "POST /v1/holder/presentations":
		return route, map[string]any{"license": w.licOwn, "fields": []string{"holder.name"}}, true
	case "POST /v1/holder/inbox/{id}/read":
		w.freshLicense(t) // delivered to the holder's inbox
		items := holderDo(t, w.f.m.URL, w.cookies["holder"], "GET", "/v1/holder/inbox", nil).want(t, 200).json(t)["items"].([]any)
		return "/v1/holder/inbox/" + items[0].(map[string]any)["id"].(string) + "/read", nil, true
	case "POST /v1/proxies":
		p := map[string]any{"proxy": map[string]any{"id_type": "111", "id": demo.ResidentID("310115", time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC), n%1000)},
			"proxy_name": "代办人", "relation": "other"}
		if role == "admin" {
			p["holder"], p["holder_name"] = orgHolder, "上海示例科技有限公司"
		}
		return route, p, true
	case "POST /v1/proxies/{id}/revoke":
		_, pb, _ := w.write(t, "POST /v1/proxies", "/v1/proxies", "admin", true)
		id := w.clients["admin"].do("POST", "/v1/proxies", pb).want(t, 201).json(t)["id"].(string)
		return "/v1/proxies/" + id + "/revoke", nil, true
	case "POST /v1/imports", "POST /v1/reconciliations":
		q := "?format=csv&type=" + typeCode
		if role == "admin" {
			q += "&issuer=" + issuerCode
		}
		csv := "number,holder_id,holder_name,issued_on,valid_until,legal_representative,registered_capital,entity_type\n" +
			fmt.Sprintf("3107%011d,%s,矩阵公司,2020-01-02,2040-01-01,王五,10,有限责任公司\n", n, demo.USCC(fmt.Sprintf("91310115MA1N%05d", n)))
		if key == "POST /v1/reconciliations" {
			q = "?format=csv"
			if role == "admin" {
				q += "&issuer=" + issuerCode
			}
			csv = "id\n"
		}
		return route + q, csv, true
	case "POST /v1/increments":
		b := issueBody()
		b["number"] = fmt.Sprintf("3106%011d", n)
		inc := map[string]any{"date": time.Now().AddDate(0, 0, -1-n%300).Format("2006-01-02"), "issued": []any{b}}
		if role == "admin" {
			inc["issuer"] = issuerCode
		}
		return route, inc, true
	case "POST /v1/outages":
		o := map[string]any{"start": time.Now().Add(-time.Duration(n) * time.Hour).UTC().Format(time.RFC3339), "reason": "机房断电"}
		if role == "admin" {
			o["issuer"] = issuerCode
		}
		return route, o, true
	case "POST /v1/outages/{id}/end", "POST /v1/outages/{id}/caught-up":
		_, ob, _ := w.write(t, "POST /v1/outages", route, "admin", true)
		id := w.clients["admin"].do("POST", "/v1/outages", ob).want(t, 201).json(t)["id"].(string)
		if key == "POST /v1/outages/{id}/caught-up" {
			w.clients["admin"].do("POST", "/v1/outages/"+id+"/end", map[string]any{"end": time.Now().UTC().Format(time.RFC3339)}).want(t, 200)
			return "/v1/outages/" + id + "/caught-up", nil, true
		}
		return "/v1/outages/" + id + "/end", map[string]any{"end": time.Now().UTC().Format(time.RFC3339)}, true
	case "POST /v1/licenses/{id}/objections":
		lic := w.freshLicense(t)
		if !own {
			lic = w.licOther
		}
		return "/v1/licenses/" + lic + "/objections", map[string]any{"fields": []string{"fields.legal_representative"}, "reason": "法定代表人有误"}, true
	case "POST /v1/objections/{id}/answer":
		return "/v1/objections/" + w.freshObjection(t) + "/answer", map[string]any{"decision": "reject", "reason": "登记信息无误"}, true
	case "POST /v1/notices/{id}/read":
		return "/v1/notices/" + w.freshNotice(t, w.recipient(role)) + "/read", nil, true
	case "POST /v1/units/{code}/contacts":
		return "/v1/units/" + w.unitOf(role, own) + "/contacts", map[string]any{"name": "王小明", "title": "处长", "phone": "13812345678"}, true
	case "DELETE /v1/units/{code}/contacts/{id}":
		unit := w.unitOf(role, own)
		id := w.clients["admin"].do("POST", "/v1/units/"+unit+"/contacts", map[string]any{"name": "李小红", "title": "科长", "phone": "13912345678"}).want(t, 201).json(t)["id"].(string)
		return "/v1/units/" + unit + "/contacts/" + id, nil, true
	case "POST /v1/supervision/checks":
		return route, map[string]any{"unit": issuerCode, "kind": "licenses", "size": 1}, true
	case "POST /v1/supervision/checks/{id}/items/{item}/review":
		chk := w.clients["admin"].do("POST", "/v1/supervision/checks", map[string]any{"unit": issuerCode, "kind": "licenses", "size": 1}).want(t, 201).json(t)
		return "/v1/supervision/checks/" + chk["id"].(string) + "/items/0/review", map[string]any{"outcome": "pass", "note": "相符"}, true
	case "POST /v1/scenarios/{id}/decision":
		c := pick2(own, w.clients["social"], w.bank2)
		id := c.do("POST", "/v1/scenarios", w.body("POST /v1/scenarios", "social", true)).want(t, 201).json(t)["id"].(string)
		return "/v1/scenarios/" + id + "/decision", map[string]any{"decision": "approve"}, true
	case "POST /v1/grants/{id}/decision":
		return "/v1/grants/" + w.freshGrant(t) + "/decision", map[string]any{"approve": true}, true
	case "POST /v1/grants/{id}/withdraw":
		return "/v1/grants/" + w.freshGrant(t) + "/withdraw", nil, true
	case "DELETE /v1/units/{code}/usage-lists/{matter}":
		unit := w.unitOf(role, own)
		owner := pick2(unit == useUnitCode, w.f.user, w.user2)
		code := fmt.Sprintf("M-DEL-%d", n)
		owner.do("POST", "/v1/matters", map[string]any{"code": code, "name": "待删事项", "applicant_kind": "organization",
			"materials": []map[string]any{{"key": "business_license", "name": "营业执照"}}}).want(t, 201)
		owner.do("PUT", "/v1/units/"+unit+"/usage-lists/"+code, w.body("PUT /v1/units/{code}/usage-lists/{matter}", role, own)).want(t, 200)
		return "/v1/units/" + unit + "/usage-lists/" + code, nil, true
	}
	return "", nil, false
}

func pick2[T any](own bool, a, b T) T {
	if own {
		return a
	}
	return b
}

func (w *matrixWorld) do(t *testing.T, role, method, path string, body any) response {
	if method == "GET" || method == "DELETE" {
		body = nil
	}
	switch role {
	case "holder", "proxy":
		return holderDo(t, w.f.m.URL, w.cookies[role], method, path, body)
	case "anonymous":
		return client{t, w.f.m.URL, ""}.do(method, path, body)
	}
	return w.clients[role].do(method, path, body)
}

// TestAccessMatrix drives the matrix against the running server.
func TestAccessMatrix(t *testing.T) {
	w := newMatrixWorld(t)
	routes := w.f.m.server.APIRoutes()
	var missing []string
	cells, denied, reads, writes := 0, 0, 0, 0
	var unexpected, deniedChanged, failedAllows []string
	var table strings.Builder
	table.WriteString("method,path,ownership," + strings.Join(matrixRoles, ",") + "\n")
	sort.Slice(routes, func(i, j int) bool { return routes[i].Path+routes[i].Method < routes[j].Path+routes[j].Method })
	for _, rt := range routes {
		key := rt.Method + " " + rt.Path
		rule, ok := accessMatrix[key]
		if !ok {
			missing = append(missing, key)
			continue
		}
		for _, own := range []bool{true, false} {
			row := []string{rt.Method, rt.Path, pick(own, "own", "other")}
			for _, role := range matrixRoles {
				allow := allowed(rule, role, own)
				row = append(row, pick(allow, "allow", "deny"))
				cells++
				path, body := w.path(rt.Path, role, own), w.body(key, role, own)
				if allow && rt.Method != "GET" {
					if p, b, ok := w.write(t, key, rt.Path, role, own); ok {
						path, body = p, b
					}
				}
				size := w.auditSize(t)
				r := w.do(t, role, rt.Method, path, body)
				cell := fmt.Sprintf("%s as %s (%s): %d %s", key, role, row[2], r.status, truncateBody(r.body))
				switch {
				case !allow && r.status < 300:
					unexpected = append(unexpected, cell)
				case !allow:
					if changed := w.changesSince(t, size); changed != "" {
						deniedChanged = append(deniedChanged, cell+" changed: "+changed)
					}
					denied++
				case r.status >= 300:
					failedAllows = append(failedAllows, cell)
				case rt.Method == "GET":
					reads++
				default:
					writes++
				}
			}
			table.WriteString(strings.Join(row, ",") + "\n")
		}
	}
	seen := map[string]bool{}
	for _, rt := range routes {
		seen[rt.Method+" "+rt.Path] = true
	}
	for key := range accessMatrix {
		if !seen[key] {
			t.Errorf("the access-control matrix has a row for %s, which is no route", key)
		}
	}
	if len(missing) > 0 {
		t.Errorf("routes without a row in the access-control matrix:\n%s", strings.Join(missing, "\n"))
	}
	if len(unexpected) > 0 {
		t.Errorf("%d unexpected allows:\n%s", len(unexpected), strings.Join(unexpected, "\n"))
	}
	if len(deniedChanged) > 0 {
		t.Errorf("%d denied cells changed state:\n%s", len(deniedChanged), strings.Join(deniedChanged, "\n"))
	}
	if len(failedAllows) > 0 {
		t.Errorf("%d allowed cells not answered 2xx:\n%s", len(failedAllows), strings.Join(failedAllows, "\n"))
	}
	t.Logf("%d cells; %d denied cells, %d allowed reads, %d allowed writes driven", cells, denied, reads, writes)
	if os.Getenv("ZHENGZHAO_WRITE_MATRIX") != "" {
		if err := os.WriteFile("../../docs/access-control-matrix.csv", []byte(table.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// auditSize is the number of audit entries.
func (w *matrixWorld) auditSize(t *testing.T) int64 {
	var n int64
	err := w.f.m.Library.Store().View(context.Background(), func(tx zhengzhao.ReadTx) (err error) {
		n, err = tx.AuditSize()
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// changesSince returns the actions of the audit entries after the first
// size that record a change, "" when there are none. Every change is
// audited in its own transaction, so a denied request that changed
// nothing left no entry but, at most, the record of its refusal.
func (w *matrixWorld) changesSince(t *testing.T, size int64) string {
	var es []*zhengzhao.AuditEntry
	err := w.f.m.Library.Store().View(context.Background(), func(tx zhengzhao.ReadTx) error {
		end, err := tx.AuditSize()
		if err != nil || end == size {
			return err
		}
		es, err = tx.AuditEntries(size, end)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		if !strings.HasSuffix(e.Action, ".refused") {
			out = append(out, e.Action)
		}
	}
	return strings.Join(out, ",")
}

// truncateBody cuts a body to 200 characters for a message, between
// characters.
func truncateBody(b []byte) string {
	if r := []rune(string(b)); len(r) > 200 {
		return string(r[:200]) + "…"
	}
	return string(b)
}

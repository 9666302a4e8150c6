package main

import (
	"context"
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
// the expected allow or deny. TestAccessMatrix drives every deny cell and
// every allowed read against the running server and fails on any
// unexpected allow (a 2xx answer to a cell that must be denied), and on
// any route the table does not cover.

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
	"POST /v1/proxies/{id}/revoke":       "admin,holder:own,proxy:own",

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

	// Oversight and objections (issue 7).
	"POST /v1/licenses/{id}/objections":                    "holder:own,proxy:own,user,social",
	"GET /v1/objections":                                   "admin,issuer,user,social,district,holder,proxy",
	"GET /v1/objections/{id}":                              "admin,issuer:own,user:own,social:own,holder:own,proxy:own",
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
	"GET /v1/supervision/checks/{id}":                      "admin",
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
	"POST /v1/scenarios":                           "social",
	"GET /v1/scenarios":                            "admin,issuer,user,social,district",
	"GET /v1/scenarios/report":                     "admin",
	"GET /v1/scenarios/{id}":                       "admin,social:own,district:own",
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
	otherUser        string
	matterOther      string
}

func newMatrixWorld(t *testing.T) *matrixWorld {
	f := newUseFixture(t)
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

	// The holder and a proxy acting for it.
	w.cookies["holder"] = f.holderCookie
	hctx := zhengzhao.NewContextWithActor(context.Background(), zhengzhao.Actor{Kind: zhengzhao.ActorHolder, HolderIDType: orgHolder.IDType, HolderID: orgHolder.ID})
	proxyPerson := zhengzhao.HolderRef{IDType: "111", ID: demo.ResidentID("310115", time.Date(1985, 5, 5, 0, 0, 0, 0, time.UTC), 21)}
	pa := &zhengzhao.ProxyAuthorization{Holder: orgHolder, HolderName: "上海示例科技有限公司", Proxy: proxyPerson, ProxyName: "赵六", Relation: zhengzhao.RelationOther}
	if err := f.m.Library.GrantProxy(hctx, pa); err != nil {
		t.Fatalf("grant proxy: %v", err)
	}
	sys := zhengzhao.NewContextWithActor(context.Background(), zhengzhao.Actor{Kind: zhengzhao.ActorSystem})
	secret, err := f.m.Library.CreateHolderSession(sys, &zhengzhao.HolderSession{Holder: proxyPerson, Name: "赵六", Method: zhengzhao.SignInOIDC}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.Library.ActFor(sys, secret, orgHolder); err != nil {
		t.Fatalf("act for: %v", err)
	}
	w.cookies["proxy"] = secret
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
	switch {
	case strings.HasPrefix(route, "/v1/matters/"):
		p = strings.Replace(p, "{code}", pick(own, matterCode, w.matterOther), 1)
	case strings.Contains(route, "/usage-lists/"):
		p = strings.Replace(p, "{code}", pick(own && role != "admin", unit, w.otherUser), 1)
		if role == "admin" && own {
			p = strings.Replace(route, "{code}", useUnitCode, 1)
		}
		p = strings.Replace(p, "{matter}", pick(own, matterCode, w.matterOther), 1)
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
	case "POST /v1/scenarios":
		return map[string]any{"kind": "social", "name": "开户", "purpose": "开户核验",
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
	cells, denied, reads := 0, 0, 0
	var unexpected []string
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
				if allow && rt.Method != "GET" {
					continue // allowed writes are exercised by the feature tests, not here
				}
				r := w.do(t, role, rt.Method, w.path(rt.Path, role, own), w.body(key, role, own))
				switch {
				case !allow && r.status < 300:
					unexpected = append(unexpected, fmt.Sprintf("%s as %s (%s): %d %s", key, role, row[2], r.status, truncateBody(r.body)))
				case !allow:
					denied++
				default:
					reads++
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
	t.Logf("%d cells; %d denied cells driven, %d allowed reads driven", cells, denied, reads)
	if os.Getenv("ZHENGZHAO_WRITE_MATRIX") != "" {
		if err := os.WriteFile("../../docs/access-control-matrix.csv", []byte(table.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func truncateBody(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + "…"
	}
	return string(b)
}

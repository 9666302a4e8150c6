package http_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/zhengzhao-project/zhengzhao"
	zhttp "github.com/zhengzhao-project/zhengzhao/http"
)

// openAPI is the parsed OpenAPI document.
type openAPI map[string]any

func loadOpenAPI(t *testing.T) openAPI {
	t.Helper()
	var doc openAPI
	if err := json.Unmarshal(zhttp.OpenAPIDocument(), &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	return doc
}

// get walks the document by keys.
func get(v any, keys ...string) any {
	if doc, ok := v.(openAPI); ok {
		v = map[string]any(doc)
	}
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// resolve follows a local $ref.
func (doc openAPI) resolve(v any) any {
	for i := 0; i < 20; i++ {
		ref, ok := get(v, "$ref").(string)
		if !ok {
			return v
		}
		v = get(map[string]any(doc), strings.Split(strings.TrimPrefix(ref, "#/"), "/")...)
	}
	return v
}

var httpMethods = []string{"get", "put", "post", "delete", "patch", "head", "options", "trace"}

// TestOpenAPIRoutes checks that the document describes exactly the routes
// the server registers, with their methods, security, path and query
// parameters.
func TestOpenAPIRoutes(t *testing.T) {
	doc := loadOpenAPI(t)
	s := MustOpenServer(t)
	paths, _ := doc["paths"].(map[string]any)

	routes := map[string]zhttp.RouteInfo{}
	for _, rt := range s.Routes() {
		routes[strings.ToLower(rt.Method)+" "+rt.Path] = rt
	}
	documented := map[string]bool{}
	for path, item := range paths {
		for _, m := range httpMethods {
			if get(item, m) != nil {
				documented[m+" "+path] = true
			}
		}
	}
	if diff := symmetricDiff(slices.Collect(maps.Keys(routes)), slices.Collect(maps.Keys(documented))); diff != "" {
		t.Fatalf("routes and OpenAPI document differ:\n%s", diff)
	}

	opIDs := map[string]bool{}
	pathParam := regexp.MustCompile(`\{([a-z_]+)\}`)
	for key, rt := range routes {
		method, path, _ := strings.Cut(key, " ")
		op := get(paths, path, method)

		id, _ := get(op, "operationId").(string)
		if id == "" || opIDs[id] {
			t.Errorf("%s: missing or duplicate operationId %q", key, id)
		}
		opIDs[id] = true
		if d, _ := get(op, "description").(string); d == "" {
			t.Errorf("%s: no description", key)
		}

		security, _ := get(op, "security").([]any)
		optional := false
		for _, req := range security {
			if m, _ := req.(map[string]any); len(m) == 0 {
				optional = true
			} else if _, ok := m["bearer"]; !ok && m["holderSession"] == nil {
				t.Errorf("%s: unknown security requirement %v", key, m)
			}
		}
		if len(security) == 0 || optional == rt.Auth {
			t.Errorf("%s: security %v does not match auth=%v", key, security, rt.Auth)
		}

		params := map[string][]string{}
		for _, list := range []any{get(paths, path, "parameters"), get(op, "parameters")} {
			items, _ := list.([]any)
			for _, p := range items {
				p = doc.resolve(p)
				in, _ := get(p, "in").(string)
				name, _ := get(p, "name").(string)
				params[in] = append(params[in], name)
				if in == "path" && get(p, "required") != true {
					t.Errorf("%s: path parameter %s not required", key, name)
				}
			}
		}
		var want []string
		for _, m := range pathParam.FindAllStringSubmatch(path, -1) {
			want = append(want, m[1])
		}
		if diff := symmetricDiff(want, params["path"]); diff != "" {
			t.Errorf("%s: path parameters differ:\n%s", key, diff)
		}
		if diff := symmetricDiff(rt.Query, params["query"]); diff != "" {
			t.Errorf("%s: query parameters differ (route table vs document):\n%s", key, diff)
		}

		responses, _ := get(op, "responses").(map[string]any)
		success := false
		for code := range responses {
			if strings.HasPrefix(code, "2") {
				success = true
			}
		}
		if !success {
			t.Errorf("%s: no success response", key)
		}
		if rt.Auth && responses["401"] == nil {
			t.Errorf("%s: needs a credential but documents no 401", key)
		}
		if (method == "post" || method == "put") && get(op, "requestBody") != nil && responses["400"] == nil {
			t.Errorf("%s: takes a body but documents no 400", key)
		}
	}
}

// TestOpenAPIErrorCodes checks the Problem schema's code enum and the
// code-to-status table in the description against the server's map.
func TestOpenAPIErrorCodes(t *testing.T) {
	doc := loadOpenAPI(t)
	status := zhttp.ErrorStatus()
	var enum []string
	for _, c := range get(doc, "components", "schemas", "Problem", "properties", "code", "enum").([]any) {
		enum = append(enum, c.(string))
	}
	if diff := symmetricDiff(slices.Collect(maps.Keys(status)), enum); diff != "" {
		t.Fatalf("Problem.code enum and the server's codes differ:\n%s", diff)
	}
	desc := get(doc, "info", "description").(string)
	for code, st := range status {
		if !strings.Contains(desc, fmt.Sprintf("| `%s` | %d", code, st)) {
			t.Errorf("the description's table misses `%s` | %d", code, st)
		}
	}
	// Every problem response in components names its code's status.
	for name, want := range map[string]int{"Invalid": 400, "Unauthenticated": 401, "Forbidden": 403, "NotFound": 404,
		"Conflict": 409, "TooLarge": 413, "Internal": 500, "Unavailable": 503} {
		var code string
		for c, st := range status {
			if st == want {
				code = c
			}
		}
		desc, _ := get(doc, "components", "responses", name, "description").(string)
		if !strings.HasPrefix(desc, "`"+code+"`") {
			t.Errorf("response %s: description %q does not start with `%s`", name, desc, code)
		}
	}
}

// TestOpenAPIRefs checks that every $ref in the document resolves.
func TestOpenAPIRefs(t *testing.T) {
	doc := loadOpenAPI(t)
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok {
				if !strings.HasPrefix(ref, "#/") || doc.resolve(v) == nil {
					t.Errorf("%s: $ref %q does not resolve", path, ref)
				}
			}
			for k, e := range v {
				walk(path+"/"+k, e)
			}
		case []any:
			for i, e := range v {
				walk(path+"/"+strconv.Itoa(i), e)
			}
		}
	}
	walk("#", map[string]any(doc))
	if get(doc, "components", "securitySchemes", "bearer", "scheme") != "bearer" {
		t.Error("no bearer security scheme")
	}
}

// TestOpenAPIResponses serves requests to the handlers with mocks and
// checks each response against the document: its status is documented for
// the operation, and its body has every property the schema requires and
// none it does not declare, with the declared types.
func TestOpenAPIResponses(t *testing.T) {
	doc := loadOpenAPI(t)
	s := MustOpenServer(t)
	s.Units.CreateUnitFn = func(ctx context.Context, u *zhengzhao.Unit) error {
		u.CreatedAt = signedAt
		return nil
	}
	s.Units.FindUnitsFn = func(ctx context.Context, f zhengzhao.UnitFilter) ([]*zhengzhao.Unit, int, string, error) {
		return []*zhengzhao.Unit{issuerUnit, userUnit}, 3, "n", nil
	}
	s.Units.FindUnitByCodeFn = func(ctx context.Context, code string) (*zhengzhao.Unit, error) {
		if code == "missing" {
			return nil, zhengzhao.Errorf(zhengzhao.ENOTFOUND, "no unit")
		}
		return userUnit, nil
	}
	s.Units.CreateUnitKeyFn = func(ctx context.Context, unit string) (string, *zhengzhao.UnitKey, error) {
		return "secret", &zhengzhao.UnitKey{ID: "k", Unit: unit, CreatedAt: signedAt}, nil
	}
	s.Catalog.CreateLicenseTypeFn = func(ctx context.Context, lt *zhengzhao.LicenseType) error {
		*lt = *newLicenseType()
		lt.Owner = ""
		return nil
	}
	s.Catalog.FindLicenseTypesFn = func(ctx context.Context, f zhengzhao.LicenseTypeFilter) ([]*zhengzhao.LicenseType, int, string, error) {
		return []*zhengzhao.LicenseType{newLicenseType()}, 1, "", nil
	}
	s.Catalog.FindLicenseTypeByCodeFn = func(ctx context.Context, code string) (*zhengzhao.LicenseType, error) {
		return newLicenseType(), nil
	}
	s.Licenses.IssueLicenseFn = func(ctx context.Context, r *zhengzhao.IssueRequest, key string) (*zhengzhao.License, error) {
		if r.Number == "conflict" {
			return nil, zhengzhao.Errorf(zhengzhao.ECONFLICT, "exists")
		}
		return newLicense(1), nil
	}
	s.Licenses.FindLicenseByIDFn = func(ctx context.Context, id string) (*zhengzhao.License, error) {
		if id == "missing" {
			return nil, zhengzhao.Errorf(zhengzhao.ENOTFOUND, "no license")
		}
		l := newLicense(1)
		l.ValidUntil = nil
		return l, nil
	}
	s.Licenses.FindLicensesFn = func(ctx context.Context, f zhengzhao.LicenseFilter) ([]*zhengzhao.License, int, string, error) {
		old := newLicense(1)
		old.Status, old.SupersededBy = zhengzhao.StatusSuperseded, licenseID(2)
		return []*zhengzhao.License{old, newLicense(2)}, 2, "", nil
	}
	s.Licenses.UpdateLicenseFn = func(ctx context.Context, id string, u *zhengzhao.LicenseUpdate) (*zhengzhao.License, error) {
		l := newLicense(2)
		l.Supersedes = licenseID(1)
		return l, nil
	}
	s.Licenses.RevokeLicenseFn = func(ctx context.Context, id, reason string) (*zhengzhao.License, error) {
		l := newLicense(1)
		l.Status, l.RevocationReason, l.RevokedAt = zhengzhao.StatusRevoked, reason, &signedAt
		return l, nil
	}
	s.Licenses.VerifyLicenseFn = func(ctx context.Context, doc []byte) (*zhengzhao.VerifyResult, error) {
		return &zhengzhao.VerifyResult{Status: zhengzhao.StatusSuperseded, Reasons: []string{"superseded"}, ID: licenseID(1),
			SupersededBy: licenseID(2), VerifiedAt: signedAt, Checks: zhengzhao.VerifyChecks{Signature: true}}, nil
	}
	s.Keys.CACertificatePEMFn = func() string { return caPEM }
	s.Keys.FindSigningKeysFn = func(ctx context.Context) ([]*zhengzhao.SigningKey, error) { return newSigningKeys(), nil }
	s.Audit.LatestCheckpointFn = func(ctx context.Context) (*zhengzhao.Checkpoint, error) { return newCheckpoint(), nil }
	s.Audit.SignCheckpointFn = func(ctx context.Context) (*zhengzhao.Checkpoint, error) { return newCheckpoint(), nil }
	s.Audit.FindAuditEntriesFn = func(ctx context.Context, f zhengzhao.AuditFilter) ([]*zhengzhao.AuditEntry, int, string, error) {
		return []*zhengzhao.AuditEntry{
			{Index: 0, Time: signedAt, Actor: "admin", Action: zhengzhao.ActionUnitCreate, Subject: issuerUnit.Code},
			{Index: 1, Time: signedAt, Actor: "unit:" + issuerUnit.Code, Action: zhengzhao.ActionLicenseRevoke, License: licenseID(1),
				LicenseBase: "b", Details: map[string]string{"reason": "r"}},
		}, 2, "next", nil
	}
	s.Audit.InclusionProofFn = func(ctx context.Context, index, size int64) (*zhengzhao.InclusionProof, error) {
		return &zhengzhao.InclusionProof{Index: index, Size: size, LeafHash: []byte{1}, Hashes: [][]byte{{2}}, Root: []byte{3}}, nil
	}
	s.Audit.ConsistencyProofFn = func(ctx context.Context, size1, size2 int64) (*zhengzhao.ConsistencyProof, error) {
		return &zhengzhao.ConsistencyProof{Size1: size1, Size2: size2, Hashes: [][]byte{{2}}}, nil
	}

	unitBody := `{"code":"91310000MA1FL8XQ30","name":"n","roles":["issuer"],"region":"310000"}`
	typeBody := `{"code":"` + typeCode + `","name":"n","holder_kind":"person","level":"national","collect_since":"2020-01-01"}`
	for _, tc := range []struct {
		pattern string // the documented path
		req     request
	}{
		{"/healthz", request{method: "GET", path: "/healthz"}},
		{"/healthz", request{method: "GET", path: "/healthz", token: "wrong"}},
		{"/readyz", request{method: "GET", path: "/readyz"}},
		{"/v1/units", request{method: "POST", path: "/v1/units", token: adminToken, body: unitBody}},
		{"/v1/units", request{method: "POST", path: "/v1/units", token: adminToken, body: `{"code":1}`}},
		{"/v1/units", request{method: "POST", path: "/v1/units", body: unitBody}},
		{"/v1/units", request{method: "GET", path: "/v1/units?role=user&limit=2", token: adminToken}},
		{"/v1/units/{code}", request{method: "GET", path: "/v1/units/" + userUnit.Code, token: userToken}},
		{"/v1/units/{code}", request{method: "GET", path: "/v1/units/missing", token: adminToken}},
		{"/v1/units/{code}/keys", request{method: "POST", path: "/v1/units/" + userUnit.Code + "/keys", token: adminToken}},
		{"/v1/license-types", request{method: "POST", path: "/v1/license-types", token: adminToken, body: typeBody}},
		{"/v1/license-types", request{method: "GET", path: "/v1/license-types?public_only=true"}},
		{"/v1/license-types/{code}", request{method: "GET", path: "/v1/license-types/" + typeCode}},
		{"/v1/licenses", request{method: "POST", path: "/v1/licenses", token: issuerToken, body: issueBody,
			header: http.Header{"Idempotency-Key": {"k"}}}},
		{"/v1/licenses", request{method: "POST", path: "/v1/licenses", token: issuerToken, body: `{"number":"conflict"}`}},
		{"/v1/licenses", request{method: "POST", path: "/v1/licenses", token: issuerToken, body: `{"holder":{"id":1}}`}},
		{"/v1/licenses", request{method: "GET", path: "/v1/licenses?type=" + typeCode, token: issuerToken}},
		{"/v1/licenses/{id}", request{method: "GET", path: "/v1/licenses/" + licenseID(1), token: issuerToken}},
		{"/v1/licenses/{id}", request{method: "GET", path: "/v1/licenses/missing", token: issuerToken}},
		{"/v1/licenses/{id}", request{method: "PUT", path: "/v1/licenses/" + licenseID(1), token: issuerToken, body: updateBody}},
		{"/v1/licenses/{id}/revoke", request{method: "POST", path: "/v1/licenses/" + licenseID(1) + "/revoke", token: issuerToken, body: `{"reason":"r"}`}},
		{"/v1/verify", request{method: "POST", path: "/v1/verify", body: `{"id":"x"}`}},
		{"/v1/keys", request{method: "GET", path: "/v1/keys"}},
		{"/v1/keys", request{method: "GET", path: "/v1/keys?format=pem"}},
		{"/v1/audit/checkpoint", request{method: "GET", path: "/v1/audit/checkpoint"}},
		{"/v1/audit/checkpoint", request{method: "GET", path: "/v1/audit/checkpoint", header: http.Header{"Accept": {"text/plain"}}}},
		{"/v1/audit/checkpoint", request{method: "POST", path: "/v1/audit/checkpoint", token: adminToken}},
		{"/v1/audit/entries", request{method: "GET", path: "/v1/audit/entries?license=" + licenseID(1), token: adminToken}},
		{"/v1/audit/entries", request{method: "GET", path: "/v1/audit/entries?license=bad", token: adminToken}},
		{"/v1/audit/proof", request{method: "GET", path: "/v1/audit/proof?index=1&size=2"}},
		{"/v1/audit/proof", request{method: "GET", path: "/v1/audit/proof?index=x"}},
		{"/v1/audit/consistency", request{method: "GET", path: "/v1/audit/consistency?size1=1&size2=2"}},
	} {
		name := tc.req.method + " " + tc.req.path
		t.Run(name, func(t *testing.T) {
			rec := s.Do(t, tc.req)
			op := get(doc, "paths", tc.pattern, strings.ToLower(tc.req.method))
			if op == nil {
				t.Fatalf("%s %s is not documented", tc.req.method, tc.pattern)
			}
			resp := doc.resolve(get(op, "responses", strconv.Itoa(rec.Code)))
			if resp == nil {
				t.Fatalf("status %d is not documented for %s %s; body %s", rec.Code, tc.req.method, tc.pattern, rec.Body)
			}
			ct, _, _ := strings.Cut(rec.Header().Get("Content-Type"), ";")
			media := get(resp, "content", ct)
			if media == nil {
				t.Fatalf("content type %q is not documented for status %d", ct, rec.Code)
			}
			if ct != "application/json" && ct != "application/problem+json" {
				return // text: a string schema
			}
			var body any
			d := json.NewDecoder(bytes.NewReader(rec.Body.Bytes()))
			d.UseNumber()
			if err := d.Decode(&body); err != nil {
				t.Fatalf("decode %s: %v", rec.Body, err)
			}
			var errs []string
			doc.check(&errs, "", get(media, "schema"), body)
			if len(errs) > 0 {
				t.Fatalf("response does not match the schema:\n%s\nbody: %s", strings.Join(errs, "\n"), rec.Body)
			}
		})
	}
}

// check appends a message for every way v breaks schema: a missing
// required property, an undeclared property (where additionalProperties is
// false), a wrong type, a value outside an enum or not matching a pattern.
func (doc openAPI) check(errs *[]string, path string, schema, v any) {
	fail := func(format string, args ...any) {
		*errs = append(*errs, fmt.Sprintf("%s: %s", cmpPath(path), fmt.Sprintf(format, args...)))
	}
	schema = doc.resolve(schema)
	if schema == nil {
		fail("no schema")
		return
	}
	if types := schemaTypes(get(schema, "type")); len(types) > 0 {
		got := jsonType(v)
		if !slices.Contains(types, got) && !(got == "integer" && slices.Contains(types, "number")) {
			fail("type %s, want %v", got, types)
			return
		}
	}
	if enum, ok := get(schema, "enum").([]any); ok {
		if !slices.ContainsFunc(enum, func(e any) bool { return fmt.Sprint(e) == fmt.Sprint(v) }) {
			fail("%v not in enum %v", v, enum)
		}
	}
	if pattern, ok := get(schema, "pattern").(string); ok {
		if s, ok := v.(string); ok && !regexp.MustCompile(pattern).MatchString(s) {
			fail("%q does not match %s", s, pattern)
		}
	}
	switch v := v.(type) {
	case map[string]any:
		props, _ := get(schema, "properties").(map[string]any)
		req, _ := get(schema, "required").([]any)
		for _, r := range req {
			if _, ok := v[r.(string)]; !ok {
				fail("required property %q missing", r)
			}
		}
		additional := get(schema, "additionalProperties")
		for k, e := range v {
			switch ps, ok := props[k]; {
			case ok:
				doc.check(errs, path+"."+k, ps, e)
			case additional == false:
				fail("property %q not declared", k)
			case additional != nil && additional != true:
				doc.check(errs, path+"."+k, additional, e)
			case props != nil && additional == nil:
				fail("property %q not declared (and additionalProperties not set)", k)
			}
		}
	case []any:
		if items := get(schema, "items"); items != nil {
			for i, e := range v {
				doc.check(errs, path+"["+strconv.Itoa(i)+"]", items, e)
			}
		}
	}
}

func cmpPath(p string) string {
	if p == "" {
		return "(root)"
	}
	return strings.TrimPrefix(p, ".")
}

func schemaTypes(t any) []string {
	switch t := t.(type) {
	case string:
		return []string{t}
	case []any:
		var out []string
		for _, e := range t {
			out = append(out, e.(string))
		}
		return out
	}
	return nil
}

func jsonType(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case json.Number:
		if _, err := v.Int64(); err == nil {
			return "integer"
		}
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

// symmetricDiff describes the elements only in a and only in b.
func symmetricDiff(a, b []string) string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, "only in the first: "+x)
		}
	}
	for _, x := range b {
		if !slices.Contains(a, x) {
			out = append(out, "only in the second: "+x)
		}
	}
	slices.Sort(out)
	return strings.Join(out, "\n")
}

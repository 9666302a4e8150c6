package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	nethttp "net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/auditlog"
	"github.com/zhengzhao-project/zhengzhao/demo"
	"github.com/zhengzhao-project/zhengzhao/internal/pgtest"
)

const testAdminToken = "test-admin-token-0123456789abcdef" // 32+ characters (checkAdminToken)

// MustRunMain starts a real server on a temporary data directory and a
// free loopback port.
func MustRunMain(t *testing.T) *Main {
	t.Helper()
	return MustRunMainDB(t, "")
}

// MustRunMainDB is MustRunMain on the given database URL ("" = SQLite).
func MustRunMainDB(t *testing.T, db string) *Main {
	t.Helper()
	t.Setenv("ZHENGZHAO_ADMIN_TOKEN", testAdminToken)
	m := NewMain()
	m.Config.DB = db
	m.Config.DataDir = t.TempDir()
	m.Config.Addr = "127.0.0.1:0"
	m.Stdout = io.Discard
	m.Logger = newLogger("text", io.Discard)
	if err := m.Run(context.Background()); err != nil {
		t.Fatalf("Run: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// client talks to a running server with one bearer token.
type client struct {
	t     *testing.T
	base  string
	token string
}

type response struct {
	status int
	header nethttp.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("response %d is not a JSON object: %s", r.status, r.body)
	}
	return m
}

func (c client) do(method, path string, body any, headers ...string) response {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	default:
		js, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(js)
	}
	req, err := nethttp.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := nethttp.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{res.StatusCode, res.Header, b}
}

// want fails the test unless the response has the status.
func (r response) want(t *testing.T, status int) response {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	return r
}

var (
	issuerCode = demo.USCC("11310000MB2F38611")
	otherCode  = demo.USCC("11310000002416832")
	typeCode   = demo.USCC("11100000MB0143028") + "001"
)

// setup creates two issuing units with keys and a license type defined by
// the first; it returns the admin, issuer and other-issuer clients.
func setup(t *testing.T, m *Main) (admin, issuer, other client) {
	t.Helper()
	return setupAt(t, m.URL)
}

func setupAt(t *testing.T, base string) (admin, issuer, other client) {
	t.Helper()
	admin = client{t, base, testAdminToken}
	admin.do("POST", "/v1/units", map[string]any{"code": issuerCode, "name": "上海市市场监督管理局", "roles": []string{"issuer"}, "region": "310000"}).want(t, 201)
	admin.do("POST", "/v1/units", map[string]any{"code": otherCode, "name": "上海市住房和城乡建设管理委员会", "roles": []string{"issuer"}, "region": "310000", "signing_alg": "EdDSA"}).want(t, 201)
	k1 := admin.do("POST", "/v1/units/"+issuerCode+"/keys", nil).want(t, 201).json(t)["key"].(string)
	k2 := admin.do("POST", "/v1/units/"+otherCode+"/keys", nil).want(t, 201).json(t)["key"].(string)
	issuer, other = client{t, base, k1}, client{t, base, k2}
	issuer.do("POST", "/v1/license-types", map[string]any{
		"code": typeCode, "name": "营业执照", "holder_kind": "organization", "level": "national", "public": true, "collect_since": "2014-03-01",
		"fields": []map[string]any{
			{"key": "legal_representative", "label": "法定代表人", "type": "string", "required": true},
			{"key": "registered_capital", "label": "注册资本（万元）", "type": "number", "required": true},
			{"key": "entity_type", "label": "类型", "type": "enum", "required": true, "values": []string{"有限责任公司", "股份有限公司"}},
			{"key": "established_on", "label": "成立日期", "type": "date"},
		},
	}).want(t, 201)
	return admin, issuer, other
}

func issueBody() map[string]any {
	return map[string]any{
		"type": typeCode, "number": "310000000000001",
		"holder":    map[string]any{"kind": "organization", "id_type": "001", "id": "91350100M000100Y43", "name": "上海示例科技有限公司"},
		"issued_on": "2024-01-02", "valid_from": "2024-01-02", "valid_until": "2044-01-01",
		"fields": map[string]any{"legal_representative": "张三", "registered_capital": 100, "entity_type": "有限责任公司", "established_on": "2024-01-02"},
	}
}

// TestFlow walks the foundation's whole promise through the real server:
// unit, key, type, issue (SM2), get, verify, tamper, update, revoke, audit
// entries, inclusion proof against the signed checkpoint.
func TestFlow(t *testing.T) { forEachStore(t, testFlow) }

// forEachStore runs a test on SQLite and on a fresh PostgreSQL database.
func forEachStore(t *testing.T, f func(t *testing.T, db string)) {
	t.Run("sqlite", func(t *testing.T) { f(t, "") })
	t.Run("postgres", func(t *testing.T) { f(t, pgtest.NewDatabase(t)) })
}

func testFlow(t *testing.T, db string) {
	m := MustRunMainDB(t, db)
	admin, issuer, _ := setup(t, m)
	anon := client{t, m.URL, ""}

	res := issuer.do("POST", "/v1/licenses", issueBody()).want(t, 201)
	doc := res.body
	lic := res.json(t)
	id := lic["id"].(string)
	if _, err := zhengzhao.ParseLicenseID(id); err != nil {
		t.Fatalf("issued ID %s fails the MOD 37,36 check: %v", id, err)
	}
	if alg := lic["proof"].(map[string]any)["alg"]; alg != zhengzhao.AlgSM2SM3 {
		t.Fatalf("default signature alg = %v, want SM2-SM3", alg)
	}
	if lic["version"] != "001" || lic["status"] != "valid" {
		t.Fatalf("version %v status %v", lic["version"], lic["status"])
	}

	got := issuer.do("GET", "/v1/licenses/"+id, nil).want(t, 200)
	verdict := anon.do("POST", "/v1/verify", got.body).want(t, 200).json(t)
	if verdict["valid"] != true || verdict["status"] != "valid" {
		t.Fatalf("verify of a fresh license: %v", verdict)
	}

	// Changing any signed field breaks the signature; verify still answers 200.
	for _, path := range [][]string{{"holder", "name"}, {"fields", "legal_representative"}, {"valid_until"}, {"number"}} {
		var tampered map[string]any
		json.Unmarshal(doc, &tampered)
		obj := tampered
		for _, k := range path[:len(path)-1] {
			obj = obj[k].(map[string]any)
		}
		obj[path[len(path)-1]] = "2099-12-31"
		v := anon.do("POST", "/v1/verify", tampered).want(t, 200).json(t)
		checks := v["checks"].(map[string]any)
		if v["valid"] != false || checks["signature"] != false {
			t.Fatalf("tampered %v: valid=%v signature=%v", path, v["valid"], checks["signature"])
		}
	}

	// Update: version 002, the old one superseded and naming its successor.
	up := issueBody()
	delete(up, "type")
	up["fields"].(map[string]any)["legal_representative"] = "李四"
	v2 := issuer.do("PUT", "/v1/licenses/"+id, up).want(t, 200).json(t)
	id2 := v2["id"].(string)
	if v2["version"] != "002" || !strings.Contains(id2, ".002.") {
		t.Fatalf("update gave version %v id %s", v2["version"], id2)
	}
	old := issuer.do("GET", "/v1/licenses/"+id, nil).want(t, 200).json(t)
	if old["status"] != "superseded" || old["superseded_by"] != id2 {
		t.Fatalf("old version: status %v superseded_by %v", old["status"], old["superseded_by"])
	}
	v := anon.do("POST", "/v1/verify", doc).want(t, 200).json(t)
	if v["valid"] != false || v["status"] != "superseded" {
		t.Fatalf("verify superseded: %v", v)
	}

	// Revoke: verify says revoked.
	issuer.do("POST", "/v1/licenses/"+id2+"/revoke", map[string]any{"reason": "企业申请注销"}).want(t, 200)
	v2doc := issuer.do("GET", "/v1/licenses/"+id2, nil).want(t, 200).body
	v = anon.do("POST", "/v1/verify", v2doc).want(t, 200).json(t)
	if v["valid"] != false || v["status"] != "revoked" || v["checks"].(map[string]any)["signature"] != true {
		t.Fatalf("verify revoked: %v", v)
	}

	// The audit entries of the license list each step with its index.
	var entries struct {
		Items []zhengzhao.AuditEntry `json:"items"`
		Total int                    `json:"total"`
	}
	json.Unmarshal(admin.do("GET", "/v1/audit/entries?license="+id, nil).want(t, 200).body, &entries)
	var actions []string
	for _, e := range entries.Items {
		actions = append(actions, e.Action)
	}
	want := "license.issue,license.read,license.update,license.read,license.revoke,license.read"
	if strings.Join(actions, ",") != want {
		t.Fatalf("audit actions = %v, want %s", actions, want)
	}

	// An inclusion proof of the issue entry checks against the signed checkpoint.
	var cp zhengzhao.Checkpoint
	json.Unmarshal(admin.do("POST", "/v1/audit/checkpoint", nil).want(t, 200).body, &cp)
	vkey, err := os.ReadFile(filepath.Join(m.Config.DataDir, "log.key.pub"))
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := note.NewVerifier(strings.TrimSpace(string(vkey)))
	if err != nil {
		t.Fatal(err)
	}
	_, size, root, err := auditlog.OpenCheckpoint(cp.Note, verifier)
	if err != nil {
		t.Fatalf("checkpoint signature: %v", err)
	}
	latest := anon.do("GET", "/v1/audit/checkpoint", nil).want(t, 200).json(t)
	if latest["size"].(float64) != float64(size) {
		t.Fatalf("GET checkpoint size %v, signed %d", latest["size"], size)
	}
	issueEntry := entries.Items[0]
	var proof zhengzhao.InclusionProof
	json.Unmarshal(anon.do("GET", fmt.Sprintf("/v1/audit/proof?index=%d&size=%d", issueEntry.Index, size), nil).want(t, 200).body, &proof)
	if err := auditlog.VerifyInclusion(issueEntry.Index, size, auditlog.LeafHash(&issueEntry), proof.Hashes, root); err != nil {
		t.Fatalf("inclusion proof of entry %d in checkpoint %d: %v", issueEntry.Index, size, err)
	}
}

// TestBadInput checks that every kind of bad request gets a 4xx
// problem+json naming the field, and changes no license data.
func TestBadInput(t *testing.T) { forEachStore(t, testBadInput) }

func testBadInput(t *testing.T, db string) {
	m := MustRunMainDB(t, db)
	admin, issuer, other := setup(t, m)
	lic := issuer.do("POST", "/v1/licenses", issueBody()).want(t, 201).json(t)
	id := lic["id"].(string)

	with := func(mut func(b map[string]any)) map[string]any {
		b := issueBody()
		mut(b)
		return b
	}
	huge := strings.Repeat("字", 1<<19) // 1.5 MiB of UTF-8
	cases := []struct {
		name   string
		c      client
		method string
		path   string
		body   any
		status int
		field  string
	}{
		{"holder check char", issuer, "POST", "/v1/licenses", with(func(b map[string]any) { b["holder"].(map[string]any)["id"] = "91350100M000100Y44" }), 400, "holder.id"},
		{"impossible birth date", issuer, "POST", "/v1/licenses", with(func(b map[string]any) {
			b["holder"] = map[string]any{"kind": "person", "id_type": "111", "id": "110105194902300021", "name": "x"}
		}), 400, "holder.id"},
		{"unknown type", issuer, "POST", "/v1/licenses", with(func(b map[string]any) { b["type"] = "11100000MB0143028R999" }), 400, "type"},
		{"missing face field", issuer, "POST", "/v1/licenses", with(func(b map[string]any) { delete(b["fields"].(map[string]any), "legal_representative") }), 400, "fields.legal_representative"},
		{"wrong-typed face field", issuer, "POST", "/v1/licenses", with(func(b map[string]any) { b["fields"].(map[string]any)["registered_capital"] = "很多" }), 400, "fields.registered_capital"},
		{"enum outside template", issuer, "POST", "/v1/licenses", with(func(b map[string]any) { b["fields"].(map[string]any)["entity_type"] = "合作社" }), 400, "fields.entity_type"},
		{"validity ends before start", issuer, "POST", "/v1/licenses", with(func(b map[string]any) { b["valid_until"] = "2020-01-01" }), 400, "valid_until"},
		{"wrong JSON type", issuer, "POST", "/v1/licenses", with(func(b map[string]any) { b["holder"].(map[string]any)["id"] = 42 }), 400, "holder.id"},
		{"malformed JSON", issuer, "POST", "/v1/licenses", `{"type": `, 400, ""},
		{"oversized body", issuer, "POST", "/v1/licenses", `{"number":"` + huge + `"}`, 413, ""},
		{"missing token", client{t, m.URL, ""}, "POST", "/v1/licenses", issueBody(), 401, ""},
		{"wrong token", client{t, m.URL, "zzk_nope"}, "POST", "/v1/licenses", issueBody(), 401, ""},
		{"other issuer reads", other, "GET", "/v1/licenses/" + id, nil, 404, ""}, // like a made-up ID (TestOtherIssuersLicenseIs404)
		{"other issuer revokes", other, "POST", "/v1/licenses/" + id + "/revoke", map[string]any{"reason": "x"}, 403, ""},
		{"other issuer updates", other, "PUT", "/v1/licenses/" + id, with(func(b map[string]any) { delete(b, "type") }), 403, ""},
		{"other issuer issues the type", other, "POST", "/v1/licenses", issueBody(), 403, ""},
		{"revoke without reason", issuer, "POST", "/v1/licenses/" + id + "/revoke", map[string]any{"reason": ""}, 400, "reason"},
		{"unit creates unit", issuer, "POST", "/v1/units", map[string]any{"code": issuerCode, "name": "x", "roles": []string{"user"}, "region": "310000"}, 403, ""},
		{"bad unit code", admin, "POST", "/v1/units", map[string]any{"code": "91350100M000100Y44", "name": "x", "roles": []string{"user"}, "region": "310000"}, 400, "code"},
	}
	before := admin.do("GET", "/v1/licenses", nil).want(t, 200).json(t)["total"]
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := c.c.do(c.method, c.path, c.body)
			if res.status != c.status {
				t.Fatalf("status %d, want %d: %s", res.status, c.status, res.body)
			}
			if ct := res.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
				t.Fatalf("content type %q", ct)
			}
			p := res.json(t)
			if p["status"].(float64) != float64(c.status) || p["code"] == "" || p["detail"] == "" {
				t.Fatalf("problem document %v", p)
			}
			if c.field != "" {
				var fields []string
				for _, e := range p["errors"].([]any) {
					fields = append(fields, e.(map[string]any)["field"].(string))
				}
				if !contains(fields, c.field) {
					t.Fatalf("errors name %v, want %s", fields, c.field)
				}
			}
		})
	}
	after := admin.do("GET", "/v1/licenses", nil).want(t, 200).json(t)["total"]
	if before != after {
		t.Fatalf("licenses before %v, after %v: a rejected request changed data", before, after)
	}
	if st := issuer.do("GET", "/v1/licenses/"+id, nil).want(t, 200).json(t)["status"]; st != "valid" {
		t.Fatalf("license status after rejected requests: %v", st)
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// TestIdempotentIssue: the same Idempotency-Key and body returns the same
// license; the same key with another body is a conflict.
func TestIdempotentIssue(t *testing.T) {
	m := MustRunMain(t)
	_, issuer, _ := setup(t, m)
	a := issuer.do("POST", "/v1/licenses", issueBody(), "Idempotency-Key", "k-1").want(t, 201).json(t)
	b := issuer.do("POST", "/v1/licenses", issueBody(), "Idempotency-Key", "k-1").json(t)
	if a["id"] != b["id"] {
		t.Fatalf("retry issued a second license: %v then %v", a["id"], b["id"])
	}
	other := issueBody()
	other["number"] = "310000000000002"
	issuer.do("POST", "/v1/licenses", other, "Idempotency-Key", "k-1").want(t, 409)
	total := issuer.do("GET", "/v1/licenses", nil).want(t, 200).json(t)["total"]
	if total.(float64) != 1 {
		t.Fatalf("total licenses = %v, want 1", total)
	}
}

// TestVerifyOffline: a license verifies with only the published PEM
// bundle and no server; a changed signed field fails with the reason.
func TestVerifyOffline(t *testing.T) {
	m := MustRunMain(t)
	_, issuer, _ := setup(t, m)
	doc := issuer.do("POST", "/v1/licenses", issueBody()).want(t, 201).body
	keys := client{t, m.URL, ""}.do("GET", "/v1/keys?format=pem", nil).want(t, 200).body
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	keysPath := write("keys.pem", keys)
	m.Close() // offline: the server is gone

	run := func(path string) (string, error) {
		var out bytes.Buffer
		cmd := newRootCommand()
		cmd.SetArgs([]string{"verify", path, "--keys", keysPath})
		cmd.SetOut(&out)
		err := cmd.ExecuteContext(context.Background())
		return out.String(), err
	}
	out, err := run(write("lic.json", doc))
	if err != nil || !strings.Contains(out, "VALID") {
		t.Fatalf("offline verify of a good license: %v\n%s", err, out)
	}
	tampered := bytes.Replace(doc, []byte("张三"), []byte("王五"), 1)
	out, err = run(write("tampered.json", tampered))
	var ee exitError
	if !errors.As(err, &ee) || ee.code != 1 || !strings.Contains(out, "INVALID") || !strings.Contains(out, "signature") {
		t.Fatalf("offline verify of a tampered license: %v\n%s", err, out)
	}
}

// TestDemo: serve --demo loads the data set once and prints credentials
// that work.
func TestDemo(t *testing.T) {
	t.Setenv("ZHENGZHAO_ADMIN_TOKEN", testAdminToken)
	m := NewMain()
	m.Config.DataDir = t.TempDir()
	m.Config.Addr = "127.0.0.1:0"
	m.Config.Demo = true
	var out bytes.Buffer
	m.Stdout = &out
	m.Logger = newLogger("text", io.Discard)
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	admin := client{t, m.URL, testAdminToken}
	lics := admin.do("GET", "/v1/licenses?limit=1000", nil).want(t, 200).json(t)
	if n := lics["total"].(float64); n < 300 {
		t.Fatalf("demo has %v licenses, want at least 300", n)
	}
	types := client{t, m.URL, ""}.do("GET", "/v1/license-types", nil).want(t, 200).json(t)
	if n := types["total"].(float64); n < 5 {
		t.Fatalf("public catalog has %v types", n)
	}
	// Every demo license verifies as its status says.
	statuses := map[string]int{}
	for _, it := range lics["items"].([]any) {
		js, _ := json.Marshal(it)
		v := client{t, m.URL, ""}.do("POST", "/v1/verify", js).want(t, 200).json(t)
		if v["checks"].(map[string]any)["signature"] != true {
			t.Fatalf("demo license %v: %v", it.(map[string]any)["id"], v)
		}
		statuses[v["status"].(string)]++
	}
	if statuses["valid"] == 0 || statuses["superseded"] == 0 || statuses["revoked"] == 0 {
		t.Fatalf("demo statuses %v: want valid, superseded and revoked licenses", statuses)
	}
	// The printed unit keys work.
	key := regexp.MustCompile(`key: (zzk_\S+)`).FindStringSubmatch(out.String())
	if key == nil {
		t.Fatalf("no unit key printed:\n%s", out.String())
	}
	client{t, m.URL, key[1]}.do("GET", "/v1/licenses?limit=1", nil).want(t, 200)

	// The printed use-area codes work: the using unit sees two of the
	// demo matter's three materials exempted for the demo applicant, and
	// the bank may ask that applicant for the two fields of its approved
	// scenario.
	unitKey := func(code string) client {
		k := regexp.MustCompile(code + `[^\n]*\n\s+key: (zzk_\S+)`).FindStringSubmatch(out.String())
		if k == nil {
			t.Fatalf("no key printed for %s:\n%s", code, out.String())
		}
		return client{t, m.URL, k[1]}
	}
	app := regexp.MustCompile(`applicant: (\d{3}):(\S+) `).FindStringSubmatch(out.String())
	sc := regexp.MustCompile(`scenario (sc_\S+)`).FindStringSubmatch(out.String())
	if app == nil || sc == nil || !strings.Contains(out.String(), demo.Matters[0].Code) {
		t.Fatalf("use-area codes not printed:\n%s", out.String())
	}
	applicant := map[string]any{"id_type": app[1], "id": app[2]}
	matter := demo.Matters[0]
	ex := unitKey(matter.Owner).do("POST", "/v1/use/exemptions", map[string]any{"matter": matter.Code, "applicant": applicant,
		"context": map[string]any{"operator": "窗口 1", "matter_code": matter.Code, "matter_name": matter.Name, "case_number": "DEMO-1"}}).want(t, 200).json(t)
	exempted := 0
	for _, mat := range ex["materials"].([]any) {
		if mat.(map[string]any)["exempted"] == true {
			exempted++
		}
	}
	if exempted != 2 {
		t.Fatalf("%d of the demo matter's materials exempted, want 2: %v", exempted, ex)
	}
	unitKey(demo.Units[6].Code).do("POST", "/v1/grants", map[string]any{"scenario": sc[1], "holder": applicant, "purpose": "开户核验",
		"items":       []map[string]any{{"license_type": demo.Types[0].Code, "fields": demo.BankFields}},
		"valid_until": time.Now().Add(time.Hour).UTC().Format(time.RFC3339), "once": true}).want(t, 201)
}

package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	nethttp "net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/demo"
	"github.com/zhengzhao-project/zhengzhao/internal/pgtest"
	"github.com/zhengzhao-project/zhengzhao/library"
)

// TestCopySQLiteToPostgres moves the demo library, with at least one record
// of every area added through the API, to PostgreSQL: every record of
// every copied table is equal on both sides, audit verify passes on the
// destination, every license verifies there with the status it had, and
// the copied library works: the copied grant can be withdrawn, the copied
// objection answered, the copied proxy authorization revoked, the import's
// report read; a second copy into the same database is refused.
func TestCopySQLiteToPostgres(t *testing.T) {
	db := pgtest.NewDatabase(t)
	t.Setenv("ZHENGZHAO_ADMIN_TOKEN", testAdminToken)
	// A webhook, so that deliveries queue notifications in the outbox.
	hook := httptest.NewServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) { w.WriteHeader(204) }))
	defer hook.Close()
	m := NewMain()
	m.Config.DataDir, m.Config.Addr, m.Config.Demo = t.TempDir(), "127.0.0.1:0", true
	m.Config.Holder.WebhookURL = hook.URL
	m.Stdout, m.Logger = &bytes.Buffer{}, newLogger("text", &bytes.Buffer{})
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	admin := client{t, m.URL, testAdminToken}
	seeded := seedEveryArea(t, m)
	admin.do("POST", "/v1/audit/checkpoint", nil).want(t, 200)
	before := admin.do("GET", "/v1/licenses?limit=1000", nil).want(t, 200).json(t)
	m.Close()

	run := func(args ...string) string {
		var out bytes.Buffer
		cmd := newRootCommand()
		cmd.SetArgs(args)
		cmd.SetOut(&out)
		cmd.SetErr(&out)
		if err := cmd.ExecuteContext(context.Background()); err != nil {
			t.Fatalf("zhengzhao %v: %v\n%s", args, err, out.String())
		}
		return out.String()
	}
	copied := run("copy", "--from", m.Config.DataDir, "--to", db)
	t.Log(copied)
	// The summary counts every area's table, none of them empty.
	_, areas, _ := strings.Cut(copied, "areas: ")
	for _, table := range library.CopiedTables {
		if slices.Contains([]string{"units", "unit_keys", "signing_keys", "license_types", "licenses", "idempotency_records",
			"audit_entries", "checkpoints"}, table) {
			continue
		}
		if !regexp.MustCompile(`\b` + table + ` [1-9]`).MatchString(areas) {
			t.Errorf("the copy's summary does not count %s: %s", table, areas)
		}
	}
	t.Log(run("audit", "verify", "--data", m.Config.DataDir, "--db", db))

	// Every record of every copied table is equal on both sides, and the
	// source has at least one of each.
	compareLibraries(t, m.Config.DataDir, db)

	// A copy into a non-empty database is refused.
	var out bytes.Buffer
	cmd := newRootCommand()
	cmd.SetArgs([]string{"copy", "--from", m.Config.DataDir, "--to", db})
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	if err := cmd.ExecuteContext(context.Background()); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("copy into a non-empty database: %v", err)
	}

	// Serve the copy from PostgreSQL with the same keys.
	pm := NewMain()
	pm.Config.DataDir, pm.Config.Addr, pm.Config.DB = m.Config.DataDir, "127.0.0.1:0", db
	pm.Stdout, pm.Logger = &bytes.Buffer{}, newLogger("text", &bytes.Buffer{})
	if err := pm.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer pm.Close()
	pg := client{t, pm.URL, testAdminToken}
	after := pg.do("GET", "/v1/licenses?limit=1000", nil).want(t, 200).json(t)
	if before["total"] != after["total"] {
		t.Fatalf("licenses: %v before, %v after the copy", before["total"], after["total"])
	}
	for _, it := range after["items"].([]any) {
		js, _ := json.Marshal(it)
		v := client{t, pm.URL, ""}.do("POST", "/v1/verify", js).want(t, 200).json(t)
		if v["checks"].(map[string]any)["signature"] != true || v["status"] != it.(map[string]any)["status"] || v["checks"].(map[string]any)["issuer_trusted"] != true {
			t.Fatalf("copied license %v: %v", it.(map[string]any)["id"], v)
		}
	}
	// The copied unit keys still authenticate, and issuing continues with
	// the copied signing keys.
	creds, err := os.ReadFile(filepath.Join(m.Config.DataDir, "demo-credentials.txt"))
	if err != nil {
		t.Fatal(err)
	}
	key := regexp.MustCompile(`key: (zzk_\S+)`).FindSubmatch(creds) // the first unit: the market regulator
	body := issueBody()
	body["type"] = demoBizType
	body["fields"] = map[string]any{"entity_type": "有限责任公司", "legal_representative": "张三", "registered_capital": 100,
		"established_on": "2024-01-02", "address": "上海市浦东新区世纪大道1号", "business_scope": "软件开发"}
	lic := client{t, pm.URL, string(key[1])}.do("POST", "/v1/licenses", body).want(t, 201).body
	anon := client{t, pm.URL, ""}
	if v := anon.do("POST", "/v1/verify", lic).want(t, 200).json(t); v["valid"] != true {
		t.Fatalf("a license issued after the copy: %v", v)
	}

	seeded.checkOnCopy(t, pm)
}

// seededAreas is what seedEveryArea made, to be used on the copy.
type seededAreas struct {
	issuerKey, userKey, bankKey string
	license, objection, grant   string
	importJob, proxy            string
	inbox                       string // a message read on the source
}

// seedEveryArea adds, through the running library's API, at least one
// record of every area to the demo library: an import with a rejected row,
// an increment, an outage; an objection with its notice, a responsible
// administrator, a random check; inbox messages (one read) and their
// notifications, a presentation, a proxy authorization; a matter with a
// usage list, an approved scenario and a grant used once.
func seedEveryArea(t *testing.T, m *Main) *seededAreas {
	t.Helper()
	admin := client{t, m.URL, testAdminToken}
	market := demo.Types[0].Issuer
	s := &seededAreas{issuerKey: admin.do("POST", "/v1/units/"+market+"/keys", nil).want(t, 201).json(t)["key"].(string)}
	issuer := client{t, m.URL, s.issuerKey}
	newUnit := func(code, name, role string) client {
		admin.do("POST", "/v1/units", map[string]any{"code": code, "name": name, "roles": []string{role}, "region": "310115"}).want(t, 201)
		return client{t, m.URL, admin.do("POST", "/v1/units/"+code+"/keys", nil).want(t, 201).json(t)["key"].(string)}
	}
	user := newUnit(useUnitCode, "浦东新区市场监督管理局", "user")
	bank := newUnit(bankCode, "示例银行浦东支行", "social")
	district := newUnit(districtCode, "浦东新区人民政府", "district")
	s.userKey, s.bankKey = user.token, bank.token

	// A license of orgHolder: delivered to its inbox, with a notification.
	body := issueBody()
	body["type"] = demoBizType
	body["fields"] = map[string]any{"entity_type": "有限责任公司", "legal_representative": "张三", "registered_capital": 100,
		"established_on": "2024-01-02", "address": "上海市浦东新区世纪大道1号", "business_scope": "软件开发"}
	s.license = issuer.do("POST", "/v1/licenses", body, "Idempotency-Key", "copy-test-1").want(t, 201).json(t)["id"].(string)

	// Aggregation: an import with one good and one rejected row, an empty
	// increment for yesterday, an outage.
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write([]string{"number", "holder_id", "holder_name", "issued_on", "valid_until", "entity_type", "legal_representative",
		"registered_capital", "established_on", "address", "business_scope"})
	w.Write([]string{"310999000000001", demo.USCC("91310115MA1K00077"), "上海导入贸易有限公司", "2019-06-01", "2039-05-31", "有限责任公司", "李四", "50",
		"2019-06-01", "上海市浦东新区张杨路1号", "货物进出口"})
	w.Write([]string{"310999000000002", demo.USCC("91310115MA1K00078"), "上海坏行贸易有限公司", "2019-02-30", "2039-05-31", "有限责任公司", "王五", "50",
		"2019-06-01", "上海市浦东新区张杨路2号", "货物进出口"})
	w.Flush()
	job := issuer.do("POST", "/v1/imports?type="+demoBizType+"&provenance=digitised_checked", b.Bytes(), "Content-Type", "text/csv").want(t, 201).json(t)
	s.importJob = job["id"].(string)
	cst := time.FixedZone("CST", 8*3600)
	issuer.do("POST", "/v1/increments", map[string]any{"date": time.Now().In(cst).AddDate(0, 0, -1).Format("2006-01-02")}).want(t, 201)
	start := time.Now().Add(-6 * time.Hour).UTC().Format(time.RFC3339)
	end := time.Now().Add(-5 * time.Hour).UTC().Format(time.RFC3339)
	issuer.do("POST", "/v1/outages", map[string]any{"start": start, "end": end, "reason": "机房断电"}).want(t, 201)

	// Supervision: an objection (and the issuer's notice, read), a responsible
	// administrator, a random check.
	s.objection = user.do("POST", "/v1/licenses/"+s.license+"/objections", map[string]any{"fields": []string{"fields.legal_representative"},
		"reason": "法定代表人已变更为李四，见股东会决议。"}).want(t, 201).json(t)["id"].(string)
	notes := issuer.do("GET", "/v1/notices?unread=true", nil).want(t, 200).json(t)["items"].([]any)
	if len(notes) == 0 {
		t.Fatal("the issuer has no notice of the objection")
	}
	issuer.do("POST", "/v1/notices/"+notes[len(notes)-1].(map[string]any)["id"].(string)+"/read", nil).want(t, 200)
	admin.do("POST", "/v1/units/"+useUnitCode+"/contacts", map[string]any{"name": "王小明", "title": "数据资源处处长", "phone": "13812345678"}).want(t, 201)
	admin.do("POST", "/v1/supervision/checks", map[string]any{"unit": market, "kind": "licenses", "size": 2}).want(t, 201)

	// Use: a matter with a usage list, a scenario approved by the
	// district, a grant approved by the holder and used once.
	user.do("POST", "/v1/matters", map[string]any{"code": matterCode, "name": matterName, "applicant_kind": "organization",
		"materials": []map[string]any{{"key": "business_license", "name": "营业执照"}}}).want(t, 201)
	user.do("PUT", "/v1/units/"+useUnitCode+"/usage-lists/"+matterCode, map[string]any{
		"items": []map[string]any{{"material": "business_license", "license_types": []string{demoBizType}}}}).want(t, 200)
	sc := bank.do("POST", "/v1/scenarios", map[string]any{"kind": "social", "name": "企业开户", "purpose": "对公账户开户核验",
		"items": []map[string]any{{"license_type": demoBizType, "fields": []string{"legal_representative"}}}}).want(t, 201).json(t)["id"].(string)
	district.do("POST", "/v1/scenarios/"+sc+"/decision", map[string]any{"decision": "approve"}).want(t, 200)
	s.grant = bank.do("POST", "/v1/grants", map[string]any{"scenario": sc, "holder": orgHolder, "purpose": "对公账户开户",
		"valid_until": time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339),
		"items":       []map[string]any{{"license_type": demoBizType, "fields": []string{"legal_representative"}}}}).want(t, 201).json(t)["id"].(string)

	// Holder: sign in, approve the grant, read the inbox, show the license
	// (a display key and a presentation), authorize a proxy.
	cookie := holderSession(t, m, orgHolder)
	holderDo(t, m.URL, cookie, "POST", "/v1/grants/"+s.grant+"/decision", map[string]any{"approve": true}).want(t, 200)
	bank.do("POST", "/v1/grants/"+s.grant+"/use", nil).want(t, 200)
	inbox := holderDo(t, m.URL, cookie, "GET", "/v1/holder/inbox", nil).want(t, 200).json(t)["items"].([]any)
	if len(inbox) == 0 {
		t.Fatal("the holder's inbox is empty")
	}
	s.inbox = inbox[0].(map[string]any)["id"].(string)
	holderDo(t, m.URL, cookie, "POST", "/v1/holder/inbox/"+s.inbox+"/read", nil).want(t, 200)
	holderDo(t, m.URL, cookie, "POST", "/v1/holder/presentations",
		map[string]any{"license": s.license, "fields": []string{"holder.name", "legal_representative"}}).want(t, 201)
	hctx := zhengzhao.NewContextWithActor(context.Background(), zhengzhao.Actor{Kind: zhengzhao.ActorHolder, HolderIDType: orgHolder.IDType, HolderID: orgHolder.ID})
	pa := &zhengzhao.ProxyAuthorization{Holder: orgHolder, HolderName: "上海示例科技有限公司",
		Proxy:     zhengzhao.HolderRef{IDType: "111", ID: demo.ResidentID("310115", time.Date(1985, 5, 5, 0, 0, 0, 0, time.UTC), 21)},
		ProxyName: "赵六", Relation: zhengzhao.RelationOther}
	if err := m.Library.Holders.GrantProxy(hctx, pa); err != nil {
		t.Fatalf("grant proxy: %v", err)
	}
	s.proxy = pa.ID
	return s
}

// holderSession signs a holder in and returns the session cookie.
func holderSession(t *testing.T, m *Main, h zhengzhao.HolderRef) string {
	t.Helper()
	sys := zhengzhao.NewContextWithActor(context.Background(), zhengzhao.Actor{Kind: zhengzhao.ActorSystem})
	cookie, err := m.Library.Holders.CreateHolderSession(sys, &zhengzhao.HolderSession{Holder: h, Name: "上海示例科技有限公司", Method: zhengzhao.SignInOIDC}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return cookie
}

// checkOnCopy uses the seeded records on the server of the copy.
func (s *seededAreas) checkOnCopy(t *testing.T, pm *Main) {
	t.Helper()
	issuer, user, bank := client{t, pm.URL, s.issuerKey}, client{t, pm.URL, s.userKey}, client{t, pm.URL, s.bankKey}
	cookie := holderSession(t, pm, orgHolder) // sessions are not copied: the holder signs in again

	// The holder sees the inbox with the message read before the copy.
	inbox := holderDo(t, pm.URL, cookie, "GET", "/v1/holder/inbox", nil).want(t, 200).json(t)["items"].([]any)
	read := false
	for _, it := range inbox {
		it := it.(map[string]any)
		read = read || it["id"] == s.inbox && it["read_at"] != nil
	}
	if !read {
		t.Fatalf("inbox on the copy, without message %s read: %v", s.inbox, inbox)
	}
	// The grant used once on the source is withdrawn on the copy; the
	// bank's next use is refused.
	g := holderDo(t, pm.URL, cookie, "GET", "/v1/grants/"+s.grant, nil).want(t, 200).json(t)
	if g["uses"] != 1.0 || g["status"] != zhengzhao.GrantApproved {
		t.Fatalf("grant on the copy: %v", g)
	}
	holderDo(t, pm.URL, cookie, "POST", "/v1/grants/"+s.grant+"/withdraw", nil).want(t, 200)
	if r := bank.do("POST", "/v1/grants/"+s.grant+"/use", nil).want(t, 403); !strings.Contains(string(r.body), "withdrew") {
		t.Fatalf("use after withdrawal: %s", r.body)
	}
	// The objection filed on the source is answered on the copy, and the
	// filer is informed.
	issuer.do("POST", "/v1/objections/"+s.objection+"/answer", map[string]any{"decision": "reject", "reason": "经核实，登记信息无误"}).want(t, 200)
	notes := user.do("GET", "/v1/notices", nil).want(t, 200).json(t)["items"].([]any)
	if len(notes) != 1 || notes[0].(map[string]any)["objection"] != s.objection {
		t.Fatalf("the filer's notices on the copy: %v", notes)
	}
	// The import's report survives the move.
	report := issuer.do("GET", "/v1/imports/"+s.importJob+"/report", nil).want(t, 200).body
	if !strings.Contains(string(report), "\n2,issued_on,") {
		t.Fatalf("import report on the copy: %s", report)
	}
	// The proxy authorization is revoked on the copy.
	hctx := zhengzhao.NewContextWithActor(context.Background(), zhengzhao.Actor{Kind: zhengzhao.ActorHolder, HolderIDType: orgHolder.IDType, HolderID: orgHolder.ID})
	if p, err := pm.Library.Holders.RevokeProxy(hctx, s.proxy); err != nil || p.RevokedAt == nil {
		t.Fatalf("revoke the copied proxy authorization: %v, %+v", err, p)
	}
}

// compareLibraries opens the source data directory and the destination
// database and compares every copied table record by record. The source
// must have at least one record of every table.
func compareLibraries(t *testing.T, dataDir, db string) {
	t.Helper()
	ctx := context.Background()
	log := newLogger("text", &bytes.Buffer{})
	srcCfg := DefaultConfig()
	srcCfg.DataDir = dataDir
	src, err := openStore(ctx, srcCfg, log)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := openStore(ctx, Config{DB: db}, log)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	read := func(s zhengzhao.Store, table string) []any {
		var all []any
		if err := library.ReadTable(ctx, s, table, func(batch []any) error { all = append(all, batch...); return nil }); err != nil {
			t.Fatalf("read %s: %v", table, err)
		}
		// Counters and presentations come by key in each database's
		// collation; compare them in one order.
		if table == "stats" || table == "presentations" {
			slices.SortFunc(all, func(a, b any) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
		}
		return all
	}
	opts := cmp.Options{cmpopts.EquateEmpty(), cmp.Exporter(func(reflect.Type) bool { return true })}
	for _, table := range library.CopiedTables {
		want, got := read(src, table), read(dst, table)
		if len(want) == 0 {
			t.Errorf("the source has no %s: seed every area", table)
			continue
		}
		if d := cmp.Diff(want, got, opts); d != "" {
			t.Errorf("%s: %d records in the source, %d in the copy (-source +copy):\n%s", table, len(want), len(got), d)
		} else {
			t.Logf("%s: %d records equal", table, len(want))
		}
	}
}

// demoBizType is the demo business-license type.
var demoBizType = demo.Types[0].Code

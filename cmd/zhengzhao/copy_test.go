package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/zhengzhao-project/zhengzhao/demo"
	"github.com/zhengzhao-project/zhengzhao/internal/pgtest"
)

// TestCopySQLiteToPostgres moves the demo library to PostgreSQL; audit
// verify passes on the destination and every license verifies there with
// the status it had.
func TestCopySQLiteToPostgres(t *testing.T) {
	db := pgtest.NewDatabase(t)
	t.Setenv("ZHENGZHAO_ADMIN_TOKEN", testAdminToken)
	m := NewMain()
	m.Config.DataDir, m.Config.Addr, m.Config.Demo = t.TempDir(), "127.0.0.1:0", true
	m.Stdout, m.Logger = &bytes.Buffer{}, newLogger("text", &bytes.Buffer{})
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	admin := client{t, m.URL, testAdminToken}
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
	t.Log(run("copy", "--from", m.Config.DataDir, "--to", db))
	t.Log(run("audit", "verify", "--data", m.Config.DataDir, "--db", db))

	// A copy into a non-empty database is refused.
	var out bytes.Buffer
	cmd := newRootCommand()
	cmd.SetArgs([]string{"copy", "--from", m.Config.DataDir, "--to", db})
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	if err := cmd.ExecuteContext(context.Background()); err == nil {
		t.Fatal("copy into a non-empty database succeeded")
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
}

// demoBizType is the demo business-license type.
var demoBizType = demo.Types[0].Code

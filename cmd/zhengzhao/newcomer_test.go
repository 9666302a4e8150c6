package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestUpdateWithIssueShape sends the issue document back with a change, as
// an integrator naturally does: the real library accepts it, and refuses
// a different type with an error that names the member.
func TestUpdateWithIssueShape(t *testing.T) { forEachStore(t, testUpdateWithIssueShape) }

func testUpdateWithIssueShape(t *testing.T, db string) {
	m := MustRunMainDB(t, db)
	_, issuer, _ := setup(t, m)
	body := issueBody()
	lic := issuer.do("POST", "/v1/licenses", body).want(t, 201).json(t)
	id := lic["id"].(string)

	body["fields"].(map[string]any)["legal_representative"] = "李四"
	body["serial"] = lic["serial"]
	v2 := issuer.do("PUT", "/v1/licenses/"+id, body).want(t, 200).json(t)
	if v2["version"] != "002" || v2["fields"].(map[string]any)["legal_representative"] != "李四" {
		t.Fatalf("version 2: %v", v2)
	}

	body["type"] = typeCode[:len(typeCode)-1] + "2"
	res := issuer.do("PUT", "/v1/licenses/"+v2["id"].(string), body).want(t, 400)
	var p struct {
		Errors []struct{ Field, Message string } `json:"errors"`
	}
	if err := json.Unmarshal(res.body, &p); err != nil || len(p.Errors) != 1 || p.Errors[0].Field != "type" ||
		!strings.Contains(p.Errors[0].Message, typeCode) {
		t.Fatalf("a changed type must be refused naming the member and the license's type: %s", res.body)
	}
}

// TestProofDefaultSize asks for an inclusion proof without size: it is
// against the latest signed checkpoint.
func TestProofDefaultSize(t *testing.T) {
	m := MustRunMain(t)
	admin, issuer, _ := setup(t, m)
	issuer.do("POST", "/v1/licenses", issueBody()).want(t, 201)
	cp := admin.do("POST", "/v1/audit/checkpoint", nil).want(t, 200).json(t)
	anon := client{t, m.URL, ""}
	p := anon.do("GET", "/v1/audit/proof?index=0", nil).want(t, 200).json(t)
	if p["size"] != cp["size"] || p["root_hash"] != cp["root_hash"] {
		t.Fatalf("proof %v is not against the checkpoint %v", p, cp)
	}
}

// TestDemoDashboardRates loads the demo and reads the supervision figures:
// the back catalogue is imported (not counted as issuing), this month's
// licenses are mostly on time, and the units differ, as in a real month.
func TestDemoDashboardRates(t *testing.T) {
	t.Setenv("ZHENGZHAO_ADMIN_TOKEN", testAdminToken)
	m := NewMain()
	m.Config.DataDir = t.TempDir()
	m.Config.Addr = "127.0.0.1:0"
	m.Config.Demo = true
	m.Stdout = io.Discard
	m.Logger = newLogger("text", io.Discard)
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	creds, err := os.ReadFile(m.Config.path("demo-credentials.txt"))
	if err != nil || !strings.Contains(string(creds), "admin token: "+testAdminToken+"\n") {
		t.Fatalf("demo-credentials.txt lacks the admin token (%v):\n%s", err, creds)
	}
	admin := client{t, m.URL, testAdminToken}
	var rep struct {
		Totals struct {
			Issued     int64   `json:"issued"`
			OnTimeRate float64 `json:"on_time_rate"`
		} `json:"totals"`
		Units []struct {
			Unit       struct{ Code string } `json:"unit"`
			Issued     int64                 `json:"issued"`
			OnTimeRate float64               `json:"on_time_rate"`
		} `json:"units"`
	}
	if err := json.Unmarshal(admin.do("GET", "/v1/supervision", nil).want(t, 200).body, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Totals.Issued == 0 || rep.Totals.OnTimeRate < 0.7 || rep.Totals.OnTimeRate > 0.97 {
		t.Fatalf("demo totals: %d issued, on-time rate %.3f; want a realistic rate between 70 %% and 97 %%", rep.Totals.Issued, rep.Totals.OnTimeRate)
	}
	rates := map[float64]bool{}
	for _, u := range rep.Units {
		if u.Issued > 0 {
			rates[u.OnTimeRate] = true
		}
	}
	if len(rates) < 3 {
		t.Fatalf("the issuing units' on-time rates %v do not differ as in a real month", rates)
	}
}

// TestPDFEmbedsBuiltInFont runs the server with no --font, as on a fresh
// machine without Debian's font package, and checks with poppler's
// pdffonts that the annual report and the printable copy embed the
// built-in CJK font, and with pdftotext that the Chinese text comes back.
func TestPDFEmbedsBuiltInFont(t *testing.T) {
	for _, tool := range []string{"pdffonts", "pdftotext"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s missing (apt-get install poppler-utils)", tool)
			}
			t.Skipf("%s missing (apt-get install poppler-utils)", tool)
		}
	}
	m := MustRunMain(t)
	if m.Config.Font != "" {
		t.Fatalf("the default font is %q, want the built-in one", m.Config.Font)
	}
	_, issuer, _ := setup(t, m)
	issuer.do("POST", "/v1/licenses", issueBody()).want(t, 201)
	year := time.Now().In(time.FixedZone("CST", 8*3600)).Format("2006")
	pdf := issuer.do("GET", "/v1/supervision/units/"+issuerCode+"/report?format=pdf&year="+year, nil).want(t, 200)
	path := filepath.Join(t.TempDir(), "report.pdf")
	if err := os.WriteFile(path, pdf.body, 0o600); err != nil {
		t.Fatal(err)
	}
	embedsCJKFont(t, path)
	text, err := exec.Command("pdftotext", path, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(text), "年度电子证照工作考核报告") || !strings.Contains(string(text), "上海市市场监督管理局") {
		t.Fatalf("the Chinese text does not come back out:\n%s", text)
	}
}

// TestFontFlag: one flag names the font, the old name still works, and a
// font the PDF writer cannot use stops the server with the flag's name.
func TestFontFlag(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.otf")
	if err := os.WriteFile(bad, []byte("OTTO not a TrueType font"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, flag := range []string{"--font", "--report-font"} {
		cmd := newRootCommand()
		var out bytes.Buffer
		cmd.SetOut(&out)
		cmd.SetErr(&out)
		cmd.SetArgs([]string{"serve", "--data", t.TempDir(), "--addr", "127.0.0.1:0", flag, bad})
		err := cmd.Execute()
		if err == nil || !strings.Contains(err.Error(), "--font") || !strings.Contains(err.Error(), "glyf") {
			t.Fatalf("serve %s with a bad font: %v\n%s", flag, err, out.String())
		}
	}
}

// TestPortInUse: a second server on a taken port says what to do and
// leaves no data directory behind.
func TestPortInUse(t *testing.T) {
	first := MustRunMain(t)
	m := NewMain()
	m.Config.DataDir = filepath.Join(t.TempDir(), "second")
	m.Config.Addr = strings.TrimPrefix(first.URL, "http://")
	m.Stdout = io.Discard
	m.Logger = newLogger("text", io.Discard)
	err := m.Run(context.Background())
	if err == nil {
		m.Close()
		t.Fatal("a second server started on a taken port")
	}
	if !strings.Contains(err.Error(), "--addr") || !strings.Contains(err.Error(), "stop it") {
		t.Fatalf("the error does not name the fix: %v", err)
	}
	if _, err := os.Stat(m.Config.DataDir); !os.IsNotExist(err) {
		t.Fatalf("the failed start created its data directory: %v", err)
	}
}

// embedsCJKFont fails the test unless poppler's pdffonts lists the PDF's
// CJK font ("cjk", as report and http name it) as an embedded CID TrueType
// font.
func embedsCJKFont(t *testing.T, path string) {
	t.Helper()
	fonts, err := exec.Command("pdffonts", path).Output()
	if err != nil {
		t.Fatalf("pdffonts: %v", err)
	}
	for _, line := range strings.Split(string(fonts), "\n") {
		// name type [encoding] emb sub uni object ID
		if f := strings.Fields(line); len(f) >= 8 && regexp.MustCompile(`^[A-Z]{6}\+cjk$`).MatchString(f[0]) && strings.Contains(line, "CID TrueType") && f[len(f)-5] == "yes" {
			return
		}
	}
	t.Fatalf("the CJK font is not embedded:\n%s", fonts)
}

// TestRoleErrorsNameTheFix: issuing with the administrator token, the
// mistake a newcomer makes when a unit key came back empty, says to send
// the unit's key.
func TestRoleErrorsNameTheFix(t *testing.T) {
	m := MustRunMain(t)
	admin, _, _ := setup(t, m)
	res := admin.do("POST", "/v1/licenses", issueBody()).want(t, 403)
	if !strings.Contains(string(res.body), "issuer role") || !strings.Contains(string(res.body), "API key") {
		t.Fatalf("the 403 does not name the role and the fix: %s", res.body)
	}
}

package main

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/zhengzhao-project/zhengzhao/demo"
)

// TestBrowserTour follows the README's "What to open after serve --demo"
// in a real browser with the demo credentials file as its only source of
// secrets: the supervision dashboard (signed in with the admin token of
// demo-credentials.txt), whose on-time rate is a real month's and whose
// figures explain their rules, the public catalog, and a unit's annual
// report. With ZHENGZHAO_SCREENSHOTS=docs/screenshots it refreshes
// supervision-dashboard.png, catalog.png and annual-report.png; the
// wallet and verifier pictures come from TestBrowserShowAndVerify and the
// service matter's from TestBrowserMatterPages.
func TestBrowserTour(t *testing.T) {
	ctx := browser(t)
	m := runDemo(t, func(m *Main) { m.Logger = newLogger("text", io.Discard) })
	creds, err := os.ReadFile(filepath.Join(m.Config.DataDir, "demo-credentials.txt"))
	if err != nil {
		t.Fatal(err)
	}
	tok := regexp.MustCompile(`(?m)^admin token: (\S+)$`).FindSubmatch(creds)
	if tok == nil {
		t.Fatalf("demo-credentials.txt has no admin token:\n%s", creds)
	}
	token := string(tok[1])

	err = chromedp.Do(ctx,
		chromedp.EmulateViewport(1200, 900),
		chromedp.Navigate(m.URL+"/?lang=zh"),
		chromedp.Navigate(m.URL+"/supervision/login"),
		chromedp.WaitVisible("#token"),
		chromedp.SendKeys("#token", token),
		chromedp.Submit("#token"),
		chromedp.WaitVisible(".kpis"),
	)
	if err != nil {
		t.Fatalf("sign in to the dashboard with the token of demo-credentials.txt: %v", err)
	}
	rate, _ := chromedp.Run(ctx, chromedp.Text(".kpis li:nth-child(2) .kpi"))
	rules, _ := chromedp.Run(ctx, chromedp.Text("#rules"))
	if rate = strings.TrimSpace(rate); rate == "" || rate == "0.0%" || rate == "100.0%" {
		t.Errorf("the demo's on-time rate is %q; a real month has neither none nor all on time", rate)
	}
	for _, want := range []string{"按时归集率", "第 1 个工作日", "目录完整度"} {
		if !strings.Contains(rules, want) {
			t.Errorf("the dashboard's footnote lacks %q:\n%s", want, rules)
		}
	}
	screenshot(t, ctx, "supervision-dashboard.png")

	if err := chromedp.Do(ctx, chromedp.Navigate(m.URL+"/catalog"), chromedp.WaitVisible("main")); err != nil {
		t.Fatalf("catalog: %v", err)
	}
	catalog, _ := chromedp.Run(ctx, chromedp.Text("main"))
	if !strings.Contains(catalog, "营业执照") || !strings.Contains(catalog, "上海市市场监督管理局") {
		t.Errorf("the catalog lacks the demo's business license:\n%s", catalog)
	}
	screenshot(t, ctx, "catalog.png")

	// The market regulator's annual report, as the dashboard links it.
	year := time.Now().In(time.FixedZone("CST", 8*3600)).Format("2006")
	req, _ := http.NewRequest("GET", m.URL+"/v1/supervision/units/"+demoUnitCode(t, "上海市市场监督管理局")+"/report?format=pdf&year="+year, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	pdf, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("annual report: %s %.40q", res.Status, pdf)
	}
	if dir := os.Getenv("ZHENGZHAO_SCREENSHOTS"); dir != "" {
		path := filepath.Join(t.TempDir(), "report.pdf")
		if err := os.WriteFile(path, pdf, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := exec.Command("pdftoppm", "-png", "-r", "60", "-singlefile", path, filepath.Join(dir, "annual-report")).Run(); err != nil {
			t.Errorf("pdftoppm (poppler-utils): %v", err)
		}
	}
}

// demoUnitCode returns the code of the demo unit with the name.
func demoUnitCode(t *testing.T, name string) string {
	t.Helper()
	for _, u := range demo.Units {
		if u.Name == name {
			return u.Code
		}
	}
	t.Fatalf("no demo unit %s", name)
	return ""
}

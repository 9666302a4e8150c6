package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/zhengzhao-project/zhengzhao"
)

// chromium returns the path of the browser for the browser tests: the
// ZHENGZHAO_CHROMIUM variable, else chromium on the PATH. Without one the
// test skips locally and fails in CI (CI=true): scripts/test installs it.
func chromium(t *testing.T) string {
	t.Helper()
	p := os.Getenv("ZHENGZHAO_CHROMIUM")
	if p == "" {
		p, _ = exec.LookPath("chromium")
	}
	if p == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("Chromium is missing: scripts/test installs it (apt-get install chromium)")
		}
		t.Skip("Chromium is not installed; set ZHENGZHAO_CHROMIUM or install chromium")
	}
	return p
}

// browser starts headless Chromium with a phone-sized window.
func browser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("lang", "zh-CN"),
		chromedp.WindowSize(390, 844),
	)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelT(); cancelC(); cancelA() })
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2))); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return ctx
}

// screenshot saves a full-page screenshot as name in the directory named
// by ZHENGZHAO_SCREENSHOTS (docs/screenshots when refreshing them) or in a
// temporary directory, and returns the PNG.
func screenshot(t *testing.T, ctx context.Context, name string) []byte {
	t.Helper()
	b, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	dir := os.Getenv("ZHENGZHAO_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return b
}

// decodeQR finds and decodes the QR code in a PNG screenshot.
func decodeQR(pngBytes []byte) (string, error) {
	img, err := png.Decode(bytes.NewReader(pngBytes))
	if err != nil {
		return "", err
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", err
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
	if err != nil {
		return "", fmt.Errorf("no QR code in the screenshot: %w", err)
	}
	return res.GetText(), nil
}

func attr(t *testing.T, ctx context.Context, sel, name string) string {
	t.Helper()
	r, err := chromedp.Run(ctx, chromedp.AttributeValue(sel, name))
	if err != nil {
		t.Fatalf("%s[%s]: %v", sel, name, err)
	}
	return r.Value
}

// runDemo runs serve --demo on a free port with a fresh data directory,
// after configure (may be nil) has adjusted the Main, and closes it when
// the test ends.
func runDemo(t *testing.T, configure func(*Main)) *Main {
	t.Helper()
	m := NewMain()
	m.Stdout = &bytes.Buffer{}
	m.Config.DataDir = t.TempDir()
	m.Config.Addr = "127.0.0.1:0"
	m.Config.Demo = true
	if configure != nil {
		configure(m)
	}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// demoHolderWithValidLicense returns a demo holder and one of their valid
// licenses.
func demoHolderWithValidLicense(t *testing.T, m *Main) (zhengzhao.Holder, *zhengzhao.License) {
	t.Helper()
	sys := zhengzhao.NewContextWithActor(context.Background(), zhengzhao.Actor{Kind: zhengzhao.ActorSystem})
	holders, err := m.Library.Holders.DemoHolders(sys, 50)
	if err != nil {
		t.Fatal(err)
	}
	valid := zhengzhao.StatusValid
	for _, h := range holders {
		hctx := zhengzhao.NewContextWithActor(context.Background(), zhengzhao.Actor{Kind: zhengzhao.ActorHolder, HolderIDType: h.IDType, HolderID: h.ID})
		ls, _, _, err := m.Library.Holders.FindHolderLicenses(hctx, zhengzhao.HolderLicenseFilter{Status: &valid})
		if err == nil && len(ls) > 0 {
			return h, ls[0]
		}
	}
	t.Fatal("no demo holder has a valid license")
	return zhengzhao.Holder{}, nil
}

// TestBrowserShowAndVerify is the holder's and the verifier's path in a
// real browser: sign in (demo sign-in), open the wallet, show a license,
// watch the QR code renew itself, decode the QR code from a screenshot,
// open the URL it holds and see "valid"; then the issuer revokes the
// license through the API, the same code is scanned again and the
// verifier says "revoked".
func TestBrowserShowAndVerify(t *testing.T) {
	ctx := browser(t)
	m := runDemo(t, func(m *Main) {
		m.Config.Holder.TokenTTL = 30 * time.Second // renewed after 20 s; 30 s of margin for the rest under load
	})
	holder, lic := demoHolderWithValidLicense(t, m)

	// Sign in with the demo sign-in and open the wallet.
	err := chromedp.Do(ctx,
		chromedp.Navigate(m.URL+"/?lang=zh"), // Chinese first; the cookie keeps it
		chromedp.Navigate(m.URL+"/wallet"),
		chromedp.WaitVisible("#demo-login"),
		chromedp.SetValue("#demo-holder", holder.IDType+":"+holder.ID),
		chromedp.Click("#demo-login"),
		chromedp.WaitVisible(`a[href="/wallet/licenses/`+lic.ID+`"]`),
	)
	if err != nil {
		t.Fatalf("sign in: %v", err)
	}
	if body, _ := chromedp.Run(ctx, chromedp.Text("main")); !strings.Contains(body, lic.TypeName) || !strings.Contains(body, holder.Name) {
		t.Fatalf("the wallet does not show %s for %s:\n%s", lic.TypeName, holder.Name, body)
	}
	screenshot(t, ctx, "wallet.png")

	// The license page, then 亮证 with the holder's name and one face field.
	err = chromedp.Do(ctx,
		chromedp.Click(`a[href="/wallet/licenses/`+lic.ID+`"]`),
		chromedp.WaitVisible("#show"),
	)
	if err != nil {
		t.Fatalf("license page: %v", err)
	}
	screenshot(t, ctx, "license.png")
	err = chromedp.Do(ctx, chromedp.Click("#show"), chromedp.WaitVisible("#qr"))
	if err != nil {
		t.Fatalf("show: %v", err)
	}
	first := attr(t, ctx, "#qr", "src")
	// The page renews the code ten seconds before it expires.
	deadline := time.Now().Add(30 * time.Second)
	for attr(t, ctx, "#qr", "src") == first {
		if time.Now().After(deadline) {
			t.Fatal("the QR code did not renew itself before it expired")
		}
		time.Sleep(500 * time.Millisecond)
	}
	// Let the new image load and paint before the camera looks.
	var url string
	for try := 0; ; try++ {
		time.Sleep(300 * time.Millisecond)
		if done, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("qr").complete`)); err != nil || !done {
			continue
		}
		var err error
		if url, err = decodeQR(screenshot(t, ctx, "show-qr.png")); err == nil {
			break
		} else if try == 5 {
			t.Fatal(err)
		}
	}
	if !strings.HasPrefix(url, m.URL+"/v/") {
		t.Fatalf("the QR code holds %q, want a URL under %s/v/", url, m.URL)
	}
	if href := attr(t, ctx, "#qr-link", "href"); href != url {
		t.Errorf("the QR code holds %q, the page links %q", url, href)
	}

	// Scan: the verifier page says valid.
	verdict := func(name string) string {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Navigate(url), chromedp.WaitVisible("#verdict")); err != nil {
			t.Fatalf("verifier: %v", err)
		}
		screenshot(t, ctx, name)
		return attr(t, ctx, "#verdict", "data-verdict")
	}
	if v := verdict("verifier-valid.png"); v != "valid" {
		t.Fatalf("verdict %q, want valid", v)
	}
	if body, _ := chromedp.Run(ctx, chromedp.Text("main")); !strings.Contains(body, lic.Issuer.Name) || !strings.Contains(body, holder.Name) {
		t.Errorf("the verifier page does not show the issuer and the chosen name:\n%s", body)
	}

	// The issuer revokes the license through the API.
	key := apiKey(t, m, lic.Issuer.Code)
	req, _ := http.NewRequest("POST", m.URL+"/v1/licenses/"+lic.ID+"/revoke", strings.NewReader(`{"reason":"持证人申请注销"}`))
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("revoke: %v %v", resp.Status, err)
	}
	resp.Body.Close()

	// Scan the same code again: revoked.
	if v := verdict("verifier-revoked.png"); v != "revoked" {
		t.Fatalf("verdict after revocation %q, want revoked", v)
	}
}

// apiKey creates an API key for a unit through the admin API.
func apiKey(t *testing.T, m *Main, unit string) string {
	t.Helper()
	req, _ := http.NewRequest("POST", m.URL+"/v1/units/"+unit+"/keys", nil)
	req.Header.Set("Authorization", "Bearer "+m.AdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var k struct{ Key string }
	if err := json.NewDecoder(resp.Body).Decode(&k); err != nil || k.Key == "" {
		t.Fatalf("unit key: %s %v", resp.Status, err)
	}
	return k.Key
}

var _ image.Image // image/png registers the decoder

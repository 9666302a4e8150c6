package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserFirstQRImage checks the display page as it first loads,
// before its script renews anything: the <img> holds a PNG data: URL (not
// html/template's "#ZgotmplZ"), Chromium has decoded it (naturalWidth >
// 0), the QR code in a screenshot decodes to a verification URL, and its
// token verifies as valid through the API.
func TestBrowserFirstQRImage(t *testing.T) {
	ctx := browser(t)
	m := runDemo(t, func(m *Main) {
		m.Config.Holder.TokenTTL = 5 * time.Minute // no renewal during the test
	})
	holder, lic := demoHolderWithValidLicense(t, m)
	err := chromedp.Do(ctx,
		chromedp.Navigate(m.URL+"/wallet"),
		chromedp.WaitVisible("#demo-login"),
		chromedp.SetValue("#demo-holder", holder.IDType+":"+holder.ID),
		chromedp.Click("#demo-login"),
		chromedp.WaitVisible(`a[href="/wallet/licenses/`+lic.ID+`"]`),
		chromedp.Navigate(m.URL+"/wallet/licenses/"+lic.ID+"/show"),
		chromedp.WaitVisible("#qr"),
	)
	if err != nil {
		t.Fatalf("open the display page: %v", err)
	}
	first := attr(t, ctx, "#qr", "src")
	if !strings.HasPrefix(first, "data:image/png;base64,") {
		t.Fatalf("the first QR image's src is %.60q, want a PNG data: URL", first)
	}
	// The image is decoded once the load event has fired: no sleeps.
	width, err := chromedp.Run(ctx, chromedp.Evaluate[int](`new Promise(ok => {
		const img = document.getElementById("qr");
		const done = () => ok(img.naturalWidth);
		if (img.complete) { done(); } else { img.addEventListener("load", done); img.addEventListener("error", done); }
	})`, chromedp.EvalAwaitPromise))
	if err != nil || width <= 0 {
		t.Fatalf("the first QR image did not decode: naturalWidth %d, %v", width, err)
	}
	url, err := decodeQR(screenshot(t, ctx, "show-first-qr.png"))
	if err != nil {
		t.Fatal(err)
	}
	if src := attr(t, ctx, "#qr", "src"); src != first {
		t.Fatal("the page renewed the code during the test; the check would not be of the first image")
	}
	if !strings.HasPrefix(url, m.URL+"/v/") {
		t.Fatalf("the QR code holds %q, want a URL under %s/v/", url, m.URL)
	}
	body, _ := json.Marshal(map[string]string{"token": strings.TrimPrefix(url, m.URL+"/v/")})
	res, err := http.Post(m.URL+"/v1/presentations/verify", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var verdict struct {
		Valid  bool   `json:"valid"`
		Status string `json:"status"`
	}
	if err := json.NewDecoder(res.Body).Decode(&verdict); err != nil || !verdict.Valid || verdict.Status != "valid" {
		t.Fatalf("the first QR code's token: %+v %v", verdict, err)
	}
}

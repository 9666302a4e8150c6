package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	nethttp "net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/demo"
	"github.com/zhengzhao-project/zhengzhao/sign"
)

// holderFixture issues one driving licence each to two people and signs
// both in; it returns their licenses and session cookies.
type holderFixture struct {
	m        *Main
	issuer   client
	licA     map[string]any
	licB     map[string]any
	cookieA  string
	cookieB  string
	personA  zhengzhao.Holder
	personB  zhengzhao.Holder
	personTy string
}

func newHolderFixture(t *testing.T) *holderFixture {
	t.Helper()
	m := MustRunMain(t)
	_, issuer, _ := setup(t, m)
	f := &holderFixture{m: m, issuer: issuer, personTy: typeCode[:18] + "007"}
	issuer.do("POST", "/v1/license-types", map[string]any{
		"code": f.personTy, "name": "机动车驾驶证", "holder_kind": "person", "level": "national", "public": true, "collect_since": "2021-06-01",
		"fields": []map[string]any{
			{"key": "vehicle_class", "label": "准驾车型", "type": "string", "required": true},
			{"key": "address", "label": "住址", "type": "string", "required": true},
		},
	}).want(t, 201)
	f.personA = zhengzhao.Holder{Kind: zhengzhao.HolderPerson, IDType: "111", ID: demo.ResidentID("310115", time.Date(1948, 3, 1, 0, 0, 0, 0, time.UTC), 12), Name: "王秀英"}
	f.personB = zhengzhao.Holder{Kind: zhengzhao.HolderPerson, IDType: "111", ID: demo.ResidentID("310104", time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC), 31), Name: "李强"}
	issue := func(h zhengzhao.Holder) map[string]any {
		return issuer.do("POST", "/v1/licenses", map[string]any{
			"type": f.personTy, "number": h.ID, "holder": h, "issued_on": "2024-01-02", "valid_from": "2024-01-02", "valid_until": "2034-01-01",
			"fields": map[string]any{"vehicle_class": "C1", "address": "上海市浦东新区张杨路1500号"},
		}).want(t, 201).json(t)
	}
	f.licA, f.licB = issue(f.personA), issue(f.personB)
	sys := zhengzhao.NewContextWithActor(context.Background(), zhengzhao.Actor{Kind: zhengzhao.ActorSystem})
	session := func(h zhengzhao.Holder) string {
		s, err := m.Library.Holders.CreateHolderSession(sys, &zhengzhao.HolderSession{Holder: h.Ref(), Name: h.Name, Method: zhengzhao.SignInOIDC}, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	f.cookieA, f.cookieB = session(f.personA), session(f.personB)
	return f
}

// holderDo sends a request with a holder session cookie and does not follow
// redirects.
func holderDo(t *testing.T, base, cookie, method, path string, body any) response {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := nethttp.NewRequest(method, base+path, rd)
	if cookie != "" {
		req.AddCookie(&nethttp.Cookie{Name: "zz_session", Value: cookie})
	}
	c := &nethttp.Client{CheckRedirect: func(*nethttp.Request, []*nethttp.Request) error { return nethttp.ErrUseLastResponse }}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{res.StatusCode, res.Header, b}
}

// TestHolderSeesOnlyOwnThroughPagesAndAPI: a holder never sees another
// holder's license, usage record or delivery, whatever the path.
func TestHolderSeesOnlyOwnThroughPagesAndAPI(t *testing.T) {
	f := newHolderFixture(t)
	base := f.m.URL
	idA, idB := f.licA["id"].(string), f.licB["id"].(string)

	// Own things are there.
	list := holderDo(t, base, f.cookieA, "GET", "/v1/holder/licenses", nil).want(t, 200).json(t)
	items := list["items"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["id"] != idA {
		t.Fatalf("A's licenses: %v", list)
	}
	holderDo(t, base, f.cookieA, "GET", "/v1/holder/licenses/"+idA, nil).want(t, 200)
	holderDo(t, base, f.cookieA, "GET", "/v1/holder/licenses/"+idA+"/usage", nil).want(t, 200)
	page := holderDo(t, base, f.cookieA, "GET", "/wallet", nil).want(t, 200)
	if !bytes.Contains(page.body, []byte("机动车驾驶证")) || bytes.Contains(page.body, []byte(idB)) {
		t.Errorf("A's wallet page shows the wrong licenses")
	}
	inboxB := holderDo(t, base, f.cookieB, "GET", "/v1/holder/inbox", nil).want(t, 200).json(t)["items"].([]any)
	if len(inboxB) != 1 {
		t.Fatalf("B's inbox has %d messages, want 1", len(inboxB))
	}
	msgB := inboxB[0].(map[string]any)["id"].(string)

	// B's things are not found for A, through the API and the pages.
	for _, c := range []struct{ method, path string }{
		{"GET", "/v1/holder/licenses/" + idB},
		{"GET", "/v1/holder/licenses/" + idB + "/usage"},
		{"POST", "/v1/holder/inbox/" + msgB + "/read"},
		{"GET", "/wallet/licenses/" + idB},
		{"GET", "/wallet/licenses/" + idB + "/usage"},
		{"GET", "/wallet/licenses/" + idB + "/show"},
		{"GET", "/wallet/licenses/" + idB + "/print"},
		{"GET", "/wallet/inbox/" + msgB},
	} {
		r := holderDo(t, base, f.cookieA, c.method, c.path, nil)
		if r.status != 404 || bytes.Contains(r.body, []byte(f.personB.Name)) {
			t.Errorf("A %s %s: %d, want 404 without B's data: %.200s", c.method, c.path, r.status, r.body)
		}
	}
	r := holderDo(t, base, f.cookieA, "POST", "/v1/holder/presentations", map[string]any{"license": idB, "fields": []string{"holder.name"}})
	if r.status != 404 {
		t.Errorf("A shows B's license: %d %s", r.status, r.body)
	}
	if items := holderDo(t, base, f.cookieA, "GET", "/v1/holder/inbox", nil).want(t, 200).json(t)["items"].([]any); len(items) != 1 ||
		items[0].(map[string]any)["license"] != idA {
		t.Errorf("A's inbox: %v", items)
	}

	// No session: 401 from the API, the sign-in page from the pages; a
	// forged cookie is no session.
	holderDo(t, base, "", "GET", "/v1/holder/licenses", nil).want(t, 401)
	holderDo(t, base, "zzs_forged", "GET", "/v1/holder/licenses", nil).want(t, 401)
	if r := holderDo(t, base, "", "GET", "/wallet/licenses/"+idA, nil); r.status != 303 || r.header.Get("Location") != "/wallet/login" {
		t.Errorf("a page without a session: %d %s", r.status, r.header.Get("Location"))
	}
	// A unit's key is no holder session.
	if r := f.issuer.do("GET", "/v1/holder/licenses", nil); r.status != 403 {
		t.Errorf("a unit on the holder API: %d", r.status)
	}
}

// TestPresentationOverHTTP shows a license through the API, verifies the
// token online and, with the published keys, offline (verify --token),
// and prints the license.
func TestPresentationOverHTTP(t *testing.T) {
	f := newHolderFixture(t)
	base := f.m.URL
	idA := f.licA["id"].(string)
	p := holderDo(t, base, f.cookieA, "POST", "/v1/holder/presentations",
		map[string]any{"license": idA, "fields": []string{"holder.name", "vehicle_class"}}).want(t, 201).json(t)
	url, token := p["url"].(string), p["token"].(string)
	if !strings.HasPrefix(url, base+"/v/") || p["qr_version"].(float64) > 10 || !strings.HasPrefix(p["qr"].(string), "data:image/png;base64,") {
		t.Fatalf("presentation: url %s, QR version %v", url, p["qr_version"])
	}
	res := client{t, base, ""}.do("POST", "/v1/presentations/verify", map[string]any{"token": url}).want(t, 200).json(t)
	if res["valid"] != true || res["status"] != "valid" {
		t.Fatalf("online verify: %v", res)
	}
	page := holderDo(t, base, "", "GET", "/v/"+token, nil).want(t, 200)
	if !bytes.Contains(page.body, []byte(`data-verdict="valid"`)) || !bytes.Contains(page.body, []byte("王秀英")) {
		t.Errorf("verifier page: %.300s", page.body)
	}
	bad := client{t, base, ""}.do("POST", "/v1/presentations/verify", map[string]any{"token": token[:len(token)-2] + "AA"}).want(t, 200).json(t)
	if bad["valid"] != false {
		t.Errorf("a modified token verified: %v", bad)
	}

	// Offline, with the published trust bundle.
	keys := client{t, base, ""}.do("GET", "/v1/keys?format=pem", nil).want(t, 200).body
	keysPath := filepath.Join(t.TempDir(), "keys.pem")
	if err := os.WriteFile(keysPath, keys, 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(tok string) (string, error) {
		var out bytes.Buffer
		cmd := newRootCommand()
		cmd.SetArgs([]string{"verify", "--token", tok, "--keys", keysPath})
		cmd.SetOut(&out)
		err := cmd.ExecuteContext(context.Background())
		return out.String(), err
	}
	out, err := run(url)
	if err != nil || !strings.Contains(out, "VALID (offline checks)") || !strings.Contains(out, "license:   "+idA) {
		t.Fatalf("verify --token: %v\n%s", err, out)
	}
	flip := "x" // a different character, or the "modified" token would be the same token
	if token[10] == 'x' {
		flip = "y"
	}
	out, err = run(token[:10] + flip + token[11:])
	var ee exitError
	if !errors.As(err, &ee) || ee.code != 1 || !strings.Contains(out, "INVALID") {
		t.Fatalf("verify --token of a modified token: %v\n%s", err, out)
	}
	ts, err := sign.ParseTrustBundle(keys)
	if err != nil {
		t.Fatal(err)
	}
	var w bytes.Buffer
	if verifyTokenOffline(&w, ts, token, time.Now().Add(2*time.Minute)) || !strings.Contains(w.String(), "expired") {
		t.Errorf("an expired token passed offline:\n%s", w.String())
	}

	// The printable copy, with the built-in font.
	pdf := holderDo(t, base, f.cookieA, "GET", "/wallet/licenses/"+idA+"/print", nil).want(t, 200)
	if pdf.header.Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(pdf.body, []byte("%PDF")) {
		t.Fatalf("print: %s %.20q", pdf.header.Get("Content-Type"), pdf.body)
	}
	if _, err := exec.LookPath("pdftotext"); err == nil {
		path := filepath.Join(t.TempDir(), "lic.pdf")
		os.WriteFile(path, pdf.body, 0o600)
		if _, err := exec.LookPath("pdffonts"); err == nil {
			embedsCJKFont(t, path)
		}
		text, err := exec.Command("pdftotext", "-layout", path, "-").Output()
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"机动车驾驶证", "王秀英", "上海市市场监督管理局", "准驾车型", "C1", "扫码核验"} {
			if !bytes.Contains(text, []byte(want)) {
				t.Errorf("the printed copy lacks %q:\n%s", want, text)
			}
		}
		// The font is an embedded subset named with its ABCDEF+ tag.
		if fonts, err := exec.Command("pdffonts", path).Output(); err == nil && !regexp.MustCompile(`(?m)^[A-Z]{6}\+\S+ .* yes +yes `).Match(fonts) {
			t.Errorf("the printed copy's font is not a tagged embedded subset:\n%s", fonts)
		}
		// With ZHENGZHAO_SCREENSHOTS, keep a picture of the page.
		if dir := os.Getenv("ZHENGZHAO_SCREENSHOTS"); dir != "" {
			if err := exec.Command("pdftoppm", "-png", "-r", "60", "-singlefile", path, filepath.Join(dir, "print")).Run(); err != nil {
				t.Errorf("pdftoppm: %v", err)
			}
		}
	}
}

// postForm posts a form with a holder session cookie.
func postForm(t *testing.T, base, cookie, path string, form url.Values) response {
	t.Helper()
	req, _ := nethttp.NewRequest("POST", base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&nethttp.Cookie{Name: "zz_session", Value: cookie})
	c := &nethttp.Client{CheckRedirect: func(*nethttp.Request, []*nethttp.Request) error { return nethttp.ErrUseLastResponse }}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{res.StatusCode, res.Header, b}
}

// TestProxyThroughPages: A authorizes B in the wallet, B acts for A and
// sees A's license, the log names B as A's proxy, A revokes and B is back
// to their own.
func TestProxyThroughPages(t *testing.T) {
	f := newHolderFixture(t)
	base := f.m.URL
	idA := f.licA["id"].(string)
	postForm(t, base, f.cookieA, "/wallet/proxies", url.Values{"proxy_name": {"李强"}, "proxy_id": {f.personB.ID}, "relation": {"family"}}).want(t, 303)
	// B may not act for someone who did not authorize them.
	if r := postForm(t, base, f.cookieB, "/wallet/act", url.Values{"holder": {"111:110105194912310011"}}); r.status != 403 {
		t.Errorf("acting without authorization: %d", r.status)
	}
	postForm(t, base, f.cookieB, "/wallet/act", url.Values{"holder": {"111:" + f.personA.ID}}).want(t, 303)
	items := holderDo(t, base, f.cookieB, "GET", "/v1/holder/licenses", nil).want(t, 200).json(t)["items"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["id"] != idA {
		t.Fatalf("B acting for A sees %v", items)
	}
	page := holderDo(t, base, f.cookieB, "GET", "/wallet", nil).want(t, 200)
	if !bytes.Contains(page.body, []byte("王秀英")) {
		t.Errorf("the wallet does not say whom B acts for")
	}
	holderDo(t, base, f.cookieB, "GET", "/wallet/licenses/"+idA, nil).want(t, 200)
	usage := holderDo(t, base, f.cookieA, "GET", "/v1/holder/licenses/"+idA+"/usage", nil).want(t, 200).body
	if !bytes.Contains(usage, []byte(`"actor":"holder:111:`+f.personA.ID+`/proxy:111:`+f.personB.ID+`"`)) {
		t.Errorf("A's usage record does not name B as proxy:\n%s", usage)
	}
	// Every proxy action is in the log under the proxy, the list reads too.
	proxyActor := url.QueryEscape("holder:111:" + f.personA.ID + "/proxy:111:" + f.personB.ID)
	entries := client{t, base, testAdminToken}.do("GET", "/v1/audit/entries?actor="+proxyActor, nil).want(t, 200).json(t)
	if n := entries["total"].(float64); n < 3 {
		t.Errorf("%v proxy entries in the log, want at least 3 (two lists and a license)", n)
	}
	ps := holderDo(t, base, f.cookieA, "GET", "/wallet/proxies", nil).want(t, 200).body
	i := bytes.Index(ps, []byte(`action="/wallet/proxies/`))
	if i < 0 {
		t.Fatalf("no revoke button on A's proxies page")
	}
	id := strings.SplitN(string(ps[i+len(`action="/wallet/proxies/`):]), "/", 2)[0]
	postForm(t, base, f.cookieA, "/wallet/proxies/"+id+"/revoke", nil).want(t, 303)
	items = holderDo(t, base, f.cookieB, "GET", "/v1/holder/licenses", nil).want(t, 200).json(t)["items"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["id"] != f.licB["id"] {
		t.Fatalf("after revocation B sees %v", items)
	}
}

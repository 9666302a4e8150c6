package http_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
	zhttp "github.com/zhengzhao-project/zhengzhao/http"
	"github.com/zhengzhao-project/zhengzhao/internal/oidctest"
	"github.com/zhengzhao-project/zhengzhao/mock"
)

// sessions is an in-memory holder session store for the mock service.
type sessions struct {
	mu sync.Mutex
	m  map[string]*zhengzhao.HolderSession
}

func (s *sessions) create(_ context.Context, hs *zhengzhao.HolderSession, ttl time.Duration) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]*zhengzhao.HolderSession{}
	}
	secret := "zzs_test" + hs.Holder.ID
	hs.ExpiresAt = time.Now().Add(ttl)
	s.m[secret] = hs
	return secret, nil
}

func (s *sessions) authenticate(_ context.Context, secret string) (*zhengzhao.HolderSession, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if hs, ok := s.m[secret]; ok {
		return hs, nil
	}
	return nil, zhengzhao.Errorf(zhengzhao.EUNAUTHENTICATED, "no session")
}

// holderServer serves a server with a mock holder service on a real
// loopback port, so that an OpenID provider can redirect to it.
func holderServer(t *testing.T, hs *mock.HolderService, hc func(base string) zhttp.HolderConfig) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	s := MustOpenServerConfig(t, func(c *zhttp.Config) {
		c.Holders = hs
		c.Holder = hc(base)
	})
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: s.Handler()}}
	srv.Start()
	t.Cleanup(srv.Close)
	return base
}

// TestOIDCSignIn runs the authorization-code flow (with PKCE and nonce)
// against a real OpenID provider started by the test, and checks that the
// holder is bound to the ID type and number of the ID token's claims.
func TestOIDCSignIn(t *testing.T) {
	op, err := oidctest.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer op.Close()
	var ss sessions
	var licensesFor []zhengzhao.Actor
	hs := &mock.HolderService{
		CreateHolderSessionFn: func(ctx context.Context, s *zhengzhao.HolderSession, ttl time.Duration) (string, error) {
			if zhengzhao.ActorFromContext(ctx).Kind != zhengzhao.ActorSystem {
				t.Error("a session was created without the system actor")
			}
			return ss.create(ctx, s, ttl)
		},
		AuthenticateHolderFn: ss.authenticate,
		FindHolderLicensesFn: func(ctx context.Context, f zhengzhao.HolderLicenseFilter) ([]*zhengzhao.License, int, string, error) {
			licensesFor = append(licensesFor, zhengzhao.ActorFromContext(ctx))
			return nil, 0, "", nil
		},
		FindInboxFn: func(ctx context.Context, f zhengzhao.InboxFilter) ([]*zhengzhao.InboxMessage, int, string, error) {
			return nil, 0, "", nil
		},
	}
	base := holderServer(t, hs, func(base string) zhttp.HolderConfig {
		return zhttp.HolderConfig{BaseURL: base, OIDC: &zhttp.OIDCConfig{Issuer: op.URL, ClientID: op.ClientID, ClientSecret: op.ClientSecret, HTTPClient: op.Client()}}
	})
	op.AddRedirectURI(base + "/wallet/callback")

	browser := func() *http.Client {
		jar, _ := cookiejar.New(nil)
		return &http.Client{Jar: jar, Timeout: 10 * time.Second}
	}
	const id = "11010519491231002X"
	op.SetUser(oidctest.User{Subject: "u-1", Name: "王秀英", IDNumber: strings.ToLower(id)})
	c := browser()
	res, err := c.Get(base + "/wallet/login")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(body), `href="/wallet/login/oidc"`) || strings.Contains(string(body), "demo-login") {
		t.Fatalf("sign-in page without OIDC button or with the demo sign-in:\n%s", body)
	}
	res, err = c.Get(base + "/wallet/login/oidc")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || res.Request.URL.Path != "/wallet" {
		t.Fatalf("after sign-in: %d at %s\n%s", res.StatusCode, res.Request.URL, body)
	}
	if !strings.Contains(string(body), "王秀英") {
		t.Errorf("the wallet does not greet the holder")
	}
	want := zhengzhao.Actor{Kind: zhengzhao.ActorHolder, HolderIDType: "111", HolderID: id}
	if len(licensesFor) != 1 || licensesFor[0] != want {
		t.Fatalf("wallet listed for %v, want %v", licensesFor, want)
	}
	for secret, s := range ss.m {
		if s.Method != zhengzhao.SignInOIDC || s.Name != "王秀英" {
			t.Errorf("session %s: %+v", secret, s)
		}
	}
	// A callback with a forged state is refused; so is one without the
	// provider's cookie.
	c2 := browser()
	noRedirect := *c2
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err = noRedirect.Get(base + "/wallet/login/oidc")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	var setCookie string
	for _, v := range res.Header.Values("Set-Cookie") {
		setCookie += v
	}
	if !strings.Contains(setCookie, "HttpOnly") || !strings.Contains(setCookie, "SameSite=Lax") {
		t.Errorf("state cookie %q", setCookie)
	}
	res, err = c2.Get(base + "/wallet/callback?code=x&state=forged")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized {
		t.Errorf("forged state: %d, want 401", res.StatusCode)
	}

	// An ID token without the ID number claim signs nobody in.
	op.SetUser(oidctest.User{Subject: "u-2", Name: "无证件"})
	res, err = browser().Get(base + "/wallet/login/oidc")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized || !strings.Contains(string(body), "id_number") {
		t.Errorf("no ID claim: %d\n%s", res.StatusCode, body)
	}
}

// TestDemoSignInOnlyWithDemo: the demo sign-in exists only in a demo
// library and only for demo holders.
func TestDemoSignInOnlyWithDemo(t *testing.T) {
	var ss sessions
	demo := zhengzhao.Holder{Kind: zhengzhao.HolderPerson, IDType: "111", ID: "11010519491231002X", Name: "王秀英"}
	hs := &mock.HolderService{
		CreateHolderSessionFn: ss.create,
		AuthenticateHolderFn:  ss.authenticate,
		DemoHoldersFn: func(ctx context.Context, limit int) ([]zhengzhao.Holder, error) {
			return []zhengzhao.Holder{demo}, nil
		},
	}
	for _, on := range []bool{false, true} {
		base := holderServer(t, hs, func(string) zhttp.HolderConfig { return zhttp.HolderConfig{Demo: on} })
		c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		res, _ := c.Get(base + "/wallet/login")
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if strings.Contains(string(body), "demo-login") != on {
			t.Errorf("demo %v: the sign-in page shows the demo sign-in: %v", on, !on)
		}
		res, _ = c.PostForm(base+"/wallet/login/demo", map[string][]string{"holder": {"111:" + demo.ID}})
		res.Body.Close()
		if on && (res.StatusCode != http.StatusSeeOther || !strings.Contains(res.Header.Get("Set-Cookie"), "zz_session=zzs_test")) {
			t.Errorf("demo sign-in: %d %q", res.StatusCode, res.Header.Get("Set-Cookie"))
		}
		if !on && res.StatusCode != http.StatusNotFound {
			t.Errorf("demo sign-in without --demo: %d, want 404", res.StatusCode)
		}
		if on {
			res, _ = c.PostForm(base+"/wallet/login/demo", map[string][]string{"holder": {"111:110105194912310011"}})
			res.Body.Close()
			if res.StatusCode != http.StatusBadRequest {
				t.Errorf("demo sign-in as someone not in the demo data: %d", res.StatusCode)
			}
		}
	}
}

// TestVerifierPage renders the verdicts unmistakably, in Chinese first.
func TestVerifierPage(t *testing.T) {
	results := map[string]*zhengzhao.PresentationResult{
		"good":    {Valid: true, Status: "valid", License: "L", TypeName: "机动车驾驶证", Issuer: &zhengzhao.Party{Name: "上海市公安局交通警察总队"}, Fields: []zhengzhao.DisplayField{{Key: "holder.name", Label: "持证人", Value: "王秀英"}}},
		"revoked": {Status: "revoked", License: "L", TypeName: "机动车驾驶证", Issuer: &zhengzhao.Party{Name: "上海市公安局交通警察总队"}, Reasons: []string{"the license has been revoked: 吊销"}},
		"forged":  {Status: "unknown", Reasons: []string{"the signature does not match the token"}},
	}
	hs := &mock.HolderService{VerifyPresentationFn: func(ctx context.Context, token string) (*zhengzhao.PresentationResult, error) {
		return results[token], nil
	}}
	s := MustOpenServerConfig(t, func(c *zhttp.Config) { c.Holders = hs })
	for token, want := range map[string][]string{
		"good":    {`data-verdict="valid"`, "有效", "王秀英", "上海市公安局交通警察总队"},
		"revoked": {`data-verdict="revoked"`, "已注销", "吊销"},
		"forged":  {`data-verdict="invalid"`, "无效", "signature"},
	} {
		rec := s.Do(t, request{method: "GET", path: "/v/" + token})
		if rec.Code != 200 || rec.Header().Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("%s: %d", token, rec.Code)
		}
		for _, w := range want {
			if !strings.Contains(rec.Body.String(), w) {
				t.Errorf("%s: the page lacks %q", token, w)
			}
		}
	}
	rec := s.Do(t, request{method: "POST", path: "/v1/presentations/verify", body: `{"token":"forged"}`})
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"valid":false`) {
		t.Errorf("API: %d %s", rec.Code, rec.Body)
	}
	rec = s.Do(t, request{method: "POST", path: "/v1/presentations/verify", body: `{}`})
	if rec.Code != 400 {
		t.Errorf("API without a token: %d", rec.Code)
	}
}

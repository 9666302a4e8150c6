package http_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/zhengzhao-project/zhengzhao"
	zhttp "github.com/zhengzhao-project/zhengzhao/http"
	"github.com/zhengzhao-project/zhengzhao/mock"
)

// rightUnitKey is a unit API key the limits test accepts; wrongUnitKey
// shares its prefix (the part the per-credential limit keys on) and is
// refused.
const (
	rightUnitKey = "zzk_AAAAAAAAAAAArightrightrightrightrightrightr"
	wrongUnitKey = "zzk_AAAAAAAAAAAAwrongwrongwrongwrongwrongwrong"
)

// limitsServer is a server whose units accept rightUnitKey, with the holder
// area (demo sign-in, OIDC, QR checks) on mock services.
func limitsServer(t *testing.T, checks *int) *Server {
	t.Helper()
	hs := &mock.HolderService{
		DemoHoldersFn: func(ctx context.Context, limit int) ([]zhengzhao.Holder, error) {
			return []zhengzhao.Holder{{Kind: zhengzhao.HolderPerson, IDType: "111", ID: "11010519491231002X", Name: "张三"}}, nil
		},
		VerifyPresentationFn: func(ctx context.Context, token string) (*zhengzhao.PresentationResult, error) {
			*checks++ // the library records every check it answers
			if token == "good" {
				return &zhengzhao.PresentationResult{Valid: true, Checks: zhengzhao.PresentationChecks{Signature: true}, Status: "valid"}, nil
			}
			return &zhengzhao.PresentationResult{Reasons: []string{"forged"}, Status: "unknown"}, nil
		},
		AuthenticateHolderFn: func(ctx context.Context, secret string) (*zhengzhao.HolderSession, error) {
			return nil, zhengzhao.Errorf(zhengzhao.EUNAUTHENTICATED, "no session")
		},
	}
	s := MustOpenServerConfig(t, func(c *zhttp.Config) {
		c.Holders = hs
		c.Holder = zhttp.HolderConfig{Demo: true, OIDC: &zhttp.OIDCConfig{Issuer: "http://127.0.0.1:1", ClientID: "zz"}}
	})
	s.Units.AuthenticateFn = func(ctx context.Context, secret string) (*zhengzhao.Unit, error) {
		if secret == rightUnitKey {
			return issuerUnit, nil
		}
		return nil, zhengzhao.Errorf(zhengzhao.EUNAUTHENTICATED, "unknown key")
	}
	s.Units.FindUnitByCodeFn = func(ctx context.Context, code string) (*zhengzhao.Unit, error) { return issuerUnit, nil }
	return s
}

// from serves r as sent from the client address addr.
func (s *Server) from(addr string, r *http.Request) *httptest.ResponseRecorder {
	r.RemoteAddr = addr + ":40000"
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, r)
	return rec
}

// rightKeyWorks checks that the right unit key from addr is served.
func (s *Server) rightKeyWorks(t *testing.T, addr string) {
	t.Helper()
	r := httptest.NewRequest("GET", "/v1/units/"+issuerUnit.Code, nil)
	r.Header.Set("Authorization", "Bearer "+rightUnitKey)
	if rec := s.from(addr, r); rec.Code != http.StatusOK {
		t.Fatalf("the right unit key from %s: %d %s", addr, rec.Code, rec.Body)
	}
}

func formPost(path string, form url.Values) *http.Request {
	r := httptest.NewRequest("POST", path, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r
}

// TestSignInLimits sends 200 wrong credentials from one address on each
// authentication path: after the allowance every answer is 429 with
// Retry-After, and the right unit key from another address is served
// after every one of them.
func TestSignInLimits(t *testing.T) {
	paths := []struct {
		name    string
		req     func(i int) *http.Request
		verdict bool // a wrong token is a 200 verdict (valid: false), not an error
	}{
		{name: "unit API key", req: func(i int) *http.Request {
			r := httptest.NewRequest("GET", "/v1/units/"+issuerUnit.Code, nil)
			r.Header.Set("Authorization", "Bearer "+wrongUnitKey)
			return r
		}},
		{name: "admin token (API)", req: func(i int) *http.Request {
			r := httptest.NewRequest("GET", "/v1/units", nil)
			r.Header.Set("Authorization", "Bearer not-the-admin-token-"+strconv.Itoa(i))
			return r
		}},
		{name: "admin token (supervision sign-in)", req: func(i int) *http.Request {
			return formPost("/supervision/login", url.Values{"token": {"guess-" + strconv.Itoa(i)}})
		}},
		{name: "demo holder sign-in", req: func(i int) *http.Request {
			return formPost("/wallet/login/demo", url.Values{"holder": {"111:guess" + strconv.Itoa(i)}})
		}},
		{name: "OIDC callback", req: func(i int) *http.Request {
			return httptest.NewRequest("GET", "/wallet/callback?code=x&state=guess"+strconv.Itoa(i), nil)
		}},
		{name: "QR token check (API)", req: func(i int) *http.Request {
			r := httptest.NewRequest("POST", "/v1/presentations/verify", strings.NewReader(`{"token":"forged`+strconv.Itoa(i)+`"}`))
			r.Header.Set("Content-Type", "application/json")
			return r
		}, verdict: true},
		{name: "QR token check (page)", req: func(i int) *http.Request {
			return httptest.NewRequest("GET", "/v/forged"+strconv.Itoa(i), nil)
		}, verdict: true},
	}
	for _, p := range paths {
		t.Run(p.name, func(t *testing.T) {
			var checks int
			s := limitsServer(t, &checks)
			limited := 0
			for i := range 200 {
				rec := s.from("203.0.113.7", p.req(i))
				switch rec.Code {
				case http.StatusTooManyRequests:
					limited++
					if n, err := strconv.Atoi(rec.Header().Get("Retry-After")); err != nil || n < 1 {
						t.Fatalf("attempt %d: 429 with Retry-After %q", i, rec.Header().Get("Retry-After"))
					}
				case http.StatusOK, http.StatusSeeOther:
					if p.verdict {
						break // the mock answers every wrong token "forged"
					}
					t.Fatalf("attempt %d: a wrong credential was accepted: %d", i, rec.Code)
				}
				s.rightKeyWorks(t, "198.51.100.2")
			}
			// The default allowance is 10 failures and one more every 6 s.
			if limited < 185 {
				t.Errorf("%d of 200 wrong attempts got 429, want at least 185", limited)
			}
		})
	}
}

// TestCredentialLockoutSlowsOnly spreads 200 wrong attempts at one unit
// key over 20 addresses: once the key's own failure allowance runs out,
// each address may try it once a minute, so most attempts get 429; yet the
// right key keeps working from the address that used it before, and from
// a new address at its first try.
func TestCredentialLockoutSlowsOnly(t *testing.T) {
	var checks int
	s := limitsServer(t, &checks)
	s.rightKeyWorks(t, "198.51.100.2") // the unit's usual address
	limited := 0
	for i := range 200 {
		r := httptest.NewRequest("GET", "/v1/units/"+issuerUnit.Code, nil)
		r.Header.Set("Authorization", "Bearer "+wrongUnitKey)
		rec := s.from(fmt.Sprintf("10.1.0.%d", i%20+1), r)
		if rec.Code == http.StatusTooManyRequests {
			limited++
		}
		s.rightKeyWorks(t, "198.51.100.2")
	}
	// Admitted: the key's 20 failures, then one per address (20).
	if limited < 150 {
		t.Errorf("%d of 200 wrong attempts at one key from 20 addresses got 429, want at least 150", limited)
	}
	s.rightKeyWorks(t, "192.0.2.99") // a new address
}

// TestAnonymousChecksBounded checks one QR token 200 times anonymously: the
// library is asked (and records a use) only a bounded number of times;
// the rest are 429.
func TestAnonymousChecksBounded(t *testing.T) {
	var checks int
	s := limitsServer(t, &checks)
	for i := range 200 {
		r := httptest.NewRequest("POST", "/v1/presentations/verify", strings.NewReader(`{"token":"good"}`))
		r.Header.Set("Content-Type", "application/json")
		s.from(fmt.Sprintf("10.2.%d.%d", i/250, i%250+1), r)
	}
	if checks > 6 {
		t.Errorf("200 anonymous checks of one token reached the library %d times, want at most 6", checks)
	}
	// A signed-in verifier is recorded individually and not limited per token.
	for range 3 {
		r := httptest.NewRequest("POST", "/v1/presentations/verify", strings.NewReader(`{"token":"good"}`))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Authorization", "Bearer "+rightUnitKey)
		if rec := s.from("198.51.100.2", r); rec.Code != http.StatusOK {
			t.Fatalf("a signed-in check: %d %s", rec.Code, rec.Body)
		}
	}
}

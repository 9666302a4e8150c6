package http_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
	zhttp "github.com/zhengzhao-project/zhengzhao/http"
)

func TestAuth(t *testing.T) {
	// listTypes answers GET /v1/license-types, a public endpoint, with the
	// actor it saw.
	seen := func(s *Server) *zhengzhao.Actor {
		var got zhengzhao.Actor
		s.Catalog.FindLicenseTypesFn = func(ctx context.Context, f zhengzhao.LicenseTypeFilter) ([]*zhengzhao.LicenseType, int, string, error) {
			got = zhengzhao.ActorFromContext(ctx)
			return nil, 0, "", nil
		}
		return &got
	}

	t.Run("anonymous", func(t *testing.T) {
		s := MustOpenServer(t)
		got := seen(s)
		mustJSON(t, s.Do(t, request{method: "GET", path: "/v1/license-types"}), http.StatusOK, nil)
		if got.Kind != zhengzhao.ActorAnonymous {
			t.Fatalf("actor: got %s, want anonymous", got.ID())
		}
	})
	t.Run("admin", func(t *testing.T) {
		s := MustOpenServer(t)
		got := seen(s)
		s.Units.AuthenticateFn = nil // the admin token never reaches the unit service
		mustJSON(t, s.Do(t, request{method: "GET", path: "/v1/license-types", token: adminToken}), http.StatusOK, nil)
		if got.Kind != zhengzhao.ActorAdmin {
			t.Fatalf("actor: got %s, want admin", got.ID())
		}
	})
	t.Run("unit", func(t *testing.T) {
		s := MustOpenServer(t)
		got := seen(s)
		mustJSON(t, s.Do(t, request{method: "GET", path: "/v1/license-types", token: issuerToken}), http.StatusOK, nil)
		if !got.IsUnit(issuerUnit.Code) {
			t.Fatalf("actor: got %s, want unit %s", got.ID(), issuerUnit.Code)
		}
	})
	t.Run("scheme/case-insensitive", func(t *testing.T) {
		s := MustOpenServer(t)
		got := seen(s)
		rec := s.Do(t, request{method: "GET", path: "/v1/license-types", header: http.Header{"Authorization": {"bearer " + userToken}}})
		mustJSON(t, rec, http.StatusOK, nil)
		if !got.IsUnit(userUnit.Code) {
			t.Fatalf("actor: got %s, want unit %s", got.ID(), userUnit.Code)
		}
	})

	bad := map[string]string{
		"wrong-token":   "Bearer nope",
		"admin-prefix":  "Bearer " + adminToken + "x",
		"empty-token":   "Bearer ",
		"no-scheme":     adminToken,
		"basic":         "Basic YWRtaW46c2VjcmV0",
		"scheme-only":   "Bearer",
		"empty-header":  "",
		"token-in-case": "Bearer " + strings.ToUpper(adminToken),
	}
	for name, header := range bad {
		t.Run("fail/"+name, func(t *testing.T) {
			s := MustOpenServer(t)
			seen(s)
			s.Catalog.FindLicenseTypesFn = nil // never called
			rec := s.Do(t, request{method: "GET", path: "/v1/license-types", header: http.Header{"Authorization": {header}}})
			mustProblem(t, rec, http.StatusUnauthorized, zhengzhao.EUNAUTHENTICATED)
			if got := rec.Header().Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer ") || !strings.Contains(got, `error="invalid_token"`) {
				t.Fatalf("WWW-Authenticate: got %q", got)
			}
		})
	}

	t.Run("fail/two-headers", func(t *testing.T) {
		s := MustOpenServer(t)
		rec := s.Do(t, request{method: "GET", path: "/healthz", header: http.Header{"Authorization": {"Bearer " + adminToken, "Bearer " + adminToken}}})
		mustProblem(t, rec, http.StatusUnauthorized, zhengzhao.EUNAUTHENTICATED)
	})

	t.Run("fail/anonymous-on-protected", func(t *testing.T) {
		s := MustOpenServer(t)
		rec := s.Do(t, request{method: "GET", path: "/v1/licenses"})
		mustProblem(t, rec, http.StatusUnauthorized, zhengzhao.EUNAUTHENTICATED)
		if got := rec.Header().Get("WWW-Authenticate"); got != `Bearer realm="zhengzhao"` {
			t.Fatalf("WWW-Authenticate: got %q", got)
		}
	})

	t.Run("fail/forbidden-to-anonymous-is-401", func(t *testing.T) {
		s := MustOpenServer(t)
		s.Catalog.FindLicenseTypeByCodeFn = func(ctx context.Context, code string) (*zhengzhao.LicenseType, error) {
			return nil, zhengzhao.Errorf(zhengzhao.EFORBIDDEN, "not allowed")
		}
		mustProblem(t, s.Do(t, request{method: "GET", path: "/v1/license-types/X"}), http.StatusUnauthorized, zhengzhao.EUNAUTHENTICATED)
		mustProblem(t, s.Do(t, request{method: "GET", path: "/v1/license-types/X", token: userToken}), http.StatusForbidden, zhengzhao.EFORBIDDEN)
	})

	t.Run("fail/unit-service-down", func(t *testing.T) {
		s := MustOpenServer(t)
		s.Units.AuthenticateFn = func(ctx context.Context, secret string) (*zhengzhao.Unit, error) {
			return nil, &zhengzhao.Error{Code: zhengzhao.EUNAVAILABLE, Message: "database unavailable", Err: errors.New("dial tcp: refused")}
		}
		rec := s.Do(t, request{method: "GET", path: "/v1/license-types", token: "some-key"})
		p := mustProblem(t, rec, http.StatusServiceUnavailable, zhengzhao.EUNAVAILABLE)
		if p.Detail != "database unavailable" || rec.Header().Get("Retry-After") == "" {
			t.Fatalf("got %+v, Retry-After %q", p, rec.Header().Get("Retry-After"))
		}
	})

	t.Run("fail/admin-disabled", func(t *testing.T) {
		s := MustOpenServerConfig(t, func(c *zhttp.Config) { c.AdminToken = "" })
		mustProblem(t, s.Do(t, request{method: "GET", path: "/v1/units", token: adminToken}), http.StatusUnauthorized, zhengzhao.EUNAUTHENTICATED)
	})
}

func TestRequestID(t *testing.T) {
	s := MustOpenServer(t)
	rec := s.Do(t, request{method: "GET", path: "/healthz"})
	if id := rec.Header().Get("X-Request-ID"); len(id) != 24 {
		t.Fatalf("generated request ID: got %q", id)
	}
	rec = s.Do(t, request{method: "GET", path: "/healthz", header: http.Header{"X-Request-Id": {"client-42.a_b"}}})
	if id := rec.Header().Get("X-Request-ID"); id != "client-42.a_b" {
		t.Fatalf("client request ID: got %q", id)
	}
	rec = s.Do(t, request{method: "GET", path: "/healthz", header: http.Header{"X-Request-Id": {"bad id\n<script>"}}})
	if id := rec.Header().Get("X-Request-ID"); id == "" || strings.ContainsAny(id, " <") {
		t.Fatalf("unsafe request ID kept: %q", id)
	}
	if logs := s.Logs(); !strings.Contains(logs, `"request_id":"client-42.a_b"`) || !strings.Contains(logs, `"status":200`) {
		t.Fatalf("request log misses ID or status: %s", logs)
	}
}

func TestRequestLogActor(t *testing.T) {
	s := MustOpenServer(t)
	s.Do(t, request{method: "GET", path: "/healthz", token: issuerToken})
	if logs := s.Logs(); !strings.Contains(logs, `"actor":"unit:`+issuerUnit.Code+`"`) {
		t.Fatalf("request log misses the actor: %s", logs)
	}
}

func TestPanicRecovery(t *testing.T) {
	s := MustOpenServer(t)
	// FindUnitByCodeFn is nil: calling it panics.
	rec := s.Do(t, request{method: "GET", path: "/v1/units/91310000MA1FL8XQ30", token: adminToken})
	p := mustProblem(t, rec, http.StatusInternalServerError, zhengzhao.EINTERNAL)
	if p.Detail != "internal error" {
		t.Fatalf("detail: got %q", p.Detail)
	}
	if logs := s.Logs(); !strings.Contains(logs, "panic serving request") || !strings.Contains(logs, "nil pointer") {
		t.Fatalf("panic not logged: %s", logs)
	}
}

func TestInternalErrorHidden(t *testing.T) {
	s := MustOpenServer(t)
	s.Units.FindUnitByCodeFn = func(ctx context.Context, code string) (*zhengzhao.Unit, error) {
		return nil, errors.New("pq: password authentication failed for user zhengzhao")
	}
	rec := s.Do(t, request{method: "GET", path: "/v1/units/X", token: adminToken})
	p := mustProblem(t, rec, http.StatusInternalServerError, zhengzhao.EINTERNAL)
	if p.Detail != "internal error" || strings.Contains(rec.Body.String(), "password") {
		t.Fatalf("internal detail leaked: %s", rec.Body)
	}
	if logs := s.Logs(); !strings.Contains(logs, "password authentication failed") || !strings.Contains(logs, p.RequestID) {
		t.Fatalf("internal error not logged with its request ID: %s", logs)
	}
}

func TestErrorStatus(t *testing.T) {
	for code, status := range map[string]int{
		zhengzhao.EINVALID:         400,
		zhengzhao.EUNAUTHENTICATED: 401,
		zhengzhao.EFORBIDDEN:       403,
		zhengzhao.ENOTFOUND:        404,
		zhengzhao.ECONFLICT:        409,
		zhengzhao.ETOOLARGE:        413,
		zhengzhao.EINTERNAL:        500,
		zhengzhao.EUNAVAILABLE:     503,
		"some_future_code":         500,
	} {
		t.Run(code, func(t *testing.T) {
			s := MustOpenServer(t)
			s.Licenses.RevokeLicenseFn = func(ctx context.Context, id, reason string) (*zhengzhao.License, error) {
				return nil, zhengzhao.Errorf(code, "message for %s", code)
			}
			// Revoke is an operation that declares every one of these statuses.
			rec := s.Do(t, request{method: "POST", path: "/v1/licenses/X/revoke", token: issuerToken, body: `{"reason":"r"}`})
			wantCode, wantDetail := code, "message for "+code
			if status == 500 {
				wantCode, wantDetail = zhengzhao.EINTERNAL, "internal error"
			}
			p := mustProblem(t, rec, status, wantCode)
			if p.Detail != wantDetail {
				t.Fatalf("detail: got %q", p.Detail)
			}
		})
	}
}

func TestNotFoundAndMethodNotAllowed(t *testing.T) {
	s := MustOpenServer(t)
	mustProblem(t, s.Do(t, request{method: "GET", path: "/v1/nothing"}), http.StatusNotFound, zhengzhao.ENOTFOUND)
	mustProblem(t, s.Do(t, request{method: "GET", path: "/nothing"}), http.StatusNotFound, zhengzhao.ENOTFOUND)
	rec := s.Do(t, request{method: "DELETE", path: "/v1/licenses/x"})
	mustProblem(t, rec, http.StatusMethodNotAllowed, "method_not_allowed")
	if allow := rec.Header().Get("Allow"); !strings.Contains(allow, "GET") || !strings.Contains(allow, "PUT") {
		t.Fatalf("Allow: got %q", allow)
	}
}

func TestCrossOriginProtection(t *testing.T) {
	s := MustOpenServer(t)
	rec := s.Do(t, request{method: "POST", path: "/v1/licenses", token: issuerToken, body: issueBody,
		header: http.Header{"Sec-Fetch-Site": {"cross-site"}, "Origin": {"https://evil.example"}}})
	mustProblem(t, rec, http.StatusForbidden, zhengzhao.EFORBIDDEN)

	// Safe methods pass.
	s.Catalog.FindLicenseTypesFn = func(ctx context.Context, f zhengzhao.LicenseTypeFilter) ([]*zhengzhao.LicenseType, int, string, error) {
		return nil, 0, "", nil
	}
	rec = s.Do(t, request{method: "GET", path: "/v1/license-types", header: http.Header{"Sec-Fetch-Site": {"cross-site"}}})
	mustJSON(t, rec, http.StatusOK, nil)
}

func TestBodyLimit(t *testing.T) {
	s := MustOpenServerConfig(t, func(c *zhttp.Config) { c.BodyLimit = 64 })
	big := `{"reason":"` + strings.Repeat("x", 100) + `"}`

	t.Run("content-length", func(t *testing.T) {
		rec := s.Do(t, request{method: "POST", path: "/v1/licenses/x/revoke", token: issuerToken, body: big})
		mustProblem(t, rec, http.StatusRequestEntityTooLarge, zhengzhao.ETOOLARGE)
	})
	t.Run("chunked", func(t *testing.T) {
		req := httptest.NewRequest("POST", "/v1/licenses/x/revoke", strings.NewReader(big))
		req.ContentLength = -1
		req.Header.Set("Authorization", "Bearer "+issuerToken)
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		mustProblem(t, rec, http.StatusRequestEntityTooLarge, zhengzhao.ETOOLARGE)
	})
	t.Run("verify", func(t *testing.T) {
		req := httptest.NewRequest("POST", "/v1/verify", strings.NewReader(big))
		req.ContentLength = -1
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		mustProblem(t, rec, http.StatusRequestEntityTooLarge, zhengzhao.ETOOLARGE)
	})
	t.Run("default-1MiB", func(t *testing.T) {
		s := MustOpenServer(t)
		body := `{"reason":"` + strings.Repeat("x", 1<<20) + `"}`
		rec := s.Do(t, request{method: "POST", path: "/v1/licenses/x/revoke", token: issuerToken, body: body})
		mustProblem(t, rec, http.StatusRequestEntityTooLarge, zhengzhao.ETOOLARGE)
	})
}

func TestQueryParameters(t *testing.T) {
	s := MustOpenServer(t)
	mustInvalid(t, s.Do(t, request{method: "GET", path: "/v1/license-types?pubic_only=true"}), "pubic_only")
	mustInvalid(t, s.Do(t, request{method: "GET", path: "/v1/license-types?limit=1&limit=2"}), "limit")
	mustInvalid(t, s.Do(t, request{method: "GET", path: "/healthz?x=1"}), "x")
}

// TestShutdown checks that Shutdown lets an in-flight request finish and
// that the server is not ready meanwhile.
func TestShutdown(t *testing.T) {
	s := MustOpenServer(t)
	started, release := make(chan struct{}), make(chan struct{})
	s.Licenses.FindLicenseByIDFn = func(ctx context.Context, id string) (*zhengzhao.License, error) {
		close(started)
		<-release
		return newLicense(1), nil
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(l) }()
	base := "http://" + l.Addr().String()

	type result struct {
		status int
		body   string
		err    error
	}
	done := make(chan result, 1)
	go func() {
		req, _ := http.NewRequest("GET", base+"/v1/licenses/"+licenseID(1), nil)
		req.Header.Set("Authorization", "Bearer "+issuerToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		done <- result{status: resp.StatusCode, body: string(b), err: err}
	}()
	<-started

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	shut := make(chan error, 1)
	go func() { shut <- s.Shutdown(ctx) }()

	// While the request is in flight, readiness reports shutting down.
	deadline := time.Now().Add(5 * time.Second)
	for {
		rec := s.Do(t, request{method: "GET", path: "/readyz"})
		if rec.Code == http.StatusServiceUnavailable {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("readyz during shutdown: got %d", rec.Code)
		}
		time.Sleep(5 * time.Millisecond)
	}
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned before the in-flight request finished: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(release)

	r := <-done
	if r.err != nil || r.status != http.StatusOK || !strings.Contains(r.body, licenseID(1)) {
		t.Fatalf("in-flight request: %d %q %v", r.status, r.body, r.err)
	}
	if err := <-shut; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve after shutdown: got %v, want nil", err)
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Fatal("server still accepts connections after shutdown")
	}
}

package http_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
	zhttp "github.com/zhengzhao-project/zhengzhao/http"
	"github.com/zhengzhao-project/zhengzhao/mock"
)

// Tokens the test server accepts.
const (
	adminToken  = "admin-secret"
	issuerToken = "issuer-secret" // the issuing unit issuerUnit
	userToken   = "user-secret"   // the using unit userUnit
)

var (
	issuerUnit = &zhengzhao.Unit{Code: "91310000MA1FL8XQ30", Name: "上海市市场监督管理局", Roles: []zhengzhao.Role{zhengzhao.RoleIssuer},
		Region: "310000", SigningAlg: zhengzhao.AlgSM2SM3, CreatedAt: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}
	userUnit = &zhengzhao.Unit{Code: "11310000002420020A", Name: "上海市公安局", Roles: []zhengzhao.Role{zhengzhao.RoleUser},
		Region: "310000", CreatedAt: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}
)

// Server is a test wrapper for zhttp.Server with mock services.
type Server struct {
	*zhttp.Server
	Units    mock.UnitService
	Catalog  mock.CatalogService
	Licenses mock.LicenseService
	Keys     mock.KeyService
	Audit    mock.AuditService

	Ready func(ctx context.Context) error

	tb   testing.TB // reports responses that break the OpenAPI document
	mu   sync.Mutex
	logs bytes.Buffer
}

// MustOpenServer returns a server with mock services. The unit service
// authenticates issuerToken and userToken; every other mock function is
// unset, so an unexpected service call panics (500).
func MustOpenServer(tb testing.TB) *Server {
	tb.Helper()
	return MustOpenServerConfig(tb, func(*zhttp.Config) {})
}

// MustOpenServerConfig is MustOpenServer with a hook to change the config.
func MustOpenServerConfig(tb testing.TB, configure func(*zhttp.Config)) *Server {
	tb.Helper()
	s := &Server{tb: tb}
	s.Units.AuthenticateFn = func(ctx context.Context, secret string) (*zhengzhao.Unit, error) {
		switch secret {
		case issuerToken:
			return issuerUnit, nil
		case userToken:
			return userUnit, nil
		}
		return nil, zhengzhao.Errorf(zhengzhao.EUNAUTHENTICATED, "unknown key")
	}
	c := zhttp.Config{
		Units:      &s.Units,
		Catalog:    &s.Catalog,
		Licenses:   &s.Licenses,
		Keys:       &s.Keys,
		Audit:      &s.Audit,
		AdminToken: adminToken,
		Ready: func(ctx context.Context) error {
			if s.Ready != nil {
				return s.Ready(ctx)
			}
			return nil
		},
		Logger:  slog.New(slog.NewJSONHandler(lockedWriter{&s.mu, &s.logs}, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Version: "test",
	}
	configure(&c)
	s.Server = zhttp.NewServer(c)
	return s
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (w lockedWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(b)
}

// Logs returns what the server has logged so far.
func (s *Server) Logs() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logs.String()
}

// request describes a test request.
type request struct {
	method string
	path   string
	token  string // bearer token; "" for none
	body   string
	header http.Header
}

// Do serves one request and returns the recorded response.
func (s *Server) Do(tb testing.TB, r request) *httptest.ResponseRecorder {
	tb.Helper()
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	req := httptest.NewRequest(r.method, r.path, body)
	if r.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.token != "" {
		req.Header.Set("Authorization", "Bearer "+r.token)
	}
	for k, v := range r.header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	return rec
}

// problem is a decoded problem document.
type problem struct {
	Type      string                 `json:"type"`
	Title     string                 `json:"title"`
	Status    int                    `json:"status"`
	Detail    string                 `json:"detail"`
	Code      string                 `json:"code"`
	Errors    []zhengzhao.FieldError `json:"errors"`
	RequestID string                 `json:"request_id"`
}

// mustProblem checks that rec is a problem document with the status and
// code and returns it.
func mustProblem(tb testing.TB, rec *httptest.ResponseRecorder, status int, code string) problem {
	tb.Helper()
	if rec.Code != status {
		tb.Fatalf("status: got %d, want %d; body %s", rec.Code, status, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
		tb.Fatalf("content type: got %q, want application/problem+json", ct)
	}
	var p problem
	d := json.NewDecoder(bytes.NewReader(rec.Body.Bytes()))
	d.DisallowUnknownFields()
	if err := d.Decode(&p); err != nil {
		tb.Fatalf("decode problem %s: %v", rec.Body, err)
	}
	if p.Status != status || p.Code != code || p.Title != http.StatusText(status) || p.Type != "about:blank" || p.Detail == "" {
		tb.Fatalf("problem: got %+v, want status %d code %s", p, status, code)
	}
	if p.RequestID == "" || p.RequestID != rec.Header().Get("X-Request-ID") {
		tb.Fatalf("problem request_id %q, header %q", p.RequestID, rec.Header().Get("X-Request-ID"))
	}
	if code != zhengzhao.EINVALID && len(p.Errors) > 0 {
		tb.Fatalf("errors member on a %s problem: %+v", code, p.Errors)
	}
	return p
}

// mustInvalid checks for a 400 invalid problem naming exactly the fields.
func mustInvalid(tb testing.TB, rec *httptest.ResponseRecorder, fields ...string) problem {
	tb.Helper()
	p := mustProblem(tb, rec, http.StatusBadRequest, zhengzhao.EINVALID)
	var got []string
	for _, e := range p.Errors {
		if e.Message == "" {
			tb.Fatalf("field error %q without message", e.Field)
		}
		got = append(got, e.Field)
	}
	slices.Sort(got)
	want := slices.Clone(fields)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		tb.Fatalf("invalid fields: got %q, want %q (%+v)", got, want, p.Errors)
	}
	return p
}

// mustJSON checks the status and JSON content type and decodes the body.
func mustJSON(tb testing.TB, rec *httptest.ResponseRecorder, status int, v any) {
	tb.Helper()
	if rec.Code != status {
		tb.Fatalf("status: got %d, want %d; body %s", rec.Code, status, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		tb.Fatalf("content type: got %q, want application/json", ct)
	}
	if v == nil {
		return
	}
	if err := json.Unmarshal(rec.Body.Bytes(), v); err != nil {
		tb.Fatalf("decode %s: %v", rec.Body, err)
	}
}

// mustActor checks the actor that a service call ran as.
func mustActor(tb testing.TB, ctx context.Context, kind zhengzhao.ActorKind, unit string) {
	tb.Helper()
	a := zhengzhao.ActorFromContext(ctx)
	if a.Kind != kind || (unit != "" && !a.IsUnit(unit)) {
		tb.Fatalf("actor: got %s, want %s %s", a.ID(), kind, unit)
	}
}

func ptr[T any](v T) *T { return &v }

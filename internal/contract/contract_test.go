package contract_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	zhttp "github.com/zhengzhao-project/zhengzhao/http"
	"github.com/zhengzhao-project/zhengzhao/internal/contract"
)

// brokenHandler answers like the server, but with what the served
// document does not declare when the query asks for it.
func brokenHandler(w http.ResponseWriter, r *http.Request) {
	entry := `{"index":0,"time":"2026-01-02T03:04:05Z","actor":"admin","action":"license.issue"}`
	status := http.StatusOK
	switch r.URL.Query().Get("break") {
	case "field":
		entry = `{"index":0,"time":"2026-01-02T03:04:05Z","actor":"admin","action":"license.issue","extra":1}`
	case "enum":
		entry = `{"index":0,"time":"2026-01-02T03:04:05Z","actor":"admin","action":"license.teleport"}`
	case "status":
		status = http.StatusAccepted
	case "content":
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(status)
		io.WriteString(w, "<p>hello</p>")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, `{"items":[`+entry+`],"total":1}`)
}

var cases = map[string]string{
	"ok":           "",
	"fail/field":   "an undeclared member",
	"fail/enum":    "an action outside the enum",
	"fail/status":  "an undeclared status",
	"fail/content": "an undeclared content type",
}

func validator(t *testing.T) *contract.Validator {
	t.Helper()
	v, err := contract.Default(zhttp.OpenAPI())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestHandlerCatchesDrift shows that the wrapper the http/ tests use fails
// a test when a handler answers a field, status, enum value or content
// type that the served OpenAPI document does not declare.
func TestHandlerCatchesDrift(t *testing.T) {
	v := validator(t)
	for name, what := range cases {
		t.Run(name, func(t *testing.T) {
			var reported []error
			h := v.Handler(http.HandlerFunc(brokenHandler), func(err error) { reported = append(reported, err) })
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/v1/audit/entries?license=L&break="+strings.TrimPrefix(name, "fail/"), nil))
			if what == "" {
				if len(reported) != 0 {
					t.Fatalf("a valid response was reported: %v", reported)
				}
				return
			}
			if len(reported) != 1 {
				t.Fatalf("%s: got %d reports, want 1", what, len(reported))
			}
			t.Logf("%s: %.200v", what, reported[0])
		})
	}
}

// TestTransportCatchesDrift shows the same for the transport that the
// cmd/zhengzhao end-to-end tests put under http.DefaultTransport: the
// request fails with the mismatch.
func TestTransportCatchesDrift(t *testing.T) {
	v := validator(t)
	srv := httptest.NewServer(http.HandlerFunc(brokenHandler))
	defer srv.Close()
	c := &http.Client{Transport: v.Transport(http.DefaultTransport)}
	for name, what := range cases {
		t.Run(name, func(t *testing.T) {
			res, err := c.Get(srv.URL + "/v1/audit/entries?license=L&break=" + strings.TrimPrefix(name, "fail/"))
			if what == "" {
				if err != nil {
					t.Fatalf("a valid response failed: %v", err)
				}
				res.Body.Close()
				return
			}
			if err == nil {
				res.Body.Close()
				t.Fatalf("%s: the request did not fail", what)
			}
			if !strings.Contains(err.Error(), "does not match the openapi document") {
				t.Fatalf("%s: %v", what, err)
			}
		})
	}
}

// TestUndocumentedPath shows that an API path missing from the document
// fails unless the server answered it as unknown (404, 405).
func TestUndocumentedPath(t *testing.T) {
	v := validator(t)
	req := httptest.NewRequest("GET", "/v1/not-in-the-document", nil)
	if err := v.Check(req, 200, http.Header{"Content-Type": {"application/json"}}, []byte(`{}`)); err == nil {
		t.Fatal("an undocumented API path passed")
	}
	if err := v.Check(req, 404, http.Header{"Content-Type": {"application/problem+json"}}, []byte(`{}`)); err != nil {
		t.Fatalf("a 404 for an unknown path: %v", err)
	}
}

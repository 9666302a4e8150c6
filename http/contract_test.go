package http_test

import (
	"net/http"
	"testing"

	zhttp "github.com/zhengzhao-project/zhengzhao/http"
	"github.com/zhengzhao-project/zhengzhao/internal/contract"
)

// Handler returns the server's handler wrapped by the OpenAPI contract
// check: every response that a test receives through it is validated
// against the served document, and a mismatch fails the test. It shadows
// zhttp.Server.Handler, so every test that serves through the test Server
// is checked without knowing it.
func (s *Server) Handler() http.Handler { return checked(s.tb, s.Server.Handler()) }

// checked wraps h with the contract check, reporting mismatches to tb.
func checked(tb testing.TB, h http.Handler) http.Handler {
	v, err := contract.Default(zhttp.OpenAPIDocument())
	if err != nil {
		tb.Fatalf("%v", err)
	}
	return v.Handler(h, func(err error) { tb.Errorf("contract: %v", err) })
}

package http_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/zhengzhao-project/zhengzhao"
)

func TestHealthz(t *testing.T) {
	s := MustOpenServer(t)
	var got map[string]string
	mustJSON(t, s.Do(t, request{method: "GET", path: "/healthz"}), http.StatusOK, &got)
	if got["status"] != "ok" || got["version"] != "test" {
		t.Fatalf("healthz: got %v", got)
	}
	// HEAD works on every GET route.
	if rec := s.Do(t, request{method: "HEAD", path: "/healthz"}); rec.Code != http.StatusOK {
		t.Fatalf("HEAD /healthz: got %d", rec.Code)
	}
}

func TestReadyz(t *testing.T) {
	t.Run("ok", func(t *testing.T) {
		s := MustOpenServer(t)
		var got map[string]string
		mustJSON(t, s.Do(t, request{method: "GET", path: "/readyz"}), http.StatusOK, &got)
		if got["status"] != "ready" {
			t.Fatalf("readyz: got %v", got)
		}
	})
	t.Run("fail/not-ready", func(t *testing.T) {
		s := MustOpenServer(t)
		s.Ready = func(ctx context.Context) error { return errors.New("ping: connection refused") }
		rec := s.Do(t, request{method: "GET", path: "/readyz"})
		p := mustProblem(t, rec, http.StatusServiceUnavailable, zhengzhao.EUNAVAILABLE)
		if strings.Contains(p.Detail, "refused") {
			t.Fatalf("cause leaked: %q", p.Detail)
		}
		if !strings.Contains(s.Logs(), "connection refused") {
			t.Fatalf("cause not logged: %s", s.Logs())
		}
	})
}

func TestOpenAPIServed(t *testing.T) {
	s := MustOpenServer(t)
	var doc map[string]any
	mustJSON(t, s.Do(t, request{method: "GET", path: "/openapi.json"}), http.StatusOK, &doc)
	if doc["openapi"] != "3.1.0" {
		t.Fatalf("openapi: got %v", doc["openapi"])
	}
}

package http_test

import (
	"context"
	"encoding/pem"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/zhengzhao-project/zhengzhao"
)

func keysServer(t *testing.T) *Server {
	s := MustOpenServer(t)
	s.Keys.CACertificatePEMFn = func() string { return caPEM }
	s.Keys.FindSigningKeysFn = func(ctx context.Context) ([]*zhengzhao.SigningKey, error) { return newSigningKeys(), nil }
	return s
}

func TestKeys(t *testing.T) {
	t.Run("ok/json", func(t *testing.T) {
		s := keysServer(t)
		rec := s.Do(t, request{method: "GET", path: "/v1/keys"})
		var got map[string]any
		mustJSON(t, rec, http.StatusOK, &got)
		want := map[string]any{
			"ca": map[string]any{"cert": caPEM},
			"keys": []any{
				map[string]any{"kid": "kid-1", "alg": "SM2-SM3", "unit": issuerUnit.Code, "cert": key1PEM,
					"not_before": "2025-03-01T08:00:00Z", "not_after": "2030-03-01T08:00:00Z", "active": false},
				map[string]any{"kid": "kid-2", "alg": "ES256", "unit": issuerUnit.Code, "cert": key2PEM,
					"not_before": "2025-03-01T08:00:00Z", "not_after": "2030-03-01T08:00:00Z", "active": true},
			},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("keys (-want +got):\n%s", diff)
		}
		if strings.Contains(rec.Body.String(), "secret") || strings.Contains(rec.Body.String(), "private") {
			t.Fatalf("private key material in %s", rec.Body)
		}
	})
	t.Run("ok/no-keys", func(t *testing.T) {
		s := keysServer(t)
		s.Keys.FindSigningKeysFn = func(ctx context.Context) ([]*zhengzhao.SigningKey, error) { return nil, nil }
		rec := s.Do(t, request{method: "GET", path: "/v1/keys"})
		mustJSON(t, rec, http.StatusOK, nil)
		if !strings.Contains(rec.Body.String(), `"keys":[]`) {
			t.Fatalf("body: %s", rec.Body)
		}
	})
	pemCases := map[string]request{
		"format":      {method: "GET", path: "/v1/keys?format=pem"},
		"accept":      {method: "GET", path: "/v1/keys", header: http.Header{"Accept": {"application/x-pem-file"}}},
		"accept-q":    {method: "GET", path: "/v1/keys", header: http.Header{"Accept": {"application/json;q=0.5, application/x-pem-file"}}},
		"format-wins": {method: "GET", path: "/v1/keys?format=pem", header: http.Header{"Accept": {"application/json"}}},
	}
	for name, req := range pemCases {
		t.Run("ok/pem/"+name, func(t *testing.T) {
			s := keysServer(t)
			rec := s.Do(t, req)
			if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/x-pem-file" {
				t.Fatalf("got %d %q: %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
			}
			// CA first, then each key, every block parseable.
			rest := rec.Body.Bytes()
			var got []string
			for {
				var b *pem.Block
				b, rest = pem.Decode(rest)
				if b == nil {
					break
				}
				got = append(got, string(b.Bytes))
			}
			if diff := cmp.Diff([]string{"CA", "K1", "K2"}, got); diff != "" || len(strings.TrimSpace(string(rest))) != 0 {
				t.Fatalf("PEM bundle (-want +got):\n%s\nrest %q", diff, rest)
			}
		})
	}
	jsonCases := map[string]request{
		"accept-any":       {method: "GET", path: "/v1/keys", header: http.Header{"Accept": {"*/*"}}},
		"accept-json":      {method: "GET", path: "/v1/keys", header: http.Header{"Accept": {"application/json, application/x-pem-file;q=0.1"}}},
		"accept-html":      {method: "GET", path: "/v1/keys", header: http.Header{"Accept": {"text/html"}}},
		"format-json-wins": {method: "GET", path: "/v1/keys?format=json", header: http.Header{"Accept": {"application/x-pem-file"}}},
	}
	for name, req := range jsonCases {
		t.Run("ok/json/"+name, func(t *testing.T) {
			mustJSON(t, keysServer(t).Do(t, req), http.StatusOK, nil)
		})
	}
	t.Run("fail/format", func(t *testing.T) {
		mustInvalid(t, keysServer(t).Do(t, request{method: "GET", path: "/v1/keys?format=der"}), "format")
	})
	t.Run("fail/unavailable", func(t *testing.T) {
		s := keysServer(t)
		s.Keys.FindSigningKeysFn = func(ctx context.Context) ([]*zhengzhao.SigningKey, error) {
			return nil, zhengzhao.Errorf(zhengzhao.EUNAVAILABLE, "database unavailable")
		}
		mustProblem(t, s.Do(t, request{method: "GET", path: "/v1/keys"}), http.StatusServiceUnavailable, zhengzhao.EUNAVAILABLE)
	})
}

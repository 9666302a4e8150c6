package http_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/zhengzhao-project/zhengzhao"

	zhttp "github.com/zhengzhao-project/zhengzhao/http"
)

// BenchmarkBearerAuth measures an authenticated GET with the sign-in
// limits on (the default) and off, to show what they cost per request.
func BenchmarkBearerAuth(b *testing.B) {
	for _, bc := range []struct {
		name string
		off  bool
	}{{"limits-off", true}, {"limits-on", false}} {
		b.Run(bc.name, func(b *testing.B) {
			s := MustOpenServerConfig(b, func(c *zhttp.Config) { c.RateLimits.Disabled = bc.off })
			s.Units.FindUnitByCodeFn = func(_ context.Context, code string) (*zhengzhao.Unit, error) { return issuerUnit, nil }
			h := s.Handler()
			for b.Loop() {
				r := httptest.NewRequest("GET", "/v1/units/"+issuerUnit.Code, nil)
				r.Header.Set("Authorization", "Bearer "+issuerToken)
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, r)
				if rec.Code != http.StatusOK {
					b.Fatal(rec.Code, rec.Body)
				}
			}
		})
	}
}

package metrics_test

import (
	nethttp "net/http"
	"net/http/httptest"
	"testing"

	"github.com/zhengzhao-project/zhengzhao/metrics"
)

// BenchmarkMiddleware measures what counting and timing a request costs,
// next to the same mux without it (the baseline of the same run).
func BenchmarkMiddleware(b *testing.B) {
	mux := nethttp.NewServeMux()
	mux.HandleFunc("GET /v1/licenses/{id}", func(w nethttp.ResponseWriter, r *nethttp.Request) { w.WriteHeader(200) })
	route := func(r *nethttp.Request) string { _, p := mux.Handler(r); return p }
	for _, bc := range []struct {
		name string
		h    nethttp.Handler
	}{
		{"bare", mux},
		{"instrumented", metrics.New(metrics.Config{}).Middleware(mux, route)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			req := httptest.NewRequest("GET", "/v1/licenses/1.2.156.3005.2.X.Y.Z.001.K", nil)
			w := httptest.NewRecorder()
			b.ReportAllocs()
			for b.Loop() {
				bc.h.ServeHTTP(w, req)
			}
		})
	}
}

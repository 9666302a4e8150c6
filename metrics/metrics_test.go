package metrics_test

import (
	"bytes"
	"io"
	nethttp "net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/zhengzhao-project/zhengzhao/metrics"
)

// TestMiddlewareLabels checks that requests are counted by the route
// pattern without the method, unmatched ones under one label, unknown
// methods folded, and a panic past the handler counted as 5xx.
func TestMiddlewareLabels(t *testing.T) {
	m := metrics.New(metrics.Config{})
	mux := nethttp.NewServeMux()
	mux.HandleFunc("GET /v1/licenses/{id}", func(w nethttp.ResponseWriter, r *nethttp.Request) {})
	mux.HandleFunc("POST /v1/verify", func(w nethttp.ResponseWriter, r *nethttp.Request) { w.WriteHeader(422) })
	mux.HandleFunc("GET /boom", func(w nethttp.ResponseWriter, r *nethttp.Request) { panic(nethttp.ErrAbortHandler) })
	route := func(r *nethttp.Request) string { _, p := mux.Handler(r); return p }
	h := m.Middleware(mux, route)
	for _, req := range []struct{ method, path string }{
		{"GET", "/v1/licenses/1.2.156.3005.2.X"}, {"GET", "/v1/licenses/other"},
		{"POST", "/v1/verify"}, {"GET", "/secret/path/310115198003010017"}, {"BREW", "/v1/verify"},
		{"GET", "/boom"},
	} {
		func() {
			defer func() { _ = recover() }()
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(req.method, req.path, nil))
		}()
	}
	m.Backup(true, time.Unix(1700000000, 0))
	m.Backup(false, time.Unix(1700000100, 0))
	m.SetBackupInterval(time.Hour)

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	want := `
# HELP zhengzhao_http_requests_total HTTP requests answered, by method, ServeMux route pattern and status class.
# TYPE zhengzhao_http_requests_total counter
zhengzhao_http_requests_total{code="2xx",method="GET",route="/v1/licenses/{id}"} 2
zhengzhao_http_requests_total{code="4xx",method="GET",route="unmatched"} 1
zhengzhao_http_requests_total{code="4xx",method="POST",route="/v1/verify"} 1
zhengzhao_http_requests_total{code="4xx",method="other",route="unmatched"} 1
zhengzhao_http_requests_total{code="5xx",method="GET",route="/boom"} 1
# HELP zhengzhao_backup_last_timestamp_seconds Unix time of the last backup that succeeded (result="success") and of the last that failed (result="failure").
# TYPE zhengzhao_backup_last_timestamp_seconds gauge
zhengzhao_backup_last_timestamp_seconds{result="failure"} 1.7000001e+09
zhengzhao_backup_last_timestamp_seconds{result="success"} 1.7e+09
# HELP zhengzhao_backup_interval_seconds The configured time between scheduled backups (0: no schedule).
# TYPE zhengzhao_backup_interval_seconds gauge
zhengzhao_backup_interval_seconds 3600
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want),
		"zhengzhao_http_requests_total", "zhengzhao_backup_last_timestamp_seconds", "zhengzhao_backup_interval_seconds"); err != nil {
		t.Error(err)
	}
	if bytes.Contains(body, []byte("310115198003010017")) || bytes.Contains(body, []byte("/secret")) {
		t.Error("a raw path reached the metrics")
	}
}

package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	nethttp "net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/zhengzhao-project/zhengzhao/demo"
)

// personTypeCode is a license type held by persons, so that holder data
// (resident ID numbers and names) flows through the server.
var personTypeCode = demo.USCC("11100000MB0143028") + "002"

// TestMetrics drives a flow with personal data through the real server and
// checks /metrics: the admin alone reads it, it parses as Prometheus text
// and passes promtool, its counters equal the requests the test made, and
// no label or value carries a holder's ID or name, a license ID or a raw
// path.
func TestMetrics(t *testing.T) { forEachStore(t, testMetrics) }

func testMetrics(t *testing.T, db string) {
	m := MustRunMainDB(t, db)
	admin, issuer, _ := setup(t, m)
	anon := client{t, m.URL, ""}
	issuer.do("POST", "/v1/license-types", map[string]any{
		"code": personTypeCode, "name": "居住证", "holder_kind": "person", "level": "municipal", "public": true, "collect_since": "2020-01-01",
		"fields": []map[string]any{{"key": "address", "label": "居住地址", "type": "string", "required": true}},
	}).want(t, 201)

	const issues = 7
	var secrets []string // what must never appear in the metrics
	var docs [][]byte
	for i := range issues {
		id := demo.ResidentID("310115", time.Date(1980+i, 3, 1, 0, 0, 0, 0, time.UTC), 17+i)
		name := fmt.Sprintf("测试人%c", '甲'+rune(i))
		res := issuer.do("POST", "/v1/licenses", map[string]any{
			"type": personTypeCode, "number": fmt.Sprintf("JZZ%04d", i),
			"holder":    map[string]any{"kind": "person", "id_type": "111", "id": id, "name": name},
			"issued_on": "2024-01-02", "valid_from": "2024-01-02",
			"fields": map[string]any{"address": "上海市浦东新区世纪大道100号"},
		}).want(t, 201)
		lic := res.json(t)
		docs = append(docs, res.body)
		secrets = append(secrets, id, name, lic["id"].(string), "世纪大道", fmt.Sprintf("JZZ%04d", i))
	}
	licID := func(i int) string {
		var s string
		fmt.Sscanf(strings.SplitN(string(docs[i]), `"id":"`, 2)[1], "%s", &s)
		return strings.SplitN(s, `"`, 2)[0]
	}
	const gets = 3
	for i := range gets {
		issuer.do("GET", "/v1/licenses/"+licID(i), nil).want(t, 200)
	}
	const verifies = 5
	for i := range verifies {
		anon.do("POST", "/v1/verify", docs[i%issues]).want(t, 200)
	}
	issuer.do("POST", "/v1/licenses/"+licID(0)+"/revoke", map[string]any{"reason": "测试注销"}).want(t, 200)
	const misses = 4
	for i := range misses {
		anon.do("GET", fmt.Sprintf("/no/such/%s/%d", secrets[0], i), nil).want(t, 404)
	}
	issuer.do("GET", "/v1/licenses?holder_id="+secrets[0], nil).want(t, 200)

	// What the backup scheduler reports (package metrics' API for it).
	m.Metrics.Backup(true, time.Now())
	m.Metrics.SetBackupInterval(time.Hour)

	anon.do("GET", "/metrics", nil).want(t, 401)
	issuer.do("GET", "/metrics", nil).want(t, 403)
	res := admin.do("GET", "/metrics", nil).want(t, 200)
	body := res.body

	fams := parseMetrics(t, body)
	checks := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"zhengzhao_http_requests_total", map[string]string{"method": "POST", "route": "/v1/licenses", "code": "2xx"}, issues},
		{"zhengzhao_http_requests_total", map[string]string{"method": "GET", "route": "/v1/licenses/{id}", "code": "2xx"}, gets},
		{"zhengzhao_http_requests_total", map[string]string{"method": "POST", "route": "/v1/verify", "code": "2xx"}, verifies},
		{"zhengzhao_http_requests_total", map[string]string{"method": "GET", "route": "unmatched", "code": "4xx"}, misses},
		{"zhengzhao_http_requests_total", map[string]string{"method": "GET", "route": "/metrics", "code": "4xx"}, 2},
		{"zhengzhao_http_request_duration_seconds", map[string]string{"method": "POST", "route": "/v1/licenses", "code": "2xx"}, issues},
		{"zhengzhao_license_events_total", map[string]string{"event": "issued", "type": personTypeCode, "unit": issuerCode}, issues},
		{"zhengzhao_license_events_total", map[string]string{"event": "revoked", "type": personTypeCode, "unit": issuerCode}, 1},
		{"zhengzhao_license_uses_total", map[string]string{"kind": "read", "type": personTypeCode, "unit": issuerCode}, gets},
		{"zhengzhao_license_verifications_total", map[string]string{"type": personTypeCode, "unit": issuerCode, "status": "valid"}, verifies},
	}
	for _, c := range checks {
		if got := metricValue(t, fams, c.name, c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	// The group committer reported its batches: at least one per write
	// request, and the audit log's gauges are there.
	if n := metricValue(t, fams, "zhengzhao_groupcommit_batch_calls", nil); n < issues {
		t.Errorf("group-commit batches observed: %v calls, want >= %d", n, issues)
	}
	for _, name := range []string{
		"zhengzhao_audit_entries", "zhengzhao_audit_integrated_entries", "zhengzhao_audit_integration_lag_seconds",
		"zhengzhao_audit_checkpoint_timestamp_seconds", "zhengzhao_db_pool_connections", "zhengzhao_backup_interval_seconds",
		"go_goroutines", "process_resident_memory_bytes", "zhengzhao_build_info",
	} {
		if fams[name] == nil {
			t.Errorf("metric %s missing", name)
		}
	}
	if got := metricValue(t, fams, "zhengzhao_audit_read_success", nil); got != 1 {
		t.Errorf("zhengzhao_audit_read_success = %v, want 1", got)
	}

	for _, s := range secrets {
		if bytes.Contains(body, []byte(s)) {
			t.Errorf("the metrics contain personal or license data %q", s)
		}
	}
	if bytes.Contains(body, []byte("/no/such")) {
		t.Error("the metrics contain a raw request path")
	}
	promtoolCheckMetrics(t, body)
	checkReferencedMetrics(t, fams, "../../deploy/prometheus/alerts.yml", "../../deploy/grafana/zhengzhao.json")
}

// metricName matches the metric names of the server's families in PromQL
// text (recording-rule-free: every name is an exported one).
var metricName = regexp.MustCompile(`\b(?:zhengzhao|go|process)_[a-z0-9_]+\b`)

// checkReferencedMetrics fails for every metric the alert rules or the
// dashboard name that the server does not export.
func checkReferencedMetrics(t *testing.T, fams map[string]*dto.MetricFamily, files ...string) {
	t.Helper()
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		names := metricName.FindAllString(string(b), -1)
		if len(names) == 0 {
			t.Errorf("%s names no metric", f)
		}
		for _, n := range names {
			if fams[n] != nil {
				continue
			}
			base := n
			for _, suffix := range []string{"_bucket", "_sum", "_count"} {
				base = strings.TrimSuffix(base, suffix)
			}
			if fam := fams[base]; fam == nil || fam.GetType() != dto.MetricType_HISTOGRAM {
				t.Errorf("%s names %s, which the server does not export", f, n)
			}
		}
	}
}

// TestMetricsAddr serves the metrics on their own listener: no token
// there, and the main listener's /metrics says where they are.
func TestMetricsAddr(t *testing.T) {
	t.Setenv("ZHENGZHAO_ADMIN_TOKEN", testAdminToken)
	m := NewMain()
	m.Config.DataDir = t.TempDir()
	m.Config.Addr = "127.0.0.1:0"
	m.Config.MetricsAddr = "127.0.0.1:0"
	m.Stdout = io.Discard
	m.Logger = newLogger("text", io.Discard)
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	client{t, m.URL, testAdminToken}.do("GET", "/metrics", nil).want(t, 404)
	res, err := nethttp.Get(m.MetricsURL)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", m.MetricsURL, res.StatusCode, b)
	}
	fams := parseMetrics(t, b)
	if got := metricValue(t, fams, "zhengzhao_http_requests_total", map[string]string{"method": "GET", "route": "/metrics", "code": "4xx"}); got != 1 {
		t.Errorf("requests to the main /metrics counted %v, want 1", got)
	}
	promtoolCheckMetrics(t, b)
}

func parseMetrics(t *testing.T, body []byte) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("the metrics do not parse as Prometheus text: %v", err)
	}
	return fams
}

// metricValue returns the value of the series of family name whose labels
// include want (summed over the series that match): a counter's or
// gauge's value, a histogram's sample count.
func metricValue(t *testing.T, fams map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	t.Helper()
	f := fams[name]
	if f == nil {
		t.Errorf("metric %s missing", name)
		return 0
	}
	var sum float64
next:
	for _, m := range f.Metric {
		have := map[string]string{}
		for _, l := range m.Label {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if have[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			sum += m.Counter.GetValue()
		case m.Gauge != nil:
			sum += m.Gauge.GetValue()
		case m.Histogram != nil:
			sum += float64(m.Histogram.GetSampleCount())
		}
	}
	return sum
}

// promtoolCheckMetrics lints the metrics with Prometheus's own promtool
// (Debian package prometheus). It skips when promtool is not installed,
// except in CI.
func promtoolCheckMetrics(t *testing.T, body []byte) {
	t.Helper()
	path := promtool(t)
	cmd := exec.Command(path, "check", "metrics")
	cmd.Stdin = bytes.NewReader(body)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

func promtool(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("promtool not found (apt-get install prometheus)")
		}
		t.Skip("promtool not found (apt-get install prometheus)")
	}
	return path
}

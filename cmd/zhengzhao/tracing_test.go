package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	nethttp "net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// otlpReceiver is an OTLP/HTTP trace receiver: it decodes the protobuf
// ExportTraceServiceRequest the exporter posts to /v1/traces, as a
// collector does, and keeps the spans.
type otlpReceiver struct {
	mu    sync.Mutex
	spans []*tracepb.Span
}

func (rc *otlpReceiver) ServeHTTP(w nethttp.ResponseWriter, r *nethttp.Request) {
	if r.Method != "POST" || r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" {
		nethttp.Error(w, "want POST /v1/traces application/x-protobuf", 400)
		return
	}
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			nethttp.Error(w, err.Error(), 400)
			return
		}
		body = zr
	}
	b, err := io.ReadAll(body)
	if err != nil {
		nethttp.Error(w, err.Error(), 400)
		return
	}
	var req coltrace.ExportTraceServiceRequest
	if err := proto.Unmarshal(b, &req); err != nil {
		nethttp.Error(w, err.Error(), 400)
		return
	}
	rc.mu.Lock()
	for _, rs := range req.ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			rc.spans = append(rc.spans, ss.Spans...)
		}
	}
	rc.mu.Unlock()
	out, _ := proto.Marshal(&coltrace.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.Write(out)
}

// syncBuffer is a log destination safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestTracing exports the spans of a real server to a real OTLP/HTTP
// receiver and finds the issue request's server span, named after its
// route, with the trace ID that the request's log line carries; on
// PostgreSQL the request's queries are spans of the same trace.
func TestTracing(t *testing.T) { forEachStore(t, testTracing) }

func testTracing(t *testing.T, db string) {
	rc := &otlpReceiver{}
	collector := httptest.NewServer(rc)
	defer collector.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.URL)
	t.Setenv("OTEL_BSP_SCHEDULE_DELAY", "50")
	t.Setenv("ZHENGZHAO_ADMIN_TOKEN", testAdminToken)

	logs := &syncBuffer{}
	m := NewMain()
	m.Config.DB = db
	m.Config.DataDir = t.TempDir()
	m.Config.Addr = "127.0.0.1:0"
	m.Stdout = io.Discard
	m.Logger = newLogger("json", logs)
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	_, issuer, _ := setup(t, m)
	const requestID = "trace-test-issue-1"
	issuer.do("POST", "/v1/licenses", issueBody(), "X-Request-ID", requestID).want(t, 201)
	if err := m.Close(); err != nil { // flushes the spans
		t.Fatal(err)
	}

	var traceID string
	sc := bufio.NewScanner(strings.NewReader(logs.String()))
	for sc.Scan() {
		var line map[string]any
		if json.Unmarshal(sc.Bytes(), &line) == nil && line["msg"] == "request" && line["request_id"] == requestID {
			traceID, _ = line["trace_id"].(string)
		}
	}
	if len(traceID) != 32 {
		t.Fatalf("the issue request's log line has trace_id %q; logs:\n%s", traceID, logs.String())
	}

	rc.mu.Lock()
	defer rc.mu.Unlock()
	var server *tracepb.Span
	var inTrace []string
	for _, s := range rc.spans {
		if hex.EncodeToString(s.TraceId) != traceID {
			continue
		}
		inTrace = append(inTrace, s.Name)
		for _, a := range s.Attributes {
			v := a.Value.GetStringValue()
			if strings.Contains(v, "上海示例科技有限公司") || strings.Contains(v, "91350100M000100Y43") || strings.Contains(v, "张三") {
				t.Errorf("span %s attribute %s carries holder data: %q", s.Name, a.Key, v)
			}
		}
		if s.Kind == tracepb.Span_SPAN_KIND_SERVER && s.Name == "POST /v1/licenses" {
			server = s
		}
	}
	if server == nil {
		t.Fatalf("no server span POST /v1/licenses in trace %s among %d spans received (in trace: %v)", traceID, len(rc.spans), inTrace)
	}
	for _, a := range server.Attributes {
		if a.Key == "http.route" && a.Value.GetStringValue() != "/v1/licenses" {
			t.Errorf("http.route = %v", a.Value)
		}
	}
	if db != "" && len(inTrace) < 2 {
		t.Errorf("PostgreSQL: no query spans in the issue request's trace (spans: %v)", inTrace)
	}
	t.Logf("trace %s: %d spans: %v", traceID, len(inTrace), inTrace)
}

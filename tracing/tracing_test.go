package tracing_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	nethttp "net/http"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/zhengzhao-project/zhengzhao/tracing"
)

// TestOffByDefault checks that without OTEL_EXPORTER_OTLP_ENDPOINT nothing
// is traced: no exporter, no pgx tracer, the handler unwrapped.
func TestOffByDefault(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "")
	tr, err := tracing.New(context.Background(), "test")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := tr.Exporting(); ok {
		t.Error("exporting without an endpoint")
	}
	if tr.PgxTracer() != nil {
		t.Error("a pgx tracer without an endpoint")
	}
	h := nethttp.NotFoundHandler()
	if got := tr.Middleware(h, func(*nethttp.Request) string { return "" }); got == nil {
		t.Error("nil handler")
	}
	if err := tr.Shutdown(context.Background()); err != nil {
		t.Error(err)
	}
}

// TestLogHandler checks that a record logged in a span's context carries
// its trace and span IDs, and one logged outside a span carries none.
func TestLogHandler(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(tracing.LogHandler(slog.NewJSONHandler(&buf, nil))).With("component", "test")
	tp := sdktrace.NewTracerProvider()
	defer tp.Shutdown(context.Background())
	ctx, span := tp.Tracer("test").Start(context.Background(), "op")
	log.InfoContext(ctx, "inside")
	span.End()
	log.InfoContext(context.Background(), "outside")

	lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n"))
	if len(lines) != 2 {
		t.Fatalf("%d lines: %s", len(lines), buf.Bytes())
	}
	var in, out map[string]any
	if err := json.Unmarshal(lines[0], &in); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(lines[1], &out); err != nil {
		t.Fatal(err)
	}
	sc := span.SpanContext()
	if in["trace_id"] != sc.TraceID().String() || in["span_id"] != sc.SpanID().String() || in["component"] != "test" {
		t.Errorf("inside the span: %v, want trace_id %s span_id %s", in, sc.TraceID(), sc.SpanID())
	}
	if _, ok := out["trace_id"]; ok {
		t.Errorf("outside a span: %v carries a trace_id", out)
	}
}

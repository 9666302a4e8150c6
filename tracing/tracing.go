// Package tracing sets up OpenTelemetry tracing: spans for HTTP requests
// (otelhttp) and PostgreSQL queries (otelpgx), exported over OTLP/HTTP
// only when the standard OTEL_EXPORTER_OTLP_ENDPOINT (or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) environment variable is set, and a
// log handler that writes the trace ID into every log line written in a
// traced request.
//
// Span names and attributes follow OpenTelemetry's HTTP conventions with
// the route pattern, never the raw path; query spans carry the SQL text
// with its placeholders, never the arguments (which hold personal data).
package tracing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	nethttp "net/http"
	"os"

	"github.com/exaring/otelpgx"
	"github.com/jackc/pgx/v5"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// Tracing holds the tracer provider of one server.
type Tracing struct {
	tp       trace.TracerProvider
	sdk      *sdktrace.TracerProvider // nil when export is off
	prop     propagation.TextMapPropagator
	endpoint string
}

// Enabled reports whether the environment asks for OTLP export.
func Enabled() bool {
	return os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
}

// New returns the server's tracing. When OTEL_EXPORTER_OTLP_ENDPOINT (or
// the traces-only variable) is set, spans are batched and sent over
// OTLP/HTTP there, configured by the standard OTEL_* variables
// (OTEL_EXPORTER_OTLP_HEADERS, OTEL_SERVICE_NAME, OTEL_TRACES_SAMPLER,
// OTEL_BSP_SCHEDULE_DELAY …); otherwise tracing is a no-op that costs
// nothing. The service is named "zhengzhao" unless OTEL_SERVICE_NAME says
// otherwise.
func New(ctx context.Context, version string) (*Tracing, error) {
	t := &Tracing{
		tp:   noop.NewTracerProvider(),
		prop: propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}),
	}
	if !Enabled() {
		return t, nil
	}
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("tracing: OTLP exporter: %w", err)
	}
	res, err := resource.New(ctx,
		resource.WithAttributes(attribute.String("service.name", "zhengzhao"), attribute.String("service.version", version)),
		resource.WithFromEnv(), // OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES win
		resource.WithTelemetrySDK(),
		resource.WithHost(),
	)
	if err != nil && !errors.Is(err, resource.ErrPartialResource) {
		return nil, fmt.Errorf("tracing: resource: %w", err)
	}
	t.sdk = sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	t.tp = t.sdk
	t.endpoint = os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
	if t.endpoint == "" {
		t.endpoint = os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT")
	}
	return t, nil
}

// Exporting reports whether spans are exported, and where to.
func (t *Tracing) Exporting() (endpoint string, ok bool) { return t.endpoint, t.sdk != nil }

// TracerProvider returns the provider spans are made with.
func (t *Tracing) TracerProvider() trace.TracerProvider { return t.tp }

// Shutdown sends the spans still buffered and stops the exporter.
func (t *Tracing) Shutdown(ctx context.Context) error {
	if t.sdk == nil {
		return nil
	}
	return t.sdk.Shutdown(ctx)
}

// Middleware starts a server span for every request, named after its
// route pattern ("POST /v1/licenses"), continuing a trace the client
// sent in a W3C traceparent header. Its signature is http.Instrument.
func (t *Tracing) Middleware(next nethttp.Handler, route func(*nethttp.Request) string) nethttp.Handler {
	if t.sdk == nil {
		return next
	}
	return otelhttp.NewHandler(next, "http.server",
		otelhttp.WithTracerProvider(t.tp),
		otelhttp.WithPropagators(t.prop),
		otelhttp.WithSpanNameFormatter(func(_ string, r *nethttp.Request) string {
			if p := route(r); p != "" {
				return p
			}
			return r.Method + " unmatched"
		}),
	)
}

// PgxTracer returns a pgx query tracer making a span for every query,
// connection and batch, or nil when export is off (so that pgx skips
// tracing altogether). Arguments are never recorded.
func (t *Tracing) PgxTracer() pgx.QueryTracer {
	if t.sdk == nil {
		return nil
	}
	return otelpgx.NewTracer(otelpgx.WithTracerProvider(t.tp))
}

// LogHandler returns h writing the trace_id and span_id of the context's
// span into every record logged in a traced request, so that a log line
// leads to its trace and back.
func LogHandler(h slog.Handler) slog.Handler { return logHandler{h} }

type logHandler struct{ slog.Handler }

func (h logHandler) Handle(ctx context.Context, r slog.Record) error {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		r = r.Clone()
		r.AddAttrs(slog.String("trace_id", sc.TraceID().String()), slog.String("span_id", sc.SpanID().String()))
	}
	return h.Handler.Handle(ctx, r)
}

func (h logHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return logHandler{h.Handler.WithAttrs(as)}
}
func (h logHandler) WithGroup(name string) slog.Handler { return logHandler{h.Handler.WithGroup(name)} }

package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	nethttp "net/http"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
	zzhttp "github.com/zhengzhao-project/zhengzhao/http"
	"github.com/zhengzhao-project/zhengzhao/metrics"
	"github.com/zhengzhao-project/zhengzhao/tracing"
)

// observability is the server's metrics and tracing (package metrics,
// package tracing), set up by Run.
type observability struct {
	tracing       *tracing.Tracing
	metricsServer *nethttp.Server // on --metrics-addr; nil when on the main listener
}

// startTracing sets up OTLP export when OTEL_EXPORTER_OTLP_ENDPOINT is set
// and makes the logger write the trace ID of traced requests.
func (m *Main) startTracing(ctx context.Context) error {
	t, err := tracing.New(ctx, version)
	if err != nil {
		return err
	}
	m.obs.tracing = t
	m.Logger = slog.New(tracing.LogHandler(m.Logger.Handler()))
	if endpoint, ok := t.Exporting(); ok {
		m.Logger.Info("tracing", "otlp_endpoint", endpoint)
	}
	return nil
}

// startMetrics creates the metrics of the store and returns what the HTTP
// server needs: the instrumentation of every request and, unless
// --metrics-addr serves them on their own listener, the handler of GET
// /metrics for the administrator.
func (m *Main) startMetrics(store zhengzhao.Store, c Config) (zzhttp.Instrument, nethttp.Handler, error) {
	m.Metrics = metrics.New(metrics.Config{
		Store: store, CheckpointInterval: c.CheckpointInterval, Version: version, Logger: m.Logger,
	})
	mt, tr := m.Metrics, m.obs.tracing
	instrument := func(next nethttp.Handler, route func(*nethttp.Request) string) nethttp.Handler {
		return mt.Middleware(tr.Middleware(next, route), route)
	}
	if c.MetricsAddr == "" {
		return instrument, m.Metrics.Handler(), nil
	}
	ln, err := net.Listen("tcp", c.MetricsAddr)
	if err != nil {
		return nil, nil, fmt.Errorf("--metrics-addr: listen on %s: %w", c.MetricsAddr, err)
	}
	mux := nethttp.NewServeMux()
	mux.Handle("GET /metrics", m.Metrics.Handler())
	m.obs.metricsServer = &nethttp.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go m.obs.metricsServer.Serve(ln)
	m.MetricsURL = "http://" + displayAddr(ln.Addr()) + "/metrics"
	m.Logger.Info("metrics", "url", m.MetricsURL)
	return instrument, nil, nil
}

// closeObservability stops the metrics listener and sends the spans still
// buffered.
func (m *Main) closeObservability() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var errs []error
	if m.obs.metricsServer != nil {
		errs = append(errs, m.obs.metricsServer.Shutdown(ctx))
		m.obs.metricsServer = nil
	}
	if m.obs.tracing != nil {
		errs = append(errs, m.obs.tracing.Shutdown(ctx))
		m.obs.tracing = nil
	}
	return errors.Join(errs...)
}

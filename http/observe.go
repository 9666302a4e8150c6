package http

import (
	nethttp "net/http"

	"github.com/zhengzhao-project/zhengzhao"
)

// Instrument wraps the server's whole handler (outside the request ID and
// request log, so that a trace span started there is in the context the
// log line is written with). route returns the ServeMux pattern a request
// matches ("GET /v1/licenses/{id}"), or "" when none: metrics and span
// names use the pattern, never the raw path.
type Instrument func(next nethttp.Handler, route func(*nethttp.Request) string) nethttp.Handler

// instrument applies the configured Instrument around h.
func (s *Server) instrument(h nethttp.Handler, mux *nethttp.ServeMux) nethttp.Handler {
	if s.instrumentFn == nil {
		return h
	}
	route := func(r *nethttp.Request) string {
		_, pattern := mux.Handler(r)
		return pattern
	}
	return s.instrumentFn(h, route)
}

// metricsRoutes serves the Prometheus metrics to the administrator when
// Config.Metrics is set.
func (s *Server) metricsRoutes() []route {
	return []route{
		{method: "GET", path: "/metrics", auth: true, handler: s.handleMetrics},
	}
}

func (s *Server) handleMetrics(w nethttp.ResponseWriter, r *nethttp.Request) {
	if zhengzhao.ActorFromContext(r.Context()).Kind != zhengzhao.ActorAdmin {
		s.error(w, r, zhengzhao.Errorf(zhengzhao.EFORBIDDEN, "metrics are for the administrator"))
		return
	}
	if s.metrics == nil {
		s.error(w, r, zhengzhao.Errorf(zhengzhao.ENOTFOUND, "metrics are not served on this listener (see --metrics-addr)"))
		return
	}
	s.metrics.ServeHTTP(w, r)
}

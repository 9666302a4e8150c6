package metrics

import (
	nethttp "net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Unmatched is the route label of requests that match no route pattern
// (404 and 405 answers), so that scanners' random paths add no series.
const Unmatched = "unmatched"

// Middleware counts and times every request by method, route pattern and
// status class. route returns the ServeMux pattern a request matches
// ("GET /v1/licenses/{id}"), "" when none; the raw path is never a label,
// since it holds license IDs and, on some pages, query data.
func (m *Metrics) Middleware(next nethttp.Handler, route func(*nethttp.Request) string) nethttp.Handler {
	return nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		start := time.Now()
		// The pattern is found before the request runs: inner layers
		// replace the request (WithContext), so r.Pattern stays empty here.
		path := routePath(route(r))
		method := methodLabel(r.Method)
		m.inFlight.Inc()
		defer m.inFlight.Dec()
		sw := &statusWriter{ResponseWriter: w}
		completed := false
		defer func() {
			status := sw.status
			switch {
			case !completed:
				// The handler panicked past recovery (http.ErrAbortHandler):
				// the connection is aborted, count a server error. The
				// panic goes on after this function.
				status = nethttp.StatusInternalServerError
			case status == 0:
				status = nethttp.StatusOK // nothing written: net/http sends 200
			}
			s := m.series(method, path, statusClass(status))
			s.count.Inc()
			s.duration.Observe(time.Since(start).Seconds())
		}()
		next.ServeHTTP(sw, r)
		completed = true
	})
}

// requestSeries are the two series of one label set.
type requestSeries struct {
	count    prometheus.Counter
	duration prometheus.Observer
}

type seriesKey struct{ method, route, code string }

// series returns the request series of a label set, cached: looking them
// up in the vectors hashes the labels on every request.
func (m *Metrics) series(method, route, code string) *requestSeries {
	k := seriesKey{method, route, code}
	if s, ok := m.reqSeries.Load(k); ok {
		return s.(*requestSeries)
	}
	s := &requestSeries{m.requests.WithLabelValues(method, route, code), m.duration.WithLabelValues(method, route, code)}
	actual, _ := m.reqSeries.LoadOrStore(k, s)
	return actual.(*requestSeries)
}

// routePath drops the method from a pattern: the method is its own label.
func routePath(pattern string) string {
	if pattern == "" {
		return Unmatched
	}
	if _, p, ok := strings.Cut(pattern, " "); ok {
		return p
	}
	return pattern
}

// methodLabel keeps the standard methods and folds any other into one
// value: the method is client input.
func methodLabel(m string) string {
	switch m {
	case "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS":
		return m
	}
	return "other"
}

func statusClass(status int) string {
	if status < 100 || status > 599 {
		return "other"
	}
	return strconv.Itoa(status/100) + "xx"
}

// statusWriter records the first status written.
type statusWriter struct {
	nethttp.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 && status >= 200 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = nethttp.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() nethttp.ResponseWriter { return w.ResponseWriter }

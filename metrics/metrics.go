// Package metrics exposes the library's Prometheus metrics: HTTP requests
// per route pattern, license events per type and unit, group-commit
// batches, the audit log's size, integration lag and checkpoint age, the
// database pools, the last backup, and the Go and process collectors.
//
// Every metric lives in a private registry (never the global default), so
// that two servers in one process (tests) do not share counters. Labels
// carry codes only — route patterns, status classes, license type codes,
// unit codes, actions — never a raw path, a holder's ID or a name
// (Measures art. 27; docs/operations.md lists every metric).
package metrics

import (
	"log/slog"
	nethttp "net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/zhengzhao-project/zhengzhao"
)

// namespace prefixes every metric of the library.
const namespace = "zhengzhao"

// Config configures Metrics. Only Store is needed for the audit, license
// and database metrics; without it only HTTP, backup and runtime metrics
// are exported.
type Config struct {
	// Store is read at each scrape for the audit log's state and new
	// entries; its optional interfaces zhengzhao.PoolStatser and
	// zhengzhao.CommitObserver add pool and group-commit metrics.
	Store zhengzhao.Store
	// CheckpointInterval is how often the server signs a checkpoint; it is
	// exported so that alerts can compare the checkpoint's age with it.
	CheckpointInterval time.Duration
	// Version is exported as zhengzhao_build_info{version}.
	Version string
	// Logger receives collection errors; nil discards them.
	Logger *slog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Metrics holds the library's collectors. Its methods are safe for
// concurrent use.
type Metrics struct {
	reg *prometheus.Registry
	log *slog.Logger
	now func() time.Time

	requests  *prometheus.CounterVec
	duration  *prometheus.HistogramVec
	inFlight  prometheus.Gauge
	reqSeries sync.Map // seriesKey → *requestSeries (http.go)

	verifications *prometheus.CounterVec

	batchCalls    prometheus.Histogram
	batchWait     prometheus.Histogram
	batchDuration prometheus.Histogram
	batches       *prometheus.CounterVec

	backupMu       sync.Mutex
	backupLast     *prometheus.GaugeVec // by result
	backupInterval prometheus.Gauge
	backups        *prometheus.CounterVec

	audit *auditCollector
}

// New returns the metrics of one server, registered in a new private
// registry.
func New(c Config) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), log: c.Logger, now: c.Now}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	if m.now == nil {
		m.now = time.Now
	}
	labels := []string{"method", "route", "code"}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: "http", Name: "requests_total",
		Help: "HTTP requests answered, by method, ServeMux route pattern and status class.",
	}, labels)
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: namespace, Subsystem: "http", Name: "request_duration_seconds",
		Help:    "Time from receiving a request to the end of its answer, by method, route pattern and status class.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, labels)
	m.inFlight = prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: namespace, Subsystem: "http", Name: "requests_in_flight",
		Help: "HTTP requests being served now.",
	})
	m.verifications = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: "license", Name: "verifications_total",
		Help: "License documents verified by this server, by license type code, issuing unit code and resulting status (type and unit are \"unknown\" unless the signature is valid and the issuer trusted).",
	}, []string{"type", "unit", "status"})

	m.batchCalls = prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: namespace, Subsystem: "groupcommit", Name: "batch_calls",
		Help:    "Write calls committed together in one group-commit transaction.",
		Buckets: prometheus.ExponentialBuckets(1, 2, 10), // 1 … 512
	})
	m.batchWait = prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: namespace, Subsystem: "groupcommit", Name: "wait_seconds",
		Help:    "How long the oldest call of a group-commit transaction waited in the queue before it began.",
		Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1},
	})
	m.batchDuration = prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: namespace, Subsystem: "groupcommit", Name: "duration_seconds",
		Help:    "Time from begin to commit of a group-commit transaction (the durable flush included).",
		Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1},
	})
	m.batches = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: "groupcommit", Name: "batches_total",
		Help: "Group-commit transactions, by result (committed, failed).",
	}, []string{"result"})

	m.backupLast = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: namespace, Subsystem: "backup", Name: "last_timestamp_seconds",
		Help: "Unix time of the last backup that succeeded (result=\"success\") and of the last that failed (result=\"failure\").",
	}, []string{"result"})
	m.backupInterval = prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: namespace, Subsystem: "backup", Name: "interval_seconds",
		Help: "The configured time between scheduled backups (0: no schedule).",
	})
	m.backups = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: "backup", Name: "runs_total",
		Help: "Backups attempted by this process, by result (success, failure).",
	}, []string{"result"})
	for _, r := range []string{"committed", "failed"} {
		m.batches.WithLabelValues(r)
	}
	for _, r := range []string{"success", "failure"} {
		m.backups.WithLabelValues(r)
	}

	build := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: namespace, Name: "build_info",
		Help: "Always 1; the version label names the running build.",
	}, []string{"version"})
	version := c.Version
	if version == "" {
		version = "dev"
	}
	build.WithLabelValues(version).Set(1)

	m.reg.MustRegister(
		m.requests, m.duration, m.inFlight, m.verifications,
		m.batchCalls, m.batchWait, m.batchDuration, m.batches,
		m.backupLast, m.backupInterval, m.backups, build,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	if c.Store != nil {
		m.audit = newAuditCollector(c.Store, c.CheckpointInterval, m.log, m.now)
		m.reg.MustRegister(m.audit)
		if p, ok := c.Store.(zhengzhao.PoolStatser); ok {
			m.reg.MustRegister(newPoolCollector(p))
		}
		if o, ok := c.Store.(zhengzhao.CommitObserver); ok {
			o.ObserveCommits(m.observeBatch)
		}
	}
	return m
}

// Registry returns the private registry, for tests and for adding
// collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus text format (or
// OpenMetrics when the scraper asks for it). A collector that fails (the
// database is down) is logged and left out; the rest is still served.
func (m *Metrics) Handler() nethttp.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorLog:      slog.NewLogLogger(m.log.Handler(), slog.LevelWarn),
		ErrorHandling: promhttp.ContinueOnError,
		Registry:      m.reg, // promhttp_metric_handler_errors_total
	})
}

func (m *Metrics) observeBatch(b zhengzhao.CommitBatch) {
	m.batchCalls.Observe(float64(b.Calls))
	m.batchWait.Observe(b.Wait.Seconds())
	m.batchDuration.Observe(b.Duration.Seconds())
	if b.Committed {
		m.batches.WithLabelValues("committed").Inc()
	} else {
		m.batches.WithLabelValues("failed").Inc()
	}
}

// Backup records a backup's outcome: ok and when it finished. The backup
// scheduler calls it after every run; the alert "backup too old" compares
// the last success with twice the interval (SetBackupInterval).
func (m *Metrics) Backup(ok bool, at time.Time) {
	m.backupMu.Lock()
	defer m.backupMu.Unlock()
	result := "failure"
	if ok {
		result = "success"
	}
	m.backupLast.WithLabelValues(result).Set(float64(at.UnixNano()) / 1e9)
	m.backups.WithLabelValues(result).Inc()
}

// SetBackupInterval records the backup schedule's interval (0: none).
func (m *Metrics) SetBackupInterval(d time.Duration) { m.backupInterval.Set(d.Seconds()) }

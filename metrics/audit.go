package metrics

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/zhengzhao-project/zhengzhao"
)

const (
	// tailPage is how many audit entries one read transaction counts.
	tailPage = 2000
	// tailMax bounds the entries one scrape counts, so that a scrape after
	// a bulk import stays short; the rest is counted by the next ones.
	tailMax = 100_000
	// readTimeout bounds a scrape's database reads.
	readTimeout = 5 * time.Second
)

// licenseEvents maps audit actions to the event label of
// zhengzhao_license_events_total.
var licenseEvents = map[string]string{
	zhengzhao.ActionLicenseIssue:  "issued",
	zhengzhao.ActionLicenseImport: "imported",
	zhengzhao.ActionLicenseUpdate: "updated",
	zhengzhao.ActionLicenseRevoke: "revoked",
}

// licenseUses maps audit actions to the kind label of
// zhengzhao_license_uses_total: the uses of a license the supervision
// statistics count (a unit's read, a using unit's fetch for a case, a
// social unit's fetch under a holder's grant).
var licenseUses = map[string]string{
	zhengzhao.ActionLicenseRead: "read",
	zhengzhao.ActionUseFetch:    "fetch",
	zhengzhao.ActionGrantUse:    "grant",
}

// auditCollector reads the audit log at each scrape: its size, the
// integrated tree, the latest checkpoint, and the entries appended since
// the last scrape, which it counts as license events and uses. Counting
// from the log covers every path that changes a license (API, daily
// increments, bulk import, other servers on the same database) in one
// place; the counters start at the log's size when the server starts.
type auditCollector struct {
	store    zhengzhao.Store
	interval time.Duration
	log      *slog.Logger
	now      func() time.Time

	mu     sync.Mutex // serialises scrapes: next and the counters
	next   int64      // index of the first entry not counted yet; -1 before the first read
	events *prometheus.CounterVec
	uses   *prometheus.CounterVec

	size, integrated, lagEntries, lagSeconds, cpSize, cpTime, cpInterval, up *prometheus.Desc
}

func newAuditCollector(s zhengzhao.Store, interval time.Duration, log *slog.Logger, now func() time.Time) *auditCollector {
	d := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc(prometheus.BuildFQName(namespace, "audit", name), help, nil, nil)
	}
	c := &auditCollector{
		store: s, interval: interval, log: log, now: now, next: -1,
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "license", Name: "events_total",
			Help: "License changes written to the audit log since this server started, by event (issued, imported, updated, revoked), license type code and issuing unit code.",
		}, []string{"event", "type", "unit"}),
		uses: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "license", Name: "uses_total",
			Help: "Uses of licenses written to the audit log since this server started, by kind (read, fetch, grant), license type code and the using unit's code (or the actor kind when no unit used it).",
		}, []string{"kind", "type", "unit"}),
		size:       d("entries", "Entries in the audit log."),
		integrated: d("integrated_entries", "Entries integrated into the audit log's Merkle tree."),
		lagEntries: d("integration_lag_entries", "Entries appended but not yet integrated into the Merkle tree."),
		lagSeconds: d("integration_lag_seconds", "Age of the oldest entry not yet integrated into the Merkle tree (0 when all are)."),
		cpSize:     d("checkpoint_entries", "Tree size of the latest signed checkpoint (0: none yet)."),
		cpTime:     d("checkpoint_timestamp_seconds", "Unix time the latest checkpoint was signed (0: none yet)."),
		cpInterval: d("checkpoint_interval_seconds", "How often this server signs a checkpoint (--checkpoint-interval)."),
		up:         d("read_success", "1 when this scrape read the audit log from the database, 0 when it failed (the other audit metrics are then missing)."),
	}
	ctx, cancel := context.WithTimeout(context.Background(), readTimeout)
	defer cancel()
	_ = s.View(ctx, func(tx zhengzhao.ReadTx) (err error) {
		c.next, err = tx.AuditSize()
		return err
	})
	return c
}

func (c *auditCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.size, c.integrated, c.lagEntries, c.lagSeconds, c.cpSize, c.cpTime, c.cpInterval, c.up} {
		ch <- d
	}
	c.events.Describe(ch)
	c.uses.Describe(ch)
}

// auditState is what one scrape reads.
type auditState struct {
	size, integrated int64
	oldest           time.Time // of the first entry not integrated; zero when none
	cp               *zhengzhao.Checkpoint
}

func (c *auditCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), readTimeout)
	defer cancel()
	gauge := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v)
	}
	gauge(c.cpInterval, c.interval.Seconds())

	st, err := c.read(ctx)
	if err == nil {
		err = c.tail(ctx, st.size)
	}
	if err != nil {
		c.log.Warn("metrics: read the audit log", "err", err)
		gauge(c.up, 0)
	} else {
		gauge(c.up, 1)
		gauge(c.size, float64(st.size))
		gauge(c.integrated, float64(st.integrated))
		gauge(c.lagEntries, float64(st.size-st.integrated))
		lag := 0.0
		if !st.oldest.IsZero() {
			lag = max(0, c.now().Sub(st.oldest).Seconds())
		}
		gauge(c.lagSeconds, lag)
		var size, at float64
		if st.cp != nil {
			size, at = float64(st.cp.Size), float64(st.cp.Time.UnixNano())/1e9
		}
		gauge(c.cpSize, size)
		gauge(c.cpTime, at)
	}
	c.events.Collect(ch)
	c.uses.Collect(ch)
}

func (c *auditCollector) read(ctx context.Context) (st auditState, err error) {
	err = c.store.View(ctx, func(tx zhengzhao.ReadTx) error {
		st = auditState{}
		if st.size, err = tx.AuditSize(); err != nil {
			return err
		}
		head, err := tx.FindTreeHead()
		if err != nil {
			return err
		}
		st.integrated = head.Size
		if head.Size < st.size {
			es, err := tx.AuditEntries(head.Size, head.Size+1)
			if err != nil {
				return err
			}
			if len(es) > 0 {
				st.oldest = es[0].Time
			}
		}
		st.cp, err = tx.LatestCheckpoint()
		if zhengzhao.ErrorCode(err) == zhengzhao.ENOTFOUND {
			st.cp, err = nil, nil
		}
		return err
	})
	return st, err
}

// tail counts the entries from c.next up to size (at most tailMax).
func (c *auditCollector) tail(ctx context.Context, size int64) error {
	if c.next < 0 || c.next > size {
		// Not read at start, or the log shrank (a restore): count from here.
		c.next = size
		return nil
	}
	end := min(size, c.next+tailMax)
	for c.next < end {
		var es []*zhengzhao.AuditEntry
		err := c.store.View(ctx, func(tx zhengzhao.ReadTx) (err error) {
			es, err = tx.AuditEntries(c.next, min(end, c.next+tailPage))
			return err
		})
		if err != nil {
			return err
		}
		if len(es) == 0 {
			return nil
		}
		for _, e := range es {
			c.count(e)
		}
		c.next = es[len(es)-1].Index + 1
	}
	return nil
}

func (c *auditCollector) count(e *zhengzhao.AuditEntry) {
	if ev, ok := licenseEvents[e.Action]; ok {
		typ, unit := licenseCodes(e.License)
		c.events.WithLabelValues(ev, typ, unit).Inc()
		return
	}
	if kind, ok := licenseUses[e.Action]; ok {
		typ, _ := licenseCodes(e.License)
		c.uses.WithLabelValues(kind, typ, actorUnit(e.Actor)).Inc()
	}
}

// actorUnit returns the unit code of a unit actor ("unit:CODE") and only
// the kind of any other: a holder actor's ID is personal data.
func actorUnit(actor string) string {
	kind, rest, _ := strings.Cut(actor, ":")
	if kind == string(zhengzhao.ActorUnit) {
		return code(rest)
	}
	switch zhengzhao.ActorKind(kind) {
	case zhengzhao.ActorAdmin, zhengzhao.ActorHolder, zhengzhao.ActorSystem, zhengzhao.ActorAnonymous:
		return kind
	}
	return unknown
}

package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/zhengzhao-project/zhengzhao"
)

// poolCollector reads the store's connection pools at each scrape.
type poolCollector struct {
	store                         zhengzhao.PoolStatser
	max, conns, waits, waitSecond *prometheus.Desc
}

func newPoolCollector(s zhengzhao.PoolStatser) *poolCollector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(prometheus.BuildFQName(namespace, "db_pool", name), help, labels, nil)
	}
	return &poolCollector{
		store:      s,
		max:        d("max_connections", "Largest number of connections the pool opens (0: unlimited).", "pool"),
		conns:      d("connections", "Connections of the pool now, by state (in_use, idle).", "pool", "state"),
		waits:      d("waits_total", "Times a caller had to wait for a connection.", "pool"),
		waitSecond: d("wait_seconds_total", "Total time callers waited for a connection.", "pool"),
	}
}

func (c *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.max
	ch <- c.conns
	ch <- c.waits
	ch <- c.waitSecond
}

func (c *poolCollector) Collect(ch chan<- prometheus.Metric) {
	for _, p := range c.store.PoolStats() {
		ch <- prometheus.MustNewConstMetric(c.max, prometheus.GaugeValue, float64(p.MaxOpen), p.Pool)
		ch <- prometheus.MustNewConstMetric(c.conns, prometheus.GaugeValue, float64(p.InUse), p.Pool, "in_use")
		ch <- prometheus.MustNewConstMetric(c.conns, prometheus.GaugeValue, float64(p.Idle), p.Pool, "idle")
		ch <- prometheus.MustNewConstMetric(c.waits, prometheus.CounterValue, float64(p.WaitCount), p.Pool)
		ch <- prometheus.MustNewConstMetric(c.waitSecond, prometheus.CounterValue, p.WaitDuration.Seconds(), p.Pool)
	}
}

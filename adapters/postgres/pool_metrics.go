package postgres

import (
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/example/orders-service/observability"
)

// poolCollector reports the connection pool's statistics at scrape time: pgxpool keeps
// them in memory, so reading them costs nothing.
type poolCollector struct {
	pool *pgxpool.Pool

	conns, maxConns, acquires, emptyAcquires, canceledAcquires, waited, newConns *prometheus.Desc
}

// PoolMetrics is a collector of the pool's statistics.
func PoolMetrics(pool *pgxpool.Pool) prometheus.Collector {
	name := func(n string) string { return prometheus.BuildFQName(observability.Namespace, "db_pool", n) }
	return &poolCollector{
		pool:             pool,
		conns:            prometheus.NewDesc(name("connections"), "Connections of the pool by state: acquired (in use), idle, constructing.", []string{"state"}, nil),
		maxConns:         prometheus.NewDesc(name("max_connections"), "The most connections the pool opens (DATABASE_MAX_CONNS).", nil, nil),
		acquires:         prometheus.NewDesc(name("acquires_total"), "Connections acquired from the pool.", nil, nil),
		emptyAcquires:    prometheus.NewDesc(name("empty_acquires_total"), "Acquires that found no idle connection and waited for one.", nil, nil),
		canceledAcquires: prometheus.NewDesc(name("canceled_acquires_total"), "Acquires given up because their context ended.", nil, nil),
		waited:           prometheus.NewDesc(name("acquire_wait_seconds_total"), "Time acquires spent waiting for a connection, all together.", nil, nil),
		newConns:         prometheus.NewDesc(name("new_connections_total"), "Connections the pool opened.", nil, nil),
	}
}

func (c *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.conns, c.maxConns, c.acquires, c.emptyAcquires, c.canceledAcquires, c.waited, c.newConns} {
		ch <- d
	}
}

func (c *poolCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.pool.Stat()
	gauge, counter := prometheus.GaugeValue, prometheus.CounterValue
	ch <- prometheus.MustNewConstMetric(c.conns, gauge, float64(s.AcquiredConns()), "acquired")
	ch <- prometheus.MustNewConstMetric(c.conns, gauge, float64(s.IdleConns()), "idle")
	ch <- prometheus.MustNewConstMetric(c.conns, gauge, float64(s.ConstructingConns()), "constructing")
	ch <- prometheus.MustNewConstMetric(c.maxConns, gauge, float64(s.MaxConns()))
	ch <- prometheus.MustNewConstMetric(c.acquires, counter, float64(s.AcquireCount()))
	ch <- prometheus.MustNewConstMetric(c.emptyAcquires, counter, float64(s.EmptyAcquireCount()))
	ch <- prometheus.MustNewConstMetric(c.canceledAcquires, counter, float64(s.CanceledAcquireCount()))
	ch <- prometheus.MustNewConstMetric(c.waited, counter, s.EmptyAcquireWaitTime().Seconds())
	ch <- prometheus.MustNewConstMetric(c.newConns, counter, float64(s.NewConnsCount()))
}

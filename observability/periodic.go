package observability

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// ReadFunc reads the current samples of a Periodic collector.
type ReadFunc func(ctx context.Context) ([]prometheus.Metric, error)

// Periodic is a collector whose samples cost round trips to read (Kafka offsets, counts in
// the database): Run reads them on an interval and a scrape gets the last read, so neither
// the number of scrapers nor a slow dependency makes a scrape slow or loads the dependency.
// A failed read keeps the samples of the last one that succeeded; the refresh series say
// how old they are and how many reads failed.
type Periodic struct {
	source string
	descs  []*prometheus.Desc
	read   ReadFunc

	samples     atomic.Pointer[[]prometheus.Metric]
	lastSuccess atomic.Int64 // unix nanoseconds; 0 until a read succeeded
	refreshed   *prometheus.Desc
	failures    prometheus.Counter
}

// NewPeriodic is a collector of the samples read returns, which must be of the descs given.
// source names it in the refresh series; each Periodic of one registry needs its own.
func NewPeriodic(source string, descs []*prometheus.Desc, read ReadFunc) *Periodic {
	labels := prometheus.Labels{"source": source}
	return &Periodic{
		source: source,
		descs:  descs,
		read:   read,
		refreshed: prometheus.NewDesc(prometheus.BuildFQName(Namespace, "metrics", "refresh_timestamp_seconds"),
			"When the samples of this source were last read successfully (Unix time).", nil, labels),
		failures: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: Namespace, Subsystem: "metrics", Name: "refresh_failures_total",
			Help: "Reads of this source's samples that failed; the last samples read stay.", ConstLabels: labels,
		}),
	}
}

func (p *Periodic) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range p.descs {
		ch <- d
	}
	ch <- p.refreshed
	p.failures.Describe(ch)
}

func (p *Periodic) Collect(ch chan<- prometheus.Metric) {
	if samples := p.samples.Load(); samples != nil {
		for _, m := range *samples {
			ch <- m
		}
	}
	if at := p.lastSuccess.Load(); at != 0 {
		ch <- prometheus.MustNewConstMetric(p.refreshed, prometheus.GaugeValue, float64(at)/1e9)
	}
	p.failures.Collect(ch)
}

// Refresh reads the samples once; on failure the previous ones stay.
func (p *Periodic) Refresh(ctx context.Context) error {
	samples, err := p.read(ctx)
	if err != nil {
		p.failures.Inc()
		return fmt.Errorf("reading %s metrics: %w", p.source, err)
	}
	p.samples.Store(&samples)
	p.lastSuccess.Store(time.Now().UnixNano())
	return nil
}

// minReadTimeout bounds a read when the interval is shorter: a read that cannot finish
// within the interval still gets this long before it counts as failed.
const minReadTimeout = 5 * time.Second

// Run reads at once, then every interval, until ctx ends. It logs the first failure of a
// series and the read that ends it, not every failed read.
func (p *Periodic) Run(ctx context.Context, every time.Duration, logger *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	failing := false
	for {
		readCtx, cancel := context.WithTimeout(ctx, max(every, minReadTimeout))
		err := p.Refresh(readCtx)
		cancel()
		switch {
		case ctx.Err() != nil:
			return
		case err != nil && !failing:
			failing = true
			logger.Warn("metrics: cannot read samples; the last ones read stay until a read succeeds", "source", p.source, "err", err)
		case err == nil && failing:
			failing = false
			logger.Info("metrics: samples read again", "source", p.source)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

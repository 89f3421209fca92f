// Package observability holds what the service's metrics have in common, whatever they
// measure: the registry every part registers with, and collectors whose samples are read on
// an interval rather than at scrape time.
package observability

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Namespace prefixes the service's own series ("orders_http_requests_total"); Watermill's
// keep their own names under WatermillNamespace.
const (
	Namespace          = "orders"
	WatermillNamespace = "watermill"
)

// NewRegistry is a registry of one service's own, with the Go runtime and process
// collectors. The service never uses Prometheus' global registry: tests start several
// services in one process, and each must report only its own series.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return reg
}

// LatencyBuckets bound the latency histograms (seconds): from half a millisecond, which a
// handler or a publish to a local broker takes, to a minute, which a long poll may.
var LatencyBuckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}

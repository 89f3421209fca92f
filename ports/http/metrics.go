package http

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/example/orders-service/observability"
)

// unmatchedRoute labels requests for no route: their raw paths would make the label's
// values unbounded.
const unmatchedRoute = "unmatched"

// readinessTimeout bounds the checks behind /readyz and orders_ready alike.
const readinessTimeout = 2 * time.Second

// EnableMetrics serves reg's series at GET /metrics (Prometheus text format) and adds to
// reg: requests by route template, method and status, their latency, the long polls
// waiting, and the readiness of each dependency. Call it before serving. /metrics is no
// part of the API, like the profiler: openapi.yaml does not list it.
func (s *Server) EnableMetrics(reg *prometheus.Registry) error {
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: observability.Namespace, Subsystem: "http", Name: "requests_total",
		Help: "HTTP requests answered, by route template, method and status code.",
	}, []string{"route", "method", "code"})
	duration := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: observability.Namespace, Subsystem: "http", Name: "request_duration_seconds",
		Help:    "Time to answer an HTTP request, by route template and method; wait=true for those that held a granted Prefer: wait.",
		Buckets: observability.LatencyBuckets,
	}, []string{"route", "method", "wait"})
	waiting := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: observability.Namespace, Subsystem: "http", Name: "waiting_requests",
		Help: "Requests held by a Prefer: wait (long polls) right now.",
	}, func() float64 { return float64(s.waiting.Load()) })
	for _, c := range []prometheus.Collector{requests, duration, waiting, readinessCollector{s.checks}} {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("registering HTTP metrics: %w", err)
		}
	}
	// A pre-middleware wraps routing: unknown routes are counted too, and the time includes
	// every middleware.
	s.echo.Pre(measure(requests, duration))
	s.echo.GET("/metrics", echo.WrapHandler(promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorHandling: promhttp.ContinueOnError,
		Registry:      reg, // counts its own failures to gather
	})))
	return nil
}

func measure(requests *prometheus.CounterVec, duration *prometheus.HistogramVec) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			if err := next(c); err != nil {
				// Answered now rather than by Echo after this returns: the status is known
				// only once the error handler ran.
				c.Error(err)
			}
			route, method := routeLabel(c), methodLabel(c.Request().Method)
			requests.WithLabelValues(route, method, strconv.Itoa(c.Response().Status)).Inc()
			waited := strconv.FormatBool(c.Response().Header().Get(preferenceAppliedHeader) != "")
			duration.WithLabelValues(route, method, waited).Observe(time.Since(start).Seconds())
			return nil
		}
	}
}

// notFound is Echo's handler for a path no route matches.
var notFound = reflect.ValueOf(echo.NotFoundHandler).Pointer()

// routeLabel is the template of the route that matched. For a path no route matches, Echo
// mostly leaves the path empty, but its router may set that of the nearest node of its
// tree; the handler it chose tells for sure, even when a middleware inside this one
// already answered the error.
func routeLabel(c echo.Context) string {
	if c.Path() == "" || reflect.ValueOf(c.Handler()).Pointer() == notFound {
		return unmatchedRoute
	}
	return c.Path()
}

// methodLabel is the request's method when it is a standard one: a client may send any
// token as its method, and a label must not take whatever values it brings.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions:
		return m
	}
	return "other"
}

// readinessCollector asks every readiness check at scrape time, as /readyz does, so an
// alert can follow readiness without anything probing /readyz.
type readinessCollector struct{ checks []ReadinessCheck }

var readyDesc = prometheus.NewDesc(prometheus.BuildFQName(observability.Namespace, "", "ready"),
	"1 when the dependency answers /readyz's check, else 0.", []string{"check"}, nil)

func (r readinessCollector) Describe(ch chan<- *prometheus.Desc) { ch <- readyDesc }

func (r readinessCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), readinessTimeout)
	defer cancel()
	for _, chk := range r.checks {
		ready := 1.0
		if chk.Check(ctx) != nil {
			ready = 0
		}
		ch <- prometheus.MustNewConstMetric(readyDesc, prometheus.GaugeValue, ready, chk.Name)
	}
}

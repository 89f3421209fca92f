package http

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/example/orders-service/adapters/memory"
	"github.com/example/orders-service/app"
)

func metricsServer(t *testing.T, checks []ReadinessCheck) (*Server, *prometheus.Registry) {
	t.Helper()
	s := NewServer(&fakeSender{}, app.New(memory.NewAdapters()).Queries, checks, slog.New(slog.DiscardHandler))
	reg := prometheus.NewRegistry()
	if err := s.EnableMetrics(reg); err != nil {
		t.Fatal(err)
	}
	return s, reg
}

// Requests are counted by route template, a bounded method and the status they were
// answered with, errors included; a path no route matches, or a method no client should
// send, never becomes a label value of its own.
func TestRequestsAreCountedByRouteTemplate(t *testing.T) {
	s, reg := metricsServer(t, []ReadinessCheck{
		{Name: "up", Check: func(context.Context) error { return nil }},
		{Name: "down", Check: func(context.Context) error { return errors.New("refused") }},
	})
	// Like the tracing middleware: answers errors itself, so none reaches the one counting.
	s.echo.Pre(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if err := next(c); err != nil {
				c.Error(err)
			}
			return nil
		}
	})
	for _, tc := range []struct{ method, path string }{
		{http.MethodGet, "/orders/no-such-order"},
		{http.MethodGet, "/orders/another-unknown-order"},
		{http.MethodGet, "/no/such/route"},
		{http.MethodGet, "/stock/"},
		{"BREW", "/orders"},
		{http.MethodHead, "/healthz"},
	} {
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
	}
	want := `
# HELP orders_http_requests_total HTTP requests answered, by route template, method and status code.
# TYPE orders_http_requests_total counter
orders_http_requests_total{code="200",method="GET",route="/healthz"} 1
orders_http_requests_total{code="404",method="GET",route="/orders/:id"} 2
orders_http_requests_total{code="404",method="GET",route="unmatched"} 2
orders_http_requests_total{code="405",method="other",route="/orders"} 1
# HELP orders_ready 1 when the dependency answers /readyz's check, else 0.
# TYPE orders_ready gauge
orders_ready{check="down"} 0
orders_ready{check="up"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "orders_http_requests_total", "orders_ready"); err != nil {
		t.Error(err)
	}
	if n, err := testutil.GatherAndCount(reg, "orders_http_request_duration_seconds"); err != nil || n != 4 {
		t.Errorf("%d latency series (%v), want one per route, method and wait seen: 4", n, err)
	}
}

// A long poll counts as waiting while it waits, and no longer once answered.
func TestWaitingRequestsAreCounted(t *testing.T) {
	s, reg := metricsServer(t, nil)
	waiting := func() float64 {
		families, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range families {
			if f.GetName() == "orders_http_waiting_requests" {
				return f.GetMetric()[0].GetGauge().GetValue()
			}
		}
		t.Fatal("orders_http_waiting_requests is not served")
		return 0
	}
	if w := waiting(); w != 0 {
		t.Fatalf("%v waiting before any request", w)
	}
	done := make(chan int)
	go func() {
		req := httptest.NewRequest(http.MethodGet, "/orders/0195f3a0-0000-7000-8000-000000000001", nil)
		req.Header.Set("Prefer", "wait=20")
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		done <- rec.Code
	}()
	for deadline := time.Now().Add(5 * time.Second); waiting() != 1; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the long poll never counted as waiting")
		}
	}
	s.StopWaiting()
	if code := <-done; code != http.StatusNotFound {
		t.Errorf("the long poll for an unknown order answered %d, want 404", code)
	}
	if w := waiting(); w != 0 {
		t.Errorf("%v waiting after the long poll was answered", w)
	}
}

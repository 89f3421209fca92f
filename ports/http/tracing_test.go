package http

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/example/orders-service/adapters/memory"
	"github.com/example/orders-service/app"
	"github.com/example/orders-service/app/bus"
)

const (
	callerTraceID     = "4bf92f3577b34da6a3ce929d0e0e4736"
	callerSpanID      = "00f067aa0ba902b7"
	callerTraceparent = "00-" + callerTraceID + "-" + callerSpanID + "-01"
)

// spanSender records the span context each command was sent with; fail refuses them.
type spanSender struct {
	mu   sync.Mutex
	fail bool
	sent []trace.SpanContext
}

func (s *spanSender) Send(ctx context.Context, _ bus.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sent = append(s.sent, trace.SpanContextFromContext(ctx))
	if s.fail {
		return errors.New("broker unavailable")
	}
	return nil
}

func TestServerSpans(t *testing.T) {
	tests := []struct {
		name        string
		method      string
		path        string
		body        string
		traceparent string
		sendFails   bool
		notReady    bool

		wantName   string
		wantStatus int
		wantError  bool // the span's status
		wantRoute  string
		wantMethod string
		wantLog    string // a log line written inside the span
		untraced   bool   // no span at all
	}{
		{name: "continues the caller's trace", method: "POST", path: "/orders", body: validOrder, traceparent: callerTraceparent,
			wantName: "POST /orders", wantStatus: 202, wantRoute: "/orders", wantMethod: "POST"},
		{name: "starts a trace without a caller's", method: "POST", path: "/orders", body: validOrder,
			wantName: "POST /orders", wantStatus: 202, wantRoute: "/orders", wantMethod: "POST"},
		{name: "named after the route, not the path", method: "GET", path: "/orders/no-such-order",
			wantName: "GET /orders/:id", wantStatus: 404, wantRoute: "/orders/:id", wantMethod: "GET"},
		{name: "unknown route", method: "GET", path: "/nowhere",
			wantName: "GET", wantStatus: 404, wantMethod: "GET"},
		{name: "unknown method", method: "BREW", path: "/orders",
			wantName: "HTTP /orders", wantStatus: 405, wantRoute: "/orders", wantMethod: "_OTHER"},
		{name: "broker refuses: a 503, logged in the span", method: "POST", path: "/orders", body: validOrder, traceparent: callerTraceparent, sendFails: true,
			wantName: "POST /orders", wantStatus: 503, wantError: true, wantRoute: "/orders", wantMethod: "POST", wantLog: "command not accepted by the broker"},
		{name: "a 5xx fails the span", method: "POST", path: "/orders", body: validOrder, sendFails: true,
			wantName: "POST /orders", wantStatus: 503, wantError: true, wantRoute: "/orders", wantMethod: "POST"},
		{name: "probes are not traced", method: "GET", path: "/readyz", notReady: true, wantStatus: 503, untraced: true},
		{name: "nor is liveness", method: "GET", path: "/healthz", wantStatus: 200, untraced: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := tracetest.NewSpanRecorder()
			tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
			var logs bytes.Buffer
			sender := &spanSender{fail: tt.sendFails}
			var checks []ReadinessCheck
			if tt.notReady {
				checks = append(checks, ReadinessCheck{Name: "kafka", Check: func(context.Context) error { return errors.New("down") }})
			}
			adapters := memory.NewAdapters()
			adapters.Commands = sender
			s := NewServer(sender, app.New(adapters).Queries, checks, slog.New(slog.NewJSONHandler(&logs, nil)))
			s.EnableTracing(tp, propagation.TraceContext{})
			srv := httptest.NewServer(s.Handler())
			defer srv.Close()

			req, err := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if tt.body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			if tt.traceparent != "" {
				req.Header.Set("traceparent", tt.traceparent)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.wantStatus)
			}

			spans := rec.Ended()
			if tt.untraced {
				if len(spans) != 0 {
					t.Fatalf("%d spans, want none", len(spans))
				}
				return
			}
			if len(spans) != 1 {
				t.Fatalf("%d spans, want 1", len(spans))
			}
			span := spans[0]
			sc := span.SpanContext()
			if span.Name() != tt.wantName || span.SpanKind() != trace.SpanKindServer {
				t.Errorf("span %q kind %s, want a server span %q", span.Name(), span.SpanKind(), tt.wantName)
			}
			if tt.traceparent != "" {
				if sc.TraceID().String() != callerTraceID || span.Parent().SpanID().String() != callerSpanID || !span.Parent().IsRemote() {
					t.Errorf("span %v with parent %v, want a child of the caller's %s", sc, span.Parent(), tt.traceparent)
				}
			} else if span.Parent().IsValid() {
				t.Errorf("span's parent %v, want a new trace", span.Parent())
			}
			if failed := span.Status().Code == codes.Error; failed != tt.wantError {
				t.Errorf("span status %v, want failed = %v", span.Status(), tt.wantError)
			}
			attrs := map[string]string{}
			for _, kv := range span.Attributes() {
				attrs[string(kv.Key)] = kv.Value.Emit()
			}
			for k, want := range map[string]string{"http.route": tt.wantRoute, "http.request.method": tt.wantMethod, "url.path": tt.path} {
				if attrs[k] != want {
					t.Errorf("attribute %s = %q, want %q", k, attrs[k], want)
				}
			}
			if attrs["http.response.status_code"] != resp.Status[:3] {
				t.Errorf("http.response.status_code = %q, want %d", attrs["http.response.status_code"], resp.StatusCode)
			}
			// A command is sent in the request's span, so the message continues it.
			for _, got := range sender.sent {
				if got.SpanID() != sc.SpanID() || got.TraceID() != sc.TraceID() {
					t.Errorf("command sent with span %v, want the request's %v", got, sc)
				}
			}
			if tt.wantLog != "" {
				want := `"trace_id":"` + sc.TraceID().String() + `","span_id":"` + sc.SpanID().String() + `"`
				if !strings.Contains(logs.String(), tt.wantLog) || !strings.Contains(logs.String(), want) {
					t.Errorf("log lacks %q with %s:\n%s", tt.wantLog, want, logs.String())
				}
			}
		})
	}
}

func TestTraceLogHandler(t *testing.T) {
	sc := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{0x4b, 0xf9, 1}, SpanID: trace.SpanID{0x00, 0xf0, 2}, TraceFlags: trace.FlagsSampled,
	})
	tests := []struct {
		name string
		ctx  context.Context
		want []string
		not  []string
	}{
		{name: "inside a span", ctx: trace.ContextWithSpanContext(context.Background(), sc),
			want: []string{"trace_id=" + sc.TraceID().String(), "span_id=" + sc.SpanID().String(), "a=1", "b=2"}},
		{name: "outside any span", ctx: context.Background(), want: []string{"a=1", "b=2"}, not: []string{"trace_id", "span_id"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			logger := slog.New(traceLogHandler{slog.NewTextHandler(&buf, nil)}).With("a", 1)
			logger.InfoContext(tt.ctx, "hello", "b", 2)
			for _, w := range tt.want {
				if !strings.Contains(buf.String(), w) {
					t.Errorf("log lacks %q: %s", w, buf.String())
				}
			}
			for _, n := range tt.not {
				if strings.Contains(buf.String(), n) {
					t.Errorf("log has %q: %s", n, buf.String())
				}
			}
		})
	}
}

package http

import (
	"context"
	"log/slog"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// instrumentationName names the tracer of the server spans.
const instrumentationName = "github.com/example/orders-service/ports/http"

// serverKind is made once: an option is an allocation.
var serverKind = trace.WithSpanKind(trace.SpanKindServer)

// EnableTracing makes every request but probes, scrapes and profiles a server span: a child
// of the caller's span when the request has a traceparent header, else the root of a new
// trace. Handlers run with it in their context, so the commands they send continue it. Log
// lines written with the request's context get its trace_id and span_id. Call it before
// serving.
func (s *Server) EnableTracing(tp trace.TracerProvider, propagator propagation.TextMapPropagator) {
	// A pre-middleware wraps routing too: the span covers every request, an unknown route's
	// included, and encloses the correlation, recover and body-limit middleware.
	s.echo.Pre(serverSpan(tp.Tracer(instrumentationName), propagator))
	s.logger = slog.New(traceLogHandler{s.logger.Handler()})
}

func serverSpan(tracer trace.Tracer, propagator propagation.TextMapPropagator) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			if untraced(req.URL.Path) {
				return next(c)
			}
			ctx := propagator.Extract(req.Context(), propagation.HeaderCarrier(req.Header))
			method := spanMethod(req.Method)
			ctx, span := tracer.Start(ctx, method, serverKind)
			defer span.End()
			c.SetRequest(req.WithContext(ctx))

			if err := next(c); err != nil {
				// Answered here rather than by Echo after this returns, so that the span
				// knows the status and the error handler logs inside the span.
				c.Error(err)
			}
			if span.IsRecording() {
				recordResponse(span, c, method)
			}
			return nil
		}
	}
}

// untraced tells the paths of probes, scrapes and profiles: machines ask them every few
// seconds, their spans would bury the requests worth tracing, and they cause no message.
func untraced(path string) bool {
	switch path {
	case "/healthz", "/readyz", "/metrics":
		return true
	}
	return strings.HasPrefix(path, "/debug/pprof/")
}

// recordResponse names the span after the route, known only once routing ran, and records
// the outcome. A 5xx is the server's failure; a 4xx is the client's and leaves the span's
// status unset, as the HTTP conventions say for a server.
func recordResponse(span trace.Span, c echo.Context, method string) {
	status := c.Response().Status
	route := c.Path()
	if route != "" {
		span.SetName(method + " " + route)
		span.SetAttributes(semconv.HTTPRoute(route))
	}
	span.SetAttributes(
		methodAttr(c.Request().Method),
		semconv.URLPath(c.Request().URL.Path),
		semconv.HTTPResponseStatusCode(status),
	)
	if status >= http.StatusInternalServerError {
		span.SetStatus(codes.Error, http.StatusText(status))
	}
}

// knownMethods are the methods a span name may repeat. Any other one is the caller's to
// choose, and would make span names unbounded.
var knownMethods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true,
	http.MethodPatch: true, http.MethodDelete: true, http.MethodOptions: true,
	http.MethodConnect: true, http.MethodTrace: true,
}

func spanMethod(m string) string {
	if knownMethods[m] {
		return m
	}
	return "HTTP"
}

func methodAttr(m string) attribute.KeyValue {
	if knownMethods[m] {
		return semconv.HTTPRequestMethodKey.String(m)
	}
	return semconv.HTTPRequestMethodOther
}

// traceLogHandler adds the trace_id and span_id of the span in a log record's context, the
// way the correlation ID is in the request's log lines, so a log line leads to its trace.
type traceLogHandler struct{ slog.Handler }

func (h traceLogHandler) Handle(ctx context.Context, r slog.Record) error {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		r = r.Clone()
		r.AddAttrs(slog.String("trace_id", sc.TraceID().String()), slog.String("span_id", sc.SpanID().String()))
	}
	return h.Handler.Handle(ctx, r)
}

func (h traceLogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return traceLogHandler{h.Handler.WithAttrs(attrs)}
}

func (h traceLogHandler) WithGroup(name string) slog.Handler {
	return traceLogHandler{h.Handler.WithGroup(name)}
}

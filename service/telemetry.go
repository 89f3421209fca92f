package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/example/orders-service/ports/messaging"
)

// serviceName is service.name unless OTEL_SERVICE_NAME or OTEL_RESOURCE_ATTRIBUTES say
// otherwise.
const serviceName = "orders-service"

// telemetry is the tracing of one service: the provider of its spans and the propagator of
// their context over HTTP and Kafka headers. It is the service's own, never the global one:
// tests run several services in one process, each with its own provider.
type telemetry struct {
	messaging.Tracing
	describe string // for the start log line

	shutdownOnce sync.Once
	shutdownErr  error
	stop         func(context.Context) error // flushes the exporter; nil when nothing to flush
}

// newTelemetry chooses the tracer provider: the one given (tests), or one the standard
// OpenTelemetry variables describe (getenv reads them). Spans are exported only when those
// variables ask for it; otherwise spans record nothing and only their context travels.
func newTelemetry(ctx context.Context, given trace.TracerProvider, getenv func(string) string) (*telemetry, error) {
	t := &telemetry{Tracing: messaging.Tracing{Propagator: propagation.TraceContext{}}}
	if given != nil {
		t.Provider, t.describe = given, "provider given by the caller"
		// The caller owns the provider and shuts it down; the service flushes what it made.
		if f, ok := given.(interface{ ForceFlush(context.Context) error }); ok {
			t.stop = f.ForceFlush
		}
		return t, nil
	}
	if strings.EqualFold(strings.TrimSpace(getenv("OTEL_SDK_DISABLED")), "true") {
		// No spans of its own: a caller's trace context passes through unchanged.
		t.Provider, t.describe = noop.NewTracerProvider(), "disabled (OTEL_SDK_DISABLED); a caller's trace context passes through"
		return t, nil
	}
	protocol, err := exportProtocol(getenv)
	if err != nil {
		return nil, err
	}
	if protocol == "" {
		t.Provider, t.describe = propagatingProvider{}, "no exporter (set OTEL_EXPORTER_OTLP_ENDPOINT to export); trace context propagated"
		return t, nil
	}
	tp, err := newExportingProvider(ctx, protocol)
	if err != nil {
		return nil, err
	}
	t.Provider, t.stop = tp, tp.Shutdown
	t.describe = "exporting over OTLP (" + protocol + ") to " + otlpEndpoint(getenv, protocol)
	return t, nil
}

// exportProtocol returns the OTLP protocol to export spans with when the standard variables
// ask for export ("http/protobuf", "http/json" or "grpc"), and "" when they do not.
// OTEL_TRACES_EXPORTER chooses (otlp or none); unset, an OTLP endpoint asks for OTLP.
// Unlike the specification's default (otlp), nothing set exports nothing: a service
// without a collector would otherwise retry a dead localhost:4318 forever.
func exportProtocol(getenv func(string) string) (string, error) {
	export := false
	if names := strings.TrimSpace(getenv("OTEL_TRACES_EXPORTER")); names != "" {
		for name := range strings.SplitSeq(names, ",") {
			switch n := strings.ToLower(strings.TrimSpace(name)); n {
			case "otlp":
				export = true
			case "none", "":
			default:
				return "", fmt.Errorf("OTEL_TRACES_EXPORTER=%q: traces are exported over OTLP only: use otlp or none", names)
			}
		}
	} else if getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != "" || getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" {
		export = true
	}
	if !export {
		return "", nil
	}
	protocol := getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
	if protocol == "" {
		protocol = getenv("OTEL_EXPORTER_OTLP_PROTOCOL")
	}
	switch protocol {
	case "":
		return "http/protobuf", nil // the specification's default
	case "http/protobuf", "http/json", "grpc":
		return protocol, nil
	}
	// Refused rather than guessed: the wrong protocol fails on every export.
	return "", fmt.Errorf("OTEL_EXPORTER_OTLP_PROTOCOL=%q: use http/protobuf, http/json or grpc", protocol)
}

// newExportingProvider is the SDK with a batching OTLP exporter. The SDK and the exporter
// read the rest of the standard variables themselves: OTEL_EXPORTER_OTLP_* (endpoint,
// headers, timeout, compression, certificates, protocol), OTEL_TRACES_SAMPLER and its
// argument, OTEL_BSP_*, OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES.
func newExportingProvider(ctx context.Context, protocol string) (*sdktrace.TracerProvider, error) {
	var exp sdktrace.SpanExporter
	var err error
	if protocol == "grpc" {
		exp, err = otlptracegrpc.New(ctx)
	} else {
		exp, err = otlptracehttp.New(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("creating the OTLP trace exporter: %w", err)
	}
	res, err := resource.New(ctx,
		resource.WithSchemaURL(semconv.SchemaURL),
		resource.WithAttributes(semconv.ServiceName(serviceName)),
		resource.WithTelemetrySDK(),
		resource.WithFromEnv(), // after the default name: OTEL_SERVICE_NAME wins
	)
	if err != nil && !errors.Is(err, resource.ErrPartialResource) {
		return nil, errors.Join(fmt.Errorf("describing the service for traces: %w", err), exp.Shutdown(ctx))
	}
	return sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res)), nil
}

// otlpEndpoint is where spans go, for the log, without any credentials in the URL.
func otlpEndpoint(getenv func(string) string, protocol string) string {
	endpoint := getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
	if endpoint == "" {
		endpoint = getenv("OTEL_EXPORTER_OTLP_ENDPOINT")
	}
	if endpoint == "" && protocol == "grpc" {
		return "localhost:4317 (the default)"
	}
	if endpoint == "" {
		return "localhost:4318 (the default)"
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return "an endpoint that is not a URL"
	}
	return u.Redacted()
}

// shutdown flushes the spans not exported yet, within ctx; later calls do nothing. It runs
// after the router and the relays stopped, so the spans of their last messages are ended.
func (t *telemetry) shutdown(ctx context.Context) error {
	if t == nil {
		return nil
	}
	t.shutdownOnce.Do(func() {
		if t.stop != nil {
			if err := t.stop(ctx); err != nil {
				t.shutdownErr = fmt.Errorf("flushing traces: %w", err)
			}
		}
	})
	return t.shutdownErr
}

// reportTelemetryErrors sends the OpenTelemetry SDK's own errors (an export that failed) to
// the service's log instead of the standard logger. The handler is process-wide, so only
// the command sets it, not each service a test starts.
func reportTelemetryErrors(logger *slog.Logger) {
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		logger.Warn("tracing", "err", err)
	}))
}

// startTelemetry sets up the service's tracing and says in the log which kind it is.
func (s *Service) startTelemetry(ctx context.Context, given trace.TracerProvider) error {
	t, err := newTelemetry(ctx, given, os.Getenv)
	if err != nil {
		return fmt.Errorf("tracing: %w", err)
	}
	s.telemetry = t
	s.logger.Info("traces: " + t.describe)
	return nil
}

// closeTelemetryTimeout bounds the flush of a service that stops without a graceful
// shutdown (New failed): no spans should be waiting then.
const closeTelemetryTimeout = 2 * time.Second

// closeTelemetry stops the exporter if shutdown has not; it is part of closeAll.
func (s *Service) closeTelemetry() {
	ctx, cancel := context.WithTimeout(context.Background(), closeTelemetryTimeout)
	defer cancel()
	if err := s.telemetry.shutdown(ctx); err != nil {
		s.logger.Warn("closing the trace exporter", "err", err)
	}
}

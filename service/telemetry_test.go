package service

import (
	"context"
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

func TestExportProtocol(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    string
		wantErr string
	}{
		{name: "nothing set: no export", env: nil, want: ""},
		{name: "an endpoint asks for OTLP", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, want: "http/protobuf"},
		{name: "a traces endpoint asks for OTLP", env: map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}, want: "http/protobuf"},
		{name: "otlp without endpoint: the default one", env: map[string]string{"OTEL_TRACES_EXPORTER": "otlp"}, want: "http/protobuf"},
		{name: "none wins over an endpoint", env: map[string]string{"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}, want: ""},
		{name: "a list", env: map[string]string{"OTEL_TRACES_EXPORTER": " none , OTLP "}, want: "http/protobuf"},
		{name: "gRPC", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4317", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, want: "grpc"},
		{name: "HTTP with JSON", env: map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"}, want: "http/json"},
		{name: "traces protocol wins", env: map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/protobuf"}, want: "http/protobuf"},
		{name: "protocol irrelevant without export", env: map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "thrift"}, want: ""},
		{name: "unsupported exporter", env: map[string]string{"OTEL_TRACES_EXPORTER": "zipkin"}, wantErr: "OTEL_TRACES_EXPORTER"},
		{name: "unknown protocol", env: map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "thrift"}, wantErr: "grpc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := exportProtocol(mapEnv(tt.env))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("exportProtocol = %q, %v; want an error naming %s", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("exportProtocol = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestNewTelemetryChoosesTheProvider(t *testing.T) {
	given := sdktrace.NewTracerProvider()
	t.Cleanup(func() { _ = given.Shutdown(context.Background()) })
	tests := []struct {
		name      string
		given     trace.TracerProvider
		env       map[string]string
		check     func(trace.TracerProvider) bool
		wantFlush bool
	}{
		{name: "given", given: given, check: func(p trace.TracerProvider) bool { return p == given }, wantFlush: true},
		{name: "no exporter: propagation only", check: func(p trace.TracerProvider) bool { _, ok := p.(propagatingProvider); return ok }},
		{name: "SDK disabled", env: map[string]string{"OTEL_SDK_DISABLED": "TRUE", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"},
			check: func(p trace.TracerProvider) bool { _, ok := p.(noop.TracerProvider); return ok }},
		{name: "OTLP/HTTP", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1"},
			check: func(p trace.TracerProvider) bool { _, ok := p.(*sdktrace.TracerProvider); return ok }, wantFlush: true},
		{name: "OTLP/gRPC", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"},
			check: func(p trace.TracerProvider) bool { _, ok := p.(*sdktrace.TracerProvider); return ok }, wantFlush: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tel, err := newTelemetry(context.Background(), tt.given, mapEnv(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = tel.shutdown(context.Background()) })
			if !tt.check(tel.Provider) {
				t.Errorf("provider %T (%s)", tel.Provider, tel.describe)
			}
			if tel.Propagator == nil || (tel.stop != nil) != tt.wantFlush {
				t.Errorf("propagator %v, flushes %v; want a propagator, flushes %v", tel.Propagator, tel.stop != nil, tt.wantFlush)
			}
		})
	}
}

func TestNewTelemetryRefusesWhatItCannotExport(t *testing.T) {
	if _, err := newTelemetry(context.Background(), nil, mapEnv(map[string]string{"OTEL_TRACES_EXPORTER": "jaeger"})); err == nil {
		t.Fatal("an unsupported exporter was accepted")
	}
}

func TestOTLPEndpointHidesCredentials(t *testing.T) {
	got := otlpEndpoint(mapEnv(map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "https://user:secret@collector:4318"}), "http/protobuf")
	if strings.Contains(got, "secret") || !strings.Contains(got, "collector:4318") {
		t.Fatalf("otlpEndpoint = %q", got)
	}
}

func TestPropagatingProvider(t *testing.T) {
	tracer := propagatingProvider{}.Tracer("test")
	ts, err := trace.ParseTraceState("vendor=opaque")
	if err != nil {
		t.Fatal(err)
	}
	parent := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{1, 2, 3}, SpanID: trace.SpanID{4, 5, 6}, TraceState: ts, Remote: true,
	}) // not sampled
	tests := []struct {
		name        string
		ctx         context.Context
		opts        []trace.SpanStartOption
		wantParent  bool
		wantSampled bool
	}{
		{name: "child of a remote parent", ctx: trace.ContextWithRemoteSpanContext(context.Background(), parent), wantParent: true},
		{name: "root", ctx: context.Background(), wantSampled: true},
		{name: "asked for a new root", ctx: trace.ContextWithRemoteSpanContext(context.Background(), parent), opts: []trace.SpanStartOption{trace.WithNewRoot()}, wantSampled: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, span := tracer.Start(tt.ctx, "x", tt.opts...)
			defer span.End()
			sc := span.SpanContext()
			if !sc.IsValid() || !trace.SpanContextFromContext(ctx).Equal(sc) || span.IsRecording() {
				t.Fatalf("span %v (recording %v) in ctx %v", sc, span.IsRecording(), trace.SpanContextFromContext(ctx))
			}
			if sc.SpanID() == parent.SpanID() {
				t.Error("span reuses its parent's span ID")
			}
			if inTrace := sc.TraceID() == parent.TraceID(); inTrace != tt.wantParent {
				t.Errorf("in the parent's trace = %v, want %v", inTrace, tt.wantParent)
			}
			if tt.wantParent && sc.TraceState().String() != "vendor=opaque" {
				t.Errorf("tracestate %q, want the parent's", sc.TraceState())
			}
			if sc.IsSampled() != tt.wantSampled {
				t.Errorf("sampled = %v, want %v", sc.IsSampled(), tt.wantSampled)
			}
			_, child := tracer.Start(ctx, "child")
			if child.SpanContext().TraceID() != sc.TraceID() || child.SpanContext().SpanID() == sc.SpanID() {
				t.Errorf("child %v of %v", child.SpanContext(), sc)
			}
		})
	}
}

func mapEnv(env map[string]string) func(string) string {
	return func(k string) string { return env[k] }
}

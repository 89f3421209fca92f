package service

import (
	"context"
	"encoding/binary"
	"math/rand/v2"

	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/embedded"
)

// propagatingProvider is the tracer provider when no exporter is configured. Its spans
// record nothing, but each has a span ID of its own, in the trace of its parent or in a new
// one: the headers of every message and the log lines carry a trace context as they would
// with an exporter, so a downstream service that exports sees where its part began, and the
// IDs in logs are real. The SDK without a span processor would do the same while recording
// every span and its attributes for nothing; a no-op provider would pass the caller's
// context on unchanged, and start no trace for a request that came without one.
//
// Without an exporter the service samples nothing itself: a span keeps its parent's flags
// and tracestate, and the root of a new trace is marked sampled, as the default sampler
// (parentbased_always_on) would.
type propagatingProvider struct{ embedded.TracerProvider }

func (propagatingProvider) Tracer(string, ...trace.TracerOption) trace.Tracer {
	return propagatingTracer{}
}

type propagatingTracer struct{ embedded.Tracer }

func (propagatingTracer) Start(ctx context.Context, _ string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	parent := trace.SpanContextFromContext(ctx)
	if cfg := trace.NewSpanStartConfig(opts...); cfg.NewRoot() {
		parent = trace.SpanContext{}
	}
	sc := trace.SpanContextConfig{SpanID: newSpanID(), TraceFlags: trace.FlagsSampled}
	if parent.IsValid() {
		sc.TraceID, sc.TraceFlags, sc.TraceState = parent.TraceID(), parent.TraceFlags(), parent.TraceState()
	} else {
		sc.TraceID = newTraceID()
	}
	ctx = trace.ContextWithSpanContext(ctx, trace.NewSpanContext(sc))
	return ctx, trace.SpanFromContext(ctx)
}

// newTraceID and newSpanID draw random IDs from math/rand/v2's global source, as the SDK's
// default generator does, never the invalid all-zero ID.
func newTraceID() trace.TraceID {
	var id trace.TraceID
	for !id.IsValid() {
		binary.NativeEndian.PutUint64(id[:8], rand.Uint64())
		binary.NativeEndian.PutUint64(id[8:], rand.Uint64())
	}
	return id
}

func newSpanID() trace.SpanID {
	var id trace.SpanID
	for !id.IsValid() {
		binary.NativeEndian.PutUint64(id[:], rand.Uint64())
	}
	return id
}

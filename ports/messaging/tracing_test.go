package messaging

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

const (
	testTraceID     = "4bf92f3577b34da6a3ce929d0e0e4736"
	testSpanID      = "00f067aa0ba902b7"
	testTraceparent = "00-" + testTraceID + "-" + testSpanID + "-01"
)

// newTestTracing is tracing with W3C Trace Context into a recorder of ended spans.
func newTestTracing(t *testing.T) (Tracing, *tracetest.SpanRecorder) {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return Tracing{Provider: tp, Propagator: propagation.TraceContext{}}, rec
}

// remoteParent is ctx carrying the span of testTraceparent, as if extracted from headers.
func remoteParent() context.Context {
	return propagation.TraceContext{}.Extract(context.Background(), propagation.MapCarrier{"traceparent": testTraceparent})
}

func TestMetadataCarrier(t *testing.T) {
	tests := []struct {
		name     string
		md       message.Metadata
		get      string
		want     string
		wantKeys []string
	}{
		{name: "empty", md: message.Metadata{}, get: "traceparent", want: "", wantKeys: []string{}},
		{name: "present", md: message.Metadata{"traceparent": testTraceparent, "type": "t"}, get: "traceparent", want: testTraceparent, wantKeys: []string{"traceparent", "type"}},
		// Kafka header names are case-sensitive: another case is another header.
		{name: "other case", md: message.Metadata{"Traceparent": testTraceparent}, get: "traceparent", want: "", wantKeys: []string{"Traceparent"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := metadataCarrier(tt.md)
			if got := c.Get(tt.get); got != tt.want {
				t.Errorf("Get(%q) = %q, want %q", tt.get, got, tt.want)
			}
			keys := c.Keys()
			slices.Sort(keys)
			if !slices.Equal(keys, tt.wantKeys) {
				t.Errorf("Keys() = %v, want %v", keys, tt.wantKeys)
			}
			c.Set("tracestate", "a=b")
			if tt.md.Get("tracestate") != "a=b" {
				t.Error("Set did not write into the metadata")
			}
		})
	}
}

// A trace context injected into metadata is the one extracted from it, whatever it holds.
func TestTraceContextRoundTripsThroughMetadata(t *testing.T) {
	tr := Tracing{Propagator: propagation.TraceContext{}}
	tests := []struct {
		name    string
		carrier propagation.MapCarrier
	}{
		{name: "sampled", carrier: propagation.MapCarrier{"traceparent": testTraceparent}},
		{name: "not sampled", carrier: propagation.MapCarrier{"traceparent": "00-" + testTraceID + "-" + testSpanID + "-00"}},
		{name: "with tracestate", carrier: propagation.MapCarrier{"traceparent": testTraceparent, "tracestate": "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := trace.SpanContextFromContext(tr.Propagator.Extract(context.Background(), tt.carrier))
			md := message.Metadata{}
			tr.inject(trace.ContextWithRemoteSpanContext(context.Background(), in), md)
			for k, v := range tt.carrier {
				if md.Get(k) != v {
					t.Errorf("metadata %s = %q, want %q", k, md.Get(k), v)
				}
			}
			out := trace.SpanContextFromContext(tr.extract(context.Background(), md))
			if !out.Equal(in) {
				t.Errorf("extracted %v, want %v", out, in)
			}
		})
	}
}

func TestTracePublisher(t *testing.T) {
	tests := []struct {
		name       string
		parent     context.Context
		msgs       int
		publishErr error
	}{
		{name: "child of the sender's span", parent: remoteParent(), msgs: 1},
		{name: "root without a span in the context", parent: context.Background(), msgs: 1},
		{name: "several messages, one span each", parent: remoteParent(), msgs: 3},
		{name: "publish refused", parent: remoteParent(), msgs: 1, publishErr: errBoom},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, rec := newTestTracing(t)
			pub := &recordingPublisher{err: tt.publishErr}
			var msgs []*message.Message
			for i := range tt.msgs {
				m := message.NewMessage("uuid-"+string(rune('a'+i)), []byte(`{}`))
				m.Metadata.Set(TypeKey, "orders.X.v1")
				m.Metadata.Set(PartitionKeyKey, "order-1")
				m.Metadata.Set(CorrelationIDKey, "corr-1")
				m.SetContext(tt.parent)
				msgs = append(msgs, m)
			}
			err := TracePublisher(pub, tr).Publish("orders.commands", msgs...)
			if !errors.Is(err, tt.publishErr) {
				t.Fatalf("Publish = %v, want %v", err, tt.publishErr)
			}
			spans := rec.Ended()
			if len(spans) != tt.msgs {
				t.Fatalf("%d spans, want one per message (%d)", len(spans), tt.msgs)
			}
			parent := trace.SpanContextFromContext(tt.parent)
			for i, s := range spans {
				if s.Name() != "send orders.commands" || s.SpanKind() != trace.SpanKindProducer {
					t.Errorf("span %q kind %s, want a producer span send orders.commands", s.Name(), s.SpanKind())
				}
				if s.Parent().SpanID() != parent.SpanID() || (parent.IsValid() && s.SpanContext().TraceID() != parent.TraceID()) {
					t.Errorf("span's parent %v, want %v", s.Parent(), parent)
				}
				// The message carries the context of its own span.
				got := trace.SpanContextFromContext(tr.extract(context.Background(), msgs[i].Metadata))
				if got.SpanID() != s.SpanContext().SpanID() || got.TraceID() != s.SpanContext().TraceID() {
					t.Errorf("message %d carries %v, want its span %v", i, got, s.SpanContext())
				}
				wantAttrs := map[string]string{
					"messaging.system": "kafka", "messaging.operation.type": "send", "messaging.destination.name": "orders.commands",
					"messaging.message.id": msgs[i].UUID, "messaging.kafka.message.key": "order-1",
					"messaging.message.conversation_id": "corr-1", "orders.message.type": "orders.X.v1",
				}
				checkAttrs(t, s, wantAttrs)
				if failed := s.Status().Code == codes.Error; failed != (tt.publishErr != nil) {
					t.Errorf("span status %v, want failed = %v", s.Status(), tt.publishErr != nil)
				}
			}
		})
	}
}

func TestTracePublisherDisabledChangesNothing(t *testing.T) {
	pub := &recordingPublisher{}
	if got := TracePublisher(pub, Tracing{}); got != message.Publisher(pub) {
		t.Fatalf("TracePublisher without tracing = %T, want the publisher itself", got)
	}
	if got := TraceRelay(pub, Tracing{}); got != message.Publisher(pub) {
		t.Fatalf("TraceRelay without tracing = %T, want the publisher itself", got)
	}
}

// The relay publishes later, elsewhere: its span is a child of the span that wrote the
// message (from its metadata), and the message keeps that context for its consumers.
func TestTraceRelay(t *testing.T) {
	tr, rec := newTestTracing(t)
	md := message.Metadata{"traceparent": testTraceparent, TypeKey: "orders.OrderPlaced.v1"}
	msg := message.NewMessage("uuid-1", []byte(`{}`))
	msg.Metadata = md
	if err := TraceRelay(&recordingPublisher{}, tr).Publish("orders.events", msg); err != nil {
		t.Fatal(err)
	}
	spans := rec.Ended()
	if len(spans) != 1 {
		t.Fatalf("%d spans, want 1", len(spans))
	}
	s := spans[0]
	if s.Name() != "relay orders.events" || s.SpanKind() != trace.SpanKindProducer {
		t.Errorf("span %q kind %s, want a producer span relay orders.events", s.Name(), s.SpanKind())
	}
	if s.Parent().TraceID().String() != testTraceID || s.Parent().SpanID().String() != testSpanID {
		t.Errorf("relay span's parent %v, want the writer's %s", s.Parent(), testTraceparent)
	}
	checkAttrs(t, s, map[string]string{"messaging.operation.type": "send", "messaging.operation.name": "relay"})
	if msg.Metadata.Get("traceparent") != testTraceparent {
		t.Errorf("relayed message's traceparent = %q, want it unchanged", msg.Metadata.Get("traceparent"))
	}
}

func TestHandlingSpan(t *testing.T) {
	tests := []struct {
		name        string
		traceparent string
		handlerErr  error
	}{
		{name: "continues the sender's trace", traceparent: testTraceparent},
		{name: "new trace for a message without one"},
		{name: "failed handling", traceparent: testTraceparent, handlerErr: errBoom},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, rec := newTestTracing(t)
			var logs bytes.Buffer
			logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			pub := &recordingPublisher{}
			sender := TracePublisher(pub, tr)
			h := correlate(logger)(tr.handlingSpan("prefix.")(func(m *message.Message) ([]*message.Message, error) {
				out := message.NewMessage("out-1", nil)
				out.SetContext(m.Context()) // as the buses do
				if err := sender.Publish("orders.events", out); err != nil {
					return nil, err
				}
				loggerFrom(m.Context()).Info("inside handler")
				return nil, tt.handlerErr
			}))
			msg := message.NewMessage("in-1", []byte(`{}`))
			msg.Metadata.Set(TypeKey, "orders.X.v1")
			if tt.traceparent != "" {
				msg.Metadata.Set("traceparent", tt.traceparent)
			}
			if err := deliver(t, "order-commands", "orders.commands", h, msg); !errors.Is(err, tt.handlerErr) {
				t.Fatalf("err = %v, want %v", err, tt.handlerErr)
			}

			process := endedSpan(t, rec, "process orders.commands")
			send := endedSpan(t, rec, "send orders.events")
			if process.SpanKind() != trace.SpanKindConsumer {
				t.Errorf("process span kind %s, want consumer", process.SpanKind())
			}
			if tt.traceparent != "" {
				if process.Parent().SpanID().String() != testSpanID || !process.Parent().IsRemote() || process.SpanContext().TraceID().String() != testTraceID {
					t.Errorf("process span's parent %v, want the sender's %s", process.Parent(), tt.traceparent)
				}
			} else if process.Parent().IsValid() {
				t.Errorf("process span's parent %v, want none: a new trace", process.Parent())
			}
			if send.Parent().SpanID() != process.SpanContext().SpanID() {
				t.Errorf("the handler's send span is a child of %v, want its process span %v", send.Parent().SpanID(), process.SpanContext().SpanID())
			}
			checkAttrs(t, process, map[string]string{
				"messaging.operation.type": "process", "messaging.consumer.group.name": "prefix.order-commands",
				"messaging.destination.name": "orders.commands", "messaging.message.id": "in-1",
			})
			if failed := process.Status().Code == codes.Error; failed != (tt.handlerErr != nil) {
				t.Errorf("process span status %v, want failed = %v", process.Status(), tt.handlerErr != nil)
			}
			wantLog := `"trace_id":"` + process.SpanContext().TraceID().String() + `","span_id":"` + process.SpanContext().SpanID().String() + `"`
			if !strings.Contains(logs.String(), wantLog) {
				t.Errorf("log lacks %s:\n%s", wantLog, logs.String())
			}
		})
	}
}

// A message poisoned after its retries is acknowledged, but its span says it failed, with
// an event per failed attempt.
func TestPoisonedMessageSpanFails(t *testing.T) {
	tr, rec := newTestTracing(t)
	retry := middleware.Retry{MaxRetries: 2, InitialInterval: time.Millisecond, MaxInterval: time.Millisecond, Multiplier: 2, ResetContextOnRetry: true}
	h := correlate(slog.New(slog.DiscardHandler))(tr.handlingSpan("")(testPoisonQueue(&recordingPublisher{}).middleware(retry.Middleware(countAttempts(
		func(*message.Message) ([]*message.Message, error) { return nil, errBoom },
	)))))
	msg := message.NewMessage("in-1", nil)
	if err := deliver(t, "order-commands", "orders.commands", h, msg); err != nil {
		t.Fatalf("err = %v, want the message poisoned and acknowledged", err)
	}
	s := endedSpan(t, rec, "process orders.commands")
	if s.Status().Code != codes.Error || !strings.Contains(s.Status().Description, "boom") {
		t.Errorf("status %v, want an error naming the cause", s.Status())
	}
	attempts := 0
	for _, e := range s.Events() {
		if e.Name == "attempt failed" {
			attempts++
		}
	}
	if attempts != 3 {
		t.Errorf("%d 'attempt failed' events, want 3", attempts)
	}
}

// deliver hands msg to h as a Watermill router does, with the handler's name and topic in
// its context, and returns h's error.
func deliver(t *testing.T, handler, topic string, h message.HandlerFunc, msg *message.Message) error {
	t.Helper()
	pubsub := gochannel.NewGoChannel(gochannel.Config{}, watermill.NopLogger{})
	r, err := message.NewRouter(message.RouterConfig{}, watermill.NopLogger{})
	if err != nil {
		t.Fatal(err)
	}
	result := make(chan error, 1)
	r.AddConsumerHandler(handler, topic, pubsub, func(m *message.Message) error {
		_, err := h(m)
		result <- err
		return nil
	})
	go func() { _ = r.Run(context.Background()) }()
	defer r.Close()
	<-r.Running()
	if err := pubsub.Publish(topic, msg); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-result:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("the message was not handled")
		return nil
	}
}

func endedSpan(t *testing.T, rec *tracetest.SpanRecorder, name string) sdktrace.ReadOnlySpan {
	t.Helper()
	for _, s := range rec.Ended() {
		if s.Name() == name {
			return s
		}
	}
	t.Fatalf("no span %q among %d", name, len(rec.Ended()))
	return nil
}

func checkAttrs(t *testing.T, s sdktrace.ReadOnlySpan, want map[string]string) {
	t.Helper()
	got := map[string]string{}
	for _, kv := range s.Attributes() {
		got[string(kv.Key)] = kv.Value.Emit()
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: attribute %s = %q, want %q", s.Name(), k, got[k], v)
		}
	}
}

package messaging

import (
	"github.com/ThreeDotsLabs/watermill/message"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// TracePublisher returns pub with a producer span "send <topic>" around every message it
// publishes: a child of the span in the message's context (the HTTP request's, or the
// handler's), and the message carries that span's context in its metadata. The buses
// publish through it; in the PostgreSQL mode it wraps the outbox, so the trace context is
// in the metadata written to the outbox and the relayed record carries it.
func TracePublisher(pub message.Publisher, t Tracing) message.Publisher {
	if !t.enabled() {
		return pub
	}
	return &tracedPublisher{next: pub, t: t, tracer: t.tracer(), operation: "send", inject: true}
}

// TraceRelay returns pub for an outbox relay: a span "relay <topic>" around every message it
// publishes, a child of the span that wrote the message to the outbox, so a trace shows how
// long a message waited there. The message keeps the context it was written with: its
// consumers continue the sending handler's span, as without an outbox.
func TraceRelay(pub message.Publisher, t Tracing) message.Publisher {
	if !t.enabled() {
		return pub
	}
	return &tracedPublisher{next: pub, t: t, tracer: t.tracer(), operation: "relay"}
}

type tracedPublisher struct {
	next      message.Publisher
	t         Tracing
	tracer    trace.Tracer
	operation string // messaging.operation.name, and the first word of the span's name
	inject    bool   // write the span's context into the message; else take the parent from it
}

// Publish makes one span per message. One message, as the buses and the relay publish, is
// handled apart: without a slice of spans, nothing of the tracing stays on the stack of
// the publish.
func (p *tracedPublisher) Publish(topic string, msgs ...*message.Message) error {
	if len(msgs) == 1 {
		span := p.start(topic, msgs[0])
		err := p.next.Publish(topic, msgs...)
		endSpan(span, err)
		return err
	}
	return p.publishAll(topic, msgs)
}

func (p *tracedPublisher) publishAll(topic string, msgs []*message.Message) error {
	spans := make([]trace.Span, 0, len(msgs))
	for _, msg := range msgs {
		spans = append(spans, p.start(topic, msg))
	}
	err := p.next.Publish(topic, msgs...)
	for _, span := range spans {
		endSpan(span, err)
	}
	return err
}

// start starts the span of publishing msg; with inject, msg then carries the span's
// context. Never inlined, as startHandling: its locals stay off the stack of the publish.
//
//go:noinline
func (p *tracedPublisher) start(topic string, msg *message.Message) trace.Span {
	ctx := msg.Context()
	if !p.inject {
		ctx = p.t.extract(ctx, msg.Metadata)
	}
	ctx, span := p.tracer.Start(ctx, p.operation+" "+topic, producerKind)
	if span.IsRecording() {
		span.SetAttributes(messagingAttrs(semconv.MessagingOperationTypeSend, p.operation, topic, msg)...)
	}
	if p.inject {
		p.t.inject(ctx, msg.Metadata)
		msg.SetContext(ctx)
	}
	return span
}

// endSpan ends the span of a publish or a handling that returned err.
func endSpan(span trace.Span, err error) {
	if err != nil {
		failSpan(span, err)
	}
	span.End()
}

func (p *tracedPublisher) Close() error { return p.next.Close() }

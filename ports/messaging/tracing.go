package messaging

import (
	"context"

	"github.com/ThreeDotsLabs/watermill/message"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// Tracing makes the spans of the messages this package handles and sends, and carries their
// trace context from one message to the next in metadata, which the Kafka marshaler writes
// as headers. No Watermill module does this for Kafka, so it is done here, at the level of
// messages rather than of Sarama records: what a handler sends through the outbox gets its
// context when it is written, not when the relay publishes it later.
//
// The zero value traces nothing and adds nothing to messages.
type Tracing struct {
	Provider trace.TracerProvider
	// Propagator reads and writes the trace context in message metadata; W3C Trace Context
	// (traceparent, tracestate) in the service.
	Propagator propagation.TextMapPropagator
}

// instrumentationName names the tracer of this package's spans.
const instrumentationName = "github.com/example/orders-service/ports/messaging"

func (t Tracing) enabled() bool { return t.Provider != nil && t.Propagator != nil }

func (t Tracing) tracer() trace.Tracer { return t.Provider.Tracer(instrumentationName) }

// inject writes the trace context of ctx into the metadata.
func (t Tracing) inject(ctx context.Context, md message.Metadata) {
	t.Propagator.Inject(ctx, metadataCarrier(md))
}

// extract returns ctx carrying the trace context found in the metadata, if any.
func (t Tracing) extract(ctx context.Context, md message.Metadata) context.Context {
	return t.Propagator.Extract(ctx, metadataCarrier(md))
}

// metadataCarrier lets a propagator read and write message metadata. Keys are matched
// exactly: Kafka header names are case-sensitive, and W3C Trace Context over Kafka uses
// the lower-case names.
type metadataCarrier message.Metadata

var _ propagation.TextMapCarrier = metadataCarrier(nil)

func (c metadataCarrier) Get(key string) string { return c[key] }

func (c metadataCarrier) Set(key, value string) { c[key] = value }

func (c metadataCarrier) Keys() []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	return keys
}

// messagingAttrs are the attributes every span of a Kafka message has.
func messagingAttrs(op attribute.KeyValue, opName, topic string, msg *message.Message) []attribute.KeyValue {
	attrs := make([]attribute.KeyValue, 0, 12) // room for the handling's own
	attrs = append(attrs,
		semconv.MessagingSystemKafka,
		op,
		semconv.MessagingOperationName(opName),
		semconv.MessagingDestinationName(topic),
		semconv.MessagingMessageID(msg.UUID),
		semconv.MessagingMessageBodySize(len(msg.Payload)),
	)
	// Headers come from whoever produced the message: capped like in logs.
	if key := msg.Metadata.Get(PartitionKeyKey); key != "" {
		attrs = append(attrs, semconv.MessagingKafkaMessageKey(capValue(key, maxLoggedValueBytes)))
	}
	if corr := msg.Metadata.Get(CorrelationIDKey); corr != "" {
		attrs = append(attrs, semconv.MessagingMessageConversationID(capValue(corr, maxLoggedValueBytes)))
	}
	if typ := msg.Metadata.Get(TypeKey); typ != "" {
		attrs = append(attrs, MessageTypeKey.String(capValue(typ, maxLoggedValueBytes)))
	}
	return attrs
}

// The span kinds, made once: an option is an allocation.
var (
	consumerKind = trace.WithSpanKind(trace.SpanKindConsumer)
	producerKind = trace.WithSpanKind(trace.SpanKindProducer)
)

// attemptKey numbers the attempt a span event is about.
const attemptKey = attribute.Key("orders.attempt")

// MessageTypeKey is the span attribute naming a message's versioned wire name (the "type"
// header), which tells the steps of a saga apart where span names, following the
// conventions, only name the topic. No semantic convention covers it, hence the service's
// own namespace.
const MessageTypeKey = attribute.Key("orders.message.type")

// failSpan marks the span failed. The error message is capped: it may quote headers.
func failSpan(span trace.Span, err error) {
	if !span.IsRecording() {
		return
	}
	msg := capValue(err.Error(), maxLoggedValueBytes)
	span.AddEvent(semconv.ExceptionEventName, trace.WithAttributes(semconv.ExceptionMessage(msg)))
	span.SetStatus(codes.Error, msg)
}

// traceLogAttrs are the trace and span IDs for a log line.
func traceLogAttrs(sc trace.SpanContext) []any {
	return []any{"trace_id", sc.TraceID().String(), "span_id", sc.SpanID().String()}
}

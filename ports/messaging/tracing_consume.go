package messaging

import (
	"context"
	"strconv"

	wkafka "github.com/ThreeDotsLabs/watermill-kafka/v3/pkg/kafka"
	"github.com/ThreeDotsLabs/watermill/message"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// handlingSpan is the middleware right inside correlate. It makes the span of handling one
// message: a child of the span that sent it (its traceparent header), or the root of a new
// trace for a message that came without one. Handlers send with the message's context, so
// what they send continues this span. One span covers every attempt, the poison queue and
// the unit of work: a failed attempt is an event on it, not a span of its own. Its trace
// and span IDs join the message's log lines, next to the correlation ID correlate put there.
func (t Tracing) handlingSpan(consumerGroupPrefix string) message.HandlerMiddleware {
	tracer := t.tracer()
	return func(h message.HandlerFunc) message.HandlerFunc {
		return func(msg *message.Message) ([]*message.Message, error) {
			span := t.startHandling(tracer, consumerGroupPrefix, msg)
			produced, err := h(msg) // a panic cannot pass: the recoverer is inside
			endSpan(span, err)
			return produced, err
		}
	}
}

// startHandling starts the span of handling msg and puts it into msg's context.
//
// It is a function of its own, never inlined, so that its locals are off the stack while
// the handler runs: Watermill handles each message in a new goroutine, whose stack grows
// by copying, and these locals held in the handler's caller made it grow more often.
//
//go:noinline
func (t Tracing) startHandling(tracer trace.Tracer, consumerGroupPrefix string, msg *message.Message) trace.Span {
	ctx := t.extract(msg.Context(), msg.Metadata)
	topic := message.SubscribeTopicFromCtx(ctx)
	ctx, span := tracer.Start(ctx, "process "+topic, consumerKind)
	if span.IsRecording() {
		setHandlingAttrs(ctx, span, consumerGroupPrefix, topic, msg)
	}
	logSpan(ctx, span.SpanContext())
	msg.SetContext(ctx)
	return span
}

// setHandlingAttrs describes the handling of msg on its span, when the span records.
func setHandlingAttrs(ctx context.Context, span trace.Span, consumerGroupPrefix, topic string, msg *message.Message) {
	attrs := append(messagingAttrs(semconv.MessagingOperationTypeProcess, "process", topic, msg),
		semconv.MessagingConsumerGroupName(consumerGroupPrefix+message.HandlerNameFromCtx(ctx)))
	if p, ok := wkafka.MessagePartitionFromCtx(ctx); ok {
		attrs = append(attrs, semconv.MessagingDestinationPartitionID(strconv.Itoa(int(p))))
	}
	if o, ok := wkafka.MessagePartitionOffsetFromCtx(ctx); ok {
		attrs = append(attrs, semconv.MessagingKafkaOffset(int(o)))
	}
	span.SetAttributes(attrs...)
}

// logSpan puts the span's IDs on the log lines of the message handled in ctx. They are
// formatted only when a line is written: most messages log nothing.
func logSpan(ctx context.Context, sc trace.SpanContext) {
	l, ok := ctx.Value(loggerKey{}).(*messageLogger)
	if !ok {
		return
	}
	if l.built != nil {
		l.built = l.built.With(traceLogAttrs(sc)...)
		return
	}
	l.span = sc
}

// attemptFailed records a failed attempt on the span of the message handled in ctx; the
// message may still succeed on a later one.
func attemptFailed(ctx context.Context, attempt int, err error) {
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return
	}
	span.AddEvent("attempt failed", trace.WithAttributes(
		attemptKey.Int(attempt),
		semconv.ExceptionMessage(capValue(err.Error(), maxLoggedValueBytes)),
	))
}

// spanPoisoned marks the span of the message handled in ctx failed: the message went to the
// poison topic, and the middleware acknowledges it as if it had succeeded.
func spanPoisoned(ctx context.Context, err error) {
	failSpan(trace.SpanFromContext(ctx), err)
}

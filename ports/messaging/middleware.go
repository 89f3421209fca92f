package messaging

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	wkafka "github.com/ThreeDotsLabs/watermill-kafka/v3/pkg/kafka"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"

	"github.com/example/orders-service/app/bus"
)

// correlate is the outermost middleware. It puts the message's correlation ID and UUID into
// ctx, where the buses pick them up for every message the handler sends, and a logger that
// names the message. A message without a correlation ID gets one, so its consequences and
// a poisoned copy can still be traced together. The Kafka key is kept in metadata so a
// poisoned copy lands on the poison topic with the same key.
func correlate(base *slog.Logger) message.HandlerMiddleware {
	return func(h message.HandlerFunc) message.HandlerFunc {
		return func(msg *message.Message) ([]*message.Message, error) {
			ctx := msg.Context()
			if msg.UUID == "" {
				msg.UUID = uuidFor(ctx)
			}
			corr := msg.Metadata.Get(CorrelationIDKey)
			if corr == "" {
				corr = uuid.NewString()
				msg.Metadata.Set(CorrelationIDKey, corr)
			}
			if key, ok := wkafka.MessageKeyFromCtx(ctx); ok && len(key) > 0 && msg.Metadata.Get(PartitionKeyKey) == "" {
				msg.Metadata.Set(PartitionKeyKey, string(key))
			}
			attrs := []any{
				"correlation_id", corr,
				"message_uuid", msg.UUID,
				"type", capValue(msg.Metadata.Get(TypeKey), maxLoggedValueBytes),
				"key", capValue(msg.Metadata.Get(PartitionKeyKey), maxLoggedValueBytes),
				"handler", message.HandlerNameFromCtx(ctx),
				"topic", message.SubscribeTopicFromCtx(ctx),
			}
			if p, ok := wkafka.MessagePartitionFromCtx(ctx); ok {
				attrs = append(attrs, "partition", p)
			}
			if o, ok := wkafka.MessagePartitionOffsetFromCtx(ctx); ok {
				attrs = append(attrs, "offset", o)
			}
			logger := &messageLogger{base: base, attrs: attrs}
			ctx = bus.WithCorrelationID(ctx, corr)
			ctx = bus.WithCausationID(ctx, msg.UUID)
			ctx = withLogger(ctx, logger)
			msg.SetContext(ctx)

			start := time.Now()
			produced, err := h(msg)
			if err == nil && base.Enabled(ctx, slog.LevelDebug) {
				logger.get().Debug("message handled", "duration", time.Since(start))
			}
			return produced, err
		}
	}
}

// maxLoggedValueBytes caps what a log line repeats of a message's headers: they come from
// whoever produced the message.
const maxLoggedValueBytes = 256

// uuidNamespace scopes the UUIDs given to messages that arrive without one.
var uuidNamespace = uuid.MustParse("9c3a51c2-6c0e-4a5b-8f7e-2b4d1f0e8a77")

// uuidFor names a message that arrived without a UUID (a foreign producer's): by where it
// is in Kafka, so a redelivery gets the same UUID and the inbox recognises it.
func uuidFor(ctx context.Context) string {
	part, okPart := wkafka.MessagePartitionFromCtx(ctx)
	off, okOff := wkafka.MessagePartitionOffsetFromCtx(ctx)
	if !okPart || !okOff {
		return uuid.NewString()
	}
	where := fmt.Sprintf("%s/%d/%d", message.SubscribeTopicFromCtx(ctx), part, off)
	return uuid.NewSHA1(uuidNamespace, []byte(where)).String()
}

// countAttempts runs inside retry, once per attempt, and logs each failure.
func countAttempts(h message.HandlerFunc) message.HandlerFunc {
	return func(msg *message.Message) ([]*message.Message, error) {
		n := 0
		if p, ok := msg.Context().Value(attemptsKey{}).(*int); ok {
			*p++
			n = *p
		}
		produced, err := h(msg)
		if err != nil {
			loggerFrom(msg.Context()).Warn("handling failed", "attempt", n, "err", err)
			attemptFailed(msg.Context(), n, err)
		}
		return produced, err
	}
}

// shouldPoison is false only for a handler stopped by shutdown: its message is not
// acknowledged and comes back after restart. Everything else that failed after retries
// (or at once, when permanent) goes to the poison topic, so the partition keeps flowing.
func shouldPoison(err error) bool {
	return !errors.Is(err, context.Canceled)
}

// shouldRetry is false for permanent errors and after shutdown began.
func shouldRetry(err error) bool {
	return !errors.Is(err, bus.ErrPermanent) && !errors.Is(err, context.Canceled)
}

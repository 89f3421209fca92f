package messaging

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
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
				"type", msg.Metadata.Get(TypeKey),
				"key", msg.Metadata.Get(PartitionKeyKey),
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

type attemptsKey struct{}

// poisonDetails sits between the poison queue and retry: it sees the final error once
// retries are spent, adds what the poison topic's reader needs beyond Watermill's
// *_poisoned metadata (partition, offset, attempts, time), and logs the decision.
func poisonDetails(h message.HandlerFunc) message.HandlerFunc {
	return func(msg *message.Message) ([]*message.Message, error) {
		attempts := new(int)
		ctx := context.WithValue(msg.Context(), attemptsKey{}, attempts)
		msg.SetContext(ctx)
		produced, err := h(msg)
		if err == nil {
			return produced, nil
		}
		logger := loggerFrom(ctx)
		if !shouldPoison(err) {
			logger.Info("handling interrupted by shutdown; the message will be redelivered", "attempts", *attempts)
			return produced, err
		}
		if p, ok := wkafka.MessagePartitionFromCtx(ctx); ok {
			msg.Metadata.Set(PartitionPoisonedKey, strconv.FormatInt(int64(p), 10))
		}
		if o, ok := wkafka.MessagePartitionOffsetFromCtx(ctx); ok {
			msg.Metadata.Set(OffsetPoisonedKey, strconv.FormatInt(o, 10))
		}
		msg.Metadata.Set(AttemptsPoisonedKey, strconv.Itoa(*attempts))
		msg.Metadata.Set(PoisonedAtKey, time.Now().UTC().Format(time.RFC3339Nano))
		logger.Error("message sent to the poison topic", "attempts", *attempts, "permanent", errors.Is(err, bus.ErrPermanent), "err", err)
		return produced, err
	}
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

package messaging

import (
	"context"
	"errors"
	"strconv"
	"time"

	wkafka "github.com/ThreeDotsLabs/watermill-kafka/v3/pkg/kafka"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/example/orders-service/app/bus"
)

// holdWhileUnavailable sits between the poison queue and retry. When a handling fails
// because what the handler depends on is down (bus.ErrUnavailable: the broker did not take
// what it sent, the database did not take its write), it keeps the message and handles it
// again after a pause that doubles up to the maximum, instead of letting the poison queue
// take it: the message is fine, and poisoning it would lose a step of its order's flow. The
// partition waits meanwhile (nothing behind it is skipped), readiness names the stalled
// consumer, and each pause logs one line. It gives up only when the delivery ends (shutdown,
// rebalance): the message is then not acknowledged and is delivered again. Handlers are
// idempotent, so handling a message again after a partial success changes nothing twice.
type holdWhileUnavailable struct {
	backoff PoisonBackoff
	stalls  *stalls
}

func (h holdWhileUnavailable) middleware(next message.HandlerFunc) message.HandlerFunc {
	return func(msg *message.Message) ([]*message.Message, error) {
		ctx := msg.Context()
		where := stallKey(ctx)
		pause := h.backoff.Initial
		for attempt := 1; ; attempt++ {
			produced, err := next(msg)
			if !errors.Is(err, bus.ErrUnavailable) {
				if attempt > 1 {
					h.stalls.clear(where)
					loggerFrom(ctx).Info("a dependency is back; the consumer goes on", "handlings", attempt)
				}
				return produced, err
			}
			h.stalls.set(where, err)
			loggerFrom(ctx).Error("a dependency is unavailable; the message is held and handled again",
				"handling", attempt, "retry_in", pause, "err", err)
			select {
			case <-ctx.Done():
				h.stalls.clear(where)
				// Not poisoned (shouldPoison refuses a canceled delivery): redelivered later.
				return produced, errors.Join(err, ctx.Err())
			case <-time.After(pause):
			}
			msg.SetContext(ctx)
			pause = min(2*pause, h.backoff.Max)
		}
	}
}

// stallKey names where a held message stalls its consumer: the handler and, from Kafka, the
// partition.
func stallKey(ctx context.Context) string {
	where := message.HandlerNameFromCtx(ctx)
	if p, ok := wkafka.MessagePartitionFromCtx(ctx); ok {
		where += " partition " + strconv.FormatInt(int64(p), 10)
	}
	return where
}

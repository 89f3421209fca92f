package messaging

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	wkafka "github.com/ThreeDotsLabs/watermill-kafka/v3/pkg/kafka"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/example/orders-service/app/bus"
)

// PoisonBackoff paces the attempts to publish to the poison topic when that itself fails.
type PoisonBackoff struct {
	Initial time.Duration
	Max     time.Duration
}

// poisonQueue sends a message that failed after its retries, or at once when the failure is
// permanent, to the poison topic, and acknowledges it so its partition keeps flowing. It sits
// outside retry, or retries would be skipped.
//
// It replaces Watermill's PoisonQueue for two reasons. That one publishes the message as it
// came, with the poison headers added, so a record near the size limit no longer fits and the
// partition stops for good; this one publishes a bounded copy (poisonCopy). And that one
// hands a failed publish back as a nack, which the subscriber redelivers every 100 ms
// forever; this one keeps the message and retries the publish with a growing pause, says so
// once per pause, and reports the stalled consumer to readiness until the publish succeeds.
type poisonQueue struct {
	pub     message.Publisher
	topic   string
	limits  PoisonLimits
	backoff PoisonBackoff
	stalls  *stalls
	metrics *Metrics // nil: not counted
}

type attemptsKey struct{}

func (p *poisonQueue) middleware(h message.HandlerFunc) message.HandlerFunc {
	return func(msg *message.Message) ([]*message.Message, error) {
		attempts := new(int)
		// The context of the delivery: the timeout and retry middleware replace the
		// message's context with ones that end with the attempt.
		ctx := context.WithValue(msg.Context(), attemptsKey{}, attempts)
		msg.SetContext(ctx)
		produced, err := h(msg)
		if err == nil {
			p.metrics.handled(ctx, msg, *attempts)
			return produced, nil
		}
		logger := loggerFrom(ctx)
		if !shouldPoison(err) {
			p.metrics.delivered(ctx, msg, outcomeInterrupted)
			logger.Info("handling interrupted by shutdown; the message will be redelivered", "attempts", *attempts)
			return produced, err
		}
		facts := poisonFacts{
			reason:     err.Error(),
			topic:      message.SubscribeTopicFromCtx(ctx),
			handler:    message.HandlerNameFromCtx(ctx),
			subscriber: message.SubscriberNameFromCtx(ctx),
			attempts:   *attempts,
			poisonedAt: time.Now().UTC().Format(time.RFC3339Nano),
		}
		if part, ok := wkafka.MessagePartitionFromCtx(ctx); ok {
			facts.partition = strconv.FormatInt(int64(part), 10)
		}
		if off, ok := wkafka.MessagePartitionOffsetFromCtx(ctx); ok {
			facts.offset = strconv.FormatInt(off, 10)
		}
		poisoned := poisonCopy(msg, facts, p.limits)
		if perr := p.publish(ctx, facts, poisoned); perr != nil {
			p.metrics.delivered(ctx, msg, outcomeInterrupted)
			return nil, errors.Join(err, perr)
		}
		p.metrics.poisonTaken(ctx, msg, facts)
		attrs := []any{"attempts", *attempts, "permanent", errors.Is(err, bus.ErrPermanent), "err", capValue(err.Error(), p.limits.MaxReasonBytes)}
		if poisoned.Metadata.Get(PayloadTruncatedPoisonedKey) != "" {
			attrs = append(attrs, "payload_truncated_from", len(msg.Payload))
		}
		logger.Error("message sent to the poison topic", attrs...)
		spanPoisoned(ctx, err)
		return nil, nil
	}
}

// publish sends the poisoned copy, and while the poison topic does not take it, tries again
// after a pause that doubles up to the maximum. The consumer is reported stalled meanwhile.
// It gives up only when the delivery ends (shutdown or rebalance): the message is then not
// acknowledged, and is delivered again.
func (p *poisonQueue) publish(ctx context.Context, f poisonFacts, poisoned *message.Message) error {
	logger := loggerFrom(ctx)
	where := stallKey(ctx)
	pause := p.backoff.Initial
	for attempt := 1; ; attempt++ {
		err := p.pub.Publish(p.topic, poisoned)
		if err == nil {
			if attempt > 1 {
				p.stalls.clear(where)
				logger.Info("the poison topic took the message; the consumer goes on", "publish_attempts", attempt)
			}
			return nil
		}
		p.stalls.set(where, fmt.Errorf("cannot publish to the poison topic: %w", err))
		logger.Error("cannot publish to the poison topic; the partition waits and the publish is retried",
			"publish_attempt", attempt, "retry_in", pause, "err", err)
		select {
		case <-ctx.Done():
			p.stalls.clear(where)
			return fmt.Errorf("publishing to the poison topic %s: %w (stopped: %w)", p.topic, err, ctx.Err())
		case <-time.After(pause):
		}
		pause = min(2*pause, p.backoff.Max)
	}
}

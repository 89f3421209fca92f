package postgres

import (
	"fmt"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
)

// RelayBackoff paces a relay's attempts to publish a message Kafka refused.
type RelayBackoff struct {
	Initial time.Duration
	Max     time.Duration
}

// DefaultRelayBackoff starts fast, for a broker that is back in a moment, and settles at one
// attempt (and one log line) every ten seconds for one that is not.
var DefaultRelayBackoff = RelayBackoff{Initial: 100 * time.Millisecond, Max: 10 * time.Second}

// relayHold keeps a message the broker refused and publishes it again after a pause that
// doubles up to the maximum, logging once per attempt, until it is taken or the relay stops.
// Without it the forwarder nacks, and the outbox subscriber offers the message again every
// ResendInterval: a hot loop with an error line each time for as long as the broker refuses
// (a topic missing, an ACL). Nothing behind the message in its shard moves meanwhile, which
// keeps the order of a key; Stalled says so.
type relayHold struct {
	backoff RelayBackoff
	logger  watermill.LoggerAdapter

	mu    sync.Mutex
	since time.Time // zero while the relay flows
	cause string
}

func (r *relayHold) middleware(h message.HandlerFunc) message.HandlerFunc {
	return func(msg *message.Message) ([]*message.Message, error) {
		pause := r.backoff.Initial
		for attempt := 1; ; attempt++ {
			produced, err := h(msg)
			if err == nil {
				r.flowing()
				return produced, nil
			}
			r.stalled(err)
			r.logger.Error("outbox relay: Kafka did not take a message; it is held and published again", err,
				watermill.LogFields{"message_uuid": msg.UUID, "attempt": attempt, "retry_in": pause.String()})
			select {
			case <-msg.Context().Done():
				return nil, err
			case <-time.After(pause):
			}
			pause = min(2*pause, r.backoff.Max)
		}
	}
}

func (r *relayHold) stalled(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.since.IsZero() {
		r.since = time.Now()
	}
	r.cause = err.Error()
}

func (r *relayHold) flowing() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.since, r.cause = time.Time{}, ""
}

// err describes the stall, or is nil while the relay flows.
func (r *relayHold) err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.since.IsZero() {
		return nil
	}
	return fmt.Errorf("stalled for %s: %s", time.Since(r.since).Round(time.Second), r.cause)
}

package messaging

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/example/orders-service/app/bus"
)

// A handling that fails because a dependency is down is held and handled again, with a
// growing pause, and never poisoned; anything else passes on to the poison queue as before.
func TestHoldWhileUnavailable(t *testing.T) {
	down := bus.Unavailable(errors.New("kafka: circuit breaker is open"))
	tests := []struct {
		name         string
		results      []error // one per handling; the last repeats
		wantCalls    int
		wantPoisoned bool
	}{
		{"back after three outages", []error{down, down, down, nil}, 4, false},
		{"a permanent failure is poisoned at once", []error{bus.Permanent(errBoom)}, 1, true},
		{"a failure of the message is poisoned", []error{errBoom}, 1, true},
		{"an outage, then a failure of the message", []error{down, errBoom}, 2, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pub := &recordingPublisher{}
			q := testPoisonQueue(pub)
			hold := holdWhileUnavailable{backoff: PoisonBackoff{Initial: 2 * time.Millisecond, Max: 4 * time.Millisecond}, stalls: q.stalls}
			var calls []time.Time
			var stalledMeanwhile error
			handler := func(*message.Message) ([]*message.Message, error) {
				calls = append(calls, time.Now())
				if len(calls) == 2 {
					stalledMeanwhile = q.stalls.err()
				}
				return nil, tt.results[min(len(calls), len(tt.results))-1]
			}
			var logs bytes.Buffer
			msg := loggedMessage(context.Background(), "u", []byte("{}"), &logs)
			if _, err := q.middleware(hold.middleware(handler))(msg); err != nil {
				t.Fatalf("err = %v, want the message handled or poisoned", err)
			}
			if len(calls) != tt.wantCalls {
				t.Fatalf("handled %d times, want %d", len(calls), tt.wantCalls)
			}
			if poisoned := len(pub.all()) == 1; poisoned != tt.wantPoisoned {
				t.Fatalf("poisoned = %v, want %v", poisoned, tt.wantPoisoned)
			}
			if tt.results[0] == down {
				if stalledMeanwhile == nil || !strings.Contains(stalledMeanwhile.Error(), "circuit breaker is open") {
					t.Errorf("while held, stalls = %v, want the cause", stalledMeanwhile)
				}
				if gap := calls[1].Sub(calls[0]); gap < 2*time.Millisecond {
					t.Errorf("handled again after %v, want a pause", gap)
				}
			}
			if err := q.stalls.err(); err != nil {
				t.Errorf("after the handling ended, stalls = %v", err)
			}
		})
	}
}

// When the delivery ends while the message is held, it is neither poisoned nor acknowledged:
// it is delivered again later.
func TestHoldGivesUpWhenTheDeliveryEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	pub := &recordingPublisher{}
	q := testPoisonQueue(pub)
	hold := holdWhileUnavailable{backoff: PoisonBackoff{Initial: time.Millisecond, Max: time.Millisecond}, stalls: q.stalls}
	calls := 0
	handler := func(*message.Message) ([]*message.Message, error) {
		calls++
		if calls == 3 {
			cancel()
		}
		return nil, bus.Unavailable(errors.New("broker down"))
	}
	var logs bytes.Buffer
	_, err := q.middleware(hold.middleware(handler))(loggedMessage(ctx, "u", []byte("{}"), &logs))
	if err == nil || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want the delivery's end", err)
	}
	if n := len(pub.all()); n != 0 {
		t.Fatalf("%d messages poisoned, want none", n)
	}
	if err := q.stalls.err(); err != nil {
		t.Errorf("a delivery that ended still reports a stall: %v", err)
	}
}

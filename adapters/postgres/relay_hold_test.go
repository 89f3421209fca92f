package postgres_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/example/orders-service/adapters/postgres"
)

// refusingPublisher refuses its first refusals publishes, then takes them; onRefuse runs at
// each refusal.
type refusingPublisher struct {
	mu       sync.Mutex
	refusals int
	calls    []time.Time
	taken    []*message.Message
	onRefuse func(call int)
}

var errRefused = errors.New("kafka: topic authorization failed")

func (p *refusingPublisher) Publish(_ string, msgs ...*message.Message) error {
	p.mu.Lock()
	p.calls = append(p.calls, time.Now())
	call := len(p.calls)
	refuse := call <= p.refusals
	if !refuse {
		p.taken = append(p.taken, msgs...)
	}
	p.mu.Unlock()
	if refuse {
		if p.onRefuse != nil {
			p.onRefuse(call)
		}
		return errRefused
	}
	return nil
}

func (p *refusingPublisher) Close() error { return nil }

func (p *refusingPublisher) state() (calls []time.Time, taken int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]time.Time(nil), p.calls...), len(p.taken)
}

// A message Kafka refuses stays in the relay, published again after doubling pauses (not
// offered again every resend interval), and the relay reports the stall until Kafka takes it.
func TestTheRelayHoldsARefusedMessageAndBacksOff(t *testing.T) {
	pool := newDB(t, 4)
	ctx := context.Background()
	out := &refusingPublisher{refusals: 4}
	relay, err := postgres.NewRelay(ctx, pool, 0, out, postgres.RelayBackoff{Initial: 150 * time.Millisecond, Max: 600 * time.Millisecond}, watermill.NopLogger{})
	if err != nil {
		t.Fatal(err)
	}
	var stalledWhileRefused error
	out.onRefuse = func(call int) {
		if call == 2 {
			stalledWhileRefused = relay.Stalled()
		}
	}
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	msg := message.NewMessage(watermill.NewUUID(), []byte("{}"))
	msg.Metadata.Set("partition_key", "order-held")
	msg.SetContext(postgres.WithTx(ctx, tx))
	outbox := postgres.OutboxPublisher{Shards: 1, Logger: watermill.NopLogger{}}
	if err := outbox.Publish("orders.events", msg); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	go func() { _ = relay.Run(context.Background()) }()
	t.Cleanup(func() { _ = relay.Close() })

	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, taken := out.state(); taken == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the held message was never published")
		}
		time.Sleep(10 * time.Millisecond)
	}
	calls, _ := out.state()
	if len(calls) != 5 {
		t.Fatalf("%d publish attempts, want 5 (4 refused, then taken)", len(calls))
	}
	for i, want := range []time.Duration{150, 300, 600, 600} {
		if gap := calls[i+1].Sub(calls[i]); gap < want*time.Millisecond {
			t.Errorf("pause before attempt %d = %v, want at least %v", i+2, gap, want*time.Millisecond)
		}
	}
	if stalledWhileRefused == nil || !strings.Contains(stalledWhileRefused.Error(), errRefused.Error()) {
		t.Errorf("while refused, Stalled() = %v, want the cause", stalledWhileRefused)
	}
	if err := relay.Stalled(); err != nil {
		t.Errorf("after Kafka took the message, Stalled() = %v", err)
	}
}

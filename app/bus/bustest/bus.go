// Package bustest is the in-memory message bus of the application tests. It delivers through
// the application's own routing table, as the messaging port does in production, so the
// tests exercise the very routes the service runs: a handler missing from the table fails
// them as it would fail the service.
package bustest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/example/orders-service/app/bus"
)

// ErrDown is what a Bus told to fail returns.
var ErrDown = errors.New("bus down")

// Envelope is a message as the bus carries it, under the ID the bus gave it.
type Envelope struct {
	ID      string
	Message bus.Message
	kind    bus.Kind
}

// Bus queues what is sent and published. Pump delivers the queue through the routing
// table; Sent and Published take what handlers sent, for tests that check it instead.
type Bus struct {
	mu          sync.Mutex
	routes      map[string][]bus.Route
	seq         int
	queue       []Envelope
	log         []Envelope
	failSend    int
	failPublish int
	// BeforeDelivery, when set, runs before each delivery: a test moves its clock there.
	BeforeDelivery func()
}

var (
	_ bus.CommandSender  = (*Bus)(nil)
	_ bus.EventPublisher = (*Bus)(nil)
)

// Route sets the routing table deliveries go through: the application's, built over this
// bus (app.New(adapters).Routes).
func (b *Bus) Route(routes []bus.Route) error {
	if err := bus.CheckRoutes(routes); err != nil {
		return err
	}
	byName := map[string][]bus.Route{}
	for _, r := range routes {
		byName[r.Message] = append(byName[r.Message], r)
	}
	b.mu.Lock()
	b.routes = byName
	b.mu.Unlock()
	return nil
}

func (b *Bus) Send(_ context.Context, cmd bus.Message) error {
	return b.enqueue(bus.KindCommand, &b.failSend, cmd)
}

func (b *Bus) Publish(_ context.Context, events ...bus.Message) error {
	return b.enqueue(bus.KindEvent, &b.failPublish, events...)
}

func (b *Bus) enqueue(kind bus.Kind, fail *int, ms ...bus.Message) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if *fail > 0 {
		*fail--
		return ErrDown
	}
	for _, m := range ms {
		b.seq++
		b.queue = append(b.queue, Envelope{ID: fmt.Sprint("msg-", b.seq), Message: m, kind: kind})
	}
	return nil
}

// FailSend makes the next n sends fail with ErrDown.
func (b *Bus) FailSend(n int) { b.mu.Lock(); b.failSend = n; b.mu.Unlock() }

// FailPublish makes the next n publishes fail with ErrDown.
func (b *Bus) FailPublish(n int) { b.mu.Lock(); b.failPublish = n; b.mu.Unlock() }

// Sent takes the commands queued since the last call.
func (b *Bus) Sent() []bus.Message { return b.take(bus.KindCommand) }

// Published takes the events queued since the last call.
func (b *Bus) Published() []bus.Message { return b.take(bus.KindEvent) }

func (b *Bus) take(kind bus.Kind) []bus.Message {
	b.mu.Lock()
	defer b.mu.Unlock()
	var taken []bus.Message
	kept := b.queue[:0]
	for _, e := range b.queue {
		if e.kind == kind {
			taken = append(taken, e.Message)
		} else {
			kept = append(kept, e)
		}
	}
	b.queue = kept
	return taken
}

// LastID is the ID of the message queued last.
func (b *Bus) LastID() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.queue[len(b.queue)-1].ID
}

// Deliver hands one message to every route of its type, as encoded JSON decoded again, the
// way the messaging port does; with the envelope's ID, when it has one, as the causation of
// what the handlers send. A message no route takes is an error, unless the table declares
// it published for consumers elsewhere.
func (b *Bus) Deliver(ctx context.Context, env Envelope) error {
	b.mu.Lock()
	routes, known := b.routes[env.Message.MessageName()]
	before := b.BeforeDelivery
	b.mu.Unlock()
	if !known {
		return fmt.Errorf("no route for %s: add it to the routing table", env.Message.MessageName())
	}
	if before != nil {
		before()
	}
	payload, err := json.Marshal(env.Message)
	if err != nil {
		return fmt.Errorf("encoding %s: %w", env.Message.MessageName(), err)
	}
	if env.ID != "" {
		ctx = bus.WithCausationID(ctx, env.ID)
	}
	var errs []error
	for _, r := range routes {
		if r.Handles() {
			errs = append(errs, r.Deliver(ctx, func(into any) error { return json.Unmarshal(payload, into) }))
		}
	}
	return errors.Join(errs...)
}

// Handle delivers m as Deliver does, as a message without an ID: no causation.
func (b *Bus) Handle(ctx context.Context, m bus.Message) error {
	return b.Deliver(ctx, Envelope{Message: m})
}

// Pump delivers the queue, and what that causes, until nothing is left; each message times
// times, as at-least-once delivery may.
func (b *Bus) Pump(ctx context.Context, times int) error {
	for n := 0; ; n++ {
		if n > 10_000 {
			return errors.New("the flow does not settle")
		}
		env, ok := b.next()
		if !ok {
			return nil
		}
		for range times {
			if err := b.Deliver(ctx, env); err != nil {
				return fmt.Errorf("delivering %s: %w", env.Message.MessageName(), err)
			}
		}
	}
}

// Replay delivers every message delivered so far once more, in order, then pumps what that
// caused: a consumer that lost its committed offsets reads everything again.
func (b *Bus) Replay(ctx context.Context) error {
	b.mu.Lock()
	old := append([]Envelope(nil), b.log...)
	b.mu.Unlock()
	for _, env := range old {
		if err := b.Deliver(ctx, env); err != nil {
			return fmt.Errorf("replaying %s: %w", env.Message.MessageName(), err)
		}
	}
	return b.Pump(ctx, 1)
}

// Drop forgets the queue without delivering it.
func (b *Bus) Drop() {
	b.mu.Lock()
	b.queue = nil
	b.mu.Unlock()
}

func (b *Bus) next() (Envelope, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.queue) == 0 {
		return Envelope{}, false
	}
	env := b.queue[0]
	b.queue = b.queue[1:]
	b.log = append(b.log, env)
	return env, true
}

// Package command holds the commands the service accepts: one file per command, with its
// type and its handler, a method of Handlers. Handlers are plain Go: (ctx, command) -> error.
// They are idempotent, because delivery is at-least-once: a redelivered command changes
// nothing twice.
package command

import (
	"context"
	"fmt"
	"time"

	"github.com/example/orders-service/app/bus"
	"github.com/example/orders-service/domain/order"
	"github.com/example/orders-service/domain/stock"
)

// Handlers handle every command over the same dependencies. A new command is a file with
// its type and a method here, and one line in the routing table (app/routes.go).
type Handlers struct {
	Orders order.Repository
	Stock  stock.Repository
	Events bus.EventPublisher
	Clock  func() time.Time // nil: time.Now
}

func (h Handlers) now() time.Time {
	if h.Clock != nil {
		return h.Clock().UTC()
	}
	return time.Now().UTC()
}

func (h Handlers) publish(ctx context.Context, events ...bus.Message) error {
	if len(events) == 0 {
		return nil
	}
	if err := h.Events.Publish(ctx, events...); err != nil {
		return fmt.Errorf("publishing %s: %w", events[0].MessageName(), err)
	}
	return nil
}

// announce is the events to publish for one optional outcome.
func announce(m bus.Message) []bus.Message {
	if m == nil {
		return nil
	}
	return []bus.Message{m}
}

// Package command holds one type and one handler per command the service accepts.
// Handlers are plain Go: (ctx, command) -> error. They are idempotent, because delivery is
// at-least-once: a redelivered command changes nothing twice.
package command

import (
	"context"
	"fmt"
	"time"

	"github.com/example/orders-service/app/bus"
	"github.com/example/orders-service/domain/order"
	"github.com/example/orders-service/domain/stock"
)

// Deps are what command handlers reach. Clock may be nil (time.Now).
type Deps struct {
	Orders order.Repository
	Stock  stock.Repository
	Events bus.EventPublisher
	Clock  func() time.Time
}

type deps struct{ Deps }

func (d deps) now() time.Time {
	if d.Clock != nil {
		return d.Clock().UTC()
	}
	return time.Now().UTC()
}

func (d deps) publish(ctx context.Context, events ...bus.Message) error {
	if len(events) == 0 {
		return nil
	}
	if err := d.Events.Publish(ctx, events...); err != nil {
		return fmt.Errorf("publishing %s: %w", events[0].MessageName(), err)
	}
	return nil
}

// Handlers builds every command handler over the same dependencies.
type Handlers struct {
	PlaceOrder    PlaceOrderHandler
	ConfirmOrder  ConfirmOrderHandler
	RejectOrder   RejectOrderHandler
	CancelOrder   CancelOrderHandler
	ShipOrder     ShipOrderHandler
	SetStockLevel SetStockLevelHandler
	ReserveStock  ReserveStockHandler
	ReleaseStock  ReleaseStockHandler
	ShipStock     ShipStockHandler
}

// NewHandlers wires the handlers.
func NewHandlers(d Deps) Handlers {
	in := deps{d}
	return Handlers{
		PlaceOrder:    PlaceOrderHandler{in},
		ConfirmOrder:  ConfirmOrderHandler{in},
		RejectOrder:   RejectOrderHandler{in},
		CancelOrder:   CancelOrderHandler{in},
		ShipOrder:     ShipOrderHandler{in},
		SetStockLevel: SetStockLevelHandler{in},
		ReserveStock:  ReserveStockHandler{in},
		ReleaseStock:  ReleaseStockHandler{in},
		ShipStock:     ShipStockHandler{in},
	}
}

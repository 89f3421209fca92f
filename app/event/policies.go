// Package event holds what the service does when something happened: policies turn an event
// into the next command of the saga, projections keep read models. Both are idempotent.
// A new reaction is a method in a file of its own and one line in the routing table
// (app/routes.go).
package event

import (
	"context"
	"fmt"

	"github.com/example/orders-service/app/bus"
	"github.com/example/orders-service/app/command"
	"github.com/example/orders-service/domain/order"
	"github.com/example/orders-service/domain/stock"
)

// Policies react to events by sending commands. A redelivered event sends its command
// again: the command handler is the idempotent one.
type Policies struct{ Commands bus.CommandSender }

// ReserveStockOnOrderPlaced asks the stock side to hold the order's items.
func (p Policies) ReserveStockOnOrderPlaced(ctx context.Context, e order.OrderPlaced) error {
	return p.send(ctx, command.ReserveStock{OrderID: e.OrderID, Items: e.Items})
}

// ReleaseStockOnOrderCancelled gives back what a cancelled order holds. It is sent for every
// cancellation: the release is a no-op, or a tombstone, when nothing was held.
func (p Policies) ReleaseStockOnOrderCancelled(ctx context.Context, e order.OrderCancelled) error {
	return p.send(ctx, command.ReleaseStock{OrderID: e.OrderID})
}

// ShipStockOnOrderShipped takes a shipped order's units out of stock.
func (p Policies) ShipStockOnOrderShipped(ctx context.Context, e order.OrderShipped) error {
	return p.send(ctx, command.ShipStock{OrderID: e.OrderID})
}

// ConfirmOrderOnStockReserved completes the saga's happy path.
func (p Policies) ConfirmOrderOnStockReserved(ctx context.Context, e stock.StockReserved) error {
	return p.send(ctx, command.ConfirmOrder{OrderID: e.OrderID})
}

// RejectOrderOnReservationFailed rejects the order with the stock side's reason.
func (p Policies) RejectOrderOnReservationFailed(ctx context.Context, e stock.StockReservationFailed) error {
	return p.send(ctx, command.RejectOrder{OrderID: e.OrderID, Reason: e.Reason})
}

func (p Policies) send(ctx context.Context, cmd bus.Message) error {
	if err := p.Commands.Send(ctx, cmd); err != nil {
		return fmt.Errorf("sending %s for %s: %w", cmd.MessageName(), cmd.PartitionKey(), err)
	}
	return nil
}

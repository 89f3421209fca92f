// Package event holds what the service does when something happened: policies turn an event
// into the next command of the saga, projections keep read models. Both are idempotent.
package event

import (
	"context"
	"fmt"

	"github.com/example/orders-service/app/bus"
	"github.com/example/orders-service/app/command"
	"github.com/example/orders-service/domain/order"
	"github.com/example/orders-service/domain/stock"
)

// ReserveStockOnOrderPlaced asks the stock side to hold the order's items.
type ReserveStockOnOrderPlaced struct{ Commands bus.CommandSender }

func (p ReserveStockOnOrderPlaced) Handle(ctx context.Context, e order.OrderPlaced) error {
	return send(ctx, p.Commands, command.ReserveStock{OrderID: e.OrderID, Items: e.Items})
}

// ReleaseStockOnOrderCancelled gives back what a cancelled order holds. It is sent for every
// cancellation: the release is a no-op, or a tombstone, when nothing was held.
type ReleaseStockOnOrderCancelled struct{ Commands bus.CommandSender }

func (p ReleaseStockOnOrderCancelled) Handle(ctx context.Context, e order.OrderCancelled) error {
	return send(ctx, p.Commands, command.ReleaseStock{OrderID: e.OrderID})
}

// ShipStockOnOrderShipped takes a shipped order's units out of stock.
type ShipStockOnOrderShipped struct{ Commands bus.CommandSender }

func (p ShipStockOnOrderShipped) Handle(ctx context.Context, e order.OrderShipped) error {
	return send(ctx, p.Commands, command.ShipStock{OrderID: e.OrderID})
}

// ConfirmOrderOnStockReserved completes the saga's happy path.
type ConfirmOrderOnStockReserved struct{ Commands bus.CommandSender }

func (p ConfirmOrderOnStockReserved) Handle(ctx context.Context, e stock.StockReserved) error {
	return send(ctx, p.Commands, command.ConfirmOrder{OrderID: e.OrderID})
}

// RejectOrderOnReservationFailed rejects the order with the stock side's reason.
type RejectOrderOnReservationFailed struct{ Commands bus.CommandSender }

func (p RejectOrderOnReservationFailed) Handle(ctx context.Context, e stock.StockReservationFailed) error {
	return send(ctx, p.Commands, command.RejectOrder{OrderID: e.OrderID, Reason: e.Reason})
}

func send(ctx context.Context, commands bus.CommandSender, cmd bus.Message) error {
	if err := commands.Send(ctx, cmd); err != nil {
		return fmt.Errorf("sending %s for %s: %w", cmd.MessageName(), cmd.PartitionKey(), err)
	}
	return nil
}

package command

import (
	"context"
	"errors"
	"fmt"

	"github.com/example/orders-service/app/bus"
	"github.com/example/orders-service/domain/order"
	"github.com/example/orders-service/domain/stock"
)

// ReserveStock holds every line of one order, or none. Keyed by the order ID, so it is
// handled in order with that order's release.
type ReserveStock struct {
	OrderID string       `json:"order_id"`
	Items   []order.Line `json:"items"`
}

func (ReserveStock) MessageName() string    { return "stock.ReserveStock.v1" }
func (c ReserveStock) PartitionKey() string { return c.OrderID }
func (c ReserveStock) Validate() error {
	return errors.Join(order.ValidateID("order_id", c.OrderID), order.ValidateLines(c.Items))
}

// ReserveStock reserves once per order: a redelivery re-announces the stored outcome (held or
// failed) without taking stock again.
func (h Handlers) ReserveStock(ctx context.Context, cmd ReserveStock) error {
	lines := cmd.Items
	var outcome stock.Event
	err := h.Stock.UpdateReservation(ctx, cmd.OrderID, stock.SKUs(lines), func(r *stock.Reservation, levels stock.Levels) error {
		if _, err := r.Reserve(cmd.OrderID, lines, levels); err != nil {
			return bus.Permanent(err)
		}
		// Only the reservation's own outcome is (re-)announced: nothing for a tombstone left by
		// an early release, nor for a reservation already released or shipped.
		if r.Status == stock.ReservationHeld || r.Status == stock.ReservationFailed {
			outcome = r.Event(h.now())
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("reserving stock for order %s: %w", cmd.OrderID, err)
	}
	return h.publish(ctx, announce(outcome)...)
}

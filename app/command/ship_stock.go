package command

import (
	"context"
	"fmt"

	"github.com/example/orders-service/domain/order"
	"github.com/example/orders-service/domain/stock"
)

// ShipStock takes a shipped order's reserved units out of stock.
type ShipStock struct {
	OrderID string `json:"order_id"`
}

func (ShipStock) MessageName() string    { return "stock.ShipStock.v1" }
func (c ShipStock) PartitionKey() string { return c.OrderID }
func (c ShipStock) Validate() error      { return order.ValidateID("order_id", c.OrderID) }

// ShipStock ships once per order: a redelivery re-announces StockShipped and takes nothing.
func (h Handlers) ShipStock(ctx context.Context, cmd ShipStock) error {
	var outcome stock.Event
	err := h.Stock.UpdateReservation(ctx, cmd.OrderID, nil, func(r *stock.Reservation, levels stock.Levels) error {
		r.Ship(levels)
		if r.Status == stock.ReservationShipped {
			outcome = r.Event(h.now())
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("shipping stock of order %s: %w", cmd.OrderID, err)
	}
	return h.publish(ctx, announce(outcome)...)
}

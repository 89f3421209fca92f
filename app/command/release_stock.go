package command

import (
	"context"
	"fmt"

	"github.com/example/orders-service/domain/order"
	"github.com/example/orders-service/domain/stock"
)

// ReleaseStock gives back what an order holds, when it is cancelled.
type ReleaseStock struct {
	OrderID string `json:"order_id"`
}

func (ReleaseStock) MessageName() string    { return "stock.ReleaseStock.v1" }
func (c ReleaseStock) PartitionKey() string { return c.OrderID }
func (c ReleaseStock) Validate() error      { return order.ValidateID("order_id", c.OrderID) }

// ReleaseStock releases once per order. Arriving before the reserve, it leaves a tombstone so the
// late reserve takes nothing.
func (h Handlers) ReleaseStock(ctx context.Context, cmd ReleaseStock) error {
	var outcome stock.Event
	err := h.Stock.UpdateReservation(ctx, cmd.OrderID, nil, func(r *stock.Reservation, levels stock.Levels) error {
		r.Release(cmd.OrderID, levels)
		if r.Status == stock.ReservationReleased {
			outcome = r.Event(h.now())
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("releasing stock of order %s: %w", cmd.OrderID, err)
	}
	return h.publish(ctx, announce(outcome)...)
}

package command

import (
	"context"
	"time"

	"github.com/example/orders-service/domain/order"
)

// ShipOrder comes from a person; only a confirmed order can be shipped.
type ShipOrder struct {
	OrderID string `json:"order_id"`
}

func (ShipOrder) MessageName() string    { return "orders.ShipOrder.v1" }
func (c ShipOrder) PartitionKey() string { return c.OrderID }
func (c ShipOrder) Validate() error      { return order.ValidateID("order_id", c.OrderID) }

// ShipOrder ships a confirmed order.
func (h Handlers) ShipOrder(ctx context.Context, cmd ShipOrder) error {
	return h.transition(ctx, cmd, cmd.OrderID, order.StatusShipped, func(o *order.Order, now time.Time) (order.Event, error) {
		return o.Ship(now)
	})
}

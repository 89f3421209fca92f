package command

import (
	"context"
	"time"

	"github.com/example/orders-service/domain/order"
)

// ConfirmOrder is sent by the order policy once the order's stock is reserved.
type ConfirmOrder struct {
	OrderID string `json:"order_id"`
}

func (ConfirmOrder) MessageName() string    { return "orders.ConfirmOrder.v1" }
func (c ConfirmOrder) PartitionKey() string { return c.OrderID }
func (c ConfirmOrder) Validate() error      { return order.ValidateID("order_id", c.OrderID) }

// ConfirmOrder confirms a pending order; a stale step changes nothing.
func (h Handlers) ConfirmOrder(ctx context.Context, cmd ConfirmOrder) error {
	return h.sagaStep(ctx, cmd, cmd.OrderID, order.StatusConfirmed, func(o *order.Order, now time.Time) (order.Event, error) {
		return o.Confirm(now)
	})
}

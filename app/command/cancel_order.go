package command

import (
	"context"
	"errors"
	"time"

	"github.com/example/orders-service/domain/order"
)

// CancelOrder comes from a person; a pending or confirmed order can be cancelled.
type CancelOrder struct {
	OrderID string `json:"order_id"`
	Reason  string `json:"reason"`
}

func (CancelOrder) MessageName() string    { return "orders.CancelOrder.v1" }
func (c CancelOrder) PartitionKey() string { return c.OrderID }
func (c CancelOrder) Validate() error {
	return errors.Join(order.ValidateID("order_id", c.OrderID), order.ValidateReason("reason", c.Reason))
}

// CancelOrder cancels a pending or confirmed order.
func (h Handlers) CancelOrder(ctx context.Context, cmd CancelOrder) error {
	return h.transition(ctx, cmd, cmd.OrderID, order.StatusCancelled, func(o *order.Order, now time.Time) (order.Event, error) {
		return o.Cancel(cmd.Reason, now)
	})
}

package command

import (
	"context"
	"time"

	"github.com/example/orders-service/domain/order"
)

// RejectOrder is sent by the order policy when the order's stock cannot be reserved.
type RejectOrder struct {
	OrderID string `json:"order_id"`
	Reason  string `json:"reason"`
}

func (RejectOrder) MessageName() string    { return "orders.RejectOrder.v1" }
func (c RejectOrder) PartitionKey() string { return c.OrderID }
func (c RejectOrder) Validate() error      { return order.ValidateID("order_id", c.OrderID) }

// RejectOrder rejects a pending order; a stale step changes nothing.
func (h Handlers) RejectOrder(ctx context.Context, cmd RejectOrder) error {
	return h.sagaStep(ctx, cmd, cmd.OrderID, order.StatusRejected, func(o *order.Order, now time.Time) (order.Event, error) {
		return o.Reject(cmd.Reason, now)
	})
}

package command

import (
	"context"
	"errors"
	"fmt"

	"github.com/example/orders-service/app/bus"
	"github.com/example/orders-service/domain/order"
)

// PlaceOrder asks for a new order. Its ID is chosen by the sender so a retried request
// (same Idempotency-Key) names the same order.
type PlaceOrder struct {
	OrderID    string       `json:"order_id"`
	CustomerID string       `json:"customer_id"`
	Items      []order.Line `json:"items"`
}

func (PlaceOrder) MessageName() string    { return "orders.PlaceOrder.v1" }
func (c PlaceOrder) PartitionKey() string { return c.OrderID }
func (c PlaceOrder) Validate() error {
	return errors.Join(order.ValidateID("order_id", c.OrderID), order.ValidateID("customer_id", c.CustomerID), order.ValidateLines(c.Items))
}

// PlaceOrder creates the order and announces it.
func (h Handlers) PlaceOrder(ctx context.Context, cmd PlaceOrder) error {
	lines := cmd.Items
	var announce []bus.Message
	err := h.Orders.Update(ctx, cmd.OrderID, func(current *order.Order) (*order.Order, error) {
		if current != nil {
			announce = h.repeatedPlacement(ctx, current, cmd, lines)
			return nil, nil
		}
		o, placed, err := order.New(cmd.OrderID, cmd.CustomerID, lines, h.now())
		if err != nil {
			return nil, err
		}
		announce = []bus.Message{placed}
		return o, nil
	})
	if errors.Is(err, order.ErrInvalidOrder) {
		// The HTTP port validates the same rules, so only a foreign or broken sender gets here.
		return bus.Permanent(fmt.Errorf("placing order %s: %w", cmd.OrderID, err))
	}
	if err != nil {
		return fmt.Errorf("placing order %s: %w", cmd.OrderID, err)
	}
	return h.publish(ctx, announce...)
}

// repeatedPlacement decides what a PlaceOrder for an existing order means. The same
// placement redelivered while the order is still pending re-announces OrderPlaced, since
// the first attempt may have saved the order and failed to publish; later it is stale and
// changes nothing. A different placement under the same ID is refused, visibly.
func (h Handlers) repeatedPlacement(ctx context.Context, current *order.Order, cmd PlaceOrder, lines []order.Line) []bus.Message {
	if !current.SameAs(cmd.CustomerID, lines) {
		return []bus.Message{h.refusal(ctx, cmd, cmd.OrderID, "order ID already used for a different order")}
	}
	if current.Status() == order.StatusPending {
		return []bus.Message{current.StatusEvent()}
	}
	return nil
}

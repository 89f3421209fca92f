package command

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/example/orders-service/app/bus"
	"github.com/example/orders-service/domain/order"
)

// transition applies one status change to an order and announces the outcome:
//   - the change is allowed: save, then publish the new status's event;
//   - the order already has the target status (a redelivery): re-publish that event, since
//     the first attempt may have saved and then failed to publish;
//   - any other rule violation, or an unknown order: publish OrderCommandRefused. That is
//     an outcome the read model shows, not an error, so nothing is retried or poisoned.
//     Saga steps (confirm, reject) are the exception: when the order has moved on, because a
//     person cancelled it meanwhile or the step is a redelivery, the step is stale and
//     changes nothing, silently.
func (h Handlers) transition(ctx context.Context, cmd bus.Message, orderID string, target order.Status, apply func(*order.Order, time.Time) (order.Event, error)) error {
	return h.apply(ctx, cmd, orderID, target, false, apply)
}

func (h Handlers) sagaStep(ctx context.Context, cmd bus.Message, orderID string, target order.Status, apply func(*order.Order, time.Time) (order.Event, error)) error {
	return h.apply(ctx, cmd, orderID, target, true, apply)
}

func (h Handlers) apply(ctx context.Context, cmd bus.Message, orderID string, target order.Status, staleIsQuiet bool, apply func(*order.Order, time.Time) (order.Event, error)) error {
	var announcement bus.Message
	err := h.Orders.Update(ctx, orderID, func(current *order.Order) (*order.Order, error) {
		if current == nil {
			announcement = h.refusal(ctx, cmd, orderID, "unknown order")
			return nil, nil
		}
		if current.Status() == target {
			announcement = current.StatusEvent()
			return nil, nil
		}
		event, err := apply(current, h.now())
		if err != nil {
			var refused *order.TransitionError
			if errors.As(err, &refused) && staleIsQuiet {
				return nil, nil
			}
			if errors.As(err, &refused) {
				announcement = h.refusal(ctx, cmd, orderID, refused.Error())
				return nil, nil
			}
			return nil, err
		}
		announcement = event
		return current, nil
	})
	if err != nil {
		return fmt.Errorf("%s for order %s: %w", cmd.MessageName(), orderID, err)
	}
	return h.publish(ctx, announce(announcement)...)
}

func (h Handlers) refusal(ctx context.Context, cmd bus.Message, orderID, reason string) bus.Message {
	return order.OrderCommandRefused{OrderID: orderID, Command: cmd.MessageName(), CommandID: bus.CausationID(ctx), Reason: reason, OccurredAt: h.now()}
}

package event

import (
	"context"
	"fmt"

	"github.com/example/orders-service/app/query"
	"github.com/example/orders-service/domain/order"
)

// OrderProjection keeps the order read model from order events. Each method is one event's
// handler.
//
// The version contract: every order event carries the order's version right after the
// change it records (order.Header.Version), and the read model applies an event only when
// its version is higher than the view's, so a replayed or late event changes nothing. That
// holds because each event is announced with the version of its own change: an aggregate
// method returns the event of the change it made, and re-announcing (order.StatusEvent)
// is only for the change that set the current status. Refusals carry no version: they are
// kept by the command message's ID instead.
type OrderProjection struct{ ReadModel query.OrderReadModel }

func (p OrderProjection) OnPlaced(ctx context.Context, e order.OrderPlaced) error {
	return p.apply(ctx, e.Header, func(v *query.OrderView) {
		v.CustomerID = e.CustomerID
		v.Items = e.Items
		v.Status = order.StatusPending
		v.CreatedAt = e.OccurredAt
	})
}

func (p OrderProjection) OnConfirmed(ctx context.Context, e order.OrderConfirmed) error {
	return p.apply(ctx, e.Header, status(order.StatusConfirmed, ""))
}

func (p OrderProjection) OnRejected(ctx context.Context, e order.OrderRejected) error {
	return p.apply(ctx, e.Header, status(order.StatusRejected, e.Reason))
}

func (p OrderProjection) OnCancelled(ctx context.Context, e order.OrderCancelled) error {
	return p.apply(ctx, e.Header, status(order.StatusCancelled, e.Reason))
}

func (p OrderProjection) OnShipped(ctx context.Context, e order.OrderShipped) error {
	return p.apply(ctx, e.Header, status(order.StatusShipped, ""))
}

func (p OrderProjection) OnCommandRefused(ctx context.Context, e order.OrderCommandRefused) error {
	err := p.ReadModel.AddRefusal(ctx, e.OrderID, query.Refusal{CommandID: e.CommandID, Command: e.Command, Reason: e.Reason, At: e.OccurredAt})
	if err != nil {
		return fmt.Errorf("recording refusal of %s for order %s: %w", e.Command, e.OrderID, err)
	}
	return nil
}

func (p OrderProjection) apply(ctx context.Context, h order.Header, change func(*query.OrderView)) error {
	err := p.ReadModel.Apply(ctx, h.OrderID, h.Version, func(v *query.OrderView) {
		change(v)
		v.ID = h.OrderID
		v.Version = h.Version
		v.UpdatedAt = h.OccurredAt
	})
	if err != nil {
		return fmt.Errorf("projecting order %s version %d: %w", h.OrderID, h.Version, err)
	}
	return nil
}

func status(s order.Status, reason string) func(*query.OrderView) {
	return func(v *query.OrderView) {
		v.Status = s
		v.Reason = reason
	}
}

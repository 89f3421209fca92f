package query

import (
	"context"
	"fmt"

	"github.com/example/orders-service/domain/order"
)

// DefaultListLimit and MaxListLimit bound GET /orders.
const (
	DefaultListLimit = 50
	MaxListLimit     = 500
)

// OrderHandler reads one order.
type OrderHandler struct{ ReadModel OrderReadModel }

func (h OrderHandler) Handle(ctx context.Context, orderID string) (OrderView, error) {
	v, err := h.ReadModel.Get(ctx, orderID)
	if err != nil {
		return OrderView{}, fmt.Errorf("reading order %s: %w", orderID, err)
	}
	return v, nil
}

// OrdersHandler lists orders.
type OrdersHandler struct{ ReadModel OrderReadModel }

func (h OrdersHandler) Handle(ctx context.Context, f OrderFilter) ([]OrderView, error) {
	if f.Limit <= 0 {
		f.Limit = DefaultListLimit
	}
	if f.Limit > MaxListLimit {
		f.Limit = MaxListLimit
	}
	if f.Status != "" {
		if _, err := order.ParseStatus(string(f.Status)); err != nil {
			return nil, err
		}
	}
	views, err := h.ReadModel.List(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("listing orders: %w", err)
	}
	return views, nil
}

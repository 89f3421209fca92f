package command

import (
	"context"
	"errors"
	"fmt"

	"github.com/example/orders-service/app/bus"
	"github.com/example/orders-service/domain/order"
	"github.com/example/orders-service/domain/stock"
)

// SetStockLevel records a stock count: the units of a SKU on hand, reserved ones included.
type SetStockLevel struct {
	SKU      string `json:"sku"`
	Quantity int    `json:"quantity"`
}

func (SetStockLevel) MessageName() string    { return "stock.SetStockLevel.v1" }
func (c SetStockLevel) PartitionKey() string { return c.SKU }
func (c SetStockLevel) Validate() error {
	return errors.Join(order.ValidateSKU("sku", c.SKU), stock.ValidateOnHand(c.Quantity))
}

// SetStockLevel is idempotent by nature: the same count recorded twice, even with reservations made
// in between, leaves the same level.
func (h Handlers) SetStockLevel(ctx context.Context, cmd SetStockLevel) error {
	var level stock.Level
	err := h.Stock.UpdateLevel(ctx, cmd.SKU, func(l *stock.Level) error {
		if err := l.SetOnHand(cmd.Quantity); err != nil {
			return err
		}
		level = *l
		return nil
	})
	if errors.Is(err, stock.ErrInvalidLevel) {
		return bus.Permanent(fmt.Errorf("setting stock of %s: %w", cmd.SKU, err))
	}
	if err != nil {
		return fmt.Errorf("setting stock of %s: %w", cmd.SKU, err)
	}
	return h.publish(ctx, stock.StockLevelSet{SKU: level.SKU, OnHand: level.OnHand, Available: level.Available(), Reserved: level.Reserved, OccurredAt: h.now()})
}

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
// CountID names the count (a time-ordered UUID chosen where it was taken), so that counts
// apply in order and a redelivered one changes nothing; it may be empty for senders that
// do not name counts, whose counts then apply as they come.
type SetStockLevel struct {
	SKU      string `json:"sku"`
	Quantity int    `json:"quantity"`
	CountID  string `json:"count_id,omitempty"`
}

func (SetStockLevel) MessageName() string    { return "stock.SetStockLevel.v1" }
func (c SetStockLevel) PartitionKey() string { return c.SKU }
func (c SetStockLevel) Validate() error {
	return errors.Join(order.ValidateSKU("sku", c.SKU), stock.ValidateOnHand(c.Quantity))
}

// SetStockLevel records the count unless the level starts from it, or from a later one,
// already: the same count delivered again, after reservations or shipments, changes nothing.
// Either way it announces the level as it stands.
func (h Handlers) SetStockLevel(ctx context.Context, cmd SetStockLevel) error {
	var level stock.Level
	err := h.Stock.UpdateLevel(ctx, cmd.SKU, func(l *stock.Level) error {
		if _, err := l.Count(cmd.CountID, cmd.Quantity); err != nil {
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

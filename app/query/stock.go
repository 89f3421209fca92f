package query

import (
	"context"
	"fmt"

	"github.com/example/orders-service/domain/stock"
)

// StockHandler reads the level of one SKU straight from the stock repository.
type StockHandler struct{ Stock stock.Repository }

func (h StockHandler) Handle(ctx context.Context, sku string) (stock.Level, error) {
	l, err := h.Stock.Level(ctx, sku)
	if err != nil {
		return stock.Level{}, fmt.Errorf("reading stock of %s: %w", sku, err)
	}
	l.SKU = sku
	return l, nil
}

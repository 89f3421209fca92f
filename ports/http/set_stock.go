package http

import (
	"fmt"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/example/orders-service/app/command"
	"github.com/example/orders-service/domain/stock"
)

// PUT /stock/{sku}: record a stock count.

type setStockRequest struct {
	Quantity *jsonInteger `json:"quantity"`
}

func (s *Server) setStock(c echo.Context) error {
	return acceptCommand(s, c, aSKU, func(sku string, req setStockRequest) (command.SetStockLevel, error) {
		var broken fieldErrors
		switch {
		case req.Quantity == nil:
			broken.missing("quantity")
		case stock.ValidateOnHand(req.Quantity.value) != nil:
			// The stock package's errors name no field, so the rule is worded here; its bound is stock's.
			broken = append(broken, FieldError{"quantity", fmt.Sprintf("must be between 0 and %d, got %s", stock.MaxLevel, req.Quantity)})
		}
		if err := broken.problem(); err != nil {
			return command.SetStockLevel{}, err
		}
		// The count is named here, where it is taken: counts of a SKU then apply in the order
		// they were taken, and a redelivered one changes nothing.
		countID, err := uuid.NewV7()
		if err != nil {
			return command.SetStockLevel{}, fmt.Errorf("naming the stock count: %w", err)
		}
		return command.SetStockLevel{SKU: sku, Quantity: req.Quantity.value, CountID: countID.String()}, nil
	})
}

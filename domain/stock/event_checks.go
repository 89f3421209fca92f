package stock

import (
	"errors"
	"fmt"

	"github.com/example/orders-service/domain/order"
)

// The checks a consumer applies to a stock event before acting on it: an event from a
// foreign or broken producer that fails one is rejected where it arrives, with the reason.

// ErrInvalidEvent is wrapped by every failed check of a stock event.
var ErrInvalidEvent = errors.New("invalid stock event")

func (e StockLevelSet) Validate() error {
	return errors.Join(requireID("sku", e.SKU), ValidateOnHand(e.OnHand), checkCount("reserved", e.Reserved), checkCount("available", e.Available))
}

func (e StockReserved) Validate() error {
	return errors.Join(requireID("order_id", e.OrderID), validateItems(e.Items))
}

func (e StockReservationFailed) Validate() error { return requireID("order_id", e.OrderID) }

// A release or shipment may hold no items: a release that came before its reservation.
func (e StockReleased) Validate() error { return requireID("order_id", e.OrderID) }
func (e StockShipped) Validate() error  { return requireID("order_id", e.OrderID) }

func requireID(what, id string) error {
	if id == "" {
		return fmt.Errorf("%w: %s is required", ErrInvalidEvent, what)
	}
	return nil
}

func checkCount(what string, n int) error {
	if n < 0 || n > MaxLevel {
		return fmt.Errorf("%w: %s %d is outside 0..%d", ErrInvalidEvent, what, n, MaxLevel)
	}
	return nil
}

func validateItems(items []order.Line) error {
	if err := validateLines(items); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidEvent, err)
	}
	return nil
}

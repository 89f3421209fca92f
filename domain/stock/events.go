package stock

import (
	"errors"
	"fmt"
	"time"

	"github.com/example/orders-service/domain/order"
)

// Stock events. Those caused by an order are keyed by the order ID so they stay in that
// order's partition; a level change is keyed by its SKU.

// Event is a fact about stock, as its aggregates announce it.
type Event interface {
	MessageName() string
	PartitionKey() string
	Validate() error
}

type StockLevelSet struct {
	SKU        string    `json:"sku"`
	OnHand     int       `json:"on_hand"`
	Available  int       `json:"available"`
	Reserved   int       `json:"reserved"`
	OccurredAt time.Time `json:"occurred_at"`
}

func (StockLevelSet) MessageName() string    { return "stock.StockLevelSet.v1" }
func (e StockLevelSet) PartitionKey() string { return e.SKU }

type StockReserved struct {
	OrderID    string       `json:"order_id"`
	Items      []order.Line `json:"items"`
	OccurredAt time.Time    `json:"occurred_at"`
}

func (StockReserved) MessageName() string    { return "stock.StockReserved.v1" }
func (e StockReserved) PartitionKey() string { return e.OrderID }

type StockReservationFailed struct {
	OrderID    string    `json:"order_id"`
	Reason     string    `json:"reason"`
	OccurredAt time.Time `json:"occurred_at"`
}

func (StockReservationFailed) MessageName() string    { return "stock.StockReservationFailed.v1" }
func (e StockReservationFailed) PartitionKey() string { return e.OrderID }

type StockReleased struct {
	OrderID    string       `json:"order_id"`
	Items      []order.Line `json:"items"`
	OccurredAt time.Time    `json:"occurred_at"`
}

func (StockReleased) MessageName() string    { return "stock.StockReleased.v1" }
func (e StockReleased) PartitionKey() string { return e.OrderID }

type StockShipped struct {
	OrderID    string       `json:"order_id"`
	Items      []order.Line `json:"items"`
	OccurredAt time.Time    `json:"occurred_at"`
}

func (StockShipped) MessageName() string    { return "stock.StockShipped.v1" }
func (e StockShipped) PartitionKey() string { return e.OrderID }

// Event is the fact that describes the reservation's current status; nil when there is
// nothing worth announcing (a tombstone left by an early release).
func (r *Reservation) Event(now time.Time) Event {
	switch {
	case r.Status == ReservationReleased && len(r.Lines) == 0:
		return nil
	}
	switch r.Status {
	case ReservationHeld:
		return StockReserved{OrderID: r.OrderID, Items: r.Lines, OccurredAt: now}
	case ReservationFailed:
		return StockReservationFailed{OrderID: r.OrderID, Reason: r.Reason, OccurredAt: now}
	case ReservationReleased:
		return StockReleased{OrderID: r.OrderID, Items: r.Lines, OccurredAt: now}
	case ReservationShipped:
		return StockShipped{OrderID: r.OrderID, Items: r.Lines, OccurredAt: now}
	}
	return nil
}

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

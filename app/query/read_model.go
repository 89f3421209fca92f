// Package query serves the read side: order views kept by the projection, and stock levels.
package query

import (
	"context"
	"errors"
	"time"

	"github.com/example/orders-service/domain/order"
)

// ErrNotFound is returned for an order the read model does not hold (yet).
var ErrNotFound = errors.New("not found")

// OrderView is an order as readers see it. It is eventually consistent with the Order
// aggregate: the projection builds it from events.
type OrderView struct {
	ID         string
	CustomerID string
	Items      []order.Line
	Status     order.Status
	Reason     string
	Version    int
	CreatedAt  time.Time
	UpdatedAt  time.Time
	// Refusals are commands that broke a rule, newest last.
	Refusals []Refusal
}

// Refusal is a command the order refused, and why.
type Refusal struct {
	// CommandID is the refused command's message UUID; empty when unknown.
	CommandID string
	Command   string
	Reason    string
	At        time.Time
}

// OrderFilter narrows a listing. Zero values mean "any" (a zero Limit: no limit).
type OrderFilter struct {
	Status order.Status
	Limit  int
}

// OrderReadModel stores OrderViews. Implementations must make Apply atomic per order.
type OrderReadModel interface {
	// Apply changes the view of orderID at version, creating it when absent, and does
	// nothing when the stored view is already at that version or newer. That is what makes
	// the projection idempotent and immune to re-announced events.
	Apply(ctx context.Context, orderID string, version int, change func(v *OrderView)) error
	// AddRefusal records a refusal once: one with the CommandID of a recorded one, or
	// identical to one, is ignored.
	AddRefusal(ctx context.Context, orderID string, r Refusal) error
	Get(ctx context.Context, orderID string) (OrderView, error)
	// List returns views newest first.
	List(ctx context.Context, f OrderFilter) ([]OrderView, error)
}

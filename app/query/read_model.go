// Package query serves the read side: order views kept by the projection, and stock levels.
package query

import (
	"context"
	"errors"
	"slices"
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

// MaxRefusals bounds what one view keeps of refused commands: a client that repeats a
// refused command must not grow the view without end.
const MaxRefusals = 20

// AddRefusal records r once, newest last, and reports whether it did. A refusal with the
// CommandID of a recorded one is the same message handled again (redelivered, or retried
// once the order had moved on) and is ignored; without a CommandID only an identical
// refusal is. Beyond MaxRefusals the oldest are dropped. Both read models apply this one
// rule, so they keep the same refusals.
func (v *OrderView) AddRefusal(r Refusal) (added bool) {
	if slices.ContainsFunc(v.Refusals, r.sameAs) {
		return false
	}
	// A new array, never the old one's spare capacity or a shifted copy in place: a copy
	// of the view made before shares that array and must not see its refusals change.
	kept := v.Refusals[max(0, len(v.Refusals)+1-MaxRefusals):]
	v.Refusals = append(slices.Clip(kept), r)
	return true
}

// Refusal is a command the order refused, and why.
type Refusal struct {
	// CommandID is the refused command's message UUID; empty when unknown.
	CommandID string
	Command   string
	Reason    string
	At        time.Time
}

// sameAs reports whether r records the refusal recorded as seen. Times are compared as
// instants: a stored time may come back in another zone.
func (r Refusal) sameAs(seen Refusal) bool {
	if r.CommandID != "" && seen.CommandID == r.CommandID {
		return true
	}
	at := seen.At
	seen.At = r.At // the time compares as an instant, every other field with ==
	return seen == r && at.Equal(r.At)
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
	// AddRefusal records a refusal of an order it holds a view of, by OrderView.AddRefusal
	// and atomically per order; a refusal of an order without a view is dropped.
	AddRefusal(ctx context.Context, orderID string, r Refusal) error
	Get(ctx context.Context, orderID string) (OrderView, error)
	// List returns views newest first; none is an empty slice, not nil.
	List(ctx context.Context, f OrderFilter) ([]OrderView, error)
}

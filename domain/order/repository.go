package order

import (
	"context"
	"errors"
)

// ErrNotFound is returned by a Repository for an ID it does not hold.
var ErrNotFound = errors.New("order not found")

// Repository stores orders. Implementations live in adapters/ and must pass the shared
// contract test in adapters/repositorytest.
type Repository interface {
	// Update loads the order (nil when there is none), calls update while holding the
	// order exclusively, and stores the order update returns. Returning nil stores nothing;
	// returning an error stores nothing and Update returns that error.
	Update(ctx context.Context, id string, update func(current *Order) (*Order, error)) error
	// Get returns the stored order or ErrNotFound.
	Get(ctx context.Context, id string) (*Order, error)
}

// Package memory holds in-memory repositories and read models: the zero-setup default and
// the fast path for tests. State lives as long as the process does.
package memory

import (
	"context"
	"sync"

	"github.com/example/orders-service/domain/order"
)

// OrderRepository keeps orders in a map. Update holds one lock for the whole call; the
// callbacks are pure domain logic, so the lock is held for microseconds.
type OrderRepository struct {
	mu     sync.Mutex
	orders map[string]order.Snapshot
}

func NewOrderRepository() *OrderRepository {
	return &OrderRepository{orders: make(map[string]order.Snapshot)}
}

func (r *OrderRepository) Update(ctx context.Context, id string, update func(*order.Order) (*order.Order, error)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var current *order.Order
	if s, ok := r.orders[id]; ok {
		// A copy, so a failing update cannot leave half a change behind.
		current = order.FromSnapshot(s)
	}
	updated, err := update(current)
	if err != nil || updated == nil {
		return err
	}
	r.orders[id] = updated.Snapshot()
	return nil
}

func (r *OrderRepository) Get(ctx context.Context, id string) (*order.Order, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.orders[id]
	if !ok {
		return nil, order.ErrNotFound
	}
	return order.FromSnapshot(s), nil
}

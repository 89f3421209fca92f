package memory

import (
	"context"
	"slices"
	"sync"

	"github.com/example/orders-service/app/query"
)

// OrderReadModel keeps order views in a map, and their IDs in creation order so a listing
// newest first needs no sort. It implements query.OrderChanges too: a change of a view
// wakes the waiters of that order.
type OrderReadModel struct {
	mu      sync.RWMutex
	views   map[string]*query.OrderView
	order   []string
	changes OrderChanges
}

var (
	_ query.OrderReadModel = (*OrderReadModel)(nil)
	_ query.OrderChanges   = (*OrderReadModel)(nil)
)

func NewOrderReadModel() *OrderReadModel {
	return &OrderReadModel{views: make(map[string]*query.OrderView)}
}

func (m *OrderReadModel) Apply(ctx context.Context, orderID string, version int, change func(*query.OrderView)) error {
	if m.apply(orderID, version, change) {
		m.changes.Signal(orderID)
	}
	return nil
}

// apply reports whether it changed the view.
func (m *OrderReadModel) apply(orderID string, version int, change func(*query.OrderView)) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.views[orderID]
	if !ok {
		v = &query.OrderView{ID: orderID}
		m.views[orderID] = v
		m.order = append(m.order, orderID)
	}
	if v.Version >= version {
		return false
	}
	change(v)
	return true
}

func (m *OrderReadModel) AddRefusal(ctx context.Context, orderID string, r query.Refusal) error {
	if m.addRefusal(orderID, r) {
		m.changes.Signal(orderID)
	}
	return nil
}

// addRefusal reports whether it recorded the refusal.
func (m *OrderReadModel) addRefusal(orderID string, r query.Refusal) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.views[orderID]
	return ok && v.AddRefusal(r)
}

// Changed registers a waiter of orderID, signalled after a change of its view; see
// OrderChanges.
func (m *OrderReadModel) Changed(orderID string) (<-chan struct{}, func()) {
	return m.changes.Changed(orderID)
}

func (m *OrderReadModel) Get(ctx context.Context, orderID string) (query.OrderView, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	v, ok := m.views[orderID]
	if !ok || v.Version == 0 {
		return query.OrderView{}, query.ErrNotFound
	}
	return clone(v), nil
}

func (m *OrderReadModel) List(ctx context.Context, f query.OrderFilter) ([]query.OrderView, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	limit := f.Limit
	if limit <= 0 {
		limit = len(m.order)
	}
	out := make([]query.OrderView, 0, min(limit, len(m.order)))
	for i := len(m.order) - 1; i >= 0 && len(out) < limit; i-- {
		v := m.views[m.order[i]]
		if v.Version == 0 || (f.Status != "" && v.Status != f.Status) {
			continue
		}
		out = append(out, clone(v))
	}
	return out, nil
}

func clone(v *query.OrderView) query.OrderView {
	c := *v
	c.Items = slices.Clone(v.Items)
	c.Refusals = slices.Clone(v.Refusals)
	return c
}

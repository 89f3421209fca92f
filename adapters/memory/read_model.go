package memory

import (
	"context"
	"slices"
	"sync"

	"github.com/example/orders-service/app/query"
)

// maxRefusals bounds what one order keeps of refused commands.
const maxRefusals = 20

// OrderReadModel keeps order views in a map, and their IDs in creation order so a listing
// newest first needs no sort.
type OrderReadModel struct {
	mu    sync.RWMutex
	views map[string]*query.OrderView
	order []string
}

func NewOrderReadModel() *OrderReadModel {
	return &OrderReadModel{views: make(map[string]*query.OrderView)}
}

func (m *OrderReadModel) Apply(ctx context.Context, orderID string, version int, change func(*query.OrderView)) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.views[orderID]
	if !ok {
		v = &query.OrderView{ID: orderID}
		m.views[orderID] = v
		m.order = append(m.order, orderID)
	}
	if v.Version >= version {
		return nil
	}
	change(v)
	return nil
}

func (m *OrderReadModel) AddRefusal(ctx context.Context, orderID string, r query.Refusal) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.views[orderID]
	if !ok || slices.ContainsFunc(v.Refusals, func(seen query.Refusal) bool {
		return seen == r || (r.CommandID != "" && seen.CommandID == r.CommandID)
	}) {
		return nil
	}
	v.Refusals = append(v.Refusals, r)
	if len(v.Refusals) > maxRefusals {
		v.Refusals = slices.Delete(v.Refusals, 0, len(v.Refusals)-maxRefusals)
	}
	return nil
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

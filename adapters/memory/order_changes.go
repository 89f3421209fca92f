package memory

import (
	"slices"
	"sync"
	"sync/atomic"

	"github.com/example/orders-service/app/query"
)

// OrderChanges fans signals out to the waiters of each order, within this process. It
// implements query.OrderChanges: the in-memory read model signals it when a view changes,
// and the PostgreSQL adapter when a notification arrives. The zero value is ready.
//
// A signal is one-shot: it closes the channels of the order's current waiters and forgets
// them; a waiter that goes on waiting subscribes again. Signalling while nobody waits costs
// one atomic load; signalling an order nobody waits for, a map lookup under a lock.
type OrderChanges struct {
	waiting atomic.Int64 // waiters registered, over all orders
	mu      sync.Mutex
	waiters map[string][]chan struct{}
}

var _ query.OrderChanges = (*OrderChanges)(nil)

// Changed registers a waiter of orderID.
func (c *OrderChanges) Changed(orderID string) (<-chan struct{}, func()) {
	ch := make(chan struct{})
	c.mu.Lock()
	if c.waiters == nil {
		c.waiters = make(map[string][]chan struct{})
	}
	c.waiters[orderID] = append(c.waiters[orderID], ch)
	c.waiting.Add(1)
	c.mu.Unlock()
	return ch, func() { c.release(orderID, ch) }
}

// release forgets a waiter that was not signalled yet.
func (c *OrderChanges) release(orderID string, ch chan struct{}) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ws := c.waiters[orderID]
	i := slices.Index(ws, ch)
	if i < 0 {
		return // signalled, or released before
	}
	if len(ws) == 1 {
		delete(c.waiters, orderID)
	} else {
		ws[i] = ws[len(ws)-1]
		ws[len(ws)-1] = nil
		c.waiters[orderID] = ws[:len(ws)-1]
	}
	c.waiting.Add(-1)
}

// Signal wakes every waiter of orderID.
func (c *OrderChanges) Signal(orderID string) {
	if c.waiting.Load() == 0 {
		return
	}
	c.mu.Lock()
	ws, ok := c.waiters[orderID]
	if ok {
		delete(c.waiters, orderID)
		c.waiting.Add(-int64(len(ws)))
	}
	c.mu.Unlock()
	for _, ch := range ws {
		close(ch)
	}
}

// SignalAll wakes every waiter of every order, for when signals may have been lost.
func (c *OrderChanges) SignalAll() {
	c.mu.Lock()
	all := c.waiters
	c.waiters = nil
	c.waiting.Store(0)
	c.mu.Unlock()
	for _, ws := range all {
		for _, ch := range ws {
			close(ch)
		}
	}
}

package main

import (
	"math/rand/v2"
	"sync"
)

// placement is one order the load placed: what it sent and what the service answered.
type placement struct {
	key      string // Idempotency-Key; "" for a placement without one
	customer string
	items    []Line
	orderID  string
}

// orderBook holds the accepted placements, which later requests pick from: the same
// placement sent again, cancels and ships of earlier orders.
type orderBook struct {
	mu     sync.Mutex
	placed []placement
	keyed  []placement
}

func (b *orderBook) add(p placement) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.placed = append(b.placed, p)
	if p.key != "" {
		b.keyed = append(b.keyed, p)
	}
}

// recentWindow is how many of the latest orders "recent" means: a cancel or ship right
// behind its placement races the saga (a ship of a pending order is refused, a cancel
// races the reservation), which is where ordering bugs show.
const recentWindow = 20

// pickOrder picks an accepted order: half the time one of the latest, else any.
func (b *orderBook) pickOrder(rng *rand.Rand) (placement, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return pick(b.placed, rng)
}

// pickKeyed picks an accepted placement that had an Idempotency-Key, to send it again.
func (b *orderBook) pickKeyed(rng *rand.Rand) (placement, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return pick(b.keyed, rng)
}

func pick(ps []placement, rng *rand.Rand) (placement, bool) {
	if len(ps) == 0 {
		return placement{}, false
	}
	if rng.IntN(2) == 0 {
		lo := max(0, len(ps)-recentWindow)
		return ps[lo+rng.IntN(len(ps)-lo)], true
	}
	return ps[rng.IntN(len(ps))], true
}

func (b *orderBook) size() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.placed)
}

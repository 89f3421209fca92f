package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// load drives a bounded open loop: request i is due at start + i/rate whatever happened
// before, so a stalled service faces the same arrivals as a healthy one. What each request
// is (its kind, body, target order) is drawn from the seeded generator in the one
// scheduling goroutine, so the same seed sends the same sequence; which orders exist to
// cancel or ship depends on the answers, so that part follows the run.
type load struct {
	cfg     config
	api     *api
	w       *world
	rng     *rand.Rand
	book    *orderBook
	ordered []string
	counted []string
	runID   string

	inflight chan struct{}
	wg       sync.WaitGroup
	keys     int
	dropped  atomic.Int64
	sent     atomic.Int64
}

// The mix of requests, in parts of weightTotal.
var mix = []struct {
	op     string
	weight int
}{
	{opPlace, 50},
	{opPlaceAgain, 8},
	{opCancel, 14},
	{opShip, 18},
	{opCount, 5},
	{opReadStock, 5},
}

func newLoad(cfg config, a *api, w *world, seed uint64, runID string) *load {
	l := &load{
		cfg: cfg, api: a, w: w, runID: runID,
		rng:      rand.New(rand.NewPCG(seed, 1)),
		book:     &orderBook{},
		inflight: make(chan struct{}, cfg.MaxInFlight),
	}
	for i := range cfg.SKUs {
		l.ordered = append(l.ordered, fmt.Sprintf("soak-sku-%d", i))
	}
	for i := range cfg.CountSKUs {
		l.counted = append(l.counted, fmt.Sprintf("soak-count-%d", i))
	}
	return l
}

// run schedules requests for d from start; requests still in flight at the end are left to
// finish (wait). ctx aborts the whole run.
func (l *load) run(ctx context.Context, start time.Time, d time.Duration) {
	interval := time.Duration(float64(time.Second) / l.cfg.Rate)
	for i := 0; ; i++ {
		due := start.Add(time.Duration(i) * interval)
		if due.Sub(start) >= d {
			return
		}
		if wait := time.Until(due); wait > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
		}
		op := l.draw()
		select {
		case l.inflight <- struct{}{}:
			l.sent.Add(1)
			l.wg.Go(func() {
				defer func() { <-l.inflight }()
				op(ctx)
			})
		default:
			l.dropped.Add(1)
		}
	}
}

// wait waits for the requests in flight.
func (l *load) wait() { l.wg.Wait() }

// draw picks the next request and everything about it but its instance.
func (l *load) draw() func(context.Context) {
	n := l.rng.IntN(100)
	op := mix[len(mix)-1].op
	for _, m := range mix {
		if n < m.weight {
			op = m.op
			break
		}
		n -= m.weight
	}
	switch op {
	case opPlaceAgain:
		if p, ok := l.book.pickKeyed(l.rng); ok {
			return func(ctx context.Context) { l.place(ctx, opPlaceAgain, p, false) }
		}
	case opCancel, opShip:
		if p, ok := l.book.pickOrder(l.rng); ok {
			return func(ctx context.Context) { l.orderCommand(ctx, op, p.orderID) }
		}
	case opCount:
		if len(l.counted) > 0 {
			sku, qty := l.counted[l.rng.IntN(len(l.counted))], l.rng.IntN(501)
			return func(ctx context.Context) { l.count(ctx, opCount, sku, qty) }
		}
	case opReadStock:
		sku := l.ordered[l.rng.IntN(len(l.ordered))]
		return func(ctx context.Context) { l.readStock(ctx, sku) }
	}
	p := l.newPlacement()
	wait := l.rng.IntN(10) < 3
	return func(ctx context.Context) { l.place(ctx, opPlace, p, wait) }
}

// newPlacement draws an order: one or two of the ordered SKUs (few, so that orders contend
// for them), one to three units each; most with an Idempotency-Key.
func (l *load) newPlacement() placement {
	p := placement{customer: fmt.Sprintf("soak-c-%d", l.rng.IntN(50))}
	if l.rng.IntN(100) < 85 {
		l.keys++
		p.key = fmt.Sprintf("soak-%s-k%d", l.runID, l.keys)
	}
	lines := 1 + l.rng.IntN(min(2, len(l.ordered)))
	for _, i := range l.rng.Perm(len(l.ordered))[:lines] {
		p.items = append(p.items, Line{SKU: l.ordered[i], Quantity: 1 + l.rng.IntN(3)})
	}
	return p
}

// retryable tells whether a request may have failed for a passing reason: no answer (the
// instance is down or restarting), or the service could not reach the broker.
func retryable(r Request) bool { return r.Status == 0 || r.Status >= 500 }

// maxAttempts bounds the tries of one request.
const maxAttempts = 4

// attempt sends a request up to maxAttempts times, to another instance each time, with a
// growing pause, while it is retryable.
func (l *load) attempt(ctx context.Context, do func(attempt, instance int) Request) Request {
	var r Request
	inst := -1
	for a := 1; a <= maxAttempts; a++ {
		inst = l.pickInstance(inst)
		r = do(a, inst)
		if !retryable(r) || ctx.Err() != nil || a == maxAttempts {
			return r
		}
		pause := time.Duration(250<<(a-1))*time.Millisecond + rand.N(200*time.Millisecond)
		select {
		case <-ctx.Done():
			return r
		case <-time.After(pause):
		}
	}
	return r
}

// pickInstance picks a running instance other than not when there is one.
func (l *load) pickInstance(not int) int {
	up := l.w.up()
	if len(up) > 1 {
		up = slices.DeleteFunc(up, func(n int) bool { return n == not })
	}
	if len(up) == 0 {
		return rand.IntN(len(l.w.instances))
	}
	return up[rand.IntN(len(up))]
}

// place sends a placement. With a key it is retried with the same key (the service makes
// that safe); without one it is sent once, as a client must not retry it blindly.
func (l *load) place(ctx context.Context, op string, p placement, wait bool) {
	body := map[string]any{"customer_id": p.customer, "items": p.items}
	var header http.Header
	if wait {
		header = http.Header{"Prefer": {"wait=1"}}
	}
	do := func(attempt, inst int) Request {
		return l.api.send(ctx, Request{
			Op: op, Attempt: attempt, Instance: inst, Method: http.MethodPost, Path: "/orders",
			IdempotencyKey: p.key, CustomerID: p.customer, Items: p.items,
		}, body, header)
	}
	var r Request
	if p.key == "" {
		r = do(1, l.pickInstance(-1))
	} else {
		r = l.attempt(ctx, do)
	}
	if r.accepted() && r.OrderID != "" && op == opPlace {
		p.orderID = r.OrderID
		l.book.add(p)
	}
}

// orderCommand cancels or ships an order.
func (l *load) orderCommand(ctx context.Context, op, orderID string) {
	path := "/orders/" + url.PathEscape(orderID) + "/" + op
	var body any
	if op == opCancel {
		body = map[string]string{"reason": "soak"}
	}
	l.attempt(ctx, func(attempt, inst int) Request {
		return l.api.send(ctx, Request{Op: op, Attempt: attempt, Instance: inst, Method: http.MethodPost, Path: path, OrderID: orderID}, body, nil)
	})
}

// count records a stock count (PUT /stock/{sku}) and tells whether it was accepted.
func (l *load) count(ctx context.Context, op, sku string, qty int) bool {
	r := l.attempt(ctx, func(attempt, inst int) Request {
		return l.api.send(ctx, Request{
			Op: op, Attempt: attempt, Instance: inst, Method: http.MethodPut, Path: "/stock/" + url.PathEscape(sku), SKU: sku, Quantity: qty,
		}, map[string]int{"quantity": qty}, nil)
	})
	return r.accepted()
}

func (l *load) readStock(ctx context.Context, sku string) {
	inst := l.pickInstance(-1)
	l.api.send(ctx, Request{Op: opReadStock, Instance: inst, Method: http.MethodGet, Path: "/stock/" + url.PathEscape(sku), SKU: sku}, nil, nil)
}

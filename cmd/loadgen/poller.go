package main

import (
	"container/heap"
	"context"
	"sync"
	"sync/atomic"
	"time"
)

const (
	statusConfirmed = "confirmed"
	statusRejected  = "rejected"
)

// tracker finds out when each accepted order reaches a final state (confirmed or
// rejected) by polling GET /orders/{id} with a bounded pool of pollers. An order is first
// polled pollMin after its 202, then at intervals growing 1.5x per poll up to pollMax.
//
// Polling is not free: it adds GET load to the service (about 3-5 polls per order when
// orders finish in ~10 ms), and an order is seen final only at the first poll after it
// became final, so end-to-end latencies read high by up to one poll interval (and by the
// GET itself). Its end-to-end latency is the time the poll that saw it final was answered,
// minus the order's intended send time.
type tracker struct {
	api      *apiClient
	rec      *recorder
	pollMin  time.Duration
	pollMax  time.Duration
	awaiting atomic.Int64 // accepted orders not yet seen final

	mu    sync.Mutex
	queue pollQueue
	wake  chan struct{} // a new order was queued
	work  chan *pendingOrder
}

type pendingOrder struct {
	id       string
	intended time.Time
	next     time.Time // when to poll it next
	interval time.Duration
	final    chan struct{} // closed when seen final
}

func newTracker(api *apiClient, rec *recorder, pollMin, pollMax time.Duration) *tracker {
	return &tracker{
		api: api, rec: rec, pollMin: pollMin, pollMax: pollMax,
		wake: make(chan struct{}, 1),
		work: make(chan *pendingOrder),
	}
}

// track starts watching an accepted order; the channel is closed when it is seen final.
func (t *tracker) track(id string, intended time.Time) <-chan struct{} {
	t.awaiting.Add(1)
	p := &pendingOrder{id: id, intended: intended, next: time.Now().Add(t.pollMin), interval: t.pollMin, final: make(chan struct{})}
	t.schedule(p)
	return p.final
}

func (t *tracker) schedule(p *pendingOrder) {
	t.mu.Lock()
	heap.Push(&t.queue, p)
	t.mu.Unlock()
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

// start runs the dispatcher and the pollers until ctx ends; the returned function waits
// for them to stop.
func (t *tracker) start(ctx context.Context, pollers int) (wait func()) {
	var wg sync.WaitGroup
	wg.Go(func() { t.dispatch(ctx) })
	for range pollers {
		wg.Go(func() { t.poll(ctx) })
	}
	return wg.Wait
}

// dispatch hands each order to a poller when its next poll is due. When every poller is
// busy, polls wait: the pool bounds the load polling adds.
func (t *tracker) dispatch(ctx context.Context) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		t.mu.Lock()
		var due *pendingOrder
		wait := time.Duration(-1) // nothing queued
		if len(t.queue) > 0 {
			if wait = time.Until(t.queue[0].next); wait <= 0 {
				due = heap.Pop(&t.queue).(*pendingOrder)
			}
		}
		t.mu.Unlock()
		switch {
		case due != nil:
			select {
			case t.work <- due:
			case <-ctx.Done():
				return
			}
		case wait < 0:
			select {
			case <-t.wake:
			case <-ctx.Done():
				return
			}
		default:
			timer.Reset(wait)
			select {
			case <-timer.C:
			case <-t.wake:
			case <-ctx.Done():
				return
			}
		}
	}
}

func (t *tracker) poll(ctx context.Context) {
	for {
		var p *pendingOrder
		select {
		case p = <-t.work:
		case <-ctx.Done():
			return
		}
		status, err := t.api.orderStatus(ctx, p.id)
		now := time.Now()
		if ctx.Err() != nil {
			return
		}
		t.rec.polls.Add(1)
		switch {
		case err != nil:
			t.rec.addErrors("poll_"+errorKind(err), 1)
		case status == statusConfirmed || status == statusRejected:
			t.rec.addCompleted(status, now.Sub(p.intended), now)
			t.awaiting.Add(-1)
			close(p.final)
			continue
		}
		p.interval = min(p.interval*3/2, t.pollMax)
		p.next = now.Add(p.interval)
		t.schedule(p)
	}
}

// waitFinal waits until no accepted order is awaiting a final state, for at most timeout,
// and returns how many still are.
func (t *tracker) waitFinal(ctx context.Context, timeout time.Duration) int64 {
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		n := t.awaiting.Load()
		if n == 0 || !time.Now().Before(deadline) {
			return n
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return t.awaiting.Load()
		}
	}
}

// pollQueue is a min-heap of orders by next poll time.
type pollQueue []*pendingOrder

func (q pollQueue) Len() int           { return len(q) }
func (q pollQueue) Less(i, j int) bool { return q[i].next.Before(q[j].next) }
func (q pollQueue) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *pollQueue) Push(x any)        { *q = append(*q, x.(*pendingOrder)) }
func (q *pollQueue) Pop() any {
	old := *q
	p := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	return p
}

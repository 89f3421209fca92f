package main

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

const (
	statusConfirmed = "confirmed"
	statusRejected  = "rejected"
)

// Back-offs between two status requests of one order. They apply only when something is
// wrong, so that it cannot turn into a loop of requests as fast as the service answers:
// after a failed request, and after an answer that brought nothing new and was not held
// (the service does not honour Prefer: wait; the tool then falls back to polling).
const (
	errorBackoffMin  = 10 * time.Millisecond
	errorBackoffMax  = time.Second
	unheldBackoffMin = 5 * time.Millisecond
	unheldBackoffMax = 100 * time.Millisecond
)

// tracker finds out when each accepted order reaches a final state (confirmed or
// rejected) by long-polling GET /orders/{id}: it asks with Prefer: wait=W, and the service
// holds the request until the order exists, then, with If-None-Match set to the ETag of
// the last view seen, until the view changes (or W elapsed: 304, or 404 while the order
// does not exist yet; the tool then asks again). An order typically costs two requests:
// one answered when it shows up pending, one when it turns final. The service answers the
// moment the order changes, so the time the final view arrives is the time it became
// final plus one response; end-to-end latency is that time minus the order's intended send
// time.
//
// Each followed order holds one request, and so one connection, open. At most maxWatches
// are followed at once; orders accepted beyond that wait in a queue, oldest first (the
// flow finishes orders roughly in order, so the oldest are the next to turn final), and
// are counted (watch_queued): their latency may include time spent in that queue.
type tracker struct {
	api        *apiClient
	rec        *recorder
	maxWatches int
	awaiting   atomic.Int64 // accepted orders not yet seen final

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	watching int             // followers running
	queue    []*pendingOrder // accepted orders waiting for a follower, oldest first
	stopped  bool
}

type pendingOrder struct {
	url      string
	etag     string // of the view already seen ("": none)
	intended time.Time
	final    chan struct{} // closed when seen final
}

// newTracker returns a tracker that follows orders until ctx ends or stop is called.
func newTracker(ctx context.Context, api *apiClient, rec *recorder, maxWatches int) *tracker {
	ctx, cancel := context.WithCancel(ctx)
	return &tracker{api: api, rec: rec, maxWatches: max(maxWatches, 1), ctx: ctx, cancel: cancel}
}

// track starts following an accepted order whose view is at orderURL, from the view with
// etag (one a POST answered 201 with; "": none seen yet, ask for the view as it is); the
// channel is closed when it is seen final.
func (t *tracker) track(orderURL, etag string, intended time.Time) <-chan struct{} {
	t.awaiting.Add(1)
	p := &pendingOrder{url: orderURL, etag: etag, intended: intended, final: make(chan struct{})}
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case t.stopped: // never seen final: counted as not final
	case t.watching < t.maxWatches:
		t.watching++
		t.wg.Go(func() { t.follow(p) })
	default:
		t.queue = append(t.queue, p)
		t.rec.watchQueued.Add(1)
	}
	return p.final
}

// stop ends all requests in flight and waits for the followers to return. Orders not seen
// final by then stay awaiting.
func (t *tracker) stop() {
	t.mu.Lock()
	t.stopped = true
	t.mu.Unlock()
	t.cancel()
	t.wg.Wait()
}

// follow watches p until it is final, then the queued orders one after another, and
// returns when the queue is empty or the tracker stopped.
func (t *tracker) follow(p *pendingOrder) {
	for p != nil && t.watch(p) {
		t.mu.Lock()
		p = nil
		if len(t.queue) > 0 {
			p = t.queue[0]
			t.queue[0] = nil
			t.queue = t.queue[1:]
		}
		if p == nil {
			t.watching--
		}
		t.mu.Unlock()
	}
}

// watch asks for p's view until it is final, and tells whether it was (false: the tracker
// stopped first).
func (t *tracker) watch(p *pendingOrder) bool {
	ctx := t.ctx
	etag := p.etag // of the last view seen
	var backoff time.Duration
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		if backoff > 0 {
			if timer == nil {
				timer = time.NewTimer(backoff)
			} else {
				timer.Reset(backoff)
			}
			select {
			case <-timer.C:
			case <-ctx.Done():
				return false
			}
		}
		v, err := t.api.watchOrder(ctx, p.url, etag)
		now := time.Now()
		if ctx.Err() != nil { // a request cut short by the end of the run is no error
			return false
		}
		t.rec.polls.Add(1)
		switch {
		case err != nil:
			t.rec.addErrors("poll_"+errorKind(err), 1)
			backoff = grow(backoff, errorBackoffMin, errorBackoffMax)
		case v.final():
			t.rec.addCompleted(v.status, now.Sub(p.intended), now)
			t.awaiting.Add(-1)
			close(p.final)
			return true
		case v.code == http.StatusOK && v.etag != "" && v.etag != etag:
			// Changed but not final yet: wait for the next change.
			etag, backoff = v.etag, 0
		case v.held && v.code != http.StatusOK:
			// The wait elapsed (304, or 404: the order does not exist yet): ask again.
			backoff = 0
		default:
			// Nothing new, and not held: the service answered at once.
			t.rec.unheld.Add(1)
			backoff = grow(backoff, unheldBackoffMin, unheldBackoffMax)
		}
	}
}

// grow doubles a back-off within [lo, hi].
func grow(d, lo, hi time.Duration) time.Duration {
	return min(max(2*d, lo), hi)
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

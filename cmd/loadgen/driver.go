package main

import (
	"context"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// driver places one order and hands the accepted ones over for tracking. It is shared by
// the open and the closed loop.
type driver struct {
	api      *apiClient
	rec      *recorder
	bodies   [][]byte // one order body per SKU, cycled through
	runID    string
	seq      atomic.Int64
	inFlight atomic.Int64
	// onAccepted receives the URL of each accepted order's view, the ETag of the view its
	// POST answered with ("" for a 202) and its intended send time, and returns a channel
	// closed when the order is final (nil: not tracked).
	onAccepted func(orderURL, etag string, intended time.Time) <-chan struct{}
}

// closedChan is the channel of an order already final when its POST was answered.
var closedChan = func() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}()

func newDriver(api *apiClient, rec *recorder, skus []string, runID string, onAccepted func(orderURL, etag string, intended time.Time) <-chan struct{}) *driver {
	bodies := make([][]byte, len(skus))
	for i, sku := range skus {
		bodies[i] = []byte(`{"customer_id":"loadgen-customer","items":[{"sku":` + strconv.Quote(sku) + `,"quantity":1}]}`)
	}
	return &driver{api: api, rec: rec, bodies: bodies, runID: runID, onAccepted: onAccepted}
}

// place sends one order. Its latency counts from intended, the time the schedule meant it
// to be sent, not from when it actually went out. It returns a channel closed when the
// order is seen final, nil when it was not accepted or is not tracked.
//
// A 202 is an accept latency. A 201 (the POST asked for a wait: --post-wait) carries the
// order's view: when final, the order is complete at once, its end-to-end latency that
// answer's arrival minus intended, and no request more is needed; otherwise, as after a 202
// (whose wait elapsed, if it asked for one), the tracker follows the order.
func (d *driver) place(ctx context.Context, intended time.Time) <-chan struct{} {
	n := d.seq.Add(1)
	d.rec.sent.Add(1)
	d.inFlight.Add(1)
	p, err := d.api.placeOrder(ctx, d.bodies[int(n)%len(d.bodies)], d.runID+"-"+strconv.FormatInt(n, 10))
	d.inFlight.Add(-1)
	now := time.Now()
	if err != nil {
		if ctx.Err() == nil { // a request cut short by the end of the run is no error
			d.rec.addErrors(errorKind(err), 1)
		}
		return nil
	}
	etag := ""
	if p.code == http.StatusCreated {
		d.rec.addCreated(now)
		if p.final() {
			d.rec.completedByPost.Add(1)
			d.rec.addCompleted(p.status, now.Sub(intended), now)
			return closedChan
		}
		etag = p.etag // not final (cancelled?): follow its changes from this view
	} else {
		d.rec.addAccepted(now.Sub(intended), now)
		if p.held {
			d.rec.postWaitsElapsed.Add(1)
		}
	}
	if d.onAccepted == nil {
		return nil
	}
	return d.onAccepted(d.api.orderURL(p.id, p.location), etag, intended)
}

package main

import (
	"context"
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
	// onAccepted receives the URL of each accepted order's view with its intended send
	// time and returns a channel closed when the order is final (nil: not tracked).
	onAccepted func(orderURL string, intended time.Time) <-chan struct{}
}

func newDriver(api *apiClient, rec *recorder, skus []string, runID string, onAccepted func(string, time.Time) <-chan struct{}) *driver {
	bodies := make([][]byte, len(skus))
	for i, sku := range skus {
		bodies[i] = []byte(`{"customer_id":"loadgen-customer","items":[{"sku":` + strconv.Quote(sku) + `,"quantity":1}]}`)
	}
	return &driver{api: api, rec: rec, bodies: bodies, runID: runID, onAccepted: onAccepted}
}

// place sends one order. Its latency counts from intended, the time the schedule meant it
// to be sent, not from when it actually went out. It returns a channel closed when the
// order is seen final, nil when it was not accepted or is not tracked.
func (d *driver) place(ctx context.Context, intended time.Time) <-chan struct{} {
	n := d.seq.Add(1)
	d.rec.sent.Add(1)
	d.inFlight.Add(1)
	id, location, err := d.api.placeOrder(ctx, d.bodies[int(n)%len(d.bodies)], d.runID+"-"+strconv.FormatInt(n, 10))
	d.inFlight.Add(-1)
	now := time.Now()
	if err != nil {
		if ctx.Err() == nil { // a request cut short by the end of the run is no error
			d.rec.addErrors(errorKind(err), 1)
		}
		return nil
	}
	d.rec.addAccepted(now.Sub(intended), now)
	if d.onAccepted == nil {
		return nil
	}
	return d.onAccepted(d.api.orderURL(id, location), intended)
}

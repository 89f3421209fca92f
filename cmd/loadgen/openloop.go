package main

import (
	"context"
	"sync"
	"time"
)

// intendedAt is when the i-th send (from 0) of an open loop at rate per second is due:
// fixed intervals from t0, whatever happened to earlier sends.
func intendedAt(t0 time.Time, i int64, rate float64) time.Time {
	return t0.Add(time.Duration(float64(i) * float64(time.Second) / rate))
}

// runOpenLoop sends rate orders per second for duration on a fixed schedule, each in its
// own goroutine, so a slow answer does not hold back later sends. Latencies count from the
// intended send time, so a stall shows in every request scheduled behind it (no
// coordinated omission). Only when maxInFlight requests are outstanding does a send wait;
// a send that starts more than lateStartThreshold behind schedule counts as a late start.
func runOpenLoop(ctx context.Context, d *driver, rate float64, duration time.Duration, maxInFlight int) {
	total := int64(rate * duration.Seconds())
	sem := make(chan struct{}, maxInFlight)
	var wg sync.WaitGroup
	defer wg.Wait()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	t0 := time.Now()
	for i := int64(0); i < total; i++ {
		intended := intendedAt(t0, i, rate)
		// Timers are coarse: sleep only when the next send is a little way off, and
		// catch up on the ones already due without sleeping.
		if wait := time.Until(intended); wait > 100*time.Microsecond {
			timer.Reset(wait)
			select {
			case <-timer.C:
			case <-ctx.Done():
				return
			}
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		d.rec.startLag(time.Since(intended))
		wg.Go(func() {
			defer func() { <-sem }()
			d.place(ctx, intended)
		})
	}
}

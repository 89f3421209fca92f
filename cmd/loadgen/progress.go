package main

import (
	"context"
	"fmt"
	"io"
	"time"
)

// progress prints one line a second to w until ctx ends, and a last one then, so even a
// run shorter than a tick says where it got: rates since the previous line, requests in
// flight, orders awaiting a final state and errors so far.
func progress(ctx context.Context, w io.Writer, d *driver, t *tracker, rec *recorder) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	start := time.Now()
	lastAt, lastAccepted, lastCompleted := start, int64(0), int64(0)
	line := func(now time.Time) {
		accepted, completed := rec.accepted.Load(), rec.completed.Load()
		secs := max(now.Sub(lastAt).Seconds(), 1e-3)
		fmt.Fprintf(w, "[%4.0fs] accepted/s %7.0f  completed/s %7.0f  in-flight %5d  awaiting final %6d  errors %d\n",
			now.Sub(start).Seconds(),
			float64(accepted-lastAccepted)/secs, float64(completed-lastCompleted)/secs,
			d.inFlight.Load(), t.awaiting.Load(), rec.errCount.Load())
		lastAt, lastAccepted, lastCompleted = now, accepted, completed
	}
	for {
		select {
		case <-ctx.Done():
			line(time.Now())
			return
		case now := <-tick.C:
			line(now)
		}
	}
}

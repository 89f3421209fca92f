package main

import (
	"context"
	"sync"
	"time"
)

// runClosedLoop runs concurrency workers for duration. Each sends its next order as soon as
// the previous one was answered (untilAccepted) or, by default, reached a final state
// (untilFinal), waiting at most finalWait for that. Closed means the tool's pace follows
// the service's; latency counts from the actual send, which is also the intended one.
//
// Waiting for the 202 only measures the HTTP side: it accepts far faster than the flow
// behind it handles orders, so orders pile up in Kafka and everything after them waits.
// Waiting for the final state keeps at most concurrency orders in the whole flow and
// measures its sustainable throughput.
func runClosedLoop(ctx context.Context, d *driver, concurrency int, duration time.Duration, until string, finalWait time.Duration) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	end := time.Now().Add(duration)
	var wg sync.WaitGroup
	for range concurrency {
		wg.Go(func() {
			timer := time.NewTimer(time.Hour)
			defer timer.Stop()
			for ctx.Err() == nil {
				now := time.Now()
				if !now.Before(end) {
					return
				}
				final := d.place(ctx, now)
				if until != untilFinal || final == nil {
					continue
				}
				timer.Reset(finalWait)
				select {
				case <-final:
				case <-timer.C: // counted as not final at the end, unless it gets there
				case <-ctx.Done():
				}
			}
		})
	}
	wg.Wait()
}

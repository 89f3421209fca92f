package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"
)

// progress prints one line every interval until ctx ends: requests by outcome so far,
// faults injected, and what is running.
func progress(ctx context.Context, out io.Writer, every time.Duration, start time.Time, phase func() string, l *load, rec *recorder, f *faulter, w *world) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		var up []string
		for _, n := range w.up() {
			up = append(up, fmt.Sprintf("i%d", n))
		}
		if w.broker.proc.running() {
			up = append(up, "broker")
		}
		fmt.Fprintf(out, "soak %5.0fs %-8s sent %d (2xx %d, 4xx %d, 5xx %d, no answer %d, dropped %d) orders %d | faults %s | up: %s\n",
			time.Since(start).Seconds(), phase(), l.sent.Load(), rec.accepted.Load(), rec.rejected.Load(), rec.failed.Load(), rec.noAnswer.Load(),
			l.dropped.Load(), l.book.size(), joinCounts(countFaults(f.faults()), "none"), strings.Join(up, " "))
	}
}

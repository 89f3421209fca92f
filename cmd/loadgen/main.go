// Command loadgen drives a running orders-service over HTTP and reports what it reached:
// orders accepted (202) and orders reaching a final state (confirmed or rejected) per
// second, latency percentiles (p50, p90, p99, p99.9, max) of the 202 and of place -> final
// state, and errors by kind. With --baseline it then runs raw watermill-kafka
// publish+consume of as many messages as the service's flow produced, on the same broker,
// and reports the service's message throughput as a ratio of it.
//
//	go run ./cmd/loadgen --rate 1000 --duration 30s                # open loop
//	go run ./cmd/loadgen --concurrency 64 --duration 30s           # closed loop, until final
//	go run ./cmd/loadgen --concurrency 64 --closed-until accepted --track=false  # HTTP side only
//	go run ./cmd/loadgen --concurrency 64 --post-wait              # outcome in the POST's answer
//	go run ./cmd/loadgen --concurrency 64 --baseline --json
//
// How it measures:
//   - Before the run every SKU (--skus, named loadgen-sku-N) gets a stock count of 1e9 and
//     the tool waits until GET /stock shows it. Each order is one unit of one SKU.
//   - Open loop (--rate): send i is due at start + i/rate, whatever happened before; each
//     send runs in its own goroutine (at most --max-inflight at once), and every latency
//     counts from the due time, not from the actual send, so a stall is charged to every
//     order scheduled behind it (no coordinated omission). Sends that start more than 5 ms
//     late are counted (late_starts).
//   - Closed loop (--concurrency): each worker sends its next order when the previous one
//     is final (default; at most N orders in the flow) or, with --closed-until accepted,
//     when it was answered 202 (measures the HTTP side; the flow behind it falls behind).
//   - Final states: each accepted order is followed by long-polling its Location (GET
//     /orders/{id}) with Prefer: wait=--wait: the service holds the request until the
//     order exists, then, with If-None-Match set to the last ETag seen, until its view
//     changes; a 304 or 404 after the wait means "not yet" and the tool asks again. An
//     order typically costs two requests (polls_per_order in the summary), and its final
//     view arrives as soon as the service has it: end-to-end latency is the time that
//     answer arrived minus the intended send time. Each followed order holds a connection
//     of a pool of its own (POSTs never wait for one); at most --max-watches are followed
//     at once, later ones queue oldest first (watch_queued: their latency may include the
//     queueing). A service that ignores Prefer: wait is polled with a back-off instead
//     (unheld_answers). --track=false turns tracking off.
//   - --post-wait: each POST /orders carries Prefer: wait=--wait, and the service holds it
//     until the order is no longer pending: 201 with the order's view, a final one
//     completing the order with that one request (completed_by_post; end-to-end latency
//     from the intended send time to that answer), or 202 once the wait elapsed
//     (post_waits_elapsed), after which the order is long-polled as above. The 202
//     latencies (accept_*) then cover the 202 answers only (accepted_202 of them), which
//     include the wait when it was honoured. POSTs get a pool of their own, one connection
//     per order in flight (--concurrency or --max-inflight).
//   - Rates: accepted_per_sec is 202s over start -> last 202; completed_per_sec is final
//     orders over start -> last one seen final; service_msgs_per_sec is that x 6 (the
//     messages of one order's flow). Latencies are exact samples, sorted at the end.
//   - Errors by kind: http_<status>, timeout, connection, bad_response; poll_<kind> for
//     failed status requests (retried after a back-off); not_final_in_time for orders still not final --timeout after
//     the run.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/google/uuid"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

// run is the whole command: stock the SKUs, send orders for the duration, wait for their
// final states, optionally run the baseline, print the summary. An interrupt (ctx ending)
// stops sending and waiting and still prints what was measured.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseConfig(args, stderr)
	if err != nil {
		return err
	}
	if err := checkBaselineBroker(ctx, cfg); err != nil {
		return err
	}
	// Commands: at most --max-inflight (open loop) or --concurrency (closed loop) POSTs,
	// and 16 for stocking the SKUs; long-polls: one per followed order. With --post-wait
	// the POSTs are held until their order's outcome, on a pool of their own of as many
	// connections as orders in flight.
	api := newAPIClient(cfg.Target, cfg.posts()+16, cfg.watches(), cfg.RequestTimeout, cfg.Wait)
	if cfg.PostWait {
		api.holdPosts(cfg.posts())
	}
	defer api.close()

	skus := skuNames(cfg.SKUs)
	if err := prepareStock(ctx, api, skus, cfg.Timeout); err != nil {
		return err
	}

	rec := newRecorder()
	tr := newTracker(ctx, api, rec, cfg.watches())
	defer tr.stop()
	var onAccepted func(orderURL, etag string, intended time.Time) <-chan struct{}
	if cfg.Track {
		onAccepted = tr.track
	}
	d := newDriver(api, rec, skus, "loadgen-"+uuid.NewString()[:8], onAccepted)

	progressCtx, stopProgress := context.WithCancel(ctx)
	progressDone := make(chan struct{})
	go func() {
		defer close(progressDone)
		if cfg.Progress {
			progress(progressCtx, stderr, d, tr, rec)
		}
	}()

	start := time.Now()
	if cfg.openLoop() {
		runOpenLoop(ctx, d, cfg.Rate, cfg.Duration, cfg.MaxInFlight)
	} else {
		runClosedLoop(ctx, d, cfg.Concurrency, cfg.Duration, cfg.Until, cfg.Timeout)
	}
	notFinal := tr.waitFinal(ctx, cfg.Timeout)
	tr.stop()
	stopProgress()
	<-progressDone
	if ctx.Err() != nil {
		rec.addErrors("not_final_interrupted", notFinal)
	} else {
		rec.addErrors("not_final_in_time", notFinal)
	}

	sum := buildSummary(cfg, rec.snapshot(), start, notFinal)
	if cfg.Baseline && ctx.Err() == nil {
		fmt.Fprintf(stderr, "baseline: %d messages of %d bytes through watermill-kafka on %v ...\n",
			sum.Completed*messagesPerOrder, cfg.BaselineSize, cfg.Brokers)
		b, err := runBaseline(ctx, baselineConfig{
			Brokers: cfg.Brokers, Messages: sum.Completed * messagesPerOrder, Size: cfg.BaselineSize,
			Partitions: cfg.BaselinePartitions, Publishers: cfg.BaselinePublishers, Timeout: cfg.Timeout + 2*cfg.Duration,
			Security: cfg.Security,
		})
		if err != nil {
			return err
		}
		sum.setBaseline(b)
	}
	if cfg.JSON {
		return writeJSON(stdout, sum)
	}
	return writeHuman(stdout, sum)
}

package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/example/orders-service/adapters/kafka"
	"github.com/example/orders-service/service"
)

// config is everything the command line sets.
type config struct {
	Target      string
	Rate        float64 // open loop: orders per second; 0 when closed loop
	Concurrency int     // closed loop: workers; 0 when open loop
	Until       string  // closed loop: a worker's next order waits for the previous one's 202 or final state
	Duration    time.Duration
	SKUs        int
	JSON        bool
	Timeout     time.Duration // waiting for final states after the run, and for stock at start

	RequestTimeout time.Duration
	MaxInFlight    int           // open loop: bound on requests in flight
	Track          bool          // follow accepted orders to their final states
	Wait           time.Duration // Prefer: wait of one status request (and, with PostWait, of a POST); whole seconds
	PostWait       bool          // ask POST /orders to answer with the outcome (Prefer: wait)
	MaxWatches     int           // most orders followed at once (one held request each)
	Progress       bool

	Baseline           bool
	Brokers            []string
	BaselinePartitions int // 0: as many as the service's orders.commands topic
	BaselineSize       int // payload bytes per message
	BaselinePublishers int
	// Security is TLS and SASL for --baseline, from the service's own variables
	// (KAFKA_TLS*, KAFKA_SASL_*) read as the service reads them.
	Security kafka.Security
}

// Values of --closed-until.
const (
	untilFinal    = "final"
	untilAccepted = "accepted"
)

func (c config) openLoop() bool { return c.Rate > 0 }

// posts is the most POST /orders in flight at once: --max-inflight in an open loop, one
// per worker in a closed loop. With --post-wait each is held until its order's outcome,
// so this is also the most orders in flight.
func (c config) posts() int {
	if c.openLoop() {
		return c.MaxInFlight
	}
	return c.Concurrency
}

// watches is how many orders are followed at once: --max-watches, and in a closed loop
// until final at least one per worker, so that no worker waits for a follower.
func (c config) watches() int {
	if !c.openLoop() && c.Until == untilFinal {
		return max(c.MaxWatches, c.Concurrency)
	}
	return c.MaxWatches
}

func parseConfig(args []string, stderr io.Writer) (config, error) {
	var c config
	var brokers string
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: loadgen (--rate N | --concurrency N) [flags]")
		fmt.Fprintln(stderr, "Drives a running orders-service over HTTP and reports throughput and latency.")
		fs.PrintDefaults()
	}
	fs.StringVar(&c.Target, "target", "http://127.0.0.1:8080", "base URL of the running service")
	fs.Float64Var(&c.Rate, "rate", 0, "open loop: orders per second, sent on a fixed schedule")
	fs.IntVar(&c.Concurrency, "concurrency", 0, "closed loop: workers, each sending its next order when the previous one was answered")
	fs.StringVar(&c.Until, "closed-until", untilFinal, "closed loop: a worker sends its next order once the previous one is final (\"final\": at most --concurrency orders in the whole flow) or once it was answered (\"accepted\": measures the HTTP side; the flow behind it may fall behind)")
	fs.DurationVar(&c.Duration, "duration", 30*time.Second, "how long to send orders")
	fs.IntVar(&c.SKUs, "skus", 100, "spread orders over this many SKUs (each is stocked with 1e9 units first)")
	fs.BoolVar(&c.JSON, "json", false, "print the summary as JSON")
	fs.DurationVar(&c.Timeout, "timeout", 30*time.Second, "how long to wait after the run for orders to reach a final state (and for stock at start)")
	fs.DurationVar(&c.RequestTimeout, "request-timeout", 10*time.Second, "bound on one HTTP request")
	fs.IntVar(&c.MaxInFlight, "max-inflight", 4096, "open loop: most requests in flight; a send that must wait counts as a late start")
	fs.BoolVar(&c.Track, "track", true, "follow each accepted order until it is final (false: measure the 202s only, without status requests)")
	fs.DurationVar(&c.Wait, "wait", 10*time.Second, "how long the service may hold one GET /orders/{id} waiting for a change (Prefer: wait; whole seconds)")
	fs.BoolVar(&c.PostWait, "post-wait", false, "send each POST /orders with Prefer: wait=--wait, so that the service answers 201 with the order once its outcome is known (one request per order); an order still pending when the wait elapses is answered 202 and long-polled as usual. The 202 latencies then cover only the 202 answers")
	fs.IntVar(&c.MaxWatches, "max-watches", 1024, "most orders followed at once, each by one held GET /orders/{id} on its own connection; later ones queue, oldest first (closed loop until final: at least --concurrency)")
	fs.BoolVar(&c.Progress, "progress", true, "print a progress line to stderr every second")
	fs.BoolVar(&c.Baseline, "baseline", false, "afterwards, run raw watermill-kafka publish+consume of as many messages as the service's flow produced")
	fs.StringVar(&brokers, "brokers", "127.0.0.1:9092", "comma-separated Kafka brokers for --baseline (the service's broker); TLS and SASL come from the service's variables KAFKA_TLS* and KAFKA_SASL_* in the environment")
	fs.IntVar(&c.BaselinePartitions, "baseline-partitions", 0, "partitions of the baseline topic; 0: as many as the service's orders.commands")
	fs.IntVar(&c.BaselineSize, "baseline-size", 250, "payload bytes of a baseline message")
	fs.IntVar(&c.BaselinePublishers, "baseline-publishers", 64, "goroutines publishing baseline messages")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	for _, b := range strings.Split(brokers, ",") {
		if b = strings.TrimSpace(b); b != "" {
			c.Brokers = append(c.Brokers, b)
		}
	}
	c.Target = strings.TrimRight(c.Target, "/")
	if err := c.validate(); err != nil {
		return config{}, err
	}
	if c.Baseline {
		sec, err := service.KafkaSecurityFromEnv()
		if err != nil {
			return config{}, fmt.Errorf("--baseline: %w", err)
		}
		c.Security = sec
	}
	return c, nil
}

func (c config) validate() error {
	var errs []error
	check := func(ok bool, format string, a ...any) {
		if !ok {
			errs = append(errs, fmt.Errorf(format, a...))
		}
	}
	u, err := url.Parse(c.Target)
	check(err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "", "--target must be an http(s) URL, got %q", c.Target)
	check((c.Rate > 0) != (c.Concurrency > 0), "set exactly one of --rate (open loop) and --concurrency (closed loop), both > 0")
	check(c.Rate >= 0 && c.Rate <= 1e6, "--rate must be between 0 and 1e6, got %g", c.Rate)
	check(c.Concurrency >= 0 && c.Concurrency <= 100000, "--concurrency must be between 0 and 100000, got %d", c.Concurrency)
	check(c.Until == untilFinal || c.Until == untilAccepted, "--closed-until must be %q or %q, got %q", untilFinal, untilAccepted, c.Until)
	check(c.Duration > 0, "--duration must be > 0, got %s", c.Duration)
	check(c.SKUs >= 1 && c.SKUs <= 100000, "--skus must be between 1 and 100000, got %d", c.SKUs)
	check(c.Timeout > 0, "--timeout must be > 0, got %s", c.Timeout)
	check(c.RequestTimeout > 0, "--request-timeout must be > 0, got %s", c.RequestTimeout)
	check(c.MaxInFlight >= 1, "--max-inflight must be >= 1, got %d", c.MaxInFlight)
	check(c.Wait >= time.Second && c.Wait%time.Second == 0 && c.Wait <= time.Hour, "--wait must be whole seconds between 1s and 1h, got %s", c.Wait)
	check(c.MaxWatches >= 1 && c.MaxWatches <= 100000, "--max-watches must be between 1 and 100000, got %d", c.MaxWatches)
	check(!c.Baseline || len(c.Brokers) > 0, "--baseline needs --brokers")
	check(!c.Baseline || c.Track, "--baseline needs --track: it sends as many messages as the orders that became final produced")
	check(c.Track || c.Rate > 0 || c.Until == untilAccepted, "--track=false needs --rate or --closed-until accepted")
	check(c.Track || !c.PostWait, "--post-wait needs --track: it learns each order's outcome from its POST, and --track=false follows no outcome")
	check(c.BaselinePartitions >= 0, "--baseline-partitions must be >= 0, got %d", c.BaselinePartitions)
	check(c.BaselineSize >= 1, "--baseline-size must be >= 1, got %d", c.BaselineSize)
	check(c.BaselinePublishers >= 1, "--baseline-publishers must be >= 1, got %d", c.BaselinePublishers)
	return errors.Join(errs...)
}

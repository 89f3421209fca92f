package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Fault kinds, as --faults names them.
const (
	faultKill    = "sigkill" // SIGKILL an instance, restart it after a random delay
	faultTerm    = "sigterm" // SIGTERM an instance (graceful), restart it after a random delay
	faultBroker  = "broker"  // kill the broker and start it again on the same data directory
	faultRewind  = "rewind"  // move a consumer group's committed offsets back
	faultPGDrop  = "pgdrop"  // PostgreSQL mode: terminate the service's database connections
	faultsAll    = faultKill + "," + faultTerm + "," + faultBroker + "," + faultRewind + "," + faultPGDrop
	faultsNone   = "none"
	defaultFault = faultsAll
)

var faultKinds = []string{faultKill, faultTerm, faultBroker, faultRewind, faultPGDrop}

// config is everything the command line sets.
type config struct {
	Repo        string // the service's source tree, built at start
	BinDir      string // prebuilt orders-service and devbroker instead of building
	WorkDir     string
	Postgres    string // base URL; empty: memory mode
	Instances   int
	Rate        float64
	Duration    time.Duration
	Seed        uint64
	Faults      []string
	FaultEvery  time.Duration
	Warmup      time.Duration
	SKUs        int
	Stock       int
	CountSKUs   int
	Poison      int
	Partitions  int
	MaxInFlight int
	Settle      time.Duration
	Progress    time.Duration
	Examples    int
	JSON        bool
	Keep        bool
	HistoryOut  string // write the history as JSON here
	CheckOnly   string // check a saved history instead of running
	PlanOnly    bool   // print the seed's fault schedule and exit
	ServiceEnv  []string
}

// stringList is a repeatable flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, " ") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

func parseConfig(args []string, stderr io.Writer) (config, error) {
	var c config
	var faults string
	var env stringList
	fs := flag.NewFlagSet("soak", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: soak [flags]")
		fmt.Fprintln(stderr, "Starts a broker and instances of the service, drives load, injects faults, then checks the history.")
		fs.PrintDefaults()
	}
	fs.StringVar(&c.Repo, "repo", ".", "the service's source tree (module root): orders-service and cmd/devbroker are built from it")
	fs.StringVar(&c.BinDir, "bin-dir", "", "use the orders-service and devbroker binaries in this directory instead of building")
	fs.StringVar(&c.WorkDir, "workdir", "", "where binaries, broker data and logs go (default: a new temporary directory, removed unless the run fails or --keep)")
	fs.StringVar(&c.Postgres, "postgres", "", "PostgreSQL URL: durable mode, on a fresh schema of this run (dropped at the end unless --keep); empty: memory mode")
	fs.IntVar(&c.Instances, "instances", 0, "instances of the service sharing the consumer groups (default: 2 with --postgres, 1 in memory mode, where each process has its own state)")
	fs.Float64Var(&c.Rate, "rate", 40, "requests per second, sent on a fixed schedule (open loop)")
	fs.DurationVar(&c.Duration, "duration", 60*time.Second, "how long to send load and inject faults")
	fs.Uint64Var(&c.Seed, "seed", 0, "seed of the load, the fault schedule and the poison messages (0: a random one, printed)")
	fs.StringVar(&faults, "faults", defaultFault, "comma-separated fault kinds to inject ("+faultsAll+"), or \"none\"; pgdrop only with --postgres")
	fs.DurationVar(&c.FaultEvery, "fault-every", 8*time.Second, "mean time between faults (exponentially distributed)")
	fs.DurationVar(&c.Warmup, "warmup", 5*time.Second, "no fault before this much of the run")
	fs.IntVar(&c.SKUs, "skus", 4, "SKUs orders ask for (contended): each is counted once before the load")
	fs.IntVar(&c.Stock, "stock", 250, "units counted of each ordered SKU")
	fs.IntVar(&c.CountSKUs, "count-skus", 2, "SKUs counted again and again during the load, never ordered")
	fs.IntVar(&c.Poison, "poison", 5, "bad messages produced straight to the topics during the load")
	fs.IntVar(&c.Partitions, "partitions", 6, "KAFKA_PARTITIONS of the service's topics")
	fs.IntVar(&c.MaxInFlight, "max-inflight", 256, "most requests in flight; a send beyond it is dropped and counted")
	fs.DurationVar(&c.Settle, "settle-timeout", 60*time.Second, "bound on waiting for the flow to settle after the load")
	fs.DurationVar(&c.Progress, "progress", 2*time.Second, "interval of the progress line on stderr (0: none)")
	fs.IntVar(&c.Examples, "examples", 5, "counter-examples reported per invariant")
	fs.BoolVar(&c.JSON, "json", false, "print the report as JSON")
	fs.BoolVar(&c.Keep, "keep", false, "keep the work directory and the PostgreSQL schema")
	fs.StringVar(&c.HistoryOut, "history", "", "write the whole history (requests, messages, faults, read model) as JSON to this file")
	fs.StringVar(&c.CheckOnly, "check", "", "check the history saved in this file (--history) instead of running")
	fs.BoolVar(&c.PlanOnly, "plan", false, "print the fault schedule --seed draws for these flags, and exit")
	fs.Var(&env, "service-env", "KEY=VALUE added to every instance's environment (repeatable), e.g. KAFKA_IDEMPOTENT_PRODUCER=false")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	c.ServiceEnv = env
	c.Faults = parseFaults(faults)
	if faults == defaultFault && !c.durable() {
		// The default names every kind; memory mode has no database to disconnect.
		c.Faults = slices.DeleteFunc(c.Faults, func(f string) bool { return f == faultPGDrop })
	}
	if c.Instances == 0 {
		c.Instances = 1
		if c.Postgres != "" {
			c.Instances = 2
		}
	}
	return c, c.validate(faults)
}

func parseFaults(s string) []string {
	if s == faultsNone {
		return nil
	}
	var out []string
	for f := range strings.SplitSeq(s, ",") {
		if f = strings.TrimSpace(f); f != "" && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

func (c config) durable() bool { return c.Postgres != "" }

func (c config) faultOn(kind string) bool { return slices.Contains(c.Faults, kind) }

func (c config) validate(faults string) error {
	if c.CheckOnly != "" {
		return nil
	}
	var errs []error
	check := func(ok bool, format string, a ...any) {
		if !ok {
			errs = append(errs, fmt.Errorf(format, a...))
		}
	}
	for _, f := range c.Faults {
		check(slices.Contains(faultKinds, f), "--faults: unknown kind %q (kinds: %s, or none)", f, faultsAll)
	}
	if faults != defaultFault {
		check(c.durable() || !c.faultOn(faultPGDrop), "--faults pgdrop needs --postgres")
	}
	if c.durable() {
		u, err := url.Parse(c.Postgres)
		check(err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql"), "--postgres must be a postgres:// URL, got %q", c.Postgres)
	}
	check(c.Instances >= 1 && c.Instances <= 8, "--instances must be between 1 and 8, got %d", c.Instances)
	check(c.Rate > 0 && c.Rate <= 2000, "--rate must be above 0 and at most 2000, got %g", c.Rate)
	check(c.Duration >= time.Second, "--duration must be at least 1s, got %s", c.Duration)
	check(c.FaultEvery >= 100*time.Millisecond, "--fault-every must be at least 100ms, got %s", c.FaultEvery)
	check(c.Warmup >= 0, "--warmup must not be negative, got %s", c.Warmup)
	check(c.SKUs >= 1 && c.SKUs <= 100, "--skus must be between 1 and 100, got %d", c.SKUs)
	check(c.Stock >= 0 && c.Stock <= 1_000_000, "--stock must be between 0 and 1000000, got %d", c.Stock)
	check(c.CountSKUs >= 0 && c.CountSKUs <= 100, "--count-skus must be between 0 and 100, got %d", c.CountSKUs)
	check(c.Poison >= 0 && c.Poison <= 1000, "--poison must be between 0 and 1000, got %d", c.Poison)
	check(c.Partitions >= 1 && c.Partitions <= 64, "--partitions must be between 1 and 64, got %d", c.Partitions)
	check(c.MaxInFlight >= 1, "--max-inflight must be at least 1, got %d", c.MaxInFlight)
	check(c.Settle >= time.Second, "--settle-timeout must be at least 1s, got %s", c.Settle)
	check(c.Progress >= 0, "--progress must not be negative, got %s", c.Progress)
	check(c.Examples >= 1, "--examples must be at least 1, got %d", c.Examples)
	check(!c.PlanOnly || c.Seed != 0, "--plan needs a --seed")
	for _, kv := range c.ServiceEnv {
		k, _, ok := strings.Cut(kv, "=")
		check(ok && k != "", "--service-env wants KEY=VALUE, got %q", kv)
	}
	return errors.Join(errs...)
}

package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// result is what a run produced for the checker and the report.
type result struct {
	history *History
	dropped int64
	workDir string
	timings map[string]string
}

// soak is the whole run: build, start the world, load and faults, drain, settle, read the
// history back, stop the world.
func soak(ctx context.Context, cfg config, log io.Writer) (res result, err error) {
	t0 := time.Now()
	res.timings = map[string]string{}
	lap := func(name string, since time.Time) {
		res.timings[name] = time.Since(since).Round(100 * time.Millisecond).String()
	}
	seed := cfg.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	// The run ID names the run's topics, groups and schema: unique per run, not per seed,
	// so that two runs with one seed never share anything.
	runID := fmt.Sprintf("%06x", rand.Uint32()&0xffffff)
	mode := modeMemory
	if cfg.durable() {
		mode = modePostgres
	}
	fmt.Fprintf(log, "soak: seed %d, run %s, %s mode, %d instance(s), %g req/s for %s, faults: %v\n",
		seed, runID, mode, cfg.Instances, cfg.Rate, cfg.Duration, orNoneList(cfg.Faults))
	if mode == modeMemory && cfg.Instances > 1 {
		fmt.Fprintln(log, "soak: memory mode with several instances: each has its own state; only Kafka-level invariants will be checked")
	}

	res.workDir = cfg.WorkDir
	if res.workDir == "" {
		if res.workDir, err = os.MkdirTemp("", "soak-"); err != nil {
			return res, fmt.Errorf("creating the work directory: %w", err)
		}
	}
	bins, err := binariesFor(ctx, cfg, res.workDir, log)
	if err != nil {
		return res, err
	}
	lap("build", t0)

	var pg *pgSchema
	if cfg.durable() {
		if pg, err = createSchema(ctx, cfg.Postgres, runID); err != nil {
			return res, err
		}
		defer func() {
			if cfg.Keep {
				fmt.Fprintf(log, "soak: schema %s kept\n", pg.name)
				return
			}
			if derr := pg.drop(context.Background()); derr != nil {
				fmt.Fprintln(log, "soak:", derr)
			}
		}()
	}
	w, err := newWorld(cfg, bins, res.workDir, runID, pg)
	if err != nil {
		return res, err
	}
	defer w.stop()
	tStart := time.Now()
	if err := w.start(ctx); err != nil {
		return res, err
	}
	reap := &reaper{w: w}
	reapCtx, stopReaping := context.WithCancel(ctx)
	defer stopReaping()
	go reap.run(reapCtx, 2*time.Second)
	rec := &recorder{}
	a := newAPI(w, rec, runID, cfg.MaxInFlight+16)
	l := newLoad(cfg, a, w, seed, runID)
	if err := l.countStock(ctx); err != nil {
		return res, fmt.Errorf("counting stock before the load: %w", err)
	}
	lap("start", tStart)

	plan := planFaults(cfg, seed)
	for _, p := range plan {
		fmt.Fprintf(log, "soak: fault planned at +%.1fs: %s\n", p.At.Seconds(), p)
	}
	f := &faulter{w: w, durable: cfg.durable(), onRestart: func(ctx context.Context, _ int) { l.recount(ctx) }}
	var phase atomic.Value
	phase.Store("load")
	start := time.Now()
	progressCtx, stopProgress := context.WithCancel(ctx)
	defer stopProgress()
	if cfg.Progress > 0 {
		go progress(progressCtx, log, cfg.Progress, start, func() string { return phase.Load().(string) }, l, rec, f, w)
	}
	var background sync.WaitGroup
	background.Go(func() { f.run(ctx, start, plan) })
	var injected []Injected
	background.Go(func() { injected = injectAll(ctx, cfg, w, runID, seed, start, log) })
	l.run(ctx, start, cfg.Duration)
	lap("load", start)

	tDrain := time.Now()
	phase.Store("drain")
	l.wait()
	background.Wait()
	if err := f.healAll(ctx); err != nil {
		return res, fmt.Errorf("restarting what the faults left down: %w", err)
	}
	lap("drain", tDrain)

	tSettle := time.Now()
	phase.Store("settle")
	settled, note := settle(ctx, w, cfg.Settle)
	lap("settle", tSettle)

	tRead := time.Now()
	phase.Store("read")
	records, err := readTopics(ctx, w)
	if err != nil {
		return res, err
	}
	reqs := rec.requests()
	slices.SortFunc(reqs, func(a, b Request) int { return a.Seq - b.Seq })
	views, stock := readState(ctx, a, w, orderIDsOf(reqs, records), append(slices.Clone(l.ordered), l.counted...))
	lap("read", tRead)
	stopProgress()
	stopReaping()

	res.history = &History{
		Mode: mode, Instances: cfg.Instances, Seed: seed, Rate: cfg.Rate, Duration: cfg.Duration.String(),
		Start: start, End: time.Now(), TopicPrefix: w.topicPrefix,
		Requests: reqs, Records: records, Injected: injected, Lifetimes: w.lifetimesSnapshot(), Faults: f.faults(),
		OrderedSKUs: l.ordered, CountedSKUs: l.counted, Views: views, Stock: stock,
		Settled: settled, SettleNote: note, Reaped: reap.removed(),
	}
	res.dropped = l.dropped.Load()
	lap("total", t0)
	return res, nil
}

func binariesFor(ctx context.Context, cfg config, dir string, log io.Writer) (binaries, error) {
	if cfg.BinDir != "" {
		return prebuilt(cfg.BinDir)
	}
	fmt.Fprintf(log, "soak: building orders-service and devbroker from %s\n", cfg.Repo)
	return buildBinaries(ctx, cfg.Repo, dir)
}

// injectAll produces the --poison bad messages at times drawn from the seed, spread over
// the load after half the warm-up, and returns where each landed.
func injectAll(ctx context.Context, cfg config, w *world, runID string, seed uint64, start time.Time, log io.Writer) []Injected {
	rng := rand.New(rand.NewPCG(seed, 3))
	at := make([]time.Duration, cfg.Poison)
	lo, hi := cfg.Warmup/2, cfg.Duration*8/10
	for i := range at {
		at[i] = lo + time.Duration(rng.Int64N(int64(max(hi-lo, 1))))
	}
	slices.Sort(at)
	var out []Injected
	for i, d := range at {
		pause(ctx, time.Until(start.Add(d)))
		if ctx.Err() != nil {
			break
		}
		in, err := injectPoison(ctx, w.broker.addr, w.topicPrefix, runID, i)
		if err != nil {
			fmt.Fprintln(log, "soak: poison not injected:", err)
			continue
		}
		out = append(out, in)
	}
	return out
}

func orNoneList(s []string) any {
	if len(s) == 0 {
		return "none"
	}
	return s
}

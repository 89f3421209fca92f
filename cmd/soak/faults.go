package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"syscall"
	"time"
)

// plannedFault is one fault of the schedule, drawn from the seed before the run starts:
// its time, kind and every choice it makes, so that --seed repeats the same schedule.
type plannedFault struct {
	At       time.Duration // since the start of the load
	Kind     string
	Instance int            // sigkill, sigterm: which instance; pgdrop: which (-1: all)
	Delay    time.Duration  // sigkill, sigterm, broker: down for this long before restarting
	Signal   syscall.Signal // broker: how it is killed
	Group    int            // rewind: index in consumerGroups
	Seed     uint64         // rewind: how far back each partition goes
}

// planFaults draws the schedule: faults at exponentially distributed intervals (mean
// every) from warmup to the end of the load, each of a kind picked among those enabled.
func planFaults(cfg config, seed uint64) []plannedFault {
	if len(cfg.Faults) == 0 {
		return nil
	}
	rng := rand.New(rand.NewPCG(seed, 2))
	var plan []plannedFault
	at := cfg.Warmup
	for {
		at += time.Duration(rng.ExpFloat64() * float64(cfg.FaultEvery))
		if at >= cfg.Duration {
			return plan
		}
		f := plannedFault{At: at, Kind: cfg.Faults[rng.IntN(len(cfg.Faults))], Instance: rng.IntN(cfg.Instances)}
		f.Delay = time.Duration(300+rng.IntN(2700)) * time.Millisecond
		f.Signal = syscall.SIGKILL
		if rng.IntN(3) == 0 {
			f.Signal = syscall.SIGTERM
		}
		f.Group = rng.IntN(len(consumerGroups))
		f.Seed = rng.Uint64()
		if f.Kind == faultPGDrop && rng.IntN(2) == 0 {
			f.Instance = -1
		}
		plan = append(plan, f)
	}
}

func (f plannedFault) String() string {
	switch f.Kind {
	case faultKill, faultTerm:
		return fmt.Sprintf("%s instance %d, restart after %s", f.Kind, f.Instance, f.Delay)
	case faultBroker:
		return fmt.Sprintf("broker %s, restart after %s", sigName(f.Signal), f.Delay)
	case faultRewind:
		return "rewind group " + consumerGroups[f.Group].name
	case faultPGDrop:
		if f.Instance < 0 {
			return "pgdrop all instances"
		}
		return fmt.Sprintf("pgdrop instance %d", f.Instance)
	}
	return f.Kind
}

// faulter injects the planned faults one after the other. A fault ends with what it broke
// running again (restarted and ready), so faults do not pile up into an outage longer than
// the schedule says.
type faulter struct {
	w         *world
	durable   bool
	onRestart func(ctx context.Context, instance int) // memory mode: count stock again

	mu   sync.Mutex
	done []Fault
}

func (f *faulter) run(ctx context.Context, start time.Time, plan []plannedFault) {
	for _, p := range plan {
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Until(start.Add(p.At))):
		}
		at := time.Now()
		detail, err := f.inject(ctx, p)
		fault := Fault{Kind: p.Kind, At: at, Detail: detail}
		if err != nil {
			fault.Error = err.Error()
		}
		f.mu.Lock()
		f.done = append(f.done, fault)
		f.mu.Unlock()
	}
}

func (f *faulter) inject(ctx context.Context, p plannedFault) (string, error) {
	switch p.Kind {
	case faultKill, faultTerm:
		sig := syscall.SIGKILL
		if p.Kind == faultTerm {
			sig = syscall.SIGTERM
		}
		return f.restartInstance(ctx, p.Instance, sig, p.Delay)
	case faultBroker:
		return f.restartBroker(ctx, p.Signal, p.Delay)
	case faultRewind:
		g := consumerGroups[p.Group]
		return rewindGroup(ctx, f.w.broker.addr, f.w.groupPrefix+g.name, f.w.topicPrefix+g.topic, rand.New(rand.NewPCG(p.Seed, 3)))
	case faultPGDrop:
		n, err := f.w.pg.terminate(ctx, p.Instance)
		who := fmt.Sprintf("instance %d", p.Instance)
		if p.Instance < 0 {
			who = "all instances"
		}
		return fmt.Sprintf("terminated %d connections of %s", n, who), err
	}
	return "", fmt.Errorf("unknown fault kind %q", p.Kind)
}

func (f *faulter) restartInstance(ctx context.Context, n int, sig syscall.Signal, down time.Duration) (string, error) {
	in := f.w.instances[n]
	how, err := in.proc.stop(sig, shutdownTimeout+5*time.Second)
	if err != nil {
		return "", err
	}
	pause(ctx, down)
	if err := f.w.startInstance(ctx, n); err != nil {
		return "", err
	}
	if !f.durable && f.onRestart != nil {
		f.onRestart(ctx, n)
	}
	return fmt.Sprintf("instance %d %s, down %s", n, how, down), nil
}

func (f *faulter) restartBroker(ctx context.Context, sig syscall.Signal, down time.Duration) (string, error) {
	how, err := f.w.broker.proc.stop(sig, 10*time.Second)
	if err != nil {
		return "", err
	}
	pause(ctx, down)
	if err := f.w.broker.start(ctx); err != nil {
		return "", err
	}
	return fmt.Sprintf("broker %s, down %s", how, down), nil
}

// pause keeps a process down for the planned time: the fault's length, not a wait for
// something to happen.
func pause(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// healAll starts whatever is down, after the faults stopped: the flow can only settle with
// everything running.
func (f *faulter) healAll(ctx context.Context) error {
	if !f.w.broker.proc.running() {
		if err := f.w.broker.start(ctx); err != nil {
			return err
		}
	}
	for _, in := range f.w.instances {
		if !in.proc.running() {
			if err := f.w.startInstance(ctx, in.n); err != nil {
				return err
			}
		}
	}
	return nil
}

func (f *faulter) faults() []Fault {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Fault(nil), f.done...)
}

// countFaults tallies the faults injected by kind, failed ones apart.
func countFaults(fs []Fault) map[string]int {
	out := map[string]int{}
	for _, f := range fs {
		k := f.Kind
		if f.Error != "" {
			k += " (failed)"
		}
		out[k]++
	}
	return out
}

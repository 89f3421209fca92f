// Command soak proves, under random faults, that the orders service loses nothing, doubles
// nothing and reorders nothing. It builds the service and the embedded broker from a source
// tree, starts on loopback a broker with a data directory and instances of the service
// sharing its consumer groups (in PostgreSQL mode on a fresh schema), drives an open-loop
// load while injecting faults at random times drawn from --seed (SIGKILL and SIGTERM of an
// instance, broker restarts, consumer group offsets moved back, dropped database
// connections), records a history (every request and answer, every message on every topic),
// lets the flow settle, and checks the history against the service's guarantees.
//
//	go run ./cmd/soak --duration 60s --seed 1                      # memory mode
//	go run ./cmd/soak --duration 60s --seed 1 --postgres "$URL"    # durable mode
//	go run ./cmd/soak --repo /tmp/broken-copy --faults rewind,sigkill
//	go run ./cmd/soak --check history.json                         # check a saved history again
//	go run ./cmd/soak --plan --seed 7                              # the fault schedule of a seed
//
// It exits 0 when every invariant holds, 1 when one fails, 2 when the run itself failed.
// What each invariant means and why it is sound is written at its check (check_*.go).
// Memory mode runs one instance by default: each process keeps its own state, so with
// several the state has no defined correct value and only Kafka-level invariants are
// checked; with one, the invariants hold per process lifetime (index.go, epochs). How
// offsets are moved back against live consumers is in rewind.go; reaper.go works around a
// defect of the embedded broker that would otherwise wedge a group after a SIGKILL.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit statuses.
const (
	exitPass   = 0
	exitFail   = 1 // an invariant failed
	exitBroken = 2 // the tool could not run (bad flags, build failure, a process that would not start)
)

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parseConfig(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitPass
	}
	if err != nil {
		fmt.Fprintln(stderr, "soak:", err)
		return exitBroken
	}
	if cfg.CheckOnly != "" {
		return checkSaved(cfg, stdout, stderr)
	}
	if cfg.PlanOnly {
		for _, p := range planFaults(cfg, cfg.Seed) {
			fmt.Fprintf(stdout, "+%.1fs %s\n", p.At.Seconds(), p)
		}
		return exitPass
	}
	res, err := soak(ctx, cfg, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "soak:", err)
		if res.workDir != "" {
			fmt.Fprintln(stderr, "soak: logs kept in", res.workDir)
		}
		return exitBroken
	}
	invs := Check(res.history, cfg.Examples)
	rep := buildReport(res.history, invs, res.dropped)
	rep.Timings = res.timings
	keep := cfg.Keep || !rep.Passed
	if keep {
		rep.WorkDir = res.workDir
	} else if cfg.WorkDir == "" {
		if err := os.RemoveAll(res.workDir); err != nil {
			fmt.Fprintln(stderr, "soak: removing the work directory:", err)
		}
	}
	if cfg.HistoryOut != "" {
		if err := saveHistory(cfg.HistoryOut, res.history); err != nil {
			fmt.Fprintln(stderr, "soak:", err)
		}
	}
	if err := printReport(cfg, stdout, rep, res.history); err != nil {
		fmt.Fprintln(stderr, "soak:", err)
		return exitBroken
	}
	if !rep.Passed {
		return exitFail
	}
	return exitPass
}

func printReport(cfg config, out io.Writer, rep Report, h *History) error {
	if cfg.JSON {
		return writeJSON(out, rep)
	}
	return writeHuman(out, rep, h.Start)
}

// checkSaved checks a history saved by --history: the checker is pure, so this gives the
// run's verdict again, or the verdict of a changed checker on the same history.
func checkSaved(cfg config, stdout, stderr io.Writer) int {
	data, err := os.ReadFile(cfg.CheckOnly)
	if err != nil {
		fmt.Fprintln(stderr, "soak: reading the history:", err)
		return exitBroken
	}
	var h History
	if err := json.Unmarshal(data, &h); err != nil {
		fmt.Fprintf(stderr, "soak: decoding the history %s: %v\n", cfg.CheckOnly, err)
		return exitBroken
	}
	invs := Check(&h, cfg.Examples)
	rep := buildReport(&h, invs, 0)
	if err := printReport(cfg, stdout, rep, &h); err != nil {
		fmt.Fprintln(stderr, "soak:", err)
		return exitBroken
	}
	if !rep.Passed {
		return exitFail
	}
	return exitPass
}

func saveHistory(path string, h *History) error {
	data, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("encoding the history: %w", err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("writing the history: %w", err)
	}
	return nil
}

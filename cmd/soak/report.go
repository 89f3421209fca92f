package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Report is what a run prints: the run's parameters, what it did, and each invariant.
type Report struct {
	Passed      bool                      `json:"passed"`
	Seed        uint64                    `json:"seed"`
	Mode        string                    `json:"mode"`
	Instances   int                       `json:"instances"`
	Rate        float64                   `json:"rate"`
	Duration    string                    `json:"duration"`
	WorkDir     string                    `json:"workdir,omitempty"`
	Faults      []Fault                   `json:"faults"`
	FaultCounts map[string]int            `json:"fault_counts"`
	Requests    map[string]map[string]int `json:"requests"` // op -> outcome -> count
	Dropped     int64                     `json:"dropped"`  // requests not sent: --max-inflight reached
	Orders      map[string]int            `json:"orders"`   // final state -> orders
	Messages    map[string]int            `json:"messages"` // topic -> messages
	Lifetimes   int                       `json:"process_lifetimes"`
	Reaped      []string                  `json:"reaped_members,omitempty"`
	Timings     map[string]string         `json:"timings,omitempty"`
	Invariants  []Invariant               `json:"invariants"`
}

func buildReport(h *History, invs []Invariant, dropped int64) Report {
	r := Report{
		Passed: !failed(invs), Seed: h.Seed, Mode: h.Mode, Instances: h.Instances, Rate: h.Rate, Duration: h.Duration,
		Faults: h.Faults, FaultCounts: countFaults(h.Faults),
		Requests: map[string]map[string]int{}, Dropped: dropped,
		Orders: finalStates(newIndex(h)), Messages: map[string]int{},
		Lifetimes: len(h.Lifetimes), Reaped: h.Reaped, Invariants: invs,
	}
	for _, q := range h.Requests {
		if r.Requests[q.Op] == nil {
			r.Requests[q.Op] = map[string]int{}
		}
		r.Requests[q.Op][outcome(q)]++
	}
	for _, m := range h.Records {
		r.Messages[m.Topic]++
	}
	return r
}

// outcome names a request's answer: its status, or why there was none.
func outcome(q Request) string {
	if q.Status != 0 {
		return fmt.Sprint(q.Status)
	}
	kind, _, _ := strings.Cut(q.Error, ":")
	return "no answer (" + kind + ")"
}

// finalStates counts orders by the status their events left them in: the last status of
// the last process lifetime that announced one.
func finalStates(x *index) map[string]int {
	out := map[string]int{}
	for _, id := range x.ordersUnderCheck() {
		o := x.orders[id]
		if o == nil || len(o.status) == 0 {
			out["none"]++
			continue
		}
		segments := x.byEpoch(o.status)
		es := epochsOf(segments)
		p := path(segments[es[len(es)-1]])
		if len(p) == 0 {
			out["none"]++
			continue
		}
		out[p[len(p)-1].status]++
	}
	return out
}

func writeJSON(w io.Writer, r Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	return nil
}

func writeHuman(w io.Writer, r Report, start time.Time) error {
	var b strings.Builder
	verdict := "PASS"
	if !r.Passed {
		verdict = "FAIL"
	}
	fmt.Fprintf(&b, "soak: %s  (seed %d, %s mode, %d instance(s), %g req/s for %s, %d process lifetimes)\n",
		verdict, r.Seed, r.Mode, r.Instances, r.Rate, r.Duration, r.Lifetimes)
	fmt.Fprintf(&b, "faults injected: %s\n", joinCounts(r.FaultCounts, "none"))
	for _, f := range r.Faults {
		line := fmt.Sprintf("  %+7.1fs  %-8s %s", f.At.Sub(start).Seconds(), f.Kind, f.Detail)
		if f.Error != "" {
			line += "  FAILED: " + f.Error
		}
		b.WriteString(line + "\n")
	}
	total := 0
	for _, m := range r.Requests {
		for _, n := range m {
			total += n
		}
	}
	fmt.Fprintf(&b, "requests: %d sent, %d dropped (in-flight bound)\n", total, r.Dropped)
	for _, op := range sortedKeys(r.Requests) {
		fmt.Fprintf(&b, "  %-14s %s\n", op, joinCounts(r.Requests[op], ""))
	}
	fmt.Fprintf(&b, "orders by final state (from their events): %s\n", joinCounts(r.Orders, "none"))
	if len(r.Reaped) > 0 {
		fmt.Fprintf(&b, "embedded-broker workaround: %d consumer group members of dead processes removed (see reaper.go):\n", len(r.Reaped))
		for _, m := range r.Reaped {
			fmt.Fprintf(&b, "  %s\n", m)
		}
	}
	fmt.Fprintf(&b, "messages on Kafka: %s\n", joinCounts(r.Messages, "none"))
	if len(r.Timings) > 0 {
		fmt.Fprintf(&b, "timings: %s\n", joinStrings(r.Timings))
	}
	if r.WorkDir != "" {
		fmt.Fprintf(&b, "work directory (logs, broker data): %s\n", r.WorkDir)
	}
	b.WriteString("invariants:\n")
	for _, inv := range r.Invariants {
		fmt.Fprintf(&b, "  %-7s %-20s %s\n", strings.ToUpper(inv.Status), inv.Name, inv.Description)
		switch inv.Status {
		case statusFail:
			fmt.Fprintf(&b, "          %d violation(s) in %d checked; first ones:\n", inv.Violations, inv.Checked)
			for _, e := range inv.Examples {
				fmt.Fprintf(&b, "            - %s\n", e)
			}
		default:
			fmt.Fprintf(&b, "          %d checked\n", inv.Checked)
		}
		if inv.Note != "" {
			fmt.Fprintf(&b, "          note: %s\n", inv.Note)
		}
	}
	fmt.Fprintf(&b, "soak: %s; repeat with --seed %d\n", verdict, r.Seed)
	_, err := io.WriteString(w, b.String())
	return err
}

func joinCounts(m map[string]int, empty string) string {
	if len(m) == 0 {
		return empty
	}
	keys := sortedKeys(m)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

func joinStrings(m map[string]string) string {
	keys := sortedKeys(m)
	slices.Sort(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+" "+m[k])
	}
	return strings.Join(parts, ", ")
}

package main

import (
	"fmt"
	"slices"
)

// step is one status change of an order, as its events announced it.
type step struct {
	version int
	status  string
	rec     *Record
}

// path is the status changes of one order in one epoch: each event whose version is above
// every version before it, in offset order. Repeats and stale events are left to
// checkVersions; the path is what the order went through.
func path(events []*Record) []step {
	var p []step
	maxV := 0
	for _, r := range events {
		if r.Body.Version > maxV {
			maxV = r.Body.Version
			p = append(p, step{version: r.Body.Version, status: statusOf[r.Type], rec: r})
		}
	}
	return p
}

// ordersUnderCheck are the orders that entered the flow: a PlaceOrder on Kafka, or a
// placement the service accepted.
func (x *index) ordersUnderCheck() []string {
	ids := map[string]bool{}
	for _, id := range x.orderIDs {
		o := x.orders[id]
		if slices.ContainsFunc(o.commands, func(r *Record) bool { return r.Type == cmdPlaceOrder }) || len(o.status) > 0 {
			ids[id] = true
		}
	}
	for _, r := range x.h.Requests {
		if (r.Op == opPlace || r.Op == opPlaceAgain) && r.accepted() && r.OrderID != "" {
			ids[r.OrderID] = true
		}
	}
	return sortedKeys(ids)
}

// checkFinalStates: every order that entered the flow reaches exactly one final state.
// Within an epoch its status events must follow the state machine (pending, then
// confirmed/rejected/cancelled, then from confirmed shipped/cancelled), so two final
// states (rejected and cancelled, shipped and cancelled) are a violation; and once the
// flow settled, its last status must not be pending. A 201's status must be one the order
// went through.
//
// Memory mode, one instance, restarts: a process starts with empty state, and messages
// still in Kafka are handled against it (README: In-memory mode). So an order may be placed
// again in a later epoch (its PlaceOrder redelivered) and take another outcome there, and
// an order whose epoch ended with a restart may stay pending for good: its ConfirmOrder,
// redelivered to the new process, is refused as "unknown order". That is what the mode
// loses; it is counted, not failed. So is an order whose last process took in messages
// from before its start (index.inherited): its state there is a mix of the lost one and a
// new one. An order still pending in the last epoch otherwise is a failure.
func checkFinalStates(x *index, n int) Invariant {
	c := newCheck("final-state", "every order answered 202/201 (or on Kafka) reaches exactly one final state, along the state machine", n)
	if !x.stateful {
		return c.skip(notStateful)
	}
	cut, again := 0, 0
	for _, id := range x.ordersUnderCheck() {
		c.inv.Checked++
		o := x.orders[id]
		if o == nil || len(o.status) == 0 {
			c.fail("order %s entered the flow (accepted, or its PlaceOrder is on Kafka) but no status event of it is on orders.events", id)
			continue
		}
		segments := x.byEpoch(o.status)
		epochs := epochsOf(segments)
		if len(epochs) > 1 {
			again++
		}
		seen := map[string]bool{}
		for i, e := range epochs {
			p := path(segments[e])
			checkPath(c, id, x.epochLabel(e), p)
			for _, s := range p {
				seen[s.status] = true
			}
			if i < len(epochs)-1 || len(p) == 0 {
				continue
			}
			last := p[len(p)-1]
			if settledStatus(last.status) {
				continue
			}
			if e != x.lastEpoch() || x.inherited(o, e) {
				cut++ // memory mode: the process holding it restarted, or took in its past
				continue
			}
			c.fail("order %s is still %s after the flow settled (last status event %s, version %d)", id, last.status, at(last.rec), last.version)
		}
		checkAnswers(c, x, id, seen)
	}
	if len(x.epochs) > 1 {
		c.inv.Note = fmt.Sprintf("memory mode, %d process lifetimes: %d orders left unsettled by a restart (their process ended, or their last one handled messages from before it started) and %d placed again in a later lifetime, as the mode allows (state is empty after a restart)",
			len(x.epochs), cut, again)
	}
	return c.done()
}

// checkPath checks one epoch's status changes against the state machine.
func checkPath(c *check, id, label string, p []step) {
	prev := ""
	for _, s := range p {
		if !slices.Contains(next[prev], s.status) {
			what := "moved from " + orNone(prev) + " to " + s.status
			if settledStatus(prev) && prev != statusConfirmed {
				what = "reached a second final state: " + prev + ", then " + s.status
			}
			c.fail("order %s%s %s (version %d, %s)", id, label, what, s.version, at(s.rec))
		}
		prev = s.status
	}
}

// checkAnswers checks that every 201 for the order shows a status the order went through.
func checkAnswers(c *check, x *index, id string, seen map[string]bool) {
	for _, r := range x.h.Requests {
		if r.OrderID == id && r.Status == 201 && r.OrderStatus != "" && !seen[r.OrderStatus] {
			c.fail("order %s: POST /orders (seq %d) answered 201 %s, a status its events never announced", id, r.Seq, r.OrderStatus)
		}
	}
}

// checkVersions: per order, the versions on orders.events never go backwards, a repeated
// version is the same event again (a re-announcement or a redelivery's duplicate), and no
// version is skipped, so the last event is the order's state. Every change of an order is
// announced with the version it set, in the handler that made it, on the order's one
// partition; a gap is a lost event. Per epoch in memory mode (a restarted process numbers a
// re-placed order from 1 again).
func checkVersions(x *index, n int) Invariant {
	c := newCheck("versions", "per order, event versions on Kafka never go backwards, never skip, and a repeated version is the same event", n)
	if !x.stateful {
		return c.skip(notStateful)
	}
	for _, id := range x.orderIDs {
		o := x.orders[id]
		if len(o.status) == 0 {
			continue
		}
		c.inv.Checked++
		segments := x.byEpoch(o.status)
		for _, e := range epochsOf(segments) {
			checkSegmentVersions(c, id, x.epochLabel(e), segments[e])
		}
	}
	return c.done()
}

func checkSegmentVersions(c *check, id, label string, events []*Record) {
	maxV := 0
	var maxRec *Record
	first := map[int]*Record{}
	for _, r := range events {
		v := r.Body.Version
		if f, ok := first[v]; ok && f.Type != r.Type {
			c.fail("order %s%s: version %d announced as %s and as %s", id, label, v, at(f), at(r))
		}
		switch {
		case v < maxV:
			c.fail("order %s%s: version went backwards: %d (%s) after %d (%s)", id, label, v, at(r), maxV, at(maxRec))
		case v > maxV+1:
			c.fail("order %s%s: versions %d..%d missing before %s", id, label, maxV+1, v-1, at(r))
		}
		if _, ok := first[v]; !ok {
			first[v] = r
		}
		if v > maxV {
			maxV, maxRec = v, r
		}
	}
}

// epochLabel names an epoch in a counter-example, when the run has more than one.
func (x *index) epochLabel(e int) string {
	if len(x.epochs) <= 1 {
		return ""
	}
	return fmt.Sprintf(" (process lifetime %d of %d)", e+1, len(x.epochs))
}

func orNone(s string) string {
	if s == "" {
		return "nothing"
	}
	return s
}

package main

import (
	"slices"
	"strings"
)

// Reservation outcomes, as the checker abbreviates them.
const (
	resHeld     = "reserved"
	resFailed   = "failed"
	resReleased = "released"
	resShipped  = "shipped"
)

var resOf = map[string]string{
	evStockReserved:    resHeld,
	evStockReserveFail: resFailed,
	evStockReleased:    resReleased,
	evStockShipped:     resShipped,
}

// validReservation lists the reservation histories an order may have, once repeats are
// collapsed: a re-announcement (a redelivered command finding its work done) repeats the
// last outcome and nothing else. Anything else is an effect taken twice or two outcomes:
// reserved then failed, released then reserved again, released and shipped.
var validReservation = [][]string{
	{},
	{resFailed},
	{resHeld},
	{resHeld, resReleased},
	{resHeld, resShipped},
}

// reservationFor is what an order's final status says its reservation must have become,
// once the flow settled: a confirmed order holds its units, a shipped one shipped them, a
// rejected one failed to reserve, a cancelled one released what it held (or held nothing:
// its reservation failed, or its release came first and left a tombstone).
var reservationFor = map[string][][]string{
	statusConfirmed: {{resHeld}},
	statusShipped:   {{resHeld, resShipped}},
	statusRejected:  {{resFailed}},
	statusCancelled: {{}, {resFailed}, {resHeld, resReleased}},
}

// checkEffects: each order reserved, released and shipped at most once, from the events on
// stock.events (keyed by the order, so in the order they were handled). The units in each
// event are the order's. When the state lived through the whole run, the reservation also
// matches the order's final status. Per epoch in memory mode: a restarted process has no
// reservations, so a redelivered ReserveStock reserves anew.
func checkEffects(x *index, n int) Invariant {
	c := newCheck("effects-once", "each order reserved, released and shipped at most once, with its own units, matching its final status", n)
	if !x.stateful {
		return c.skip(notStateful)
	}
	for _, id := range x.orderIDs {
		o := x.orders[id]
		if len(o.stock) == 0 && len(o.status) == 0 {
			continue
		}
		c.inv.Checked++
		items := o.placedItems()
		for _, r := range o.stock {
			// A failed reservation, and a release or shipment of nothing, carry no units.
			if len(r.Body.Items) > 0 && !slices.Equal(sortedLines(r.Body.Items), sortedLines(items)) {
				c.fail("order %s: %s moves units %v, the order is %v", id, at(r), r.Body.Items, items)
			}
		}
		segments := x.byEpoch(o.stock)
		for _, e := range epochsOf(segments) {
			got := collapse(segments[e])
			if !containsSeq(validReservation, got) {
				c.fail("order %s%s: reservation went %s (%s)", id, x.epochLabel(e), strings.Join(got, " -> "), ats(segments[e]))
			}
		}
		if !x.singleEpoch() || len(o.status) == 0 {
			continue
		}
		final := statusOf[highest(o.status).Type]
		want, ok := reservationFor[final]
		if got := collapse(o.stock); ok && !containsSeq(want, got) {
			c.fail("order %s is %s, but its reservation went %s (%s)", id, final, orEmpty(strings.Join(got, " -> ")), ats(o.stock))
		}
	}
	return c.done()
}

// collapse is the outcomes of a reservation with repeats folded.
func collapse(events []*Record) []string {
	out := []string{}
	for _, r := range events {
		o := resOf[r.Type]
		if o == "" || (len(out) > 0 && out[len(out)-1] == o) {
			continue
		}
		out = append(out, o)
	}
	return out
}

func containsSeq(options [][]string, got []string) bool {
	return slices.ContainsFunc(options, func(o []string) bool { return slices.Equal(o, got) })
}

func sortedLines(ls []Line) []Line {
	out := slices.Clone(ls)
	slices.SortFunc(out, func(a, b Line) int { return strings.Compare(a.SKU, b.SKU) })
	return out
}

// ats lists where a few records are, for a counter-example.
func ats(rs []*Record) string {
	var parts []string
	for i, r := range rs {
		if i == 6 {
			parts = append(parts, "...")
			break
		}
		parts = append(parts, short(r.Type)+"@"+where(r.Topic, r.Partition, r.Offset))
	}
	return strings.Join(parts, ", ")
}

func orEmpty(s string) string {
	if s == "" {
		return "nowhere"
	}
	return s
}

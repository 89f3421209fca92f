package main

import "slices"

// mustCause lists, per message type, what handling it always sends, whatever the state:
// the policies always send their command, and these commands always announce something
// (their event, a re-announcement of it, or a refusal). A message of one of these types
// that caused nothing was never handled: lost (skipped, or acknowledged unhandled).
var mustCause = map[string][]string{
	cmdCancelOrder:     {evOrderCancelled, evOrderRefused},
	cmdShipOrder:       {evOrderShipped, evOrderRefused},
	cmdSetStockLevel:   {evStockLevelSet},
	evOrderPlaced:      {cmdReserveStock},
	evOrderCancelled:   {cmdReleaseStock},
	evOrderShipped:     {cmdShipStock},
	evStockReserved:    {cmdConfirmOrder},
	evStockReserveFail: {cmdRejectOrder},
}

// checkNoLostMessage: every message on Kafka was handled (at-least-once). A handling is
// seen by what it sent: a message caused by it (its causation_id). This holds in memory
// mode too, across restarts: an unacknowledged message is redelivered to the next process
// and handled there, against whatever state it has; these types announce something in any
// state. Commands whose handling may legitimately be silent are checked where they cannot
// be: the first PlaceOrder of an order always places or refuses, and the first
// ReserveStock of an order always reserves or fails, unless a ReleaseStock of the order
// came before it (a release before the reservation leaves a tombstone, and the late
// reservation takes nothing, silently). The rest of the saga (confirm, reject, release,
// ship) is checked through its outcome by final-state and effects-once.
func checkNoLostMessage(x *index, n int) Invariant {
	c := newCheck("no-lost-message", "every command and event on Kafka was handled: it caused what its handler always sends", n)
	firstPlace := map[string]bool{}
	firstReserve := map[string]bool{}
	released := map[string]bool{}
	for i := range x.h.Records {
		r := &x.h.Records[i]
		if r.Topic == topicPoison || x.injected(r) || x.byUUID[r.UUID] != r {
			continue // poison copies, the tool's own poison, and duplicates of a message
		}
		want := mustCause[r.Type]
		switch r.Type {
		case cmdPlaceOrder:
			if firstPlace[r.Key] {
				continue
			}
			firstPlace[r.Key] = true
			want = []string{evOrderPlaced, evOrderRefused}
		case cmdReleaseStock:
			released[r.Key] = true
			continue
		case cmdReserveStock:
			if firstReserve[r.Key] || released[r.Key] {
				continue
			}
			firstReserve[r.Key] = true
			want = []string{evStockReserved, evStockReserveFail}
		}
		if want == nil {
			continue
		}
		c.inv.Checked++
		outs := x.outputs[r.UUID]
		if !slices.ContainsFunc(outs, func(o *Record) bool { return slices.Contains(want, o.Type) }) {
			c.fail("%s (uuid %s, correlation %s) caused no %s%s", at(r), r.UUID, r.CorrelationID, joinShort(want), causedInstead(outs))
		}
	}
	return c.done()
}

func joinShort(types []string) string {
	s := ""
	for i, t := range types {
		if i > 0 {
			s += " or "
		}
		s += short(t)
	}
	return s
}

func causedInstead(outs []*Record) string {
	if len(outs) == 0 {
		return ": it caused nothing"
	}
	return "; it caused " + ats(outs)
}

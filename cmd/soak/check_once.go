package main

import "fmt"

// checkHandledOnce: in PostgreSQL mode no message is handled twice with effect. Every
// handler sends at most one message per handling, stamped with the UUID of the message
// it handled (causation_id); the inbox records the handling in the handler's transaction,
// together with the state change and the outbox rows, so a redelivery is acknowledged
// without running the handler again. Two distinct messages caused by one message are
// therefore two committed handlings: an effect doubled (a relay's duplicate keeps the
// message's UUID, and counts once). Policies and projections included: a redelivered
// OrderPlaced must not send a second ReserveStock.
//
// Memory mode promises at-least-once handling only (a redelivered message is handled
// again, and must change nothing): the re-handlings are counted, not failed; their
// harmlessness is what effects-once, versions and stock-levels check.
func checkHandledOnce(x *index, n int) Invariant {
	c := newCheck("handled-once", "PostgreSQL mode: no message caused two distinct messages (handled twice with effect)", n)
	twice := 0
	for _, id := range sortedKeys(x.outputs) {
		cause, ok := x.byUUID[id]
		if !ok {
			continue // caused by a message not on Kafka (an HTTP request has no causation)
		}
		c.inv.Checked++
		outs := x.outputs[id]
		if len(outs) < 2 {
			continue
		}
		twice++
		if x.h.Mode == modePostgres {
			c.fail("%s (uuid %s) was handled %d times: it caused %s", at(cause), id, len(outs), ats(outs))
		}
	}
	if x.h.Mode != modePostgres {
		inv := c.skip(fmt.Sprintf("memory mode is at-least-once: %d messages were handled again (redelivered) and sent their outcome again; the other invariants check that this changed nothing", twice))
		inv.Checked = c.inv.Checked
		return inv
	}
	return c.done()
}

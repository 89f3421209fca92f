package main

import (
	"fmt"
	"strings"
)

// checkStock: no effect doubled in the stock. For each SKU orders ask for:
//
//	on hand  = its count - units of shipped orders
//	reserved = units of orders that are confirmed (neither cancelled nor shipped)
//
// and both are never negative. This is sound because the load counts each ordered SKU
// exactly once, before the first order, and never again: a count sets on hand absolutely
// (reserved units included), and a count keyed by SKU races shipments keyed by order on
// other partitions, so a count during the run would have no one correct result. The load
// counts other SKUs (CountedSKUs) during the run instead, and never orders them: their
// on hand is the last count on their one partition, reserved 0.
//
// Every instance is asked (in PostgreSQL mode they share the database and must agree),
// and every GET /stock answered during the run must already be non-negative. The final
// statuses are the orders' last events (read-model ties them to the read side).
//
// The expected level needs the state to have lived through the whole run: PostgreSQL, or a
// memory instance that never restarted. A restarted memory process has no stock at all.
func checkStock(x *index, n int) Invariant {
	c := newCheck("stock-levels", "per SKU: on hand = count - units shipped, reserved = units of confirmed orders, never negative", n)
	for _, r := range x.h.Requests {
		if r.Op == opReadStock && r.Level != nil {
			c.inv.Checked++
			checkLevelSane(c, fmt.Sprintf("during the run, GET %s (seq %d, instance %d)", r.Path, r.Seq, r.Instance), *r.Level)
		}
	}
	if !x.stateful {
		c.inv.Note = "only the answers during the run were checked for negative values; " + notStateful
		return c.done()
	}
	if !x.singleEpoch() {
		c.inv.Note = fmt.Sprintf("only the answers during the run were checked for negative values: the memory instance ran in %d process lifetimes and a restart empties its stock (README: In-memory mode)", len(x.epochs))
		return c.done()
	}
	want := x.expectedLevels(c)
	for _, s := range x.h.Stock {
		c.inv.Checked++
		where := fmt.Sprintf("GET /stock/%s at the end (instance %d)", s.SKU, s.Instance)
		if s.Error != "" {
			c.fail("%s failed: %s", where, s.Error)
			continue
		}
		checkLevelSane(c, where, s.Level)
		w, ok := want[s.SKU]
		if !ok {
			continue
		}
		if s.Level.OnHand != w.OnHand || s.Level.Reserved != w.Reserved {
			c.fail("%s: on hand %d, reserved %d; expected on hand %d, reserved %d (%s)%s",
				where, s.Level.OnHand, s.Level.Reserved, w.OnHand, w.Reserved, w.why, x.countHint(s.SKU))
		}
	}
	return c.done()
}

type expectedLevel struct {
	OnHand, Reserved int
	why              string
}

// expectedLevels computes each SKU's level from the counts on stock.commands and the final
// status of every order.
func (x *index) expectedLevels(c *check) map[string]expectedLevel {
	lastCount := map[string]*Record{}
	for i := range x.h.Records {
		r := &x.h.Records[i]
		if r.Topic == topicStockCommands && r.Type == cmdSetStockLevel && !x.injected(r) {
			lastCount[r.Key] = r // one partition per SKU: the last one read is the last applied
		}
	}
	want := map[string]expectedLevel{}
	for _, sku := range x.h.CountedSKUs {
		if r := lastCount[sku]; r != nil {
			want[sku] = expectedLevel{OnHand: r.Body.Quantity, why: "last count " + at(r)}
		}
	}
	shipped, reserved := map[string]int{}, map[string]int{}
	for _, id := range x.orderIDs {
		o := x.orders[id]
		if len(o.status) == 0 {
			continue
		}
		final := statusOf[highest(o.status).Type]
		for _, l := range o.placedItems() {
			switch final {
			case statusShipped:
				shipped[l.SKU] += l.Quantity
			case statusConfirmed:
				reserved[l.SKU] += l.Quantity
			}
		}
	}
	for _, sku := range x.h.OrderedSKUs {
		r := lastCount[sku]
		if r == nil {
			c.fail("ordered SKU %s has no count on %s", sku, topicStockCommands)
			continue
		}
		want[sku] = expectedLevel{
			OnHand:   r.Body.Quantity - shipped[sku],
			Reserved: reserved[sku],
			why:      fmt.Sprintf("count %d - %d shipped; %d in confirmed orders", r.Body.Quantity, shipped[sku], reserved[sku]),
		}
	}
	return want
}

func checkLevelSane(c *check, where string, l Level) {
	if l.OnHand < 0 || l.Reserved < 0 || l.Available < 0 || l.Available != max(0, l.OnHand-l.Reserved) {
		c.fail("%s: on hand %d, reserved %d, available %d: negative, or available is not max(0, on hand - reserved)", where, l.OnHand, l.Reserved, l.Available)
	}
}

// countHint names the counts of a SKU that were applied more than once: a count applied
// again after shipments sets on hand back to before them.
func (x *index) countHint(sku string) string {
	var hints []string
	for i := range x.h.Records {
		r := &x.h.Records[i]
		if r.Topic != topicStockCommands || r.Type != cmdSetStockLevel || r.Key != sku || x.byUUID[r.UUID] != r {
			continue // another message, or a duplicate of one already seen
		}
		if outs := x.outputs[r.UUID]; len(outs) > 1 {
			hints = append(hints, fmt.Sprintf("count %s applied %d times (%s)", at(r), len(outs), ats(outs)))
		}
	}
	if len(hints) == 0 {
		return ""
	}
	return "; " + strings.Join(hints, "; ")
}

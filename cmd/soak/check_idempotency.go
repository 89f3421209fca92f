package main

import "slices"

// checkIdempotencyKeys: an order placed with an Idempotency-Key exists once whatever the
// retries (README: "the same key always yields the same order_id ... a retried request
// never places a second order"). The load sends every key with one body only, so:
//   - every answer naming an order for a key names the same order, and no answer is 409;
//   - every PlaceOrder and OrderPlaced of that order carries that one body, at version 1,
//     and the service never refused a placement of it as "a different order";
//   - a placement without a key never gets the ID of another placement.
//
// That the order's effects happened once is checked by effects-once, stock-levels and
// handled-once; this check is about identity.
func checkIdempotencyKeys(x *index, n int) Invariant {
	c := newCheck("idempotency-key", "an order placed with an Idempotency-Key exists once, with one ID and one content, whatever the retries", n)
	byKey := map[string][]Request{}
	keyless := map[string]Request{}
	for _, r := range x.h.Requests {
		if r.Op != opPlace && r.Op != opPlaceAgain {
			continue
		}
		if r.Status == 409 {
			c.fail("POST /orders (seq %d, key %s) answered 409: the key was used for another order, but the load never sends a key with another body", r.Seq, r.IdempotencyKey)
		}
		if r.OrderID == "" {
			continue
		}
		if r.IdempotencyKey == "" {
			if other, dup := keyless[r.OrderID]; dup {
				c.fail("two placements without a key (seq %d and %d) were both answered with order %s", other.Seq, r.Seq, r.OrderID)
			}
			keyless[r.OrderID] = r
			continue
		}
		byKey[r.IdempotencyKey] = append(byKey[r.IdempotencyKey], r)
	}
	keyed := map[string]Request{}
	for _, key := range sortedKeys(byKey) {
		rs := byKey[key]
		c.inv.Checked++
		first := rs[0]
		for _, r := range rs[1:] {
			if r.OrderID != first.OrderID {
				c.fail("Idempotency-Key %s named order %s (seq %d) and order %s (seq %d)", key, first.OrderID, first.Seq, r.OrderID, r.Seq)
			}
		}
		keyed[first.OrderID] = first
		if k, clash := keyless[first.OrderID]; clash {
			c.fail("order %s was answered both to key %s (seq %d) and to a placement without a key (seq %d)", first.OrderID, key, first.Seq, k.Seq)
		}
		checkOnePlacement(c, x, first)
	}
	return c.done()
}

// checkOnePlacement checks that Kafka holds one placement of a keyed order: one content,
// version 1, never refused as a different order.
func checkOnePlacement(c *check, x *index, want Request) {
	o := x.orders[want.OrderID]
	if o == nil {
		return // nothing on Kafka: accepted-in-kafka and final-state report that
	}
	for _, m := range o.commands {
		if m.Type == cmdPlaceOrder && (m.Body.CustomerID != want.CustomerID || !slices.Equal(m.Body.Items, want.Items)) {
			c.fail("order %s (key %s): %s carries customer %s items %v, the key's placement is customer %s items %v",
				o.id, want.IdempotencyKey, at(m), m.Body.CustomerID, m.Body.Items, want.CustomerID, want.Items)
		}
	}
	for _, m := range o.status {
		if m.Type != evOrderPlaced {
			continue
		}
		if m.Body.Version != 1 || m.Body.CustomerID != want.CustomerID || !slices.Equal(m.Body.Items, want.Items) {
			c.fail("order %s (key %s): %s is version %d, customer %s items %v; the placement is version 1, customer %s items %v",
				o.id, want.IdempotencyKey, at(m), m.Body.Version, m.Body.CustomerID, m.Body.Items, want.CustomerID, want.Items)
		}
	}
	for _, m := range o.refusals {
		if m.Body.Command == cmdPlaceOrder {
			c.fail("order %s (key %s): the service refused a placement of it (%s: %q), but every placement under the key is the same", o.id, want.IdempotencyKey, at(m), m.Body.Reason)
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

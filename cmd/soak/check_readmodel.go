package main

// checkReadModel: once the flow settled, GET /orders/{id} shows the order's last event:
// its version (the ETag's first part) and its status. The projection applies an event only
// when its version is above the view's, so after it consumed everything the view is the
// highest version on Kafka.
//
// Memory mode with restarts: the last process's projection consumed every event produced
// in its lifetime, and possibly older ones redelivered from before it started. So its view
// of an order is an event the order really had, at a version no lower than the highest of
// the last lifetime, and the order must be known when it had events in the last lifetime.
func checkReadModel(x *index, n int) Invariant {
	c := newCheck("read-model", "once settled, GET /orders/{id} shows each order's last event: its version and status", n)
	if !x.stateful {
		return c.skip(notStateful)
	}
	for _, id := range x.orderIDs {
		o := x.orders[id]
		if len(o.status) == 0 {
			continue
		}
		c.inv.Checked++
		v, ok := x.h.Views[id]
		if !ok {
			c.fail("order %s: the read model was not asked (tool error)", id)
			continue
		}
		if v.Error != "" {
			c.fail("order %s: GET /orders/%s failed: %s", id, id, v.Error)
			continue
		}
		if x.singleEpoch() {
			checkExactView(c, id, v, o.status)
		} else {
			checkViewAcrossEpochs(c, x, id, v, o.status)
		}
	}
	return c.done()
}

func checkExactView(c *check, id string, v View, events []*Record) {
	last := highest(events)
	switch {
	case !v.Found:
		c.fail("order %s: GET answers 404, but its last event is %s (version %d)", id, at(last), last.Body.Version)
	case v.Version != last.Body.Version || v.Status != statusOf[last.Type]:
		c.fail("order %s: GET shows %s at version %d, its last event is %s at version %d (%s)", id, v.Status, v.Version, statusOf[last.Type], last.Body.Version, at(last))
	}
}

func checkViewAcrossEpochs(c *check, x *index, id string, v View, events []*Record) {
	segments := x.byEpoch(events)
	lastSeg := segments[x.lastEpoch()]
	if !v.Found {
		if len(lastSeg) > 0 {
			c.fail("order %s: GET answers 404, but the last process announced %s", id, at(highest(lastSeg)))
		}
		return
	}
	matches := false
	for _, r := range events {
		if r.Body.Version == v.Version && statusOf[r.Type] == v.Status {
			matches = true
			break
		}
	}
	if !matches {
		c.fail("order %s: GET shows %s at version %d, which no event of the order announced", id, v.Status, v.Version)
	}
	if len(lastSeg) > 0 {
		if h := highest(lastSeg); v.Version < h.Body.Version {
			c.fail("order %s: GET shows version %d, below %s (version %d) announced by the last process", id, v.Version, at(h), h.Body.Version)
		}
	}
}

// highest is the first event with the highest version.
func highest(events []*Record) *Record {
	var best *Record
	for _, r := range events {
		if best == nil || r.Body.Version > best.Body.Version {
			best = r
		}
	}
	return best
}

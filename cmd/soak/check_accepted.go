package main

import "slices"

// checkAccepted: a 202 (or a placement's 201) means Kafka has the command (README:
// "Accepted means durable in Kafka"). Every request carries a correlation ID of its own,
// which the service puts on the command it sends, so each accepted request must find its
// command, of the right type and key, on the command topic. This holds in both modes: the
// promise is the broker's, not the state store's.
func checkAccepted(x *index, n int) Invariant {
	c := newCheck("accepted-in-kafka", "every request answered 202/201 has its command on Kafka (same correlation ID, type and key)", n)
	for _, r := range x.h.Requests {
		if !r.accepted() {
			continue
		}
		topic, typ, key := expectedCommand(r)
		if typ == "" {
			continue
		}
		c.inv.Checked++
		if r.Error != "" {
			c.fail("%s %s (seq %d, instance %d) answered %d, but the answer could not be read: %s", r.Method, r.Path, r.Seq, r.Instance, r.Status, r.Error)
			continue
		}
		found := slices.ContainsFunc(x.byCorrelation[r.CorrelationID], func(m *Record) bool {
			return m.Topic == topic && m.Type == typ && m.Key == key && sameCommand(r, m)
		})
		if !found {
			c.fail("%s %s (seq %d, instance %d, correlation %s) answered %d at %s, but no %s keyed %s with that correlation ID is on %s",
				r.Method, r.Path, r.Seq, r.Instance, r.CorrelationID, r.Status, r.End.Format(timeFormat), short(typ), key, topic)
		}
	}
	return c.done()
}

// expectedCommand is the command an accepted request sends: its topic, type and key.
func expectedCommand(r Request) (topic, typ, key string) {
	switch r.Op {
	case opPlace, opPlaceAgain:
		return topicOrderCommands, cmdPlaceOrder, r.OrderID
	case opCancel:
		return topicOrderCommands, cmdCancelOrder, r.OrderID
	case opShip:
		return topicOrderCommands, cmdShipOrder, r.OrderID
	case opInitialCount, opRecount, opCount:
		return topicStockCommands, cmdSetStockLevel, r.SKU
	}
	return "", "", ""
}

// sameCommand tells whether a command carries what the request asked for.
func sameCommand(r Request, m *Record) bool {
	switch r.Op {
	case opPlace, opPlaceAgain:
		return m.Body.CustomerID == r.CustomerID && slices.Equal(m.Body.Items, r.Items)
	case opInitialCount, opRecount, opCount:
		return m.Body.Quantity == r.Quantity
	}
	return true
}

const timeFormat = "15:04:05.000"

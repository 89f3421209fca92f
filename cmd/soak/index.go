package main

import (
	"fmt"
	"slices"
	"sort"
	"time"
)

// index is the history arranged for the checks: messages by UUID and by what caused them,
// and each order's messages in the order Kafka holds them.
type index struct {
	h *History
	// stateful: the service's state is one store for the whole run, so state-level
	// invariants apply: PostgreSQL (shared by every instance), or memory mode with one
	// instance, whose process lifetimes are the epochs. With several memory instances each
	// process holds part of the state (a SKU's count in one, an order's reservation in
	// another), so only Kafka-level invariants are sound.
	stateful bool
	// epochs are the process lifetimes of a memory instance, oldest first: each starts
	// with empty state, so per-order invariants hold within an epoch, not across. A
	// PostgreSQL run has one epoch. Empty when not stateful.
	epochs []Lifetime

	byUUID        map[string]*Record   // first occurrence of each message, poison topic aside
	outputs       map[string][]*Record // causation UUID -> the distinct messages it caused
	orders        map[string]*orderHist
	orderIDs      []string // sorted, so that reports list counter-examples in a stable order
	byCorrelation map[string][]*Record
	injectedAt    map[string]Injected // "topic/partition/offset" of each injected record
}

// orderHist is one order's messages. Each list holds one topic, whose messages of one key
// share a partition, so it is in offset order: the order the service handled them in.
type orderHist struct {
	id       string
	status   []*Record // orders.events: OrderPlaced .. OrderShipped
	refusals []*Record // orders.events: OrderCommandRefused
	stock    []*Record // stock.events keyed by the order
	commands []*Record // orders.commands and stock.commands keyed by the order
}

func newIndex(h *History) *index {
	x := &index{
		h:             h,
		byUUID:        map[string]*Record{},
		outputs:       map[string][]*Record{},
		orders:        map[string]*orderHist{},
		byCorrelation: map[string][]*Record{},
		injectedAt:    map[string]Injected{},
	}
	x.stateful = h.Mode == modePostgres || h.Instances == 1
	if x.stateful && h.Mode == modeMemory {
		for _, l := range h.Lifetimes {
			if l.Instance == 0 {
				x.epochs = append(x.epochs, l)
			}
		}
		sort.Slice(x.epochs, func(i, j int) bool { return x.epochs[i].Start.Before(x.epochs[j].Start) })
	}
	for _, in := range h.Injected {
		x.injectedAt[where(in.Topic, in.Partition, in.Offset)] = in
	}
	for i := range h.Records {
		r := &h.Records[i]
		if r.Topic == topicPoison || x.injected(r) {
			continue
		}
		if r.UUID != "" {
			if _, seen := x.byUUID[r.UUID]; seen {
				continue // the same message again (a relay's or producer's duplicate)
			}
			x.byUUID[r.UUID] = r
		}
		if r.CausationID != "" {
			x.outputs[r.CausationID] = append(x.outputs[r.CausationID], r)
		}
		if r.CorrelationID != "" {
			x.byCorrelation[r.CorrelationID] = append(x.byCorrelation[r.CorrelationID], r)
		}
		x.addToOrder(r)
	}
	for id := range x.orders {
		x.orderIDs = append(x.orderIDs, id)
	}
	slices.Sort(x.orderIDs)
	return x
}

func (x *index) addToOrder(r *Record) {
	var list *[]*Record
	o := func() *orderHist {
		oh, ok := x.orders[r.Key]
		if !ok {
			oh = &orderHist{id: r.Key}
			x.orders[r.Key] = oh
		}
		return oh
	}
	switch {
	case r.Topic == topicOrderEvents && statusOf[r.Type] != "":
		list = &o().status
	case r.Topic == topicOrderEvents && r.Type == evOrderRefused:
		list = &o().refusals
	case r.Topic == topicStockEvents && r.Type != evStockLevelSet:
		list = &o().stock
	case (r.Topic == topicOrderCommands || r.Topic == topicStockCommands) && r.Type != cmdSetStockLevel:
		list = &o().commands
	default:
		return // stock counts are keyed by SKU, not by an order
	}
	*list = append(*list, r)
}

// injected tells whether a record is one the tool produced as poison.
func (x *index) injected(r *Record) bool {
	if r.Headers[headerInjected] != "" {
		return true
	}
	_, ok := x.injectedAt[where(r.Topic, r.Partition, r.Offset)]
	return ok
}

func where(topic string, partition int32, offset int64) string {
	return fmt.Sprintf("%s/%d@%d", topic, partition, offset)
}

// at names a record for a report: its type, where it is and its key.
func at(r *Record) string {
	return fmt.Sprintf("%s %s key=%s", short(r.Type), where(r.Topic, r.Partition, r.Offset), r.Key)
}

// short drops a type's context and version: orders.OrderPlaced.v1 -> OrderPlaced.
func short(typ string) string {
	start, end := 0, len(typ)
	for i := len(typ) - 1; i >= 0; i-- {
		if typ[i] == '.' {
			if end == len(typ) {
				end = i
				continue
			}
			start = i + 1
			break
		}
	}
	if end == len(typ) || start >= end {
		return typ
	}
	return typ[start:end]
}

// epochOf is the epoch a message was produced in: the memory instance's lifetime that
// holds its timestamp. The producer stamps a record when it sends it (Sarama: CreateTime,
// at millisecond precision), and a process only sends while it lives, so every message
// the service produced falls in the lifetime of the process that produced it.
func (x *index) epochOf(r *Record) int {
	return x.epochAt(r.Timestamp)
}

func (x *index) epochAt(t time.Time) int {
	e := 0
	for i, l := range x.epochs {
		if !l.Start.After(t) {
			e = i
		}
	}
	return e
}

// lastEpoch is the epoch of the process that was running when the history was taken.
func (x *index) lastEpoch() int { return max(0, len(x.epochs)-1) }

// singleEpoch tells whether the state lived through the whole run: PostgreSQL, or one
// memory process that never restarted.
func (x *index) singleEpoch() bool { return x.stateful && len(x.epochs) <= 1 }

// byEpoch splits an order's messages by epoch, keeping their order.
func (x *index) byEpoch(rs []*Record) map[int][]*Record {
	out := map[int][]*Record{}
	for _, r := range rs {
		e := x.epochOf(r)
		out[e] = append(out[e], r)
	}
	return out
}

// epochsOf lists the epochs of a split in order.
func epochsOf(m map[int][]*Record) []int {
	var es []int
	for e := range m {
		es = append(es, e)
	}
	slices.Sort(es)
	return es
}

// inherited tells whether, in epoch e, the order's state mixes what an earlier process
// did with what this one does: the order had events in an earlier epoch (it was in
// progress when a process ended), and something the process of e sent about it was caused
// by a message an earlier process produced (redelivered after the restart). Such a state is
// neither the lost one nor a fresh one: an order placed again by a client's retry may find
// its reservation already shipped by a redelivered ShipStock, and stay pending for good.
// An order whose first events are in e started afresh there, even from a PlaceOrder sent
// before e: it must settle.
func (x *index) inherited(o *orderHist, e int) bool {
	before := false
	for _, list := range [][]*Record{o.status, o.stock} {
		for _, r := range list {
			if x.epochOf(r) < e {
				before = true
			}
		}
	}
	if !before {
		return false
	}
	for _, list := range [][]*Record{o.status, o.refusals, o.stock, o.commands} {
		for _, r := range list {
			if x.epochOf(r) != e {
				continue
			}
			if cause, ok := x.byUUID[r.CausationID]; ok && x.epochOf(cause) < e {
				return true
			}
		}
	}
	return false
}

// placedItems is an order's items, from its first OrderPlaced or else its PlaceOrder.
func (o *orderHist) placedItems() []Line {
	for _, r := range o.status {
		if r.Type == evOrderPlaced {
			return r.Body.Items
		}
	}
	for _, r := range o.commands {
		if r.Type == cmdPlaceOrder {
			return r.Body.Items
		}
	}
	return nil
}

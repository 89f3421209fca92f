package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// builder writes synthetic histories the way the service would have produced them: each
// command, its events and the commands they cause, with the headers that link them
// (correlation from the request, causation from the message handled). Tests build a
// correct history, then break it in one place and expect the checker to say where.
type builder struct {
	t       *testing.T
	h       *History
	offsets map[string]int64
	uuids   int
	now     time.Time
	orders  map[string]*builtOrder
	onHand  map[string]int
}

// builtOrder is what the builder knows of an order it wrote.
type builtOrder struct {
	items   []Line
	version int
	status  string
	held    bool
	last    map[string]string // message type -> UUID of its latest message of the order
}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func newBuilder(t *testing.T, mode string) *builder {
	t.Helper()
	instances := 1
	if mode == modePostgres {
		instances = 2
	}
	b := &builder{
		t: t,
		h: &History{
			Mode: mode, Instances: instances, Seed: 1, Start: t0, Settled: true,
			OrderedSKUs: []string{"A", "B"}, Views: map[string]View{},
			Lifetimes: []Lifetime{{Instance: 0, ClientID: "p1", Start: t0.Add(-time.Minute)}},
		},
		offsets: map[string]int64{},
		now:     t0,
		orders:  map[string]*builtOrder{},
		onHand:  map[string]int{},
	}
	for _, sku := range b.h.OrderedSKUs {
		b.count(sku, 10)
	}
	return b
}

// rec appends a message to its topic (partition 0) and returns its UUID.
func (b *builder) rec(topic, typ, key, cause, correlation string, body Payload) string {
	b.uuids++
	b.now = b.now.Add(time.Millisecond)
	id := fmt.Sprintf("u%d", b.uuids)
	b.h.Records = append(b.h.Records, Record{
		Topic: topic, Offset: b.offsets[topic], Key: key, Timestamp: b.now,
		Type: typ, UUID: id, CorrelationID: correlation, CausationID: cause, Body: body,
	})
	b.offsets[topic]++
	return id
}

// request records an accepted request and returns its correlation ID.
func (b *builder) request(r Request) string {
	r.Seq = len(b.h.Requests) + 1
	r.CorrelationID = fmt.Sprintf("c%d", r.Seq)
	if r.Status == 0 {
		r.Status = 202
	}
	r.Start, r.End = b.now, b.now
	b.h.Requests = append(b.h.Requests, r)
	return r.CorrelationID
}

func (b *builder) count(sku string, qty int) {
	c := b.request(Request{Op: opInitialCount, Method: "PUT", Path: "/stock/" + sku, SKU: sku, Quantity: qty})
	cmd := b.rec(topicStockCommands, cmdSetStockLevel, sku, "", c, Payload{SKU: sku, Quantity: qty})
	b.rec(topicStockEvents, evStockLevelSet, sku, cmd, c, Payload{SKU: sku, OnHand: qty})
	b.onHand[sku] = qty
}

// place places an order with an Idempotency-Key and asks for its stock.
func (b *builder) place(id string, items ...Line) {
	c := b.request(Request{Op: opPlace, Method: "POST", Path: "/orders", IdempotencyKey: "k-" + id, CustomerID: "cust", Items: items, OrderID: id})
	o := &builtOrder{items: items, last: map[string]string{}}
	b.orders[id] = o
	cmd := b.rec(topicOrderCommands, cmdPlaceOrder, id, "", c, Payload{OrderID: id, CustomerID: "cust", Items: items})
	b.event(id, evOrderPlaced, cmd, c)
	o.last[cmdReserveStock] = b.rec(topicStockCommands, cmdReserveStock, id, o.last[evOrderPlaced], c, Payload{OrderID: id, Items: items})
}

// event announces the order's next status, caused by the message cause.
func (b *builder) event(id, typ, cause, c string) string {
	o := b.orders[id]
	o.version++
	o.status = statusOf[typ]
	u := b.rec(topicOrderEvents, typ, id, cause, c, Payload{OrderID: id, Version: o.version, CustomerID: "cust", Items: o.items})
	o.last[typ] = u
	return u
}

// reserve handles the order's ReserveStock: held (then confirmed) or failed (then rejected).
func (b *builder) reserve(id string, ok bool) {
	o := b.orders[id]
	if !ok {
		ev := b.rec(topicStockEvents, evStockReserveFail, id, o.last[cmdReserveStock], "", Payload{OrderID: id, Reason: "short"})
		cmd := b.rec(topicOrderCommands, cmdRejectOrder, id, ev, "", Payload{OrderID: id})
		b.event(id, evOrderRejected, cmd, "")
		return
	}
	ev := b.rec(topicStockEvents, evStockReserved, id, o.last[cmdReserveStock], "", Payload{OrderID: id, Items: o.items})
	o.held = true
	cmd := b.rec(topicOrderCommands, cmdConfirmOrder, id, ev, "", Payload{OrderID: id})
	b.event(id, evOrderConfirmed, cmd, "")
}

func (b *builder) ship(id string) {
	o := b.orders[id]
	c := b.request(Request{Op: opShip, Method: "POST", Path: "/orders/" + id + "/ship", OrderID: id})
	cmd := b.rec(topicOrderCommands, cmdShipOrder, id, "", c, Payload{OrderID: id})
	ev := b.event(id, evOrderShipped, cmd, c)
	stockCmd := b.rec(topicStockCommands, cmdShipStock, id, ev, c, Payload{OrderID: id})
	b.rec(topicStockEvents, evStockShipped, id, stockCmd, c, Payload{OrderID: id, Items: o.items})
	for _, l := range o.items {
		b.onHand[l.SKU] -= l.Quantity
	}
	o.held = false
}

func (b *builder) cancel(id string) {
	o := b.orders[id]
	c := b.request(Request{Op: opCancel, Method: "POST", Path: "/orders/" + id + "/cancel", OrderID: id})
	cmd := b.rec(topicOrderCommands, cmdCancelOrder, id, "", c, Payload{OrderID: id})
	ev := b.event(id, evOrderCancelled, cmd, c)
	rel := b.rec(topicStockCommands, cmdReleaseStock, id, ev, c, Payload{OrderID: id})
	if o.held {
		b.rec(topicStockEvents, evStockReleased, id, rel, c, Payload{OrderID: id, Items: o.items})
		o.held = false
	}
}

// finish writes what the read side shows at the end: each order's last version and status,
// and the stock levels the orders left, as every instance would answer.
func (b *builder) finish() *History {
	for id, o := range b.orders {
		b.h.Views[id] = View{Found: true, Status: o.status, Version: o.version}
	}
	reserved := map[string]int{}
	for _, o := range b.orders {
		if o.held {
			for _, l := range o.items {
				reserved[l.SKU] += l.Quantity
			}
		}
	}
	for n := range b.h.Instances {
		for _, sku := range b.h.OrderedSKUs {
			b.h.Stock = append(b.h.Stock, StockRead{Instance: n, SKU: sku, Level: Level{
				OnHand: b.onHand[sku], Reserved: reserved[sku], Available: max(0, b.onHand[sku]-reserved[sku]),
			}})
		}
	}
	return b.h
}

// record is the message with the given UUID.
func (b *builder) record(uuid string) *Record {
	i := slices.IndexFunc(b.h.Records, func(r Record) bool { return r.UUID == uuid })
	if i < 0 {
		b.t.Fatalf("no record %s", uuid)
	}
	return &b.h.Records[i]
}

// invariant runs the checker and returns one invariant's outcome.
func invariant(t *testing.T, h *History, name string) Invariant {
	t.Helper()
	for _, inv := range Check(h, 10) {
		if inv.Name == name {
			return inv
		}
	}
	t.Fatalf("no invariant %s", name)
	return Invariant{}
}

// wantFail checks that the invariant failed and that a counter-example mentions what.
func wantFail(t *testing.T, h *History, name, what string) {
	t.Helper()
	inv := invariant(t, h, name)
	if inv.Status != statusFail {
		t.Fatalf("%s: %s, want fail (examples %v, note %q)", name, inv.Status, inv.Examples, inv.Note)
	}
	for _, e := range inv.Examples {
		if strings.Contains(e, what) {
			return
		}
	}
	t.Fatalf("%s failed, but no counter-example mentions %q: %v", name, what, inv.Examples)
}

// wantNoFailure checks that no invariant failed.
func wantNoFailure(t *testing.T, h *History) {
	t.Helper()
	for _, inv := range Check(h, 10) {
		if inv.Status == statusFail {
			t.Errorf("%s failed: %v", inv.Name, inv.Examples)
		}
	}
}

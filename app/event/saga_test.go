package event_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/example/orders-service/adapters/memory"
	"github.com/example/orders-service/app"
	"github.com/example/orders-service/app/bus"
	"github.com/example/orders-service/app/command"
	"github.com/example/orders-service/app/query"
	"github.com/example/orders-service/domain/order"
	"github.com/example/orders-service/domain/stock"
)

// loopback is an in-process bus: what is sent or published is queued under a message ID of
// its own, and pump delivers it to the handlers the router would, every message twice, as
// at-least-once delivery may. Every delivery carries its message's ID as causation, as the
// messaging port does, and the clock moves on between deliveries.
type loopback struct {
	mu    sync.Mutex
	seq   int
	queue []envelope
	log   []envelope
	now   time.Time
	app   app.Application
	stock *memory.StockRepository
	rm    *memory.OrderReadModel
}

// envelope is a message with the ID the bus gave it.
type envelope struct {
	id string
	m  bus.Message
}

func newLoopback(t *testing.T) *loopback {
	t.Helper()
	l := &loopback{stock: memory.NewStockRepository(), rm: memory.NewOrderReadModel(), now: t0}
	l.app = app.New(app.Adapters{
		Orders: memory.NewOrderRepository(), Stock: l.stock, ReadModel: l.rm,
		Commands: l, Events: l, Clock: l.clock,
	})
	return l
}

func (l *loopback) clock() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.now
}

func (l *loopback) tick() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.now = l.now.Add(time.Second)
}

func (l *loopback) Send(ctx context.Context, cmd bus.Message) error { return l.Publish(ctx, cmd) }

func (l *loopback) Publish(_ context.Context, ms ...bus.Message) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, m := range ms {
		l.seq++
		l.queue = append(l.queue, envelope{id: fmt.Sprint("msg-", l.seq), m: m})
	}
	return nil
}

func (l *loopback) next() (envelope, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.queue) == 0 {
		return envelope{}, false
	}
	m := l.queue[0]
	l.queue = l.queue[1:]
	l.log = append(l.log, m)
	return m, true
}

// lastID is the ID of the message queued last.
func (l *loopback) lastID() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.queue[len(l.queue)-1].id
}

// pump delivers until nothing is left; times is how often each message is delivered.
func (l *loopback) pump(t *testing.T, times int) {
	t.Helper()
	for n := 0; ; n++ {
		if n > 10_000 {
			t.Fatal("the saga does not settle")
		}
		m, ok := l.next()
		if !ok {
			return
		}
		for range times {
			if err := l.deliver(t.Context(), m); err != nil {
				t.Fatalf("delivering %s: %v", m.m.MessageName(), err)
			}
		}
	}
}

// replay delivers every message delivered so far once more, in order, then pumps what that
// caused: a consumer that lost its committed offsets reads everything again.
func (l *loopback) replay(t *testing.T) {
	t.Helper()
	l.mu.Lock()
	old := append([]envelope(nil), l.log...)
	l.mu.Unlock()
	for _, m := range old {
		if err := l.deliver(t.Context(), m); err != nil {
			t.Fatalf("replaying %s: %v", m.m.MessageName(), err)
		}
	}
	l.pump(t, 1)
}

// deliver is the routing of ports/messaging: each message to every handler of its type,
// with the message's ID as the causation of what the handlers send.
func (l *loopback) deliver(ctx context.Context, env envelope) error {
	l.tick()
	ctx = bus.WithCausationID(ctx, env.id)
	c, e := l.app.Commands, l.app.Events
	switch m := env.m.(type) {
	case command.PlaceOrder:
		return c.PlaceOrder.Handle(ctx, m)
	case command.ConfirmOrder:
		return c.ConfirmOrder.Handle(ctx, m)
	case command.RejectOrder:
		return c.RejectOrder.Handle(ctx, m)
	case command.CancelOrder:
		return c.CancelOrder.Handle(ctx, m)
	case command.ShipOrder:
		return c.ShipOrder.Handle(ctx, m)
	case command.ReserveStock:
		return c.ReserveStock.Handle(ctx, m)
	case command.ReleaseStock:
		return c.ReleaseStock.Handle(ctx, m)
	case command.ShipStock:
		return c.ShipStock.Handle(ctx, m)
	case command.SetStockLevel:
		return c.SetStockLevel.Handle(ctx, m)
	case order.OrderPlaced:
		return errors.Join(e.ReserveStockOnOrderPlaced.Handle(ctx, m), e.OrderProjection.OnPlaced(ctx, m))
	case order.OrderConfirmed:
		return e.OrderProjection.OnConfirmed(ctx, m)
	case order.OrderRejected:
		return e.OrderProjection.OnRejected(ctx, m)
	case order.OrderCancelled:
		return errors.Join(e.ReleaseStockOnOrderCancelled.Handle(ctx, m), e.OrderProjection.OnCancelled(ctx, m))
	case order.OrderShipped:
		return errors.Join(e.ShipStockOnOrderShipped.Handle(ctx, m), e.OrderProjection.OnShipped(ctx, m))
	case order.OrderCommandRefused:
		return e.OrderProjection.OnCommandRefused(ctx, m)
	case stock.StockReserved:
		return e.ConfirmOrderOnStockReserved.Handle(ctx, m)
	case stock.StockReservationFailed:
		return e.RejectOrderOnReservationFailed.Handle(ctx, m)
	case stock.StockReleased, stock.StockShipped, stock.StockLevelSet:
		return nil
	}
	return fmt.Errorf("no handler for %T", env.m)
}

func (l *loopback) send(t *testing.T, cmd bus.Message) {
	t.Helper()
	if err := l.Send(t.Context(), cmd); err != nil {
		t.Fatal(err)
	}
}

// TestSaga runs the whole placing saga over the in-memory adapters with every message
// delivered twice, then replays the entire history, and checks nothing changed twice.
func TestSaga(t *testing.T) {
	t.Parallel()
	place := command.PlaceOrder{OrderID: "o-1", CustomerID: "c-1", Items: []order.Line{{SKU: "A", Quantity: 2}, {SKU: "B", Quantity: 1}}}
	type level struct{ onHand, reserved, available int }
	tests := []struct {
		name       string
		stockA     int
		run        func(t *testing.T, l *loopback)
		wantStatus order.Status
		wantReason string
		wantA      level
	}{
		{
			name: "enough stock confirms", stockA: 5,
			run:        func(t *testing.T, l *loopback) { l.send(t, place); l.pump(t, 2) },
			wantStatus: order.StatusConfirmed, wantA: level{5, 2, 3},
		},
		{
			name: "a stock count redelivered after the reservation keeps it held", stockA: 5,
			run: func(t *testing.T, l *loopback) {
				l.send(t, place)
				l.pump(t, 2)
				l.send(t, command.SetStockLevel{SKU: "A", Quantity: 5})
				l.pump(t, 2)
			},
			wantStatus: order.StatusConfirmed, wantA: level{5, 2, 3},
		},
		{
			name: "not enough stock rejects", stockA: 1,
			run:        func(t *testing.T, l *loopback) { l.send(t, place); l.pump(t, 2) },
			wantStatus: order.StatusRejected, wantReason: "insufficient stock: A (requested 2, available 1)", wantA: level{1, 0, 1},
		},
		{
			name: "cancel after confirmation releases", stockA: 5,
			run: func(t *testing.T, l *loopback) {
				l.send(t, place)
				l.pump(t, 2)
				l.send(t, command.CancelOrder{OrderID: "o-1", Reason: "by customer"})
				l.pump(t, 2)
			},
			wantStatus: order.StatusCancelled, wantReason: "by customer", wantA: level{5, 0, 5},
		},
		{
			name: "cancel while pending releases what the reserve took", stockA: 5,
			run: func(t *testing.T, l *loopback) {
				l.send(t, place)
				l.send(t, command.CancelOrder{OrderID: "o-1", Reason: "by customer"})
				l.pump(t, 2)
			},
			wantStatus: order.StatusCancelled, wantReason: "by customer", wantA: level{5, 0, 5},
		},
		{
			name: "ship after confirmation", stockA: 5,
			run: func(t *testing.T, l *loopback) {
				l.send(t, place)
				l.pump(t, 2)
				l.send(t, command.ShipOrder{OrderID: "o-1"})
				l.pump(t, 2)
			},
			// The shipped units leave the stock: on hand and reserved drop by 2.
			wantStatus: order.StatusShipped, wantA: level{3, 0, 3},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := newLoopback(t)
			for sku, qty := range map[string]int{"A": tt.stockA, "B": 10} {
				if err := l.app.Commands.SetStockLevel.Handle(t.Context(), command.SetStockLevel{SKU: sku, Quantity: qty}); err != nil {
					t.Fatal(err)
				}
			}
			l.mu.Lock()
			l.queue = nil
			l.mu.Unlock()

			tt.run(t, l)
			check := func(when string) {
				t.Helper()
				v, err := l.app.Queries.Order.Handle(t.Context(), "o-1")
				if err != nil {
					t.Fatalf("%s: %v", when, err)
				}
				if v.Status != tt.wantStatus || v.Reason != tt.wantReason || v.CustomerID != "c-1" || !reflect.DeepEqual(v.Items, place.Items) {
					t.Fatalf("%s: view %+v, want %s %q", when, v, tt.wantStatus, tt.wantReason)
				}
				if len(v.Refusals) != 0 {
					t.Fatalf("%s: redeliveries were refused: %+v", when, v.Refusals)
				}
				a, err := l.app.Queries.Stock.Handle(t.Context(), "A")
				if err != nil {
					t.Fatal(err)
				}
				if (level{a.OnHand, a.Reserved, a.Available()}) != tt.wantA {
					t.Fatalf("%s: level of A %+v, want %+v", when, a, tt.wantA)
				}
				views, err := l.app.Queries.Orders.Handle(t.Context(), query.OrderFilter{Status: tt.wantStatus})
				if err != nil || len(views) != 1 || views[0].ID != "o-1" {
					t.Fatalf("%s: listing %v, %v", when, views, err)
				}
			}
			check("after the saga")
			l.replay(t)
			check("after replaying every message")
		})
	}
}

// TestRefusedCommandRecordedOnce delivers a refused command twice, the clock moving on in
// between, so the two refusals differ in time: the read model must still show one, because
// both name the same command message. Another message with the same command is another
// refusal.
func TestRefusedCommandRecordedOnce(t *testing.T) {
	t.Parallel()
	l := newLoopback(t)
	l.send(t, command.PlaceOrder{OrderID: "o-1", CustomerID: "c-1", Items: []order.Line{{SKU: "A", Quantity: 2}}})
	l.pump(t, 2) // no stock: rejected

	ship := command.ShipOrder{OrderID: "o-1"}
	l.send(t, ship)
	first := l.lastID()
	l.pump(t, 2)
	refusals := func(want int) []query.Refusal {
		t.Helper()
		v, err := l.app.Queries.Order.Handle(t.Context(), "o-1")
		if err != nil {
			t.Fatal(err)
		}
		if v.Status != order.StatusRejected || len(v.Refusals) != want {
			t.Fatalf("order %s with refusals %+v, want rejected with %d", v.Status, v.Refusals, want)
		}
		return v.Refusals
	}
	r := refusals(1)
	if r[0].CommandID != first || r[0].Command != ship.MessageName() || r[0].Reason != "cannot ship order o-1: it is rejected" {
		t.Fatalf("refusal %+v, want one of message %s", r[0], first)
	}

	// Delivered once more, later: still one refusal.
	if err := l.deliver(t.Context(), envelope{id: first, m: ship}); err != nil {
		t.Fatal(err)
	}
	l.pump(t, 1)
	refusals(1)

	l.send(t, ship)
	second := l.lastID()
	l.pump(t, 2)
	if r := refusals(2); r[0].CommandID != first || r[1].CommandID != second {
		t.Fatalf("refusals %+v, want messages %s then %s", r, first, second)
	}
	l.replay(t)
	refusals(2)
}

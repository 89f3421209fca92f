package event_test

import (
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/example/orders-service/adapters/memory"
	"github.com/example/orders-service/app"
	"github.com/example/orders-service/app/bus"
	"github.com/example/orders-service/app/bus/bustest"
	"github.com/example/orders-service/app/command"
	"github.com/example/orders-service/app/query"
	"github.com/example/orders-service/domain/order"
)

// loopback is the application over the in-memory adapters and the in-memory bus, which
// delivers through the application's routing table. The clock moves on between deliveries.
type loopback struct {
	*bustest.Bus
	app app.Application
	mu  sync.Mutex
	now time.Time
}

func newLoopback(t *testing.T) *loopback {
	t.Helper()
	return newLoopbackWith(t, func(*app.Adapters) {})
}

// newLoopbackWith is newLoopback with adapters changed by adjust, such as a failing read model.
func newLoopbackWith(t *testing.T, adjust func(*app.Adapters)) *loopback {
	t.Helper()
	l := &loopback{Bus: &bustest.Bus{}, now: t0}
	adapters := memory.NewAdapters()
	adapters.Commands, adapters.Events, adapters.Clock = l.Bus, l.Bus, l.clock
	adjust(&adapters)
	l.app = app.New(adapters)
	l.BeforeDelivery = l.tick
	if err := l.Route(l.app.Routes); err != nil {
		t.Fatal(err)
	}
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

func (l *loopback) send(t *testing.T, cmd bus.Message) {
	t.Helper()
	if err := l.Send(t.Context(), cmd); err != nil {
		t.Fatal(err)
	}
}

// pump delivers until nothing is left; times is how often each message is delivered.
func (l *loopback) pump(t *testing.T, times int) {
	t.Helper()
	if err := l.Pump(t.Context(), times); err != nil {
		t.Fatal(err)
	}
}

// replay delivers every message delivered so far once more, then what that caused.
func (l *loopback) replay(t *testing.T) {
	t.Helper()
	if err := l.Replay(t.Context()); err != nil {
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
				if err := l.Handle(t.Context(), command.SetStockLevel{SKU: sku, Quantity: qty}); err != nil {
					t.Fatal(err)
				}
			}
			l.Drop()

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
	first := l.LastID()
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
	if err := l.Deliver(t.Context(), bustest.Envelope{ID: first, Message: ship}); err != nil {
		t.Fatal(err)
	}
	l.pump(t, 1)
	refusals(1)

	l.send(t, ship)
	second := l.LastID()
	l.pump(t, 2)
	if r := refusals(2); r[0].CommandID != first || r[1].CommandID != second {
		t.Fatalf("refusals %+v, want messages %s then %s", r, first, second)
	}
	l.replay(t)
	refusals(2)
}

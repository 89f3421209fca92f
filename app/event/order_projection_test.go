package event_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/example/orders-service/app"
	"github.com/example/orders-service/app/bus"
	"github.com/example/orders-service/app/query"
	"github.com/example/orders-service/domain/order"
)

var items = []order.Line{{SKU: "A", Quantity: 2}, {SKU: "B", Quantity: 1}}

func hdr(version int) order.Header {
	return order.Header{OrderID: "o-1", Version: version, OccurredAt: t0.Add(time.Duration(version) * time.Minute)}
}

func placed(v int) bus.Message {
	return order.OrderPlaced{Header: hdr(v), CustomerID: "c-1", Items: items}
}

func confirmed(v int) bus.Message { return order.OrderConfirmed{Header: hdr(v)} }

func rejected(v int, reason string) bus.Message {
	return order.OrderRejected{Header: hdr(v), Reason: reason}
}

func cancelled(v int, reason string) bus.Message {
	return order.OrderCancelled{Header: hdr(v), Reason: reason}
}

func shipped(v int) bus.Message { return order.OrderShipped{Header: hdr(v)} }

// deliver hands events, in order, to the handlers of the routing table.
func deliver(t *testing.T, l *loopback, events ...bus.Message) {
	t.Helper()
	for i, e := range events {
		if err := l.Handle(t.Context(), e); err != nil {
			t.Fatalf("event %d (%s): %v", i, e.MessageName(), err)
		}
	}
}

func TestOrderProjection(t *testing.T) {
	t.Parallel()
	view := func(st order.Status, reason string, version int) query.OrderView {
		return query.OrderView{
			ID: "o-1", CustomerID: "c-1", Items: items, Status: st, Reason: reason, Version: version,
			CreatedAt: hdr(1).OccurredAt, UpdatedAt: hdr(version).OccurredAt,
		}
	}
	tests := []struct {
		name  string
		steps []bus.Message
		want  query.OrderView
	}{
		{"placed", []bus.Message{placed(1)}, view(order.StatusPending, "", 1)},
		{"placed twice", []bus.Message{placed(1), placed(1)}, view(order.StatusPending, "", 1)},
		{"confirmed", []bus.Message{placed(1), confirmed(2)}, view(order.StatusConfirmed, "", 2)},
		{"placed replayed after confirmed", []bus.Message{placed(1), confirmed(2), placed(1)}, view(order.StatusConfirmed, "", 2)},
		{"every event twice", []bus.Message{placed(1), placed(1), confirmed(2), confirmed(2), shipped(3), shipped(3)}, view(order.StatusShipped, "", 3)},
		{"rejected keeps reason", []bus.Message{placed(1), rejected(2, "insufficient stock: A")}, view(order.StatusRejected, "insufficient stock: A", 2)},
		{"cancelled keeps reason", []bus.Message{placed(1), confirmed(2), cancelled(3, "by customer")}, view(order.StatusCancelled, "by customer", 3)},
		{"stale confirmed after shipped", []bus.Message{placed(1), confirmed(2), shipped(3), confirmed(2), placed(1)}, view(order.StatusShipped, "", 3)},
		{"stale rejected after cancelled", []bus.Message{placed(1), cancelled(2, "by customer"), rejected(2, "late")}, view(order.StatusCancelled, "by customer", 2)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := newLoopback(t)
			deliver(t, l, tt.steps...)
			got, err := l.app.Queries.Order.Handle(t.Context(), "o-1")
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("view\n %+v\nwant\n %+v", got, tt.want)
			}
		})
	}
}

func TestOrderProjectionRefusals(t *testing.T) {
	t.Parallel()
	l := newLoopback(t)
	deliver(t, l, placed(1))
	ship := order.OrderCommandRefused{OrderID: "o-1", Command: "orders.ShipOrder.v1", CommandID: "msg-1", Reason: "cannot ship order o-1: it is pending", OccurredAt: t0}
	// The same command message handled again later: a refusal at another time, same message.
	shipAgain := ship
	shipAgain.OccurredAt = t0.Add(time.Minute)
	place := order.OrderCommandRefused{OrderID: "o-1", Command: "orders.PlaceOrder.v1", CommandID: "msg-2", Reason: "order ID already used for a different order", OccurredAt: t0.Add(time.Second)}
	deliver(t, l, ship, ship, shipAgain, place, ship, shipAgain, confirmed(2))
	got, err := l.app.Queries.Order.Handle(t.Context(), "o-1")
	if err != nil {
		t.Fatal(err)
	}
	want := []query.Refusal{
		{CommandID: ship.CommandID, Command: ship.Command, Reason: ship.Reason, At: ship.OccurredAt},
		{CommandID: place.CommandID, Command: place.Command, Reason: place.Reason, At: place.OccurredAt},
	}
	if !reflect.DeepEqual(got.Refusals, want) || got.Status != order.StatusConfirmed {
		t.Fatalf("view %+v, want refusals %+v", got, want)
	}
}

// failingReadModel is a read model whose storage is down.
type failingReadModel struct{ err error }

func (f failingReadModel) Apply(context.Context, string, int, func(*query.OrderView)) error {
	return f.err
}

func (f failingReadModel) AddRefusal(context.Context, string, query.Refusal) error { return f.err }

func (f failingReadModel) Get(context.Context, string) (query.OrderView, error) {
	return query.OrderView{}, f.err
}

func (f failingReadModel) List(context.Context, query.OrderFilter) ([]query.OrderView, error) {
	return nil, f.err
}

func TestOrderProjectionStorageDown(t *testing.T) {
	t.Parallel()
	errDown := errors.New("storage down")
	l := newLoopbackWith(t, func(a *app.Adapters) { a.ReadModel = failingReadModel{errDown} })
	steps := map[string]bus.Message{
		"placed": placed(1), "confirmed": confirmed(2), "rejected": rejected(2, "r"), "cancelled": cancelled(2, "r"), "shipped": shipped(3),
		"refused": order.OrderCommandRefused{OrderID: "o-1", Command: "c", Reason: "r", OccurredAt: t0},
	}
	for name, e := range steps {
		if err := l.Handle(t.Context(), e); !errors.Is(err, errDown) {
			t.Errorf("%s: %v, want the storage error", name, err)
		}
	}
}

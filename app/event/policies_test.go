package event_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/example/orders-service/app/bus"
	"github.com/example/orders-service/app/bus/bustest"
	"github.com/example/orders-service/app/command"
	"github.com/example/orders-service/domain/order"
	"github.com/example/orders-service/domain/stock"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

var errBusDown = bustest.ErrDown

// Each policy, reached through the routing table, sends its command; with the bus down the
// delivery fails (and is retried), and a redelivered event sends the command again: the
// command handler is the idempotent one.
func TestPolicies(t *testing.T) {
	t.Parallel()
	items := []order.Line{{SKU: "A", Quantity: 2}, {SKU: "B", Quantity: 1}}
	h := order.Header{OrderID: "o-1", Version: 1, OccurredAt: t0}
	tests := []struct {
		name  string
		event bus.Message
		want  bus.Message
	}{
		{"reserve stock on order placed", order.OrderPlaced{Header: h, CustomerID: "c-1", Items: items}, command.ReserveStock{OrderID: "o-1", Items: items}},
		{"release stock on order cancelled", order.OrderCancelled{Header: h, Reason: "by customer"}, command.ReleaseStock{OrderID: "o-1"}},
		{"ship stock on order shipped", order.OrderShipped{Header: h}, command.ShipStock{OrderID: "o-1"}},
		{"confirm order on stock reserved", stock.StockReserved{OrderID: "o-1", Items: items, OccurredAt: t0}, command.ConfirmOrder{OrderID: "o-1"}},
		{"reject order on reservation failed", stock.StockReservationFailed{OrderID: "o-1", Reason: "insufficient stock: A", OccurredAt: t0}, command.RejectOrder{OrderID: "o-1", Reason: "insufficient stock: A"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := newLoopback(t)
			l.FailSend(1)
			err := l.Handle(t.Context(), tt.event)
			if !errors.Is(err, errBusDown) {
				t.Fatalf("with the bus down: %v, want the bus error", err)
			}
			if sent := l.Sent(); len(sent) != 0 {
				t.Fatalf("sent %v while the bus was down", sent)
			}
			for range 2 {
				if err := l.Handle(t.Context(), tt.event); err != nil {
					t.Fatal(err)
				}
			}
			if want, sent := []bus.Message{tt.want, tt.want}, l.Sent(); !reflect.DeepEqual(sent, want) {
				t.Fatalf("sent %#v, want %#v", sent, want)
			}
			if tt.want.PartitionKey() != "o-1" {
				t.Fatalf("command keyed by %q, want the order ID", tt.want.PartitionKey())
			}
		})
	}
}

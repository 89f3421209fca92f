package event_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/example/orders-service/app/bus"
	"github.com/example/orders-service/app/bus/bustest"
	"github.com/example/orders-service/app/command"
	"github.com/example/orders-service/app/event"
	"github.com/example/orders-service/domain/order"
	"github.com/example/orders-service/domain/stock"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

var errBusDown = bustest.ErrDown

func TestPolicies(t *testing.T) {
	t.Parallel()
	items := []order.Line{{SKU: "A", Quantity: 2}, {SKU: "B", Quantity: 1}}
	h := order.Header{OrderID: "o-1", Version: 1, OccurredAt: t0}
	tests := []struct {
		name   string
		handle func(context.Context, bus.CommandSender) error
		want   bus.Message
	}{
		{
			"reserve stock on order placed",
			func(ctx context.Context, b bus.CommandSender) error {
				return event.ReserveStockOnOrderPlaced{Commands: b}.Handle(ctx, order.OrderPlaced{Header: h, CustomerID: "c-1", Items: items})
			},
			command.ReserveStock{OrderID: "o-1", Items: items},
		},
		{
			"release stock on order cancelled",
			func(ctx context.Context, b bus.CommandSender) error {
				return event.ReleaseStockOnOrderCancelled{Commands: b}.Handle(ctx, order.OrderCancelled{Header: h, Reason: "by customer"})
			},
			command.ReleaseStock{OrderID: "o-1"},
		},
		{
			"ship stock on order shipped",
			func(ctx context.Context, b bus.CommandSender) error {
				return event.ShipStockOnOrderShipped{Commands: b}.Handle(ctx, order.OrderShipped{Header: h})
			},
			command.ShipStock{OrderID: "o-1"},
		},
		{
			"confirm order on stock reserved",
			func(ctx context.Context, b bus.CommandSender) error {
				return event.ConfirmOrderOnStockReserved{Commands: b}.Handle(ctx, stock.StockReserved{OrderID: "o-1", OccurredAt: t0})
			},
			command.ConfirmOrder{OrderID: "o-1"},
		},
		{
			"reject order on reservation failed",
			func(ctx context.Context, b bus.CommandSender) error {
				return event.RejectOrderOnReservationFailed{Commands: b}.Handle(ctx, stock.StockReservationFailed{OrderID: "o-1", Reason: "insufficient stock: A", OccurredAt: t0})
			},
			command.RejectOrder{OrderID: "o-1", Reason: "insufficient stock: A"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := &bustest.Recorder{}
			b.FailSend(1)
			err := tt.handle(t.Context(), b)
			if !errors.Is(err, errBusDown) {
				t.Fatalf("with the bus down: %v, want the bus error", err)
			}
			if sent := b.Sent(); len(sent) != 0 {
				t.Fatalf("sent %v while the bus was down", sent)
			}
			// A redelivered event sends again: the command handler is the idempotent one.
			for range 2 {
				if err := tt.handle(t.Context(), b); err != nil {
					t.Fatal(err)
				}
			}
			if want, sent := []bus.Message{tt.want, tt.want}, b.Sent(); !reflect.DeepEqual(sent, want) {
				t.Fatalf("sent %#v, want %#v", sent, want)
			}
			if tt.want.PartitionKey() != "o-1" {
				t.Fatalf("command keyed by %q, want the order ID", tt.want.PartitionKey())
			}
		})
	}
}

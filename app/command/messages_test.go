package command_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/example/orders-service/app/bus"
	"github.com/example/orders-service/app/command"
	"github.com/example/orders-service/domain/order"
	"github.com/example/orders-service/domain/stock"
)

// Wire names are explicit and versioned; every command about an order is keyed by its ID.
func TestCommandNamesAndKeys(t *testing.T) {
	t.Parallel()
	tests := []struct {
		m         bus.Message
		name, key string
	}{
		{command.PlaceOrder{OrderID: "o-1"}, "orders.PlaceOrder.v1", "o-1"},
		{command.ConfirmOrder{OrderID: "o-1"}, "orders.ConfirmOrder.v1", "o-1"},
		{command.RejectOrder{OrderID: "o-1"}, "orders.RejectOrder.v1", "o-1"},
		{command.CancelOrder{OrderID: "o-1"}, "orders.CancelOrder.v1", "o-1"},
		{command.ShipOrder{OrderID: "o-1"}, "orders.ShipOrder.v1", "o-1"},
		{command.ReserveStock{OrderID: "o-1"}, "stock.ReserveStock.v1", "o-1"},
		{command.ReleaseStock{OrderID: "o-1"}, "stock.ReleaseStock.v1", "o-1"},
		{command.ShipStock{OrderID: "o-1"}, "stock.ShipStock.v1", "o-1"},
		{command.SetStockLevel{SKU: "A"}, "stock.SetStockLevel.v1", "A"},
	}
	for _, tt := range tests {
		if tt.m.MessageName() != tt.name || tt.m.PartitionKey() != tt.key {
			t.Errorf("%T: %q keyed %q, want %q keyed %q", tt.m, tt.m.MessageName(), tt.m.PartitionKey(), tt.name, tt.key)
		}
	}
}

// The events command handlers publish carry these fields on the wire; consumers of
// StockLevelSet read on_hand, and the read model dedupes refusals by command_id.
func TestPublishedEventWireFields(t *testing.T) {
	t.Parallel()
	tests := []struct {
		m    any
		want map[string]any
	}{
		{
			stock.StockLevelSet{SKU: "A", OnHand: 5, Reserved: 2, Available: 3, OccurredAt: t0},
			map[string]any{"sku": "A", "on_hand": 5.0, "reserved": 2.0, "available": 3.0, "occurred_at": "2026-03-01T12:00:00Z"},
		},
		{
			order.OrderCommandRefused{OrderID: "o-1", Command: "orders.ShipOrder.v1", CommandID: "msg-1", Reason: "r", OccurredAt: t0},
			map[string]any{"order_id": "o-1", "command": "orders.ShipOrder.v1", "command_id": "msg-1", "reason": "r", "occurred_at": "2026-03-01T12:00:00Z"},
		},
	}
	for _, tt := range tests {
		b, err := json.Marshal(tt.m)
		if err != nil {
			t.Fatal(err)
		}
		var got map[string]any
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%T on the wire: %s, want %v", tt.m, b, tt.want)
		}
	}
}

// Every message checks what its handlers need before any of them runs: a message from a
// foreign or broken producer that fails is rejected where it arrives.
func TestMessagesValidate(t *testing.T) {
	t.Parallel()
	items := []order.Line{{SKU: "A", Quantity: 1}}
	hdr := order.Header{OrderID: "o-1", Version: 1, OccurredAt: t0}
	long := string(make([]byte, 2000))
	tests := []struct {
		name  string
		m     bus.Message
		valid bool
	}{
		{"PlaceOrder", command.PlaceOrder{OrderID: "o-1", CustomerID: "c", Items: items}, true},
		{"PlaceOrder without order ID", command.PlaceOrder{CustomerID: "c", Items: items}, false},
		{"PlaceOrder without items", command.PlaceOrder{OrderID: "o-1", CustomerID: "c"}, false},
		{"PlaceOrder with a zero quantity", command.PlaceOrder{OrderID: "o-1", CustomerID: "c", Items: []order.Line{{SKU: "A"}}}, false},
		{"ConfirmOrder", command.ConfirmOrder{OrderID: "o-1"}, true},
		{"ConfirmOrder without order ID", command.ConfirmOrder{}, false},
		{"RejectOrder without order ID", command.RejectOrder{Reason: "r"}, false},
		{"CancelOrder without order ID", command.CancelOrder{}, false},
		{"ShipOrder without order ID", command.ShipOrder{}, false},
		{"ReserveStock", command.ReserveStock{OrderID: "o-1", Items: items}, true},
		{"ReserveStock without items", command.ReserveStock{OrderID: "o-1"}, false},
		{"ReleaseStock without order ID", command.ReleaseStock{}, false},
		{"ShipStock without order ID", command.ShipStock{}, false},
		{"SetStockLevel", command.SetStockLevel{SKU: "A", Quantity: 0}, true},
		{"SetStockLevel without SKU", command.SetStockLevel{Quantity: 3}, false},
		{"SetStockLevel below zero", command.SetStockLevel{SKU: "A", Quantity: -1}, false},
		{"OrderPlaced", order.OrderPlaced{Header: hdr, CustomerID: "c", Items: items}, true},
		{"OrderPlaced empty", order.OrderPlaced{}, false},
		{"OrderPlaced at version 0", order.OrderPlaced{Header: order.Header{OrderID: "o-1"}, CustomerID: "c", Items: items}, false},
		{"OrderConfirmed", order.OrderConfirmed{Header: hdr}, true},
		{"OrderConfirmed without order ID", order.OrderConfirmed{Header: order.Header{Version: 2}}, false},
		{"OrderRejected with an unbounded reason", order.OrderRejected{Header: hdr, Reason: long}, false},
		{"OrderCancelled", order.OrderCancelled{Header: hdr, Reason: "r"}, true},
		{"OrderShipped without order ID", order.OrderShipped{}, false},
		{"OrderCommandRefused", order.OrderCommandRefused{OrderID: "o-1", Command: "orders.ShipOrder.v1", Reason: "r"}, true},
		{"OrderCommandRefused without command", order.OrderCommandRefused{OrderID: "o-1"}, false},
		{"StockLevelSet", stock.StockLevelSet{SKU: "A", OnHand: 3, Available: 3}, true},
		{"StockLevelSet with negative stock", stock.StockLevelSet{SKU: "A", OnHand: -3}, false},
		{"StockReserved", stock.StockReserved{OrderID: "o-1", Items: []order.Line{{SKU: "A", Quantity: 1}}}, true},
		{"StockReserved without items", stock.StockReserved{OrderID: "o-1"}, false},
		{"StockReservationFailed without order ID", stock.StockReservationFailed{Reason: "r"}, false},
		{"StockReleased of a tombstone", stock.StockReleased{OrderID: "o-1"}, true},
		{"StockShipped without order ID", stock.StockShipped{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.m.Validate(); (err == nil) != tt.valid {
				t.Fatalf("Validate() = %v, want valid: %v", err, tt.valid)
			}
		})
	}
}

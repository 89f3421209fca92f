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

package command_test

import (
	"testing"

	"github.com/example/orders-service/app/bus"
	"github.com/example/orders-service/app/command"
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
		{command.SetStockLevel{SKU: "A"}, "stock.SetStockLevel.v1", "A"},
	}
	for _, tt := range tests {
		if tt.m.MessageName() != tt.name || tt.m.PartitionKey() != tt.key {
			t.Errorf("%T: %q keyed %q, want %q keyed %q", tt.m, tt.m.MessageName(), tt.m.PartitionKey(), tt.name, tt.key)
		}
	}
}

package messaging

import (
	"slices"
	"testing"
)

func TestTopics(t *testing.T) {
	tests := []struct {
		prefix               string
		ordersCmds, stockEvt string
		poison               string
		all                  []string
	}{
		{
			prefix: "", ordersCmds: "orders.commands", stockEvt: "stock.events", poison: "poison",
			all: []string{"orders.commands", "orders.events", "stock.commands", "stock.events", "poison"},
		},
		{
			prefix: "test-", ordersCmds: "test-orders.commands", stockEvt: "test-stock.events", poison: "test-poison",
			all: []string{"test-orders.commands", "test-orders.events", "test-stock.commands", "test-stock.events", "test-poison"},
		},
	}
	for _, tt := range tests {
		t.Run("prefix="+tt.prefix, func(t *testing.T) {
			tp := Topics{Prefix: tt.prefix}
			if got := tp.Commands(OrdersContext); got != tt.ordersCmds {
				t.Errorf("Commands(orders) = %q, want %q", got, tt.ordersCmds)
			}
			if got := tp.Events(StockContext); got != tt.stockEvt {
				t.Errorf("Events(stock) = %q, want %q", got, tt.stockEvt)
			}
			if got := tp.Poison(); got != tt.poison {
				t.Errorf("Poison() = %q, want %q", got, tt.poison)
			}
			if got := tp.All(); !slices.Equal(got, tt.all) {
				t.Errorf("All() = %q, want %q", got, tt.all)
			}
		})
	}
}

func TestContextOf(t *testing.T) {
	tests := []struct {
		name    string
		want    string
		wantErr bool
	}{
		{name: "orders.PlaceOrder.v1", want: "orders"},
		{name: "stock.X.v1", want: "stock"},
		{name: "", wantErr: true},
		{name: "noDot", wantErr: true},
		{name: ".x", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := contextOf(tt.name)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("contextOf(%q) = %q, nil; want an error", tt.name, got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("contextOf(%q) = %q, %v; want %q, nil", tt.name, got, err, tt.want)
			}
		})
	}
}

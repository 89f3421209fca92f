package stock_test

import (
	"testing"

	"github.com/example/orders-service/domain/order"
	"github.com/example/orders-service/domain/stock"
)

func TestShip(t *testing.T) {
	t.Parallel()
	lines := []order.Line{{SKU: "A", Quantity: 2}}
	tests := []struct {
		name       string
		status     stock.ReservationStatus
		want       stock.Outcome
		wantStatus stock.ReservationStatus
		wantLevel  stock.Level
	}{
		{"held leaves on hand and reserved", stock.ReservationHeld, stock.Changed, stock.ReservationShipped, stock.Level{SKU: "A", OnHand: 8, Reserved: 0}},
		{"shipped twice ships once", stock.ReservationShipped, stock.Unchanged, stock.ReservationShipped, stock.Level{SKU: "A", OnHand: 10, Reserved: 2}},
		{"failed ships nothing", stock.ReservationFailed, stock.Unchanged, stock.ReservationFailed, stock.Level{SKU: "A", OnHand: 10, Reserved: 2}},
		{"released ships nothing", stock.ReservationReleased, stock.Unchanged, stock.ReservationReleased, stock.Level{SKU: "A", OnHand: 10, Reserved: 2}},
		{"none ships nothing", stock.ReservationNone, stock.Unchanged, stock.ReservationNone, stock.Level{SKU: "A", OnHand: 10, Reserved: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := stock.Reservation{OrderID: "o-1", Lines: lines, Status: tt.status}
			levels := stock.Levels{"A": {SKU: "A", OnHand: 10, Reserved: 2}}
			if got := r.Ship(levels); got != tt.want {
				t.Fatalf("Ship = %v, want %v", got, tt.want)
			}
			if r.Status != tt.wantStatus || *levels["A"] != tt.wantLevel {
				t.Fatalf("after Ship: status %q level %+v, want %q %+v", r.Status, *levels["A"], tt.wantStatus, tt.wantLevel)
			}
			if tt.want == stock.Changed && levels["A"].Available() != 8 {
				t.Fatalf("available changed by shipping: %d", levels["A"].Available())
			}
		})
	}
}

package command_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/example/orders-service/app"
	"github.com/example/orders-service/app/bus"
	"github.com/example/orders-service/app/command"
	"github.com/example/orders-service/domain/order"
	"github.com/example/orders-service/domain/stock"
)

var reserveO1 = command.ReserveStock{OrderID: "o-1", Items: []order.Line{{SKU: "A", Quantity: 2}, {SKU: "B", Quantity: 1}}}

var reservedO1 = stock.StockReserved{OrderID: "o-1", Items: []order.Line{{SKU: "A", Quantity: 2}, {SKU: "B", Quantity: 1}}, OccurredAt: t0}

func TestSetStockLevel(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for range 2 { // setting the same level twice leaves the same level
		if err := h.handle(t.Context(), command.SetStockLevel{SKU: "A", Quantity: 10}); err != nil {
			t.Fatal(err)
		}
		assertPublished(t, h.bus.Published(), levelSet("A", 10, 0, 10))
		h.assertLevel(t, "A", 10, 0, 10)
	}
	h.setStock(t, "B", 5)
	h.reserve(t, reserveO1)
	h.assertLevel(t, "A", 10, 2, 8)
	// Reservations already held stay when a new count is recorded.
	if err := h.handle(t.Context(), command.SetStockLevel{SKU: "A", Quantity: 7}); err != nil {
		t.Fatal(err)
	}
	assertPublished(t, h.bus.Published(), levelSet("A", 7, 2, 5))
	h.assertLevel(t, "A", 7, 2, 5)
}

// TestSetStockLevelRedeliveredAfterReservation: a stock count redelivered after a reservation
// was made must not hand the reserved units out a second time. (When the level stored
// "available", the redelivered count reset it to 5 with 2 still reserved: 7 units for 5.)
func TestSetStockLevelRedeliveredAfterReservation(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	count := command.SetStockLevel{SKU: "A", Quantity: 5}
	if err := h.handle(t.Context(), count); err != nil {
		t.Fatal(err)
	}
	assertPublished(t, h.bus.Published(), levelSet("A", 5, 0, 5))
	h.setStock(t, "B", 5)
	h.reserve(t, reserveO1) // holds 2 of A
	h.assertLevel(t, "A", 5, 2, 3)

	for range 2 { // the same count, redelivered
		if err := h.handle(t.Context(), count); err != nil {
			t.Fatal(err)
		}
		assertPublished(t, h.bus.Published(), levelSet("A", 5, 2, 3))
		h.assertLevel(t, "A", 5, 2, 3)
	}

	// Only the 3 units left can be reserved.
	if err := h.handle(t.Context(), command.ReserveStock{OrderID: "o-2", Items: []order.Line{{SKU: "A", Quantity: 4}}}); err != nil {
		t.Fatal(err)
	}
	assertPublished(t, h.bus.Published(), stock.StockReservationFailed{OrderID: "o-2", Reason: "insufficient stock: A (requested 4, available 3)", OccurredAt: t0})
	h.reserve(t, command.ReserveStock{OrderID: "o-3", Items: []order.Line{{SKU: "A", Quantity: 3}}})
	h.assertLevel(t, "A", 5, 5, 0)
}

// TestSetStockLevelBelowReserved: a count below what is reserved leaves nothing available,
// never a negative amount, and releases then make available exactly what the count allows.
func TestSetStockLevelBelowReserved(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.setStock(t, "A", 5)
	h.setStock(t, "B", 5)
	h.reserve(t, reserveO1) // 2 of A
	h.reserve(t, command.ReserveStock{OrderID: "o-2", Items: []order.Line{{SKU: "A", Quantity: 3}}})
	h.assertLevel(t, "A", 5, 5, 0)

	if err := h.handle(t.Context(), command.SetStockLevel{SKU: "A", Quantity: 1}); err != nil {
		t.Fatal(err)
	}
	assertPublished(t, h.bus.Published(), levelSet("A", 1, 5, 0))
	h.assertLevel(t, "A", 1, 5, 0)

	if err := h.handle(t.Context(), command.ReserveStock{OrderID: "o-3", Items: []order.Line{{SKU: "A", Quantity: 1}}}); err != nil {
		t.Fatal(err)
	}
	assertPublished(t, h.bus.Published(), stock.StockReservationFailed{OrderID: "o-3", Reason: "insufficient stock: A (requested 1, available 0)", OccurredAt: t0})
	h.assertLevel(t, "A", 1, 5, 0)

	// Releasing 2 of the 5 reserved still leaves more reserved than on hand.
	h.release(t, "o-1")
	h.assertLevel(t, "A", 1, 3, 0)
	// Releasing the rest makes the one unit counted available, no more.
	h.release(t, "o-2")
	h.assertLevel(t, "A", 1, 0, 1)
	h.reserve(t, command.ReserveStock{OrderID: "o-4", Items: []order.Line{{SKU: "A", Quantity: 1}}})
	h.assertLevel(t, "A", 1, 1, 0)
}

func TestSetStockLevelInvalidIsPermanent(t *testing.T) {
	t.Parallel()
	for _, qty := range []int{-1, stock.MaxLevel + 1} {
		t.Run(fmt.Sprint(qty), func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			h.setStock(t, "A", 3)
			err := h.handle(t.Context(), command.SetStockLevel{SKU: "A", Quantity: qty})
			if !errors.Is(err, bus.ErrPermanent) || !errors.Is(err, stock.ErrInvalidLevel) {
				t.Fatalf("SetStockLevel(%d) = %v, want a permanent ErrInvalidLevel", qty, err)
			}
			assertPublished(t, h.bus.Published())
			h.assertLevel(t, "A", 3, 0, 3)
		})
	}
}

func TestSetStockLevelPublishFailsThenRetried(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.bus.FailPublish(1)
	cmd := command.SetStockLevel{SKU: "A", Quantity: 4}
	if err := h.handle(t.Context(), cmd); !errors.Is(err, errBusDown) || errors.Is(err, bus.ErrPermanent) {
		t.Fatalf("SetStockLevel = %v, want the retryable bus error", err)
	}
	h.assertLevel(t, "A", 4, 0, 4)
	if err := h.handle(t.Context(), cmd); err != nil {
		t.Fatal(err)
	}
	assertPublished(t, h.bus.Published(), levelSet("A", 4, 0, 4))
}

func TestReserveStock(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		a, b       int
		want       bus.Message
		wantA      [3]int // on hand, reserved, available
		wantB      [3]int
		restockTo  int // before the redelivery; it must not change the stored outcome
		wantAfterA [3]int
	}{
		{
			name: "held", a: 5, b: 1, want: reservedO1,
			wantA: [3]int{5, 2, 3}, wantB: [3]int{1, 1, 0},
			restockTo: 100, wantAfterA: [3]int{100, 2, 98},
		},
		{
			name: "insufficient", a: 5, b: 0,
			want:  stock.StockReservationFailed{OrderID: "o-1", Reason: "insufficient stock: B (requested 1, available 0)", OccurredAt: t0},
			wantA: [3]int{5, 0, 5}, wantB: [3]int{0, 0, 0},
			restockTo: 100, wantAfterA: [3]int{100, 0, 100},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			h.setStock(t, "A", tt.a)
			h.setStock(t, "B", tt.b)
			if err := h.handle(t.Context(), reserveO1); err != nil {
				t.Fatal(err)
			}
			assertPublished(t, h.bus.Published(), tt.want)
			h.assertLevel(t, "A", tt.wantA[0], tt.wantA[1], tt.wantA[2])
			h.assertLevel(t, "B", tt.wantB[0], tt.wantB[1], tt.wantB[2])

			// Redelivered, even after a restock: the stored outcome is announced again and
			// nothing is taken twice.
			h.setStock(t, "A", tt.restockTo)
			h.setStock(t, "B", tt.restockTo)
			for range 2 {
				if err := h.handle(t.Context(), reserveO1); err != nil {
					t.Fatal(err)
				}
				assertPublished(t, h.bus.Published(), tt.want)
				h.assertLevel(t, "A", tt.wantAfterA[0], tt.wantAfterA[1], tt.wantAfterA[2])
			}
		})
	}
}

func TestReserveStockInvalidIsPermanent(t *testing.T) {
	t.Parallel()
	tests := map[string][]order.Line{
		"no items":       nil,
		"zero quantity":  {{SKU: "A", Quantity: 0}},
		"empty sku":      {{SKU: "", Quantity: 1}},
		"duplicated sku": {{SKU: "A", Quantity: 1}, {SKU: "A", Quantity: 1}},
	}
	for name, items := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			h.setStock(t, "A", 5)
			err := h.handle(t.Context(), command.ReserveStock{OrderID: "o-1", Items: items})
			if !errors.Is(err, bus.ErrPermanent) {
				t.Fatalf("ReserveStock = %v, want a permanent error", err)
			}
			assertPublished(t, h.bus.Published())
			h.assertLevel(t, "A", 5, 0, 5)
			// Nothing was stored: a valid request for the same order still reserves.
			if err := h.handle(t.Context(), command.ReserveStock{OrderID: "o-1", Items: []order.Line{{SKU: "A", Quantity: 1}}}); err != nil {
				t.Fatal(err)
			}
			h.assertLevel(t, "A", 5, 1, 4)
		})
	}
}

func TestReserveStockPublishFailsThenRetried(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.setStock(t, "A", 5)
	h.setStock(t, "B", 5)
	h.bus.FailPublish(1)
	err := h.handle(t.Context(), reserveO1)
	if !errors.Is(err, errBusDown) || errors.Is(err, bus.ErrPermanent) {
		t.Fatalf("ReserveStock = %v, want the retryable bus error", err)
	}
	h.assertLevel(t, "A", 5, 2, 3)
	if err := h.handle(t.Context(), reserveO1); err != nil {
		t.Fatal(err)
	}
	assertPublished(t, h.bus.Published(), reservedO1)
	h.assertLevel(t, "A", 5, 2, 3)
	h.assertLevel(t, "B", 5, 1, 4)
}

func TestReleaseStock(t *testing.T) {
	t.Parallel()
	released := stock.StockReleased{OrderID: "o-1", Items: reservedO1.Items, OccurredAt: t0}
	t.Run("held gives back once", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		h.setStock(t, "A", 5)
		h.setStock(t, "B", 5)
		if err := h.handle(t.Context(), reserveO1); err != nil {
			t.Fatal(err)
		}
		h.bus.Published()
		for range 2 {
			if err := h.handle(t.Context(), command.ReleaseStock{OrderID: "o-1"}); err != nil {
				t.Fatal(err)
			}
			assertPublished(t, h.bus.Published(), released)
			h.assertLevel(t, "A", 5, 0, 5)
			h.assertLevel(t, "B", 5, 0, 5)
		}
		// A late redelivery of the reserve takes nothing and announces nothing.
		if err := h.handle(t.Context(), reserveO1); err != nil {
			t.Fatal(err)
		}
		assertPublished(t, h.bus.Published())
		h.assertLevel(t, "A", 5, 0, 5)
	})
	t.Run("failed changes nothing", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		h.setStock(t, "A", 5)
		if err := h.handle(t.Context(), reserveO1); err != nil {
			t.Fatal(err)
		}
		h.bus.Published()
		if err := h.handle(t.Context(), command.ReleaseStock{OrderID: "o-1"}); err != nil {
			t.Fatal(err)
		}
		assertPublished(t, h.bus.Published())
		h.assertLevel(t, "A", 5, 0, 5)
	})
	t.Run("before the reserve leaves a tombstone", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		h.setStock(t, "A", 5)
		h.setStock(t, "B", 5)
		// The tombstone is not worth announcing, however often the release is delivered.
		for range 2 {
			if err := h.handle(t.Context(), command.ReleaseStock{OrderID: "o-1"}); err != nil {
				t.Fatal(err)
			}
			assertPublished(t, h.bus.Published())
		}
		h.assertLevel(t, "A", 5, 0, 5)
		for range 2 {
			if err := h.handle(t.Context(), reserveO1); err != nil {
				t.Fatal(err)
			}
			assertPublished(t, h.bus.Published())
			h.assertLevel(t, "A", 5, 0, 5)
			h.assertLevel(t, "B", 5, 0, 5)
		}
	})
	t.Run("publish fails then retried", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		h.setStock(t, "A", 5)
		h.setStock(t, "B", 5)
		if err := h.handle(t.Context(), reserveO1); err != nil {
			t.Fatal(err)
		}
		h.bus.Published()
		h.bus.FailPublish(1)
		if err := h.handle(t.Context(), command.ReleaseStock{OrderID: "o-1"}); !errors.Is(err, errBusDown) {
			t.Fatalf("ReleaseStock = %v, want the bus error", err)
		}
		h.assertLevel(t, "A", 5, 0, 5)
		if err := h.handle(t.Context(), command.ReleaseStock{OrderID: "o-1"}); err != nil {
			t.Fatal(err)
		}
		assertPublished(t, h.bus.Published(), released)
		h.assertLevel(t, "A", 5, 0, 5)
	})
}

// TestReserveStockConcurrently races 200 orders for 100 units of one SKU.
func TestReserveStockConcurrently(t *testing.T) {
	t.Parallel()
	const orders, units = 200, 100
	h := newHarness(t)
	h.setStock(t, "A", units)
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		errs  = make(chan error, orders)
	)
	for i := range orders {
		wg.Go(func() {
			<-start
			errs <- h.handle(context.Background(), command.ReserveStock{
				OrderID: fmt.Sprint("o-", i), Items: []order.Line{{SKU: "A", Quantity: 1}},
			})
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("ReserveStock: %v", err)
		}
	}
	var reserved, failed int
	seen := make(map[string]bool)
	for _, m := range h.bus.Published() {
		switch e := m.(type) {
		case stock.StockReserved:
			reserved++
			seen[e.OrderID] = true
		case stock.StockReservationFailed:
			failed++
			seen[e.OrderID] = true
		default:
			t.Errorf("unexpected %T", m)
		}
	}
	if reserved != units || failed != orders-units || len(seen) != orders {
		t.Fatalf("%d StockReserved, %d StockReservationFailed for %d orders; want %d and %d", reserved, failed, len(seen), units, orders-units)
	}
	h.assertLevel(t, "A", units, units, 0)
}

// failingStock is a stock repository whose storage is down.
type failingStock struct{ err error }

func (f failingStock) UpdateLevel(context.Context, string, func(*stock.Level) error) error {
	return f.err
}

func (f failingStock) UpdateReservation(context.Context, string, []string, func(*stock.Reservation, stock.Levels) error) error {
	return f.err
}

func (f failingStock) Level(context.Context, string) (stock.Level, error) {
	return stock.Level{}, f.err
}

func TestStockCommandsStorageDown(t *testing.T) {
	t.Parallel()
	errDown := errors.New("storage down")
	h := newHarnessWith(t, func(a *app.Adapters) { a.Stock = failingStock{errDown} })
	for name, err := range map[string]error{
		"set":     h.handle(t.Context(), command.SetStockLevel{SKU: "A", Quantity: 1}),
		"reserve": h.handle(t.Context(), reserveO1),
		"release": h.handle(t.Context(), command.ReleaseStock{OrderID: "o-1"}),
	} {
		if !errors.Is(err, errDown) || errors.Is(err, bus.ErrPermanent) {
			t.Errorf("%s = %v, want the retryable storage error", name, err)
		}
	}
	assertPublished(t, h.bus.Published())
}

// Counts apply in the order of their IDs: a count delivered again after a shipment, or an
// older count delivered after a newer one, changes nothing; a count without an ID applies as
// it comes. Each delivery announces the level as it stands.
func TestStockCountsApplyInOrderOnce(t *testing.T) {
	t.Parallel()
	count := func(id string, qty int) command.SetStockLevel {
		return command.SetStockLevel{SKU: "A", Quantity: qty, CountID: id}
	}
	tests := []struct {
		name          string
		after         []command.SetStockLevel // delivered after count c1 of 10 and a shipment of 2
		onHand, avail int
	}{
		{"the same count again", []command.SetStockLevel{count("c1", 10)}, 8, 8},
		{"a newer count", []command.SetStockLevel{count("c2", 20)}, 20, 20},
		{"an older count after a newer", []command.SetStockLevel{count("c2", 20), count("c0", 5), count("c1", 10)}, 20, 20},
		{"a count without an ID", []command.SetStockLevel{count("", 7)}, 7, 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			steps := []bus.Message{count("c1", 10), command.SetStockLevel{SKU: "B", Quantity: 5, CountID: "c1"}, reserveO1, command.ShipStock{OrderID: "o-1"}}
			for _, m := range steps {
				if err := h.handle(t.Context(), m); err != nil {
					t.Fatalf("%s: %v", m.MessageName(), err)
				}
			}
			h.assertLevel(t, "A", 8, 0, 8)
			h.bus.Published()
			for _, c := range tt.after {
				if err := h.handle(t.Context(), c); err != nil {
					t.Fatalf("count %s: %v", c.CountID, err)
				}
			}
			h.assertLevel(t, "A", tt.onHand, 0, tt.avail)
			published := h.bus.Published()
			if len(published) != len(tt.after) {
				t.Fatalf("published %v, want one StockLevelSet per count", published)
			}
			if last := published[len(published)-1].(stock.StockLevelSet); last.OnHand != tt.onHand {
				t.Fatalf("last StockLevelSet says on hand %d, want the level as it stands, %d", last.OnHand, tt.onHand)
			}
		})
	}
}

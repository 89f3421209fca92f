package command_test

import (
	"testing"

	"github.com/example/orders-service/app/command"
	"github.com/example/orders-service/domain/stock"
)

func TestShipStock(t *testing.T) {
	t.Parallel()
	shipped := stock.StockShipped{OrderID: "o-1", Items: reservedO1.Items, OccurredAt: t0}
	t.Run("held leaves stock once", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		h.setStock(t, "A", 5)
		h.setStock(t, "B", 5)
		h.reserve(t, reserveO1)
		h.assertLevel(t, "A", 5, 2, 3)
		for range 2 { // a redelivery re-announces and takes nothing
			if err := h.handle(t.Context(), command.ShipStock{OrderID: "o-1"}); err != nil {
				t.Fatal(err)
			}
			assertPublished(t, h.bus.Published(), shipped)
			h.assertLevel(t, "A", 3, 0, 3)
			h.assertLevel(t, "B", 4, 0, 4)
		}
		// Neither a late release nor a late reserve gives the shipped units back.
		if err := h.handle(t.Context(), command.ReleaseStock{OrderID: "o-1"}); err != nil {
			t.Fatal(err)
		}
		if err := h.handle(t.Context(), reserveO1); err != nil {
			t.Fatal(err)
		}
		assertPublished(t, h.bus.Published())
		h.assertLevel(t, "A", 3, 0, 3)
	})
	t.Run("nothing held ships nothing", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		h.setStock(t, "A", 5)
		if err := h.handle(t.Context(), command.ShipStock{OrderID: "o-unknown"}); err != nil {
			t.Fatal(err)
		}
		assertPublished(t, h.bus.Published())
		h.assertLevel(t, "A", 5, 0, 5)
	})
}

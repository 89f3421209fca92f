package command_test

import (
	"context"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/example/orders-service/adapters/memory"
	"github.com/example/orders-service/app"
	"github.com/example/orders-service/app/bus"
	"github.com/example/orders-service/app/bus/bustest"
	"github.com/example/orders-service/app/command"
	"github.com/example/orders-service/domain/order"
	"github.com/example/orders-service/domain/stock"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

var errBusDown = bustest.ErrDown

// clock is a settable test clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return c.now
}

// harness is the application over the in-memory adapters, whose commands are delivered
// through its routing table; what the handlers publish stays on the bus for the test.
type harness struct {
	orders order.Repository
	stock  stock.Repository
	bus    *bustest.Bus
	clock  *clock
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	return newHarnessWith(t, func(*app.Adapters) {})
}

// newHarnessWith is newHarness with adapters changed by adjust, such as a failing repository.
func newHarnessWith(t *testing.T, adjust func(*app.Adapters)) *harness {
	t.Helper()
	h := &harness{bus: &bustest.Bus{}, clock: &clock{now: t0}}
	adapters := memory.NewAdapters()
	adapters.Commands, adapters.Events, adapters.Clock = h.bus, h.bus, h.clock.Now
	adjust(&adapters)
	h.orders, h.stock = adapters.Orders, adapters.Stock
	if err := h.bus.Route(app.New(adapters).Routes); err != nil {
		t.Fatal(err)
	}
	return h
}

// handle delivers cmd through the routing table, as the messaging port would.
func (h *harness) handle(ctx context.Context, cmd bus.Message) error { return h.bus.Handle(ctx, cmd) }

var placeO1 = command.PlaceOrder{OrderID: "o-1", CustomerID: "c-1", Items: []order.Line{{SKU: "A", Quantity: 2}, {SKU: "B", Quantity: 1}}}

func (h *harness) place(t *testing.T, cmd command.PlaceOrder) {
	t.Helper()
	if err := h.handle(t.Context(), cmd); err != nil {
		t.Fatalf("PlaceOrder: %v", err)
	}
	h.bus.Published()
}

// orderIn stores order o-1 in status s, reached through the handlers.
func (h *harness) orderIn(t *testing.T, s order.Status) {
	t.Helper()
	if s == "" {
		return // no order at all
	}
	h.place(t, placeO1)
	ctx := t.Context()
	var err error
	switch s {
	case order.StatusPending:
	case order.StatusConfirmed:
		err = h.handle(ctx, command.ConfirmOrder{OrderID: "o-1"})
	case order.StatusRejected:
		err = h.handle(ctx, command.RejectOrder{OrderID: "o-1", Reason: "no stock"})
	case order.StatusCancelled:
		err = h.handle(ctx, command.CancelOrder{OrderID: "o-1", Reason: "changed my mind"})
	case order.StatusShipped:
		if err = h.handle(ctx, command.ConfirmOrder{OrderID: "o-1"}); err == nil {
			err = h.handle(ctx, command.ShipOrder{OrderID: "o-1"})
		}
	}
	if err != nil {
		t.Fatalf("reaching %s: %v", s, err)
	}
	if got := h.order(t, "o-1").Status(); got != s {
		t.Fatalf("order is %s, want %s", got, s)
	}
	h.bus.Published()
}

func (h *harness) order(t *testing.T, id string) *order.Order {
	t.Helper()
	o, err := h.orders.Get(t.Context(), id)
	if err != nil {
		t.Fatalf("Get(%s): %v", id, err)
	}
	return o
}

func (h *harness) setStock(t *testing.T, sku string, qty int) {
	t.Helper()
	if err := h.handle(t.Context(), command.SetStockLevel{SKU: sku, Quantity: qty}); err != nil {
		t.Fatalf("SetStockLevel: %v", err)
	}
	h.bus.Published()
}

// reserve handles cmd, which must hold its stock, and forgets what it published.
func (h *harness) reserve(t *testing.T, cmd command.ReserveStock) {
	t.Helper()
	if err := h.handle(t.Context(), cmd); err != nil {
		t.Fatalf("ReserveStock: %v", err)
	}
	if _, ok := only(t, h.bus.Published()).(stock.StockReserved); !ok {
		t.Fatalf("ReserveStock for %s did not hold its stock", cmd.OrderID)
	}
}

// release handles ReleaseStock for orderID, which must release a held reservation.
func (h *harness) release(t *testing.T, orderID string) {
	t.Helper()
	if err := h.handle(t.Context(), command.ReleaseStock{OrderID: orderID}); err != nil {
		t.Fatalf("ReleaseStock: %v", err)
	}
	if _, ok := only(t, h.bus.Published()).(stock.StockReleased); !ok {
		t.Fatalf("ReleaseStock for %s released nothing", orderID)
	}
}

func only(t *testing.T, ms []bus.Message) bus.Message {
	t.Helper()
	if len(ms) != 1 {
		t.Fatalf("published %#v, want one message", ms)
	}
	return ms[0]
}

// assertLevel checks the stored level of sku: units on hand, reserved, and available.
func (h *harness) assertLevel(t *testing.T, sku string, onHand, reserved, available int) {
	t.Helper()
	l, err := h.stock.Level(t.Context(), sku)
	if err != nil {
		t.Fatal(err)
	}
	if l.OnHand != onHand || l.Reserved != reserved || l.Available() != available {
		t.Fatalf("level of %s: on hand %d, reserved %d, available %d; want %d, %d, %d",
			sku, l.OnHand, l.Reserved, l.Available(), onHand, reserved, available)
	}
}

func assertPublished(t *testing.T, got []bus.Message, want ...bus.Message) {
	t.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("published\n %#v\nwant\n %#v", got, want)
	}
}

// refused is the refusal of cmd, delivered as the message commandID ("" when the ctx
// carries no causation ID).
func refused(cmd bus.Message, commandID, orderID, reason string) order.OrderCommandRefused {
	return order.OrderCommandRefused{OrderID: orderID, Command: cmd.MessageName(), CommandID: commandID, Reason: reason, OccurredAt: t0}
}

func levelSet(sku string, onHand, reserved, available int) stock.StockLevelSet {
	return stock.StockLevelSet{SKU: sku, OnHand: onHand, Reserved: reserved, Available: available, OccurredAt: t0}
}

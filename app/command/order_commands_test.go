package command_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/example/orders-service/app"
	"github.com/example/orders-service/app/bus"
	"github.com/example/orders-service/app/command"
	"github.com/example/orders-service/domain/order"
)

func TestPlaceOrder(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	if err := h.handle(t.Context(), placeO1); err != nil {
		t.Fatalf("PlaceOrder: %v", err)
	}
	want := order.OrderPlaced{
		Header:     order.Header{OrderID: "o-1", Version: 1, OccurredAt: t0},
		CustomerID: "c-1",
		Items:      placeO1.Items,
	}
	assertPublished(t, h.bus.Published(), want)
	o := h.order(t, "o-1")
	if o.Status() != order.StatusPending || o.Version() != 1 || o.CustomerID() != "c-1" || !o.CreatedAt().Equal(t0) {
		t.Fatalf("stored %+v", o.Snapshot())
	}
}

func TestPlaceOrderRedelivered(t *testing.T) {
	t.Parallel()
	placed := order.OrderPlaced{Header: order.Header{OrderID: "o-1", Version: 1, OccurredAt: t0}, CustomerID: "c-1", Items: placeO1.Items}
	tests := []struct {
		status order.Status
		want   []bus.Message
	}{
		// Still pending: the first attempt may have saved and failed to publish, so announce again.
		{order.StatusPending, []bus.Message{placed}},
		// Later the redelivery is stale: nothing to say, nothing to change.
		{order.StatusConfirmed, nil},
		{order.StatusRejected, nil},
		{order.StatusCancelled, nil},
		{order.StatusShipped, nil},
	}
	for _, tt := range tests {
		t.Run(string(tt.status), func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			h.orderIn(t, tt.status)
			before := h.order(t, "o-1").Snapshot()
			h.clock.Advance(time.Hour)
			for range 2 {
				if err := h.handle(t.Context(), placeO1); err != nil {
					t.Fatalf("redelivered PlaceOrder: %v", err)
				}
				assertPublished(t, h.bus.Published(), tt.want...)
			}
			if after := h.order(t, "o-1").Snapshot(); after.Version != before.Version || after.Status != before.Status {
				t.Fatalf("redelivery changed the order: %+v -> %+v", before, after)
			}
		})
	}
}

func TestPlaceOrderConflictingPlacementIsRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cmd  command.PlaceOrder
	}{
		{"other customer", command.PlaceOrder{OrderID: "o-1", CustomerID: "c-2", Items: placeO1.Items}},
		{"other quantity", command.PlaceOrder{OrderID: "o-1", CustomerID: "c-1", Items: []order.Line{{SKU: "A", Quantity: 3}, {SKU: "B", Quantity: 1}}}},
		{"other items", command.PlaceOrder{OrderID: "o-1", CustomerID: "c-1", Items: []order.Line{{SKU: "A", Quantity: 2}}}},
	}
	for _, st := range []order.Status{order.StatusPending, order.StatusShipped} {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%s_%s", st, tt.name), func(t *testing.T) {
				t.Parallel()
				h := newHarness(t)
				h.orderIn(t, st)
				before := h.order(t, "o-1").Snapshot()
				if err := h.handle(deliveryOf(t, "msg-place-2"), tt.cmd); err != nil {
					t.Fatalf("conflicting PlaceOrder returned %v, want nil (a refusal is an outcome)", err)
				}
				assertPublished(t, h.bus.Published(), refused(tt.cmd, "msg-place-2", "o-1", "order ID already used for a different order"))
				if after := h.order(t, "o-1").Snapshot(); after.Version != before.Version || after.CustomerID != "c-1" || len(after.Lines) != 2 {
					t.Fatalf("conflicting placement changed the order: %+v", after)
				}
			})
		}
	}
}

// An invalid placement is rejected where it arrives, before its handler looks for the order:
// a permanent failure whether or not an order has its ID, and the order stays as it was.
func TestPlaceOrderInvalidUnderAnExistingIDIsPermanent(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.orderIn(t, order.StatusPending)
	before := h.order(t, "o-1").Snapshot()
	err := h.handle(t.Context(), command.PlaceOrder{OrderID: "o-1", CustomerID: "c-1", Items: nil})
	if !errors.Is(err, bus.ErrPermanent) || !errors.Is(err, order.ErrInvalidOrder) {
		t.Fatalf("PlaceOrder = %v, want a permanent ErrInvalidOrder", err)
	}
	assertPublished(t, h.bus.Published())
	if after := h.order(t, "o-1").Snapshot(); after.Version != before.Version {
		t.Fatalf("invalid placement changed the order: %+v", after)
	}
}

func TestPlaceOrderInvalidIsPermanent(t *testing.T) {
	t.Parallel()
	many := make([]order.Line, order.MaxLines+1)
	for i := range many {
		many[i] = order.Line{SKU: fmt.Sprint("s", i), Quantity: 1}
	}
	one := []order.Line{{SKU: "A", Quantity: 1}}
	tests := []struct {
		name string
		cmd  command.PlaceOrder
	}{
		{"empty order id", command.PlaceOrder{OrderID: "", CustomerID: "c", Items: one}},
		{"order id with space", command.PlaceOrder{OrderID: "o 1", CustomerID: "c", Items: one}},
		{"order id too long", command.PlaceOrder{OrderID: strings.Repeat("o", 129), CustomerID: "c", Items: one}},
		{"no customer", command.PlaceOrder{OrderID: "o-1", Items: one}},
		{"no items", command.PlaceOrder{OrderID: "o-1", CustomerID: "c"}},
		{"too many items", command.PlaceOrder{OrderID: "o-1", CustomerID: "c", Items: many}},
		{"zero quantity", command.PlaceOrder{OrderID: "o-1", CustomerID: "c", Items: []order.Line{{SKU: "A", Quantity: 0}}}},
		{"quantity too big", command.PlaceOrder{OrderID: "o-1", CustomerID: "c", Items: []order.Line{{SKU: "A", Quantity: 1001}}}},
		{"duplicate sku", command.PlaceOrder{OrderID: "o-1", CustomerID: "c", Items: []order.Line{{SKU: "A", Quantity: 1}, {SKU: "A", Quantity: 2}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			err := h.handle(t.Context(), tt.cmd)
			if !errors.Is(err, bus.ErrPermanent) || !errors.Is(err, order.ErrInvalidOrder) {
				t.Fatalf("PlaceOrder = %v, want a permanent ErrInvalidOrder", err)
			}
			assertPublished(t, h.bus.Published())
			if _, err := h.orders.Get(t.Context(), tt.cmd.OrderID); !errors.Is(err, order.ErrNotFound) {
				t.Fatalf("invalid order stored: %v", err)
			}
		})
	}
}

func TestPlaceOrderPublishFailsThenRetried(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.bus.FailPublish(2)
	for attempt := range 2 {
		err := h.handle(t.Context(), placeO1)
		if !errors.Is(err, errBusDown) || errors.Is(err, bus.ErrPermanent) {
			t.Fatalf("attempt %d: PlaceOrder = %v, want the retryable bus error", attempt, err)
		}
		assertPublished(t, h.bus.Published())
		if o := h.order(t, "o-1"); o.Version() != 1 {
			t.Fatalf("attempt %d stored version %d", attempt, o.Version())
		}
	}
	h.clock.Advance(time.Minute) // the retry announces the order as it was saved
	if err := h.handle(t.Context(), placeO1); err != nil {
		t.Fatalf("retry: %v", err)
	}
	assertPublished(t, h.bus.Published(), order.OrderPlaced{
		Header: order.Header{OrderID: "o-1", Version: 1, OccurredAt: t0}, CustomerID: "c-1", Items: placeO1.Items,
	})
}

// orderCommand is one of the commands that move an existing order.
type orderCommand struct {
	name   string
	cmd    bus.Message
	target order.Status
	// saga steps (confirm, reject) that find the order moved on are stale: they change and
	// announce nothing, where a person's command is visibly refused.
	saga  bool
	event func(order.Header) bus.Message
}

var orderCommands = []orderCommand{
	{
		"confirm", command.ConfirmOrder{OrderID: "o-1"}, order.StatusConfirmed, true,
		func(h order.Header) bus.Message { return order.OrderConfirmed{Header: h} },
	},
	{
		"reject", command.RejectOrder{OrderID: "o-1", Reason: "insufficient stock"}, order.StatusRejected, true,
		func(h order.Header) bus.Message { return order.OrderRejected{Header: h, Reason: "insufficient stock"} },
	},
	{
		"cancel", command.CancelOrder{OrderID: "o-1", Reason: "by customer"}, order.StatusCancelled, false,
		func(h order.Header) bus.Message { return order.OrderCancelled{Header: h, Reason: "by customer"} },
	},
	{
		"ship", command.ShipOrder{OrderID: "o-1"}, order.StatusShipped, false,
		func(h order.Header) bus.Message { return order.OrderShipped{Header: h} },
	},
}

// TestOrderCommands handles each command against an order in each status (or no order) twice,
// as a redelivery would.
func TestOrderCommands(t *testing.T) {
	t.Parallel()
	allowed := map[order.Status][]order.Status{
		order.StatusPending:   {order.StatusConfirmed, order.StatusRejected, order.StatusCancelled},
		order.StatusConfirmed: {order.StatusShipped, order.StatusCancelled},
	}
	version := map[order.Status]int{order.StatusPending: 1, order.StatusConfirmed: 2, order.StatusRejected: 2, order.StatusCancelled: 2, order.StatusShipped: 3}
	// What orderIn stored for each status, to recognise a re-announcement.
	stored := map[order.Status]func(order.Header) bus.Message{
		order.StatusConfirmed: func(h order.Header) bus.Message { return order.OrderConfirmed{Header: h} },
		order.StatusRejected:  func(h order.Header) bus.Message { return order.OrderRejected{Header: h, Reason: "no stock"} },
		order.StatusCancelled: func(h order.Header) bus.Message { return order.OrderCancelled{Header: h, Reason: "changed my mind"} },
		order.StatusShipped:   func(h order.Header) bus.Message { return order.OrderShipped{Header: h} },
	}
	for _, from := range []order.Status{"", order.StatusPending, order.StatusConfirmed, order.StatusRejected, order.StatusCancelled, order.StatusShipped} {
		for _, c := range orderCommands {
			name := fmt.Sprintf("%s_from_%s", c.name, from)
			if from == "" {
				name = c.name + "_unknown_order"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				h := newHarness(t)
				h.orderIn(t, from)
				now := h.clock.Advance(time.Minute)

				var first, again []bus.Message
				wantStatus, wantVersion := from, version[from]
				switch {
				case from == "":
					r := refused(c.cmd, "msg-1", "o-1", "unknown order")
					r.OccurredAt = now
					first, again = []bus.Message{r}, []bus.Message{r}
				case from == c.target:
					// A redelivery after the change was saved: announce the stored fact again.
					ev := stored[from](order.Header{OrderID: "o-1", Version: version[from], OccurredAt: t0})
					first, again = []bus.Message{ev}, []bus.Message{ev}
				case contains(allowed[from], c.target):
					wantStatus, wantVersion = c.target, version[from]+1
					ev := c.event(order.Header{OrderID: "o-1", Version: wantVersion, OccurredAt: now})
					first, again = []bus.Message{ev}, []bus.Message{ev}
				case c.saga:
					first, again = nil, nil
				default:
					r := refused(c.cmd, "msg-1", "o-1", fmt.Sprintf("cannot %s order o-1: it is %s", c.name, from))
					r.OccurredAt = now
					first, again = []bus.Message{r}, []bus.Message{r}
				}

				// Both deliveries are of the same message: a refusal names it, so the read
				// model records it once.
				for i, want := range [][]bus.Message{first, again} {
					if err := h.handle(deliveryOf(t, "msg-1"), c.cmd); err != nil {
						t.Fatalf("delivery %d returned %v, want nil", i+1, err)
					}
					assertPublished(t, h.bus.Published(), want...)
				}
				if from == "" {
					if _, err := h.orders.Get(t.Context(), "o-1"); !errors.Is(err, order.ErrNotFound) {
						t.Fatalf("a command for an unknown order stored one: %v", err)
					}
					return
				}
				o := h.order(t, "o-1")
				if o.Status() != wantStatus || o.Version() != wantVersion {
					t.Fatalf("order %s at version %d, want %s at %d", o.Status(), o.Version(), wantStatus, wantVersion)
				}
			})
		}
	}
}

// deliveryOf is the ctx a handler gets for the delivery of message messageID: its own
// UUID as causation, and a correlation ID that differs from it.
func deliveryOf(t *testing.T, messageID string) context.Context {
	return bus.WithCausationID(bus.WithCorrelationID(t.Context(), "corr-"+messageID), messageID)
}

func contains(ss []order.Status, s order.Status) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func TestOrderCommandPublishFailsThenRetried(t *testing.T) {
	t.Parallel()
	from := map[string]order.Status{"confirm": order.StatusPending, "reject": order.StatusPending, "cancel": order.StatusConfirmed, "ship": order.StatusConfirmed}
	for _, c := range orderCommands {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			h.orderIn(t, from[c.name])
			saved := h.clock.Advance(time.Minute)
			v := h.order(t, "o-1").Version()
			h.bus.FailPublish(1)
			err := h.handle(t.Context(), c.cmd)
			if !errors.Is(err, errBusDown) || errors.Is(err, bus.ErrPermanent) {
				t.Fatalf("%s = %v, want the retryable bus error", c.name, err)
			}
			if o := h.order(t, "o-1"); o.Status() != c.target || o.Version() != v+1 {
				t.Fatalf("state not saved before publishing: %+v", o.Snapshot())
			}
			h.clock.Advance(time.Minute)
			if err := h.handle(t.Context(), c.cmd); err != nil {
				t.Fatalf("retry: %v", err)
			}
			assertPublished(t, h.bus.Published(), c.event(order.Header{OrderID: "o-1", Version: v + 1, OccurredAt: saved}))
			if o := h.order(t, "o-1"); o.Version() != v+1 {
				t.Fatalf("retry changed the order again: version %d", o.Version())
			}
		})
	}
}

func TestCommandReasons(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.orderIn(t, order.StatusPending)
	if err := h.handle(t.Context(), command.CancelOrder{OrderID: "o-1"}); err != nil {
		t.Fatal(err)
	}
	if o := h.order(t, "o-1"); o.Reason() != "cancelled by request" {
		t.Fatalf("reason %q", o.Reason())
	}
	assertPublished(t, h.bus.Published(), order.OrderCancelled{Header: order.Header{OrderID: "o-1", Version: 2, OccurredAt: t0}, Reason: "cancelled by request"})
}

// failingOrders is an order repository whose storage is down.
type failingOrders struct{ err error }

func (f failingOrders) Update(context.Context, string, func(*order.Order) (*order.Order, error)) error {
	return f.err
}
func (f failingOrders) Get(context.Context, string) (*order.Order, error) { return nil, f.err }

func TestOrderCommandsStorageDown(t *testing.T) {
	t.Parallel()
	errDown := errors.New("storage down")
	h := newHarnessWith(t, func(a *app.Adapters) { a.Orders = failingOrders{errDown} })
	handles := map[string]func() error{
		"place": func() error { return h.handle(t.Context(), placeO1) },
	}
	for _, c := range orderCommands {
		handles[c.name] = func() error { return h.handle(t.Context(), c.cmd) }
	}
	for name, handle := range handles {
		err := handle()
		if !errors.Is(err, errDown) || errors.Is(err, bus.ErrPermanent) {
			t.Errorf("%s = %v, want the retryable storage error", name, err)
		}
	}
	assertPublished(t, h.bus.Published())
}

package order_test

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/example/orders-service/domain/order"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func lines(n int) []order.Line {
	ls := make([]order.Line, n)
	for i := range ls {
		ls[i] = order.Line{SKU: fmt.Sprintf("sku-%d", i), Quantity: 1}
	}
	return ls
}

func mustNew(t *testing.T) *order.Order {
	t.Helper()
	o, _, err := order.New("o-1", "c-1", []order.Line{{SKU: "A", Quantity: 2}, {SKU: "B", Quantity: 1}}, t0)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return o
}

// inStatus builds an order that reached s through the allowed transitions.
func inStatus(t *testing.T, s order.Status) *order.Order {
	t.Helper()
	o := mustNew(t)
	var err error
	switch s {
	case order.StatusPending:
	case order.StatusConfirmed:
		err = errOf(o.Confirm(t0.Add(time.Minute)))
	case order.StatusRejected:
		err = errOf(o.Reject("no stock", t0.Add(time.Minute)))
	case order.StatusCancelled:
		err = errOf(o.Cancel("changed my mind", t0.Add(time.Minute)))
	case order.StatusShipped:
		err = errOf(o.Confirm(t0.Add(time.Minute)))
		if err == nil {
			err = errOf(o.Ship(t0.Add(2 * time.Minute)))
		}
	default:
		t.Fatalf("unknown status %q", s)
	}
	if err != nil {
		t.Fatalf("reaching %s: %v", s, err)
	}
	if o.Status() != s {
		t.Fatalf("reached %s, want %s", o.Status(), s)
	}
	return o
}

func TestNewValid(t *testing.T) {
	t.Parallel()
	in := []order.Line{{SKU: "A", Quantity: 2}, {SKU: "B", Quantity: 1}}
	o, _, err := order.New("o-1", "c-1", in, t0)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if o.ID() != "o-1" || o.CustomerID() != "c-1" || o.Status() != order.StatusPending || o.Reason() != "" || o.Version() != 1 {
		t.Fatalf("unexpected order: %+v", o.Snapshot())
	}
	if !o.CreatedAt().Equal(t0) || !o.UpdatedAt().Equal(t0) {
		t.Fatalf("times: created %v updated %v, want %v", o.CreatedAt(), o.UpdatedAt(), t0)
	}
	if !reflect.DeepEqual(o.Lines(), in) {
		t.Fatalf("lines %v, want %v", o.Lines(), in)
	}
	// The order owns its lines: neither the caller's slice nor Lines() can change them.
	in[0].Quantity = 99
	o.Lines()[1].Quantity = 99
	if got := o.Lines(); got[0].Quantity != 2 || got[1].Quantity != 1 {
		t.Fatalf("lines were aliased: %v", got)
	}
}

func TestNewValidation(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 128)
	tests := []struct {
		name     string
		id, cust string
		lines    []order.Line
		wantErr  string // "" means valid
	}{
		{"minimal", "o", "c", lines(1), ""},
		{"50 lines", "o", "c", lines(50), ""},
		{"quantity 1 and 1000", "o", "c", []order.Line{{SKU: "A", Quantity: 1}, {SKU: "B", Quantity: 1000}}, ""},
		{"id of 128 bytes", long, "c", lines(1), ""},
		{"empty id", "", "c", lines(1), "order id is required"},
		{"blank id", "   ", "c", lines(1), "order id is required"},
		{"id of 129 bytes", long + "x", "c", lines(1), "order id is longer than 128 bytes"},
		{"id with space", "o 1", "c", lines(1), "order id contains spaces or control characters"},
		{"id with tab", "o\t1", "c", lines(1), "order id contains spaces"},
		{"id with newline", "o1\n", "c", lines(1), "order id contains spaces"},
		{"id with DEL", "o\x7f", "c", lines(1), "order id contains spaces"},
		{"empty customer", "o", "", lines(1), "customer id is required"},
		{"long customer", "o", long + "x", lines(1), "customer id is longer than"},
		{"customer with space", "o", "c 1", lines(1), "customer id contains spaces"},
		{"no lines", "o", "c", nil, "items must hold 1 to 50 items, has 0"},
		{"empty lines", "o", "c", []order.Line{}, "items must hold 1 to 50 items, has 0"},
		{"51 lines", "o", "c", lines(51), "items must hold 1 to 50 items, has 51"},
		{"quantity 0", "o", "c", []order.Line{{SKU: "A", Quantity: 0}}, "items[0].quantity must be between 1 and 1000, got 0"},
		{"negative quantity", "o", "c", []order.Line{{SKU: "A", Quantity: 1}, {SKU: "B", Quantity: -1}}, "items[1].quantity must be between 1 and 1000, got -1"},
		{"quantity 1001", "o", "c", []order.Line{{SKU: "A", Quantity: 1001}}, "items[0].quantity must be between 1 and 1000, got 1001"},
		{"duplicate sku", "o", "c", []order.Line{{SKU: "A", Quantity: 1}, {SKU: "B", Quantity: 1}, {SKU: "A", Quantity: 2}}, `items[2].sku "A" appears more than once`},
		{"empty sku", "o", "c", []order.Line{{SKU: "", Quantity: 1}}, "items[0].sku is required"},
		{"sku with space", "o", "c", []order.Line{{SKU: "A B", Quantity: 1}}, "items[0].sku contains spaces"},
		{"long sku", "o", "c", []order.Line{{long + "x", 1}}, "items[0].sku is longer than 128 bytes"},
		{"sku of 128 bytes", "o", "c", []order.Line{{SKU: long, Quantity: 1}}, ""},
		{"sku outside the alphabet", "o", "c", []order.Line{{SKU: "a/b", Quantity: 1}}, "items[0].sku must be letters, digits"},
		{"sku of invalid UTF-8", "o", "c", []order.Line{{SKU: "a\xff", Quantity: 1}}, "items[0].sku is not valid UTF-8"},
		{"customer of invalid UTF-8", "o", "c\xfe", lines(1), "customer id is not valid UTF-8"},
		{"id of invalid UTF-8", "\xef\xbf", "c", lines(1), "order id is not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o, _, err := order.New(tt.id, tt.cust, tt.lines, t0)
			if tt.wantErr == "" {
				if err != nil || o == nil {
					t.Fatalf("New: %v, want a valid order", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("New accepted %s", tt.name)
			}
			if o != nil {
				t.Errorf("New returned an order along with error %v", err)
			}
			if !errors.Is(err, order.ErrInvalidOrder) {
				t.Errorf("error %v does not wrap ErrInvalidOrder", err)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not say %q", err, tt.wantErr)
			}
		})
	}
}

type action struct {
	name  string
	apply func(*order.Order, time.Time) error
}

var actions = []action{
	{"confirm", func(o *order.Order, now time.Time) error { return errOf(o.Confirm(now)) }},
	{"reject", func(o *order.Order, now time.Time) error { return errOf(o.Reject("no stock", now)) }},
	{"cancel", func(o *order.Order, now time.Time) error { return errOf(o.Cancel("by customer", now)) }},
	{"ship", func(o *order.Order, now time.Time) error { return errOf(o.Ship(now)) }},
}

var allStatuses = []order.Status{order.StatusPending, order.StatusConfirmed, order.StatusRejected, order.StatusCancelled, order.StatusShipped}

func TestTransitions(t *testing.T) {
	t.Parallel()
	// allowed[from][action] is the status the action leads to; absent means refused.
	allowed := map[order.Status]map[string]order.Status{
		order.StatusPending:   {"confirm": order.StatusConfirmed, "reject": order.StatusRejected, "cancel": order.StatusCancelled},
		order.StatusConfirmed: {"ship": order.StatusShipped, "cancel": order.StatusCancelled},
	}
	for _, from := range allStatuses {
		for _, a := range actions {
			to, ok := allowed[from][a.name]
			t.Run(fmt.Sprintf("%s_%s", from, a.name), func(t *testing.T) {
				t.Parallel()
				o := inStatus(t, from)
				before := o.Snapshot()
				now := t0.Add(time.Hour)
				err := a.apply(o, now)
				if ok {
					if err != nil {
						t.Fatalf("%s from %s refused: %v", a.name, from, err)
					}
					if o.Status() != to {
						t.Fatalf("status %s, want %s", o.Status(), to)
					}
					if o.Version() != before.Version+1 {
						t.Fatalf("version %d, want %d", o.Version(), before.Version+1)
					}
					if !o.UpdatedAt().Equal(now) {
						t.Fatalf("updatedAt %v, want %v", o.UpdatedAt(), now)
					}
					if !o.CreatedAt().Equal(before.CreatedAt) {
						t.Fatalf("createdAt changed")
					}
					return
				}
				var te *order.TransitionError
				if !errors.As(err, &te) {
					t.Fatalf("%s from %s: error %v (%T), want *order.TransitionError", a.name, from, err, err)
				}
				if te.OrderID != "o-1" || te.Action != a.name || te.From != from {
					t.Fatalf("TransitionError %+v", te)
				}
				want := fmt.Sprintf("cannot %s order o-1: it is %s", a.name, from)
				if err.Error() != want {
					t.Fatalf("message %q, want %q", err.Error(), want)
				}
				if errors.Is(err, order.ErrInvalidOrder) {
					t.Fatalf("a refused transition is not an invalid order")
				}
				if after := o.Snapshot(); !reflect.DeepEqual(after, before) {
					t.Fatalf("refused %s changed the order:\n got %+v\nwant %+v", a.name, after, before)
				}
			})
		}
	}
}

func TestReasons(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", 600) // 1200 bytes; the 1024-byte cut falls between two runes
	odd := "x" + long                // here the cut falls inside a two-byte rune
	tests := []struct {
		name   string
		from   order.Status
		apply  func(*order.Order) error
		status order.Status
		want   string
	}{
		{"reject keeps reason", order.StatusPending, func(o *order.Order) error { return errOf(o.Reject("insufficient stock: A", t0)) }, order.StatusRejected, "insufficient stock: A"},
		{"reject trims reason", order.StatusPending, func(o *order.Order) error { return errOf(o.Reject("  no stock \n", t0)) }, order.StatusRejected, "no stock"},
		{"reject without reason", order.StatusPending, func(o *order.Order) error { return errOf(o.Reject(" ", t0)) }, order.StatusRejected, "rejected"},
		{"cancel pending keeps reason", order.StatusPending, func(o *order.Order) error { return errOf(o.Cancel("changed my mind", t0)) }, order.StatusCancelled, "changed my mind"},
		{"cancel confirmed keeps reason", order.StatusConfirmed, func(o *order.Order) error { return errOf(o.Cancel("too late", t0)) }, order.StatusCancelled, "too late"},
		{"cancel without reason", order.StatusPending, func(o *order.Order) error { return errOf(o.Cancel("", t0)) }, order.StatusCancelled, "cancelled by request"},
		{"confirm has no reason", order.StatusPending, func(o *order.Order) error { return errOf(o.Confirm(t0)) }, order.StatusConfirmed, ""},
		{"ship has no reason", order.StatusConfirmed, func(o *order.Order) error { return errOf(o.Ship(t0)) }, order.StatusShipped, ""},
		{"long reason bounded", order.StatusPending, func(o *order.Order) error { return errOf(o.Reject(long, t0)) }, order.StatusRejected, strings.Repeat("é", 512)},
		{"long reason cut inside a rune stays UTF-8", order.StatusPending, func(o *order.Order) error { return errOf(o.Reject(odd, t0)) }, order.StatusRejected, "x" + strings.Repeat("é", 511)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o := inStatus(t, tt.from)
			if err := tt.apply(o); err != nil {
				t.Fatal(err)
			}
			if o.Status() != tt.status || o.Reason() != tt.want {
				t.Fatalf("status %s reason %q, want %s %q", o.Status(), o.Reason(), tt.status, tt.want)
			}
			if !utf8.ValidString(o.Reason()) || len(o.Reason()) > 1024 {
				t.Fatalf("reason of %d bytes, valid UTF-8 %v", len(o.Reason()), utf8.ValidString(o.Reason()))
			}
		})
	}
}

func TestVersionAndTimeOverALifeCycle(t *testing.T) {
	t.Parallel()
	o := mustNew(t)
	steps := []func() error{
		func() error { return errOf(o.Confirm(t0.Add(time.Minute))) },
		func() error { return errOf(o.Ship(t0.Add(-time.Hour))) }, // a clock running behind never moves updatedAt back
	}
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if o.Version() != i+2 {
			t.Fatalf("after step %d version %d, want %d", i, o.Version(), i+2)
		}
	}
	if !o.UpdatedAt().Equal(t0.Add(time.Minute)) {
		t.Fatalf("updatedAt %v moved backwards", o.UpdatedAt())
	}
	if err := errOf(o.Cancel("", t0.Add(time.Hour))); err == nil {
		t.Fatal("cancel of a shipped order allowed")
	}
	if o.Version() != 3 {
		t.Fatalf("refused change bumped the version to %d", o.Version())
	}
}

func TestSnapshotRoundTrip(t *testing.T) {
	t.Parallel()
	for _, s := range allStatuses {
		t.Run(string(s), func(t *testing.T) {
			t.Parallel()
			o := inStatus(t, s)
			snap := o.Snapshot()
			back := order.FromSnapshot(snap)
			if !reflect.DeepEqual(back.Snapshot(), snap) {
				t.Fatalf("round trip:\n got %+v\nwant %+v", back.Snapshot(), snap)
			}
			if !reflect.DeepEqual(back.StatusEvent(), o.StatusEvent()) {
				t.Fatalf("events differ after round trip")
			}
			// Neither side aliases the other's lines.
			snap.Lines[0].Quantity = 999
			if back.Lines()[0].Quantity == 999 || o.Lines()[0].Quantity == 999 {
				t.Fatal("snapshot lines are aliased")
			}
		})
	}
	snap := order.Snapshot{ID: "x", CustomerID: "c", Lines: []order.Line{{SKU: "A", Quantity: 1}}, Status: order.StatusConfirmed, Reason: "r", Version: 7, CreatedAt: t0, UpdatedAt: t0.Add(time.Second)}
	if got := order.FromSnapshot(snap).Snapshot(); !reflect.DeepEqual(got, snap) {
		t.Fatalf("FromSnapshot(%+v).Snapshot() = %+v", snap, got)
	}
}

func TestEventPerStatus(t *testing.T) {
	t.Parallel()
	items := []order.Line{{SKU: "A", Quantity: 2}, {SKU: "B", Quantity: 1}}
	for _, s := range allStatuses {
		t.Run(string(s), func(t *testing.T) {
			t.Parallel()
			o := inStatus(t, s)
			h := order.Header{OrderID: "o-1", Version: o.Version(), OccurredAt: o.UpdatedAt()}
			var want any
			switch s {
			case order.StatusPending:
				want = order.OrderPlaced{Header: h, CustomerID: "c-1", Items: items}
			case order.StatusConfirmed:
				want = order.OrderConfirmed{Header: h}
			case order.StatusRejected:
				want = order.OrderRejected{Header: h, Reason: "no stock"}
			case order.StatusCancelled:
				want = order.OrderCancelled{Header: h, Reason: "changed my mind"}
			case order.StatusShipped:
				want = order.OrderShipped{Header: h}
			}
			if got := o.StatusEvent(); !reflect.DeepEqual(got, want) {
				t.Fatalf("Event() = %#v\nwant %#v", got, want)
			}
			if h.PartitionKey() != "o-1" {
				t.Fatalf("partition key %q", h.PartitionKey())
			}
		})
	}
}

func TestMessageNamesAreExplicitAndVersioned(t *testing.T) {
	t.Parallel()
	type named interface{ MessageName() string }
	tests := []struct {
		m    named
		want string
	}{
		{order.OrderPlaced{}, "orders.OrderPlaced.v1"},
		{order.OrderConfirmed{}, "orders.OrderConfirmed.v1"},
		{order.OrderRejected{}, "orders.OrderRejected.v1"},
		{order.OrderCancelled{}, "orders.OrderCancelled.v1"},
		{order.OrderShipped{}, "orders.OrderShipped.v1"},
		{order.OrderCommandRefused{}, "orders.OrderCommandRefused.v1"},
	}
	for _, tt := range tests {
		if got := tt.m.MessageName(); got != tt.want {
			t.Errorf("%T.MessageName() = %q, want %q", tt.m, got, tt.want)
		}
	}
	if k := (order.OrderCommandRefused{OrderID: "o-9"}).PartitionKey(); k != "o-9" {
		t.Errorf("OrderCommandRefused partition key %q", k)
	}
}

func TestSameAs(t *testing.T) {
	t.Parallel()
	o := mustNew(t)
	tests := []struct {
		name  string
		cust  string
		lines []order.Line
		want  bool
	}{
		{"same", "c-1", []order.Line{{SKU: "A", Quantity: 2}, {SKU: "B", Quantity: 1}}, true},
		{"other customer", "c-2", []order.Line{{SKU: "A", Quantity: 2}, {SKU: "B", Quantity: 1}}, false},
		{"other quantity", "c-1", []order.Line{{SKU: "A", Quantity: 3}, {SKU: "B", Quantity: 1}}, false},
		{"fewer lines", "c-1", []order.Line{{SKU: "A", Quantity: 2}}, false},
		{"more lines", "c-1", []order.Line{{SKU: "A", Quantity: 2}, {SKU: "B", Quantity: 1}, {SKU: "C", Quantity: 1}}, false},
		{"other sku", "c-1", []order.Line{{SKU: "A", Quantity: 2}, {SKU: "C", Quantity: 1}}, false},
	}
	for _, tt := range tests {
		if got := o.SameAs(tt.cust, tt.lines); got != tt.want {
			t.Errorf("%s: SameAs = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestStatusHelpers(t *testing.T) {
	t.Parallel()
	final := map[order.Status]bool{order.StatusRejected: true, order.StatusCancelled: true, order.StatusShipped: true}
	for _, s := range allStatuses {
		if s.IsFinal() != final[s] {
			t.Errorf("%s.IsFinal() = %v", s, s.IsFinal())
		}
		got, err := order.ParseStatus(string(s))
		if err != nil || got != s {
			t.Errorf("ParseStatus(%q) = %q, %v", s, got, err)
		}
	}
	for _, bad := range []string{"", "PENDING", "done"} {
		if _, err := order.ParseStatus(bad); err == nil {
			t.Errorf("ParseStatus(%q) accepted", bad)
		}
	}
}

func TestItemsLinesRoundTrip(t *testing.T) {
	t.Parallel()
	ls := []order.Line{{SKU: "A", Quantity: 1}, {SKU: "B", Quantity: 1000}}
	items := ls
	if !reflect.DeepEqual(items, []order.Line{{SKU: "A", Quantity: 1}, {SKU: "B", Quantity: 1000}}) {
		t.Fatalf("items %v", items)
	}
	if back := items; !reflect.DeepEqual(back, ls) {
		t.Fatalf("lines %v", back)
	}
}

// TestValidateSKU pins the SKU alphabet: ASCII letters, digits, '.', '_' and '-', starting
// with a letter or digit, 1 to MaxIDLength bytes, so every SKU has exactly one spelling.
func TestValidateSKU(t *testing.T) {
	t.Parallel()
	tests := []struct {
		sku     string
		wantErr string // "" means valid
	}{
		{"sku-1", ""},
		{"SKU-1", ""},
		{"a", ""},
		{"0", ""},
		{"A.b_c-9", ""},
		{strings.Repeat("s", order.MaxIDLength), ""},
		{"", "sku is required"},
		{strings.Repeat("s", order.MaxIDLength+1), "longer than 128 bytes"},
		{"a b", "contains spaces"},
		{"a\x00", "contains spaces or control characters"},
		{"\xff", "is not valid UTF-8"},
		{"\xfe", "is not valid UTF-8"},
		{"a\xef\xbf", "is not valid UTF-8"},
		{"\ufffd", "must be letters, digits"}, // valid UTF-8, outside the alphabet
		{"caf\u00e9", "must be letters, digits"},
		{"a/b", "must be letters, digits"},
		{"a%41", "must be letters, digits"},
		{"a:b", "must be letters, digits"},
		{".", "starting with a letter or digit"},
		{"..", "starting with a letter or digit"},
		{"-a", "starting with a letter or digit"},
		{"_a", "starting with a letter or digit"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.sku), func(t *testing.T) {
			t.Parallel()
			err := order.ValidateSKU("sku", tt.sku)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("ValidateSKU(%q): %v, want valid", tt.sku, err)
				}
				return
			}
			if err == nil || !errors.Is(err, order.ErrInvalidOrder) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("ValidateSKU(%q) = %v, want an ErrInvalidOrder saying %q", tt.sku, err, tt.wantErr)
			}
			if !utf8.ValidString(err.Error()) {
				t.Errorf("error %q is not valid UTF-8", err)
			}
		})
	}
}

// errOf is the error of a change, whose event the test does not look at.
func errOf[E any](_ E, err error) error { return err }

// Every change returns the event it caused, with the version and time of that change.
func TestChangesReturnTheirEvent(t *testing.T) {
	o, placed, err := order.New("o-1", "c-1", []order.Line{{SKU: "A", Quantity: 2}}, t0)
	if err != nil {
		t.Fatal(err)
	}
	h := func(v int, at time.Time) order.Header {
		return order.Header{OrderID: "o-1", Version: v, OccurredAt: at}
	}
	if want := (order.OrderPlaced{Header: h(1, t0), CustomerID: "c-1", Items: []order.Line{{SKU: "A", Quantity: 2}}}); !reflect.DeepEqual(placed, want) {
		t.Fatalf("placed = %+v, want %+v", placed, want)
	}
	t1, t2 := t0.Add(time.Minute), t0.Add(2*time.Minute)
	confirmed, err := o.Confirm(t1)
	if err != nil || confirmed != (order.OrderConfirmed{Header: h(2, t1)}) {
		t.Fatalf("Confirm = %+v, %v", confirmed, err)
	}
	cancelled, err := o.Cancel(" by customer ", t2)
	if err != nil || cancelled != (order.OrderCancelled{Header: h(3, t2), Reason: "by customer"}) {
		t.Fatalf("Cancel = %+v, %v", cancelled, err)
	}
	if _, err := o.Ship(t2); err == nil {
		t.Fatal("a cancelled order shipped")
	}
	if o.Version() != 3 {
		t.Fatalf("a refused change moved the version to %d", o.Version())
	}
}

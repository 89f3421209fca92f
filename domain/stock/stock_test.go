package stock_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/example/orders-service/domain/order"
	"github.com/example/orders-service/domain/stock"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func levels(ls ...stock.Level) stock.Levels {
	out := make(stock.Levels, len(ls))
	for _, l := range ls {
		out[l.SKU] = &stock.Level{SKU: l.SKU, OnHand: l.OnHand, Reserved: l.Reserved}
	}
	return out
}

func snapshot(ls stock.Levels) map[string]stock.Level {
	out := make(map[string]stock.Level, len(ls))
	for k, v := range ls {
		out[k] = *v
	}
	return out
}

func TestAvailable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		onHand, reserved, want int
	}{
		{0, 0, 0},
		{5, 0, 5},
		{10, 3, 7},
		{3, 3, 0},
		// A count below what is reserved leaves nothing available, never a negative amount.
		{2, 5, 0},
		{0, stock.MaxLevel, 0},
	}
	for _, tt := range tests {
		l := stock.Level{SKU: "A", OnHand: tt.onHand, Reserved: tt.reserved}
		if got := l.Available(); got != tt.want {
			t.Errorf("Available of %+v = %d, want %d", l, got, tt.want)
		}
	}
}

func TestSetOnHand(t *testing.T) {
	t.Parallel()
	tests := []struct {
		qty int
		ok  bool
	}{
		{-1, false}, {0, true}, {1, true}, {stock.MaxLevel, true}, {stock.MaxLevel + 1, false}, {-stock.MaxLevel, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.qty), func(t *testing.T) {
			t.Parallel()
			l := stock.Level{SKU: "A", OnHand: 10, Reserved: 3}
			err := l.SetOnHand(tt.qty)
			if tt.ok {
				if err != nil {
					t.Fatalf("SetOnHand(%d): %v", tt.qty, err)
				}
				if l != (stock.Level{SKU: "A", OnHand: tt.qty, Reserved: 3}) {
					t.Fatalf("level %+v: reservations must stay", l)
				}
				if want := max(0, tt.qty-3); l.Available() != want {
					t.Fatalf("available %d after counting %d with 3 reserved, want %d", l.Available(), tt.qty, want)
				}
				return
			}
			if !errors.Is(err, stock.ErrInvalidLevel) {
				t.Fatalf("SetOnHand(%d) = %v, want ErrInvalidLevel", tt.qty, err)
			}
			if l != (stock.Level{SKU: "A", OnHand: 10, Reserved: 3}) {
				t.Fatalf("refused SetOnHand changed the level: %+v", l)
			}
		})
	}
}

// TestSetOnHandIsIdempotentAcrossReservations is why the level stores on hand: a count
// redelivered after a reservation must not hand the reserved units out again.
func TestSetOnHandIsIdempotentAcrossReservations(t *testing.T) {
	t.Parallel()
	ls := levels(stock.Level{SKU: "A"})
	if err := ls["A"].SetOnHand(5); err != nil {
		t.Fatal(err)
	}
	var r stock.Reservation
	if _, err := r.Reserve("o-1", []order.Line{{SKU: "A", Quantity: 2}}, ls); err != nil || r.Status != stock.ReservationHeld {
		t.Fatalf("Reserve = %v, status %q", err, r.Status)
	}
	if err := ls["A"].SetOnHand(5); err != nil {
		t.Fatal(err)
	}
	if got := *ls["A"]; got != (stock.Level{SKU: "A", OnHand: 5, Reserved: 2}) || got.Available() != 3 {
		t.Fatalf("level after the same count again: %+v available %d, want 5 on hand, 2 reserved, 3 available", got, got.Available())
	}
}

func TestReserve(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		levels     stock.Levels
		lines      []order.Line
		wantStatus stock.ReservationStatus
		wantReason string
		wantLevels map[string]stock.Level
	}{
		{
			name:       "all lines available",
			levels:     levels(stock.Level{SKU: "A", OnHand: 5}, stock.Level{SKU: "B", OnHand: 3, Reserved: 1}),
			lines:      []order.Line{{SKU: "A", Quantity: 5}, {SKU: "B", Quantity: 2}},
			wantStatus: stock.ReservationHeld,
			// Reserving holds units: on hand stays, reserved grows.
			wantLevels: map[string]stock.Level{"A": {SKU: "A", OnHand: 5, Reserved: 5}, "B": {SKU: "B", OnHand: 3, Reserved: 3}},
		},
		{
			name:       "one sku short takes nothing",
			levels:     levels(stock.Level{SKU: "A", OnHand: 5}, stock.Level{SKU: "B", OnHand: 1}),
			lines:      []order.Line{{SKU: "A", Quantity: 3}, {SKU: "B", Quantity: 2}},
			wantStatus: stock.ReservationFailed,
			wantReason: "insufficient stock: B (requested 2, available 1)",
			wantLevels: map[string]stock.Level{"A": {SKU: "A", OnHand: 5}, "B": {SKU: "B", OnHand: 1}},
		},
		{
			name:       "reserved units are not available",
			levels:     levels(stock.Level{SKU: "A", OnHand: 5, Reserved: 4}),
			lines:      []order.Line{{SKU: "A", Quantity: 2}},
			wantStatus: stock.ReservationFailed,
			wantReason: "insufficient stock: A (requested 2, available 1)",
			wantLevels: map[string]stock.Level{"A": {SKU: "A", OnHand: 5, Reserved: 4}},
		},
		{
			name:       "a count below what is reserved has nothing available",
			levels:     levels(stock.Level{SKU: "A", OnHand: 2, Reserved: 5}),
			lines:      []order.Line{{SKU: "A", Quantity: 1}},
			wantStatus: stock.ReservationFailed,
			wantReason: "insufficient stock: A (requested 1, available 0)",
			wantLevels: map[string]stock.Level{"A": {SKU: "A", OnHand: 2, Reserved: 5}},
		},
		{
			name:       "every short sku is named",
			levels:     levels(stock.Level{SKU: "A", OnHand: 1}, stock.Level{SKU: "B", OnHand: 4, Reserved: 3}, stock.Level{SKU: "C", OnHand: 9}),
			lines:      []order.Line{{SKU: "A", Quantity: 2}, {SKU: "C", Quantity: 1}, {SKU: "B", Quantity: 3}},
			wantStatus: stock.ReservationFailed,
			wantReason: "insufficient stock: A (requested 2, available 1), B (requested 3, available 1)",
			wantLevels: map[string]stock.Level{"A": {SKU: "A", OnHand: 1}, "B": {SKU: "B", OnHand: 4, Reserved: 3}, "C": {SKU: "C", OnHand: 9}},
		},
		{
			name:       "sku never stocked counts as zero",
			levels:     levels(stock.Level{SKU: "A", OnHand: 5}),
			lines:      []order.Line{{SKU: "A", Quantity: 1}, {SKU: "Z", Quantity: 1}},
			wantStatus: stock.ReservationFailed,
			wantReason: "insufficient stock: Z (requested 1, available 0)",
			wantLevels: map[string]stock.Level{"A": {SKU: "A", OnHand: 5}, "Z": {SKU: "Z"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var r stock.Reservation
			out, err := r.Reserve("o-1", tt.lines, tt.levels)
			if err != nil || out != stock.Changed {
				t.Fatalf("Reserve = %v, %v; want Changed, nil", out, err)
			}
			if r.OrderID != "o-1" || r.Status != tt.wantStatus || r.Reason != tt.wantReason {
				t.Fatalf("reservation %+v, want status %q reason %q", r, tt.wantStatus, tt.wantReason)
			}
			if !reflect.DeepEqual(r.Lines, tt.lines) {
				t.Fatalf("lines %v, want %v", r.Lines, tt.lines)
			}
			if got := snapshot(tt.levels); !reflect.DeepEqual(got, tt.wantLevels) {
				t.Fatalf("levels %+v, want %+v", got, tt.wantLevels)
			}
			tt.lines[0].Quantity = 999
			if r.Lines[0].Quantity == 999 {
				t.Fatal("reservation aliases the caller's lines")
			}
		})
	}
}

func TestReserveIsIdempotent(t *testing.T) {
	t.Parallel()
	for _, first := range []struct {
		name  string
		avail int
		want  stock.ReservationStatus
	}{{"held", 5, stock.ReservationHeld}, {"failed", 1, stock.ReservationFailed}} {
		t.Run(first.name, func(t *testing.T) {
			t.Parallel()
			ls := levels(stock.Level{SKU: "A", OnHand: first.avail})
			var r stock.Reservation
			if out, err := r.Reserve("o-1", []order.Line{{SKU: "A", Quantity: 2}}, ls); err != nil || out != stock.Changed {
				t.Fatalf("first Reserve = %v, %v", out, err)
			}
			if r.Status != first.want {
				t.Fatalf("status %q, want %q", r.Status, first.want)
			}
			before, levelsBefore := r, snapshot(ls)
			// Redelivered, or even a different request: the stored outcome stands.
			for _, again := range [][]order.Line{{{SKU: "A", Quantity: 2}}, {{SKU: "A", Quantity: 1}}, {{SKU: "A", Quantity: 1}, {SKU: "B", Quantity: 1}}} {
				out, err := r.Reserve("o-1", again, ls)
				if err != nil || out != stock.Unchanged {
					t.Fatalf("second Reserve = %v, %v; want Unchanged, nil", out, err)
				}
			}
			if !reflect.DeepEqual(r, before) || !reflect.DeepEqual(snapshot(ls), levelsBefore) {
				t.Fatalf("second Reserve changed something: %+v %+v", r, snapshot(ls))
			}
		})
	}
}

func TestReserveRejectsInvalidLines(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		lines []order.Line
		want  string
	}{
		{"no lines", nil, "at least one line"},
		{"empty sku", []order.Line{{SKU: "", Quantity: 1}}, "invalid reservation line"},
		{"zero quantity", []order.Line{{SKU: "A", Quantity: 0}}, "invalid reservation line"},
		{"negative quantity", []order.Line{{SKU: "A", Quantity: -3}}, "invalid reservation line"},
		{"duplicate sku", []order.Line{{SKU: "A", Quantity: 1}, {SKU: "A", Quantity: 1}}, "appears twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ls := levels(stock.Level{SKU: "A", OnHand: 10})
			var r stock.Reservation
			_, err := r.Reserve("o-1", tt.lines, ls)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Reserve = %v, want error containing %q", err, tt.want)
			}
			if r.Status != stock.ReservationNone || *ls["A"] != (stock.Level{SKU: "A", OnHand: 10}) {
				t.Fatalf("invalid Reserve changed state: %+v %+v", r, *ls["A"])
			}
		})
	}
}

func TestRelease(t *testing.T) {
	t.Parallel()
	t.Run("held gives back once", func(t *testing.T) {
		t.Parallel()
		ls := levels(stock.Level{SKU: "A", OnHand: 5}, stock.Level{SKU: "B", OnHand: 3})
		var r stock.Reservation
		if _, err := r.Reserve("o-1", []order.Line{{SKU: "A", Quantity: 2}, {SKU: "B", Quantity: 3}}, ls); err != nil {
			t.Fatal(err)
		}
		// Meanwhile the operator records a new count; the release frees only what was held.
		if err := ls["A"].SetOnHand(10); err != nil {
			t.Fatal(err)
		}
		if got := ls["A"].Available(); got != 8 {
			t.Fatalf("available %d with 10 on hand and 2 held, want 8", got)
		}
		if out := r.Release("o-1", ls); out != stock.Changed {
			t.Fatalf("Release = %v, want Changed", out)
		}
		want := map[string]stock.Level{"A": {SKU: "A", OnHand: 10}, "B": {SKU: "B", OnHand: 3}}
		if got := snapshot(ls); !reflect.DeepEqual(got, want) || r.Status != stock.ReservationReleased {
			t.Fatalf("after release %+v status %q", got, r.Status)
		}
		if ls["A"].Available() != 10 || ls["B"].Available() != 3 {
			t.Fatalf("available after release: A %d, B %d; want 10 and 3", ls["A"].Available(), ls["B"].Available())
		}
		if out := r.Release("o-1", ls); out != stock.Unchanged {
			t.Fatalf("second Release = %v, want Unchanged", out)
		}
		if got := snapshot(ls); !reflect.DeepEqual(got, want) {
			t.Fatalf("second release gave back again: %+v", got)
		}
		if out, err := r.Reserve("o-1", []order.Line{{SKU: "A", Quantity: 1}}, ls); err != nil || out != stock.Unchanged {
			t.Fatalf("Reserve after release = %v, %v", out, err)
		}
		if got := snapshot(ls); !reflect.DeepEqual(got, want) {
			t.Fatalf("reserve after release took stock: %+v", got)
		}
	})
	t.Run("after a count below what is held", func(t *testing.T) {
		t.Parallel()
		ls := levels(stock.Level{SKU: "A", OnHand: 5})
		var r stock.Reservation
		if _, err := r.Reserve("o-1", []order.Line{{SKU: "A", Quantity: 4}}, ls); err != nil || r.Status != stock.ReservationHeld {
			t.Fatalf("Reserve = %v, status %q", err, r.Status)
		}
		if err := ls["A"].SetOnHand(2); err != nil {
			t.Fatal(err)
		}
		if *ls["A"] != (stock.Level{SKU: "A", OnHand: 2, Reserved: 4}) || ls["A"].Available() != 0 {
			t.Fatalf("level %+v available %d, want 2 on hand, 4 reserved, 0 available", *ls["A"], ls["A"].Available())
		}
		var other stock.Reservation
		if _, err := other.Reserve("o-2", []order.Line{{SKU: "A", Quantity: 1}}, ls); err != nil || other.Status != stock.ReservationFailed {
			t.Fatalf("Reserve with nothing available = %v, status %q; want failed", err, other.Status)
		}
		if out := r.Release("o-1", ls); out != stock.Changed {
			t.Fatalf("Release = %v, want Changed", out)
		}
		if *ls["A"] != (stock.Level{SKU: "A", OnHand: 2}) || ls["A"].Available() != 2 {
			t.Fatalf("after release %+v available %d, want the 2 counted", *ls["A"], ls["A"].Available())
		}
	})
	t.Run("before reserve leaves a tombstone", func(t *testing.T) {
		t.Parallel()
		ls := levels(stock.Level{SKU: "A", OnHand: 5})
		var r stock.Reservation
		if out := r.Release("o-1", ls); out != stock.Changed {
			t.Fatalf("Release = %v, want Changed", out)
		}
		if r.OrderID != "o-1" || r.Status != stock.ReservationReleased || r.Reason == "" || len(r.Lines) != 0 {
			t.Fatalf("tombstone %+v", r)
		}
		if ev := r.Event(t0); ev != nil {
			t.Fatalf("tombstone announces %#v, want nothing", ev)
		}
		out, err := r.Reserve("o-1", []order.Line{{SKU: "A", Quantity: 2}}, ls)
		if err != nil || out != stock.Unchanged {
			t.Fatalf("late Reserve = %v, %v; want Unchanged", out, err)
		}
		if *ls["A"] != (stock.Level{SKU: "A", OnHand: 5}) || r.Status != stock.ReservationReleased {
			t.Fatalf("late reserve took stock: %+v %+v", *ls["A"], r)
		}
		if ev := r.Event(t0); ev != nil {
			t.Fatalf("tombstone after a late reserve announces %#v, want nothing", ev)
		}
		if out := r.Release("o-1", ls); out != stock.Unchanged {
			t.Fatalf("second Release = %v", out)
		}
	})
	t.Run("failed changes nothing", func(t *testing.T) {
		t.Parallel()
		ls := levels(stock.Level{SKU: "A", OnHand: 5, Reserved: 4})
		var r stock.Reservation
		if _, err := r.Reserve("o-1", []order.Line{{SKU: "A", Quantity: 2}}, ls); err != nil {
			t.Fatal(err)
		}
		before := r
		if out := r.Release("o-1", ls); out != stock.Unchanged {
			t.Fatalf("Release of failed = %v, want Unchanged", out)
		}
		if !reflect.DeepEqual(r, before) || *ls["A"] != (stock.Level{SKU: "A", OnHand: 5, Reserved: 4}) {
			t.Fatalf("release of failed changed state: %+v %+v", r, *ls["A"])
		}
	})
}

// TestNeverNegative runs random reserves, releases and stock counts of many orders over few
// SKUs and checks after every step that nothing goes negative, no unit is created or lost,
// and a reservation is held only when it fit in what was available.
func TestNeverNegative(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	skus := []string{"A", "B", "C"}
	ls := levels(stock.Level{SKU: "A", OnHand: 10}, stock.Level{SKU: "B", OnHand: 5}, stock.Level{SKU: "C", OnHand: 1})
	counted := map[string]int{"A": 10, "B": 5, "C": 1}
	res := make([]stock.Reservation, 40)
	for step := range 3000 {
		i := rng.IntN(len(res))
		id := fmt.Sprint("o-", i)
		switch rng.IntN(5) {
		case 0, 1:
			var lines []order.Line
			for _, s := range skus {
				if rng.IntN(2) == 0 {
					lines = append(lines, order.Line{SKU: s, Quantity: 1 + rng.IntN(4)})
				}
			}
			if len(lines) == 0 {
				lines = []order.Line{{SKU: "A", Quantity: 1}}
			}
			before := snapshot(ls)
			wasNew := res[i].Status == stock.ReservationNone
			if _, err := res[i].Reserve(id, lines, ls); err != nil {
				t.Fatal(err)
			}
			if wasNew && res[i].Status == stock.ReservationHeld {
				for _, l := range lines {
					if b := before[l.SKU]; l.Quantity > b.Available() {
						t.Fatalf("step %d: held %d of %s with only %d available (%+v)", step, l.Quantity, l.SKU, b.Available(), b)
					}
				}
			}
		case 2, 3:
			res[i].Release(id, ls)
		default:
			s := skus[rng.IntN(len(skus))]
			counted[s] = rng.IntN(12)
			if err := ls[s].SetOnHand(counted[s]); err != nil {
				t.Fatal(err)
			}
		}
		held := map[string]int{}
		for _, r := range res {
			if r.Status == stock.ReservationHeld {
				for _, l := range r.Lines {
					held[l.SKU] += l.Quantity
				}
			}
		}
		for _, s := range skus {
			l := ls[s]
			if l.OnHand < 0 || l.Reserved < 0 || l.Available() < 0 {
				t.Fatalf("step %d: negative level %+v available %d", step, *l, l.Available())
			}
			if l.OnHand != counted[s] || l.Reserved != held[s] || l.Available() != max(0, counted[s]-held[s]) {
				t.Fatalf("step %d: level %+v available %d, held %d, counted %d", step, *l, l.Available(), held[s], counted[s])
			}
		}
	}
}

func TestReservationEvent(t *testing.T) {
	t.Parallel()
	lines := []order.Line{{SKU: "A", Quantity: 2}, {SKU: "B", Quantity: 1}}
	items := []order.Line{{SKU: "A", Quantity: 2}, {SKU: "B", Quantity: 1}}
	tests := []struct {
		r    stock.Reservation
		want any
	}{
		{stock.Reservation{OrderID: "o-1"}, nil},
		{stock.Reservation{OrderID: "o-1", Lines: lines, Status: stock.ReservationHeld}, stock.StockReserved{OrderID: "o-1", Items: items, OccurredAt: t0}},
		{stock.Reservation{OrderID: "o-1", Lines: lines, Status: stock.ReservationFailed, Reason: "insufficient"}, stock.StockReservationFailed{OrderID: "o-1", Reason: "insufficient", OccurredAt: t0}},
		{stock.Reservation{OrderID: "o-1", Lines: lines, Status: stock.ReservationReleased}, stock.StockReleased{OrderID: "o-1", Items: items, OccurredAt: t0}},
		{stock.Reservation{OrderID: "o-1", Lines: lines, Status: stock.ReservationShipped}, stock.StockShipped{OrderID: "o-1", Items: items, OccurredAt: t0}},
		// A tombstone (released before it was reserved) holds no lines: nothing to announce.
		{stock.Reservation{OrderID: "o-1", Status: stock.ReservationReleased, Reason: "released before it was reserved"}, nil},
	}
	for _, tt := range tests {
		if got := tt.r.Event(t0); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Event of %q = %#v, want %#v", tt.r.Status, got, tt.want)
		}
	}
}

func TestMessages(t *testing.T) {
	t.Parallel()
	type msg interface {
		MessageName() string
		PartitionKey() string
	}
	tests := []struct {
		m         msg
		name, key string
	}{
		{stock.StockLevelSet{SKU: "A"}, "stock.StockLevelSet.v1", "A"},
		{stock.StockReserved{OrderID: "o"}, "stock.StockReserved.v1", "o"},
		{stock.StockReservationFailed{OrderID: "o"}, "stock.StockReservationFailed.v1", "o"},
		{stock.StockReleased{OrderID: "o"}, "stock.StockReleased.v1", "o"},
		{stock.StockShipped{OrderID: "o"}, "stock.StockShipped.v1", "o"},
	}
	for _, tt := range tests {
		if tt.m.MessageName() != tt.name || tt.m.PartitionKey() != tt.key {
			t.Errorf("%T: %q key %q, want %q key %q", tt.m, tt.m.MessageName(), tt.m.PartitionKey(), tt.name, tt.key)
		}
	}
}

func TestSKUsSortedWithoutTouchingLines(t *testing.T) {
	t.Parallel()
	in := []order.Line{{SKU: "C", Quantity: 1}, {SKU: "A", Quantity: 2}, {SKU: "B", Quantity: 3}}
	if got := stock.SKUs(in); !reflect.DeepEqual(got, []string{"A", "B", "C"}) {
		t.Fatalf("SKUs = %v", got)
	}
	if in[0].SKU != "C" {
		t.Fatal("SKUs reordered the lines")
	}
	if got := stock.SKUs(nil); len(got) != 0 {
		t.Fatalf("SKUs(nil) = %v", got)
	}
}

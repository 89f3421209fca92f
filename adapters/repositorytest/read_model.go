package repositorytest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/example/orders-service/app/query"
	"github.com/example/orders-service/domain/order"
)

// OrderReadModel checks the query.OrderReadModel contract. newRM must return an empty read
// model of its own.
func OrderReadModel(t *testing.T, newRM func(t *testing.T) query.OrderReadModel) {
	t.Helper()

	run(t, "Get of an unknown order returns ErrNotFound", func(t *testing.T) {
		rm := newRM(t)
		if v, err := rm.Get(t.Context(), uniqueID("order")); !errors.Is(err, query.ErrNotFound) {
			t.Fatalf("Get = %+v, %v; want query.ErrNotFound", v, err)
		}
	})

	run(t, "a view round-trips whole through Apply, AddRefusal, Get and List", func(t *testing.T) {
		rm := newRM(t)
		want := filled(t, func(v *query.OrderView) { v.Reason = "ünïcode 'quoted' \"reason\" " + v.Reason })
		if err := rm.Apply(t.Context(), want.ID, want.Version, func(v *query.OrderView) { *v = cloneView(want) }); err != nil {
			t.Fatalf("Apply(%s, %d): %v", want.ID, want.Version, err)
		}
		assertView(t, rm, want)
		r := filled[query.Refusal](t, nil)
		if err := rm.AddRefusal(t.Context(), want.ID, r); err != nil {
			t.Fatalf("AddRefusal: %v", err)
		}
		want.Refusals = append(want.Refusals, r)
		assertView(t, rm, want)
		views, err := rm.List(t.Context(), query.OrderFilter{})
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		assertSame(t, "List", views, []query.OrderView{want})
	})

	run(t, "Apply changes the stored view", func(t *testing.T) {
		rm := newRM(t)
		id := uniqueID("order")
		placed := placedView(id, 0)
		apply(t, rm, placed)
		err := rm.Apply(t.Context(), id, 2, func(v *query.OrderView) {
			if v.CustomerID != placed.CustomerID || v.Version != 1 || !slices.Equal(v.Items, placed.Items) {
				t.Errorf("change got %+v, want the stored view", *v)
			}
			v.Version, v.Status, v.UpdatedAt = 2, order.StatusConfirmed, at(10)
		})
		if err != nil {
			t.Fatal(err)
		}
		want := placed
		want.Version, want.Status, want.UpdatedAt = 2, order.StatusConfirmed, at(10)
		assertView(t, rm, want)
	})

	run(t, "Apply at the stored version or older does nothing", func(t *testing.T) {
		rm := newRM(t)
		id := uniqueID("order")
		placed := placedView(id, 0)
		apply(t, rm, placed)
		confirmed := placed
		confirmed.Version, confirmed.Status, confirmed.UpdatedAt = 3, order.StatusConfirmed, at(10)
		apply(t, rm, confirmed)
		for _, stale := range []int{3, 2, 1} {
			err := rm.Apply(t.Context(), id, stale, func(v *query.OrderView) {
				v.Version, v.Status, v.Reason, v.UpdatedAt = stale, order.StatusCancelled, "stale", at(20)
			})
			if err != nil {
				t.Fatalf("Apply(version %d): %v", stale, err)
			}
			assertView(t, rm, confirmed)
		}
		shipped := confirmed
		shipped.Version, shipped.Status, shipped.UpdatedAt = 4, order.StatusShipped, at(30)
		apply(t, rm, shipped)
		assertView(t, rm, shipped)
	})

	run(t, "AddRefusal records a refusal once, newest last, and Apply keeps them", func(t *testing.T) {
		rm := newRM(t)
		id := uniqueID("order")
		v := placedView(id, 0)
		apply(t, rm, v)
		r1 := query.Refusal{Command: "orders.ShipOrder.v1", Reason: "cannot ship order: it is pending", At: at(1)}
		r2 := query.Refusal{Command: "orders.ShipOrder.v1", Reason: "cannot ship order: it is pending", At: at(2)}
		r3 := query.Refusal{Command: "orders.PlaceOrder.v1", Reason: "order ID already used", At: at(3)}
		for _, r := range []query.Refusal{r1, r1, r2, r1, r3, r2} {
			if err := rm.AddRefusal(t.Context(), id, r); err != nil {
				t.Fatalf("AddRefusal: %v", err)
			}
		}
		v.Refusals = []query.Refusal{r1, r2, r3}
		assertView(t, rm, v)
		v.Version, v.Status = 2, order.StatusConfirmed
		apply(t, rm, v)
		assertView(t, rm, v)
	})

	run(t, "AddRefusal keeps the newest query.MaxRefusals refusals", func(t *testing.T) {
		rm := newRM(t)
		v := placedView(uniqueID("order"), 0)
		apply(t, rm, v)
		const over = 2
		for i := range query.MaxRefusals + over {
			r := query.Refusal{CommandID: fmt.Sprint("msg-", i), Command: "orders.ShipOrder.v1", Reason: "cannot ship", At: at(i)}
			if err := rm.AddRefusal(t.Context(), v.ID, r); err != nil {
				t.Fatalf("AddRefusal: %v", err)
			}
			v.Refusals = append(v.Refusals, r)
		}
		v.Refusals = v.Refusals[over:]
		assertView(t, rm, v)
	})

	run(t, "AddRefusal ignores a refusal of a command message already recorded", func(t *testing.T) {
		rm := newRM(t)
		id := uniqueID("order")
		v := placedView(id, 0)
		apply(t, rm, v)
		r1 := query.Refusal{CommandID: "msg-1", Command: "orders.ShipOrder.v1", Reason: "cannot ship order: it is pending", At: at(1)}
		// The same message handled again later, when the order had moved on: ignored.
		r1Later := query.Refusal{CommandID: "msg-1", Command: "orders.ShipOrder.v1", Reason: "cannot ship order: it is cancelled", At: at(5)}
		// Another message with the same command, refused alike: recorded.
		r2 := query.Refusal{CommandID: "msg-2", Command: r1.Command, Reason: r1.Reason, At: r1.At}
		// Without a CommandID only an identical refusal is ignored.
		r3 := query.Refusal{Command: r1.Command, Reason: r1.Reason, At: at(2)}
		r4 := query.Refusal{Command: r1.Command, Reason: r1.Reason, At: at(3)}
		for _, r := range []query.Refusal{r1, r1Later, r2, r1, r3, r3, r4, r1Later, r2, r4} {
			if err := rm.AddRefusal(t.Context(), id, r); err != nil {
				t.Fatalf("AddRefusal: %v", err)
			}
		}
		v.Refusals = []query.Refusal{r1, r2, r3, r4}
		assertView(t, rm, v)
	})

	run(t, "Get returns a copy", func(t *testing.T) {
		rm := newRM(t)
		want := placedView(uniqueID("order"), 0)
		apply(t, rm, want)
		if err := rm.AddRefusal(t.Context(), want.ID, query.Refusal{Command: "c", Reason: "r", At: at(1)}); err != nil {
			t.Fatal(err)
		}
		want.Refusals = []query.Refusal{{Command: "c", Reason: "r", At: at(1)}}
		got, err := rm.Get(t.Context(), want.ID)
		if err != nil {
			t.Fatal(err)
		}
		got.Items[0].Quantity = 999
		got.Refusals[0].Reason = "changed"
		assertView(t, rm, want)
	})

	run(t, "List returns views newest first, filtered by status, up to the limit", func(t *testing.T) {
		rm := newRM(t)
		statuses := []order.Status{order.StatusPending, order.StatusConfirmed, order.StatusPending, order.StatusRejected, order.StatusPending}
		ids := make([]string, len(statuses))
		stored := make(map[string]query.OrderView) // the newest view applied, by ID
		store := func(v query.OrderView) {
			apply(t, rm, v)
			stored[v.ID] = v
		}
		for i, st := range statuses {
			ids[i] = uniqueID("order")
			v := placedView(ids[i], i)
			store(v)
			if st != order.StatusPending {
				v.Version, v.Status, v.UpdatedAt = 2, st, at(100+i)
				store(v)
			}
		}
		// A later change of the oldest order does not make it newer.
		v := placedView(ids[0], 0)
		v.Version, v.UpdatedAt = 5, at(500)
		store(v)

		tests := []struct {
			f    query.OrderFilter
			want []string
		}{
			{query.OrderFilter{Limit: 10}, []string{ids[4], ids[3], ids[2], ids[1], ids[0]}},
			{query.OrderFilter{Limit: 3}, []string{ids[4], ids[3], ids[2]}},
			{query.OrderFilter{Limit: 1}, []string{ids[4]}},
			{query.OrderFilter{Status: order.StatusPending, Limit: 10}, []string{ids[4], ids[2], ids[0]}},
			{query.OrderFilter{Status: order.StatusPending, Limit: 2}, []string{ids[4], ids[2]}},
			{query.OrderFilter{Status: order.StatusConfirmed, Limit: 10}, []string{ids[1]}},
			{query.OrderFilter{Status: order.StatusShipped, Limit: 10}, nil},
			// A Limit of 0 or less means no limit.
			{query.OrderFilter{}, []string{ids[4], ids[3], ids[2], ids[1], ids[0]}},
			{query.OrderFilter{Limit: -1}, []string{ids[4], ids[3], ids[2], ids[1], ids[0]}},
			{query.OrderFilter{Status: order.StatusPending}, []string{ids[4], ids[2], ids[0]}},
		}
		for _, tt := range tests {
			views, err := rm.List(t.Context(), tt.f)
			if err != nil {
				t.Fatalf("List(%+v): %v", tt.f, err)
			}
			want := make([]query.OrderView, 0, len(tt.want)) // empty, not nil, when none match
			for _, id := range tt.want {
				want = append(want, stored[id])
			}
			assertSame(t, fmt.Sprintf("List(%+v)", tt.f), views, want)
		}
	})

	run(t, "List without a limit returns every view", func(t *testing.T) {
		rm := newRM(t)
		// More than any limit the query side would apply by default or at most.
		const n = query.MaxListLimit + 1
		for i := range n {
			apply(t, rm, placedView(uniqueID("order"), i))
		}
		for _, f := range []query.OrderFilter{{}, {Limit: -1}, {Status: order.StatusPending}} {
			views, err := rm.List(t.Context(), f)
			if err != nil {
				t.Fatalf("List(%+v): %v", f, err)
			}
			if len(views) != n {
				t.Fatalf("List(%+v) returned %d views, want all %d", f, len(views), n)
			}
		}
	})

	run(t, "concurrent Apply of one order keeps the newest version", func(t *testing.T) {
		rm := newRM(t)
		id := uniqueID("order")
		versions := rand.Perm(Concurrency)
		for _, err := range parallel(Concurrency, func(i int) error {
			version := versions[i] + 1
			return rm.Apply(t.Context(), id, version, func(v *query.OrderView) {
				v.ID, v.Version, v.Status, v.Reason = id, version, order.StatusPending, fmt.Sprint("version ", version)
				v.CreatedAt, v.UpdatedAt = at(0), at(version)
			})
		}) {
			t.Errorf("Apply: %v", err)
		}
		v, err := rm.Get(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		if v.Version != Concurrency || v.Reason != fmt.Sprint("version ", Concurrency) {
			t.Fatalf("view at version %d reason %q, want version %d", v.Version, v.Reason, Concurrency)
		}
	})

	// Deliveries of distinct refusals, each several times and all at once: each refusal is
	// recorded once, whichever delivery wins.
	const distinct = 10
	for _, tt := range []struct {
		name     string
		delivery func(i int) query.Refusal // the i-th; i%distinct says of which refusal
		key      func(query.Refusal) string
	}{{
		name: "concurrent AddRefusal records each refusal once",
		delivery: func(i int) query.Refusal {
			return query.Refusal{Command: "orders.ShipOrder.v1", Reason: fmt.Sprint("r", i%distinct), At: at(i % distinct)}
		},
		key: func(r query.Refusal) string { return r.Reason },
	}, {
		name: "concurrent AddRefusal records each command message once",
		// Every delivery of a message is refused at its own time.
		delivery: func(i int) query.Refusal {
			return query.Refusal{CommandID: fmt.Sprint("msg-", i%distinct), Command: "orders.ShipOrder.v1", Reason: "cannot ship", At: at(i)}
		},
		key: func(r query.Refusal) string { return r.CommandID },
	}} {
		run(t, tt.name, func(t *testing.T) {
			rm := newRM(t)
			id := uniqueID("order")
			apply(t, rm, placedView(id, 0))
			for _, err := range parallel(4*distinct, func(i int) error { return rm.AddRefusal(t.Context(), id, tt.delivery(i)) }) {
				t.Errorf("AddRefusal: %v", err)
			}
			v, err := rm.Get(t.Context(), id)
			if err != nil {
				t.Fatal(err)
			}
			seen := make(map[string]int)
			for _, r := range v.Refusals {
				seen[tt.key(r)]++
			}
			if len(v.Refusals) != distinct || len(seen) != distinct {
				t.Fatalf("%d refusals recorded (%v), want one of each of %d", len(v.Refusals), seen, distinct)
			}
		})
	}
}

// placedView is what the projection makes of OrderPlaced for the i-th order of a test.
func placedView(id string, i int) query.OrderView {
	return query.OrderView{
		ID:         id,
		CustomerID: fmt.Sprint("customer-", i),
		Items:      []order.Line{{SKU: "sku-b", Quantity: 2}, {SKU: "sku-a", Quantity: 1000}},
		Status:     order.StatusPending,
		Version:    1,
		CreatedAt:  at(i),
		UpdatedAt:  at(i),
	}
}

// apply stores want, as the projection does: the change sets every field of the event.
func apply(t *testing.T, rm query.OrderReadModel, want query.OrderView) {
	t.Helper()
	err := rm.Apply(t.Context(), want.ID, want.Version, func(v *query.OrderView) {
		refusals := v.Refusals
		*v = cloneView(want)
		v.Refusals = refusals
	})
	if err != nil {
		t.Fatalf("Apply(%s, %d): %v", want.ID, want.Version, err)
	}
}

func assertView(t *testing.T, rm query.OrderReadModel, want query.OrderView) {
	t.Helper()
	got, err := rm.Get(t.Context(), want.ID)
	if err != nil {
		t.Fatalf("Get(%s): %v", want.ID, err)
	}
	assertSame(t, "Get("+want.ID+")", got, want)
}

// cloneView copies v so that what a read model keeps shares nothing with the test's value.
func cloneView(v query.OrderView) query.OrderView {
	v.Items = slices.Clone(v.Items)
	v.Refusals = slices.Clone(v.Refusals)
	return v
}

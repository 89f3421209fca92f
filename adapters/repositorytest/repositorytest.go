// Package repositorytest is the contract every repository and read model implementation
// must pass: the behaviour documented on order.Repository, stock.Repository and
// query.OrderReadModel, checked through those interfaces only. An adapter wires it in its
// own tests:
//
//	func TestOrderRepositoryContract(t *testing.T) {
//		repositorytest.OrderRepository(t, func(t *testing.T) order.Repository { return newRepo(t) })
//	}
//
// The constructors are called once per subtest, and subtests run in parallel. Order and
// stock subtests use IDs unique to the process, so those constructors may return views of
// one shared store. OrderReadModel's listing subtests need a read model that holds no views
// of anyone else, so its constructor must return an empty, isolated read model.
//
// Times are stored with microsecond precision in a non-UTC zone and compared with Equal, so
// a store that keeps instants (PostgreSQL timestamptz) passes.
package repositorytest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/example/orders-service/app/query"
	"github.com/example/orders-service/domain/order"
	"github.com/example/orders-service/domain/stock"
)

// Concurrency is how many goroutines the concurrency subtests start.
const Concurrency = 50

var (
	nonce   = time.Now().UnixNano()
	counter atomic.Int64

	// errRefused is what failing update callbacks return; Update must hand it back.
	errRefused = errors.New("repositorytest: update refused")

	zone = time.FixedZone("UTC+2", 2*60*60)
	// base has microsecond precision, which is what SQL timestamps keep.
	base = time.Date(2026, 3, 1, 12, 30, 45, 123456000, zone)
)

// uniqueID returns an ID no other subtest of this process uses.
func uniqueID(prefix string) string {
	return fmt.Sprintf("%s-%x-%d", prefix, nonce, counter.Add(1))
}

func at(minutes int) time.Time { return base.Add(time.Duration(minutes) * time.Minute) }

// run runs one parallel subtest.
func run(t *testing.T, name string, f func(t *testing.T)) {
	t.Helper()
	t.Run(name, func(t *testing.T) {
		t.Parallel()
		f(t)
	})
}

// parallel runs f(i) for i in 0..n-1 in n goroutines released together, and returns the
// errors they reported.
func parallel(n int, f func(i int) error) []error {
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		errs  = make([]error, n)
	)
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = f(i)
		})
	}
	close(start)
	wg.Wait()
	return slices.DeleteFunc(errs, func(err error) bool { return err == nil })
}

// ---------------------------------------------------------------------------------------
// order.Repository

// OrderRepository checks the order.Repository contract.
func OrderRepository(t *testing.T, newRepo func(t *testing.T) order.Repository) {
	t.Helper()

	run(t, "Get of an unknown id returns ErrNotFound", func(t *testing.T) {
		repo := newRepo(t)
		o, err := repo.Get(t.Context(), uniqueID("order"))
		if !errors.Is(err, order.ErrNotFound) {
			t.Fatalf("Get = %v, %v; want order.ErrNotFound", o, err)
		}
	})

	run(t, "Update of a missing id passes nil and returning nil stores nothing", func(t *testing.T) {
		repo := newRepo(t)
		id := uniqueID("order")
		calls := 0
		err := repo.Update(t.Context(), id, func(current *order.Order) (*order.Order, error) {
			calls++
			if current != nil {
				t.Errorf("Update of a missing id passed %+v, want nil", current.Snapshot())
			}
			return nil, nil
		})
		if err != nil {
			t.Fatalf("Update: %v", err)
		}
		if calls == 0 {
			t.Fatal("Update did not call update")
		}
		if _, err := repo.Get(t.Context(), id); !errors.Is(err, order.ErrNotFound) {
			t.Fatalf("Get after a nil update = %v, want ErrNotFound", err)
		}
	})

	run(t, "stored state round-trips exactly", func(t *testing.T) {
		repo := newRepo(t)
		for i, st := range []order.Status{order.StatusPending, order.StatusConfirmed, order.StatusRejected, order.StatusCancelled, order.StatusShipped} {
			want := order.Snapshot{
				ID:         uniqueID("order"),
				CustomerID: "customer-ü-1",
				Lines:      []order.Line{{SKU: "sku-b", Quantity: 1000}, {SKU: "sku-a", Quantity: 1}, {SKU: "sku-c", Quantity: 7}},
				Status:     st,
				Reason:     fmt.Sprintf("reason «%d»: 'quoted' \"and\" \\ escaped", i),
				Version:    3 + i,
				CreatedAt:  at(0),
				UpdatedAt:  at(90 + i),
			}
			if err := repo.Update(t.Context(), want.ID, func(*order.Order) (*order.Order, error) {
				return order.FromSnapshot(want), nil
			}); err != nil {
				t.Fatalf("Update: %v", err)
			}
			got, err := repo.Get(t.Context(), want.ID)
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			assertSnapshot(t, "Get", got.Snapshot(), want)
			if err := repo.Update(t.Context(), want.ID, func(current *order.Order) (*order.Order, error) {
				if current == nil {
					t.Fatal("Update of a stored order passed nil")
				}
				assertSnapshot(t, "Update", current.Snapshot(), want)
				return nil, nil
			}); err != nil {
				t.Fatalf("Update: %v", err)
			}
		}
	})

	run(t, "Update stores the order update returns", func(t *testing.T) {
		repo := newRepo(t)
		id := storeNewOrder(t, repo)
		if err := repo.Update(t.Context(), id, func(current *order.Order) (*order.Order, error) {
			if err := current.Confirm(at(5)); err != nil {
				return nil, err
			}
			return current, nil
		}); err != nil {
			t.Fatalf("Update: %v", err)
		}
		got := mustGetOrder(t, repo, id)
		if got.Status() != order.StatusConfirmed || got.Version() != 2 || !got.UpdatedAt().Equal(at(5)) {
			t.Fatalf("stored %+v, want confirmed at version 2", got.Snapshot())
		}
	})

	run(t, "returning nil stores nothing, even after changing current", func(t *testing.T) {
		repo := newRepo(t)
		id := storeNewOrder(t, repo)
		want := mustGetOrder(t, repo, id).Snapshot()
		if err := repo.Update(t.Context(), id, func(current *order.Order) (*order.Order, error) {
			if err := current.Confirm(at(5)); err != nil {
				t.Fatal(err)
			}
			return nil, nil
		}); err != nil {
			t.Fatalf("Update: %v", err)
		}
		assertSnapshot(t, "Get", mustGetOrder(t, repo, id).Snapshot(), want)
	})

	run(t, "returning an error stores nothing and Update returns it", func(t *testing.T) {
		repo := newRepo(t)
		id := storeNewOrder(t, repo)
		want := mustGetOrder(t, repo, id).Snapshot()
		err := repo.Update(t.Context(), id, func(current *order.Order) (*order.Order, error) {
			if err := current.Cancel("never stored", at(5)); err != nil {
				t.Fatal(err)
			}
			return current, errRefused
		})
		if !errors.Is(err, errRefused) {
			t.Fatalf("Update = %v, want the update's error", err)
		}
		assertSnapshot(t, "Get", mustGetOrder(t, repo, id).Snapshot(), want)

		missing := uniqueID("order")
		err = repo.Update(t.Context(), missing, func(*order.Order) (*order.Order, error) {
			o, _ := order.New(missing, "c", []order.Line{{SKU: "A", Quantity: 1}}, at(0))
			return o, errRefused
		})
		if !errors.Is(err, errRefused) {
			t.Fatalf("Update = %v, want the update's error", err)
		}
		if _, err := repo.Get(t.Context(), missing); !errors.Is(err, order.ErrNotFound) {
			t.Fatalf("failed Update stored an order: Get = %v", err)
		}
	})

	run(t, "Get returns a copy", func(t *testing.T) {
		repo := newRepo(t)
		id := storeNewOrder(t, repo)
		o := mustGetOrder(t, repo, id)
		want := o.Snapshot()
		if err := o.Confirm(at(5)); err != nil {
			t.Fatal(err)
		}
		assertSnapshot(t, "Get", mustGetOrder(t, repo, id).Snapshot(), want)
	})

	run(t, "orders are stored by id", func(t *testing.T) {
		repo := newRepo(t)
		a, b := storeNewOrder(t, repo), storeNewOrder(t, repo)
		if err := repo.Update(t.Context(), a, func(current *order.Order) (*order.Order, error) {
			return current, current.Reject("no stock", at(3))
		}); err != nil {
			t.Fatal(err)
		}
		if got := mustGetOrder(t, repo, a); got.ID() != a || got.Status() != order.StatusRejected {
			t.Fatalf("order %s: %+v", a, got.Snapshot())
		}
		if got := mustGetOrder(t, repo, b); got.ID() != b || got.Status() != order.StatusPending {
			t.Fatalf("order %s changed with %s: %+v", b, a, got.Snapshot())
		}
	})

	run(t, "concurrent updates of one id never lose an update", func(t *testing.T) {
		repo := newRepo(t)
		id := storeNewOrder(t, repo)
		errs := parallel(Concurrency, func(int) error {
			return repo.Update(t.Context(), id, func(current *order.Order) (*order.Order, error) {
				if current == nil {
					return nil, errors.New("stored order passed as nil")
				}
				s := current.Snapshot()
				s.Version++
				return order.FromSnapshot(s), nil
			})
		})
		for _, err := range errs {
			t.Errorf("Update: %v", err)
		}
		if got := mustGetOrder(t, repo, id).Version(); got != 1+Concurrency {
			t.Fatalf("version %d after %d concurrent increments of 1, want %d", got, Concurrency, 1+Concurrency)
		}
	})

	run(t, "concurrent transitions of one id: exactly one wins", func(t *testing.T) {
		repo := newRepo(t)
		id := storeNewOrder(t, repo)
		var won atomic.Int32
		errs := parallel(Concurrency, func(i int) error {
			var ok bool
			err := repo.Update(t.Context(), id, func(current *order.Order) (*order.Order, error) {
				ok = current.Confirm(at(i)) == nil
				if !ok {
					return nil, nil
				}
				return current, nil
			})
			if err == nil && ok {
				won.Add(1)
			}
			return err
		})
		for _, err := range errs {
			t.Errorf("Update: %v", err)
		}
		if won.Load() != 1 {
			t.Fatalf("%d goroutines confirmed the same pending order, want 1", won.Load())
		}
		if got := mustGetOrder(t, repo, id); got.Version() != 2 || got.Status() != order.StatusConfirmed {
			t.Fatalf("stored %+v", got.Snapshot())
		}
	})
}

func storeNewOrder(t *testing.T, repo order.Repository) string {
	t.Helper()
	id := uniqueID("order")
	o, err := order.New(id, "customer-1", []order.Line{{SKU: "A", Quantity: 2}, {SKU: "B", Quantity: 1}}, at(0))
	if err != nil {
		t.Fatal(err)
	}
	if err := repo.Update(t.Context(), id, func(*order.Order) (*order.Order, error) { return o, nil }); err != nil {
		t.Fatalf("storing %s: %v", id, err)
	}
	return id
}

func mustGetOrder(t *testing.T, repo order.Repository, id string) *order.Order {
	t.Helper()
	o, err := repo.Get(t.Context(), id)
	if err != nil {
		t.Fatalf("Get(%s): %v", id, err)
	}
	return o
}

func assertSnapshot(t *testing.T, what string, got, want order.Snapshot) {
	t.Helper()
	if got.ID != want.ID || got.CustomerID != want.CustomerID || got.Status != want.Status ||
		got.Reason != want.Reason || got.Version != want.Version || !slices.Equal(got.Lines, want.Lines) ||
		!got.CreatedAt.Equal(want.CreatedAt) || !got.UpdatedAt.Equal(want.UpdatedAt) {
		t.Fatalf("%s returned\n %+v\nwant\n %+v", what, got, want)
	}
}

// ---------------------------------------------------------------------------------------
// stock.Repository

// StockRepository checks the stock.Repository contract.
func StockRepository(t *testing.T, newRepo func(t *testing.T) stock.Repository) {
	t.Helper()

	run(t, "a never set sku has zero of everything", func(t *testing.T) {
		repo := newRepo(t)
		sku := uniqueID("sku")
		l, err := repo.Level(t.Context(), sku)
		if err != nil || l.OnHand != 0 || l.Reserved != 0 {
			t.Fatalf("Level = %+v, %v; want zero", l, err)
		}
		if err := repo.UpdateLevel(t.Context(), sku, func(l *stock.Level) error {
			if *l != (stock.Level{SKU: sku}) {
				t.Errorf("UpdateLevel passed %+v, want a zero level carrying its SKU", *l)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	})

	run(t, "UpdateLevel stores the level", func(t *testing.T) {
		repo := newRepo(t)
		sku := uniqueID("sku")
		setLevel(t, repo, sku, 10, 3)
		assertLevel(t, repo, sku, 10, 3)
		if err := repo.UpdateLevel(t.Context(), sku, func(l *stock.Level) error {
			if *l != (stock.Level{SKU: sku, OnHand: 10, Reserved: 3}) {
				t.Errorf("UpdateLevel passed %+v", *l)
			}
			return l.SetOnHand(stock.MaxLevel)
		}); err != nil {
			t.Fatal(err)
		}
		assertLevel(t, repo, sku, stock.MaxLevel, 3)
	})

	run(t, "a level with more reserved than on hand round-trips", func(t *testing.T) {
		// A count below what is reserved is valid: nothing is available until releases.
		repo := newRepo(t)
		sku := uniqueID("sku")
		setLevel(t, repo, sku, 2, 5)
		assertLevel(t, repo, sku, 2, 5)
		if err := repo.UpdateLevel(t.Context(), sku, func(l *stock.Level) error {
			if *l != (stock.Level{SKU: sku, OnHand: 2, Reserved: 5}) || l.Available() != 0 {
				t.Errorf("UpdateLevel passed %+v", *l)
			}
			return l.SetOnHand(0)
		}); err != nil {
			t.Fatal(err)
		}
		assertLevel(t, repo, sku, 0, 5)
	})

	run(t, "failed UpdateLevel stores nothing and returns the error", func(t *testing.T) {
		repo := newRepo(t)
		sku := uniqueID("sku")
		setLevel(t, repo, sku, 10, 3)
		err := repo.UpdateLevel(t.Context(), sku, func(l *stock.Level) error {
			l.OnHand, l.Reserved = 1, 1
			return errRefused
		})
		if !errors.Is(err, errRefused) {
			t.Fatalf("UpdateLevel = %v, want the update's error", err)
		}
		assertLevel(t, repo, sku, 10, 3)
	})

	run(t, "concurrent UpdateLevel of one sku never loses an update", func(t *testing.T) {
		repo := newRepo(t)
		sku := uniqueID("sku")
		errs := parallel(Concurrency, func(int) error {
			return repo.UpdateLevel(t.Context(), sku, func(l *stock.Level) error {
				l.OnHand++
				return nil
			})
		})
		for _, err := range errs {
			t.Errorf("UpdateLevel: %v", err)
		}
		assertLevel(t, repo, sku, Concurrency, 0)
	})

	run(t, "UpdateReservation of a new order passes no reservation and the levels of skus", func(t *testing.T) {
		repo := newRepo(t)
		a, never := uniqueID("sku"), uniqueID("sku")
		setLevel(t, repo, a, 7, 2)
		err := repo.UpdateReservation(t.Context(), uniqueID("order"), []string{a, never}, func(r *stock.Reservation, ls stock.Levels) error {
			if r.Status != stock.ReservationNone || len(r.Lines) != 0 {
				t.Errorf("new order's reservation %+v, want none", *r)
			}
			if l := ls[a]; l == nil || *l != (stock.Level{SKU: a, OnHand: 7, Reserved: 2}) {
				t.Errorf("level of %s: %+v", a, l)
			}
			// A SKU never stocked may be absent or zero.
			if l := ls[never]; l != nil && *l != (stock.Level{SKU: never}) {
				t.Errorf("level of never stocked %s: %+v", never, *l)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})

	run(t, "reservation and levels are stored together and round-trip", func(t *testing.T) {
		repo := newRepo(t)
		a, b := uniqueID("sku"), uniqueID("sku")
		setLevel(t, repo, a, 5, 0)
		setLevel(t, repo, b, 4, 1)
		id := uniqueID("order")
		lines := []order.Line{{SKU: b, Quantity: 3}, {SKU: a, Quantity: 2}}
		reserve(t, repo, id, lines, stock.ReservationHeld)
		assertLevel(t, repo, a, 5, 2)
		assertLevel(t, repo, b, 4, 4)
		want := stock.Reservation{OrderID: id, Lines: lines, Status: stock.ReservationHeld}
		assertReservation(t, repo, id, want)

		failed := uniqueID("order")
		reserve(t, repo, failed, []order.Line{{SKU: a, Quantity: 4}}, stock.ReservationFailed)
		r := readReservation(t, repo, failed, nil)
		if r.Status != stock.ReservationFailed || r.Reason == "" || r.OrderID != failed || !slices.Equal(r.Lines, []order.Line{{SKU: a, Quantity: 4}}) {
			t.Fatalf("failed reservation stored as %+v", r)
		}
		assertLevel(t, repo, a, 5, 2)
	})

	run(t, "UpdateReservation loads the levels of the stored reservation's lines", func(t *testing.T) {
		repo := newRepo(t)
		a, b, c := uniqueID("sku"), uniqueID("sku"), uniqueID("sku")
		setLevel(t, repo, a, 5, 0)
		setLevel(t, repo, b, 5, 0)
		setLevel(t, repo, c, 9, 0)
		id := uniqueID("order")
		reserve(t, repo, id, []order.Line{{SKU: a, Quantity: 2}, {SKU: b, Quantity: 1}}, stock.ReservationHeld)
		// The release names no SKU (or another one): the stored lines say what to load.
		for _, skus := range [][]string{nil, {c}} {
			err := repo.UpdateReservation(t.Context(), id, skus, func(r *stock.Reservation, ls stock.Levels) error {
				for sku, want := range map[string]stock.Level{a: {SKU: a, OnHand: 5, Reserved: 2}, b: {SKU: b, OnHand: 5, Reserved: 1}} {
					if l := ls[sku]; l == nil || *l != want {
						t.Errorf("skus %v: level of %s = %+v, want %+v", skus, sku, l, want)
					}
				}
				if l := ls[c]; skus != nil && (l == nil || *l != (stock.Level{SKU: c, OnHand: 9})) {
					t.Errorf("level of %s = %+v", c, l)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		err := repo.UpdateReservation(t.Context(), id, nil, func(r *stock.Reservation, ls stock.Levels) error {
			if out := r.Release(id, ls); out != stock.Changed {
				return fmt.Errorf("release of a held reservation: %v", out)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		assertLevel(t, repo, a, 5, 0)
		assertLevel(t, repo, b, 5, 0)
		assertReservation(t, repo, id, stock.Reservation{OrderID: id, Lines: []order.Line{{SKU: a, Quantity: 2}, {SKU: b, Quantity: 1}}, Status: stock.ReservationReleased})
	})

	run(t, "a tombstone round-trips", func(t *testing.T) {
		repo := newRepo(t)
		id := uniqueID("order")
		err := repo.UpdateReservation(t.Context(), id, nil, func(r *stock.Reservation, ls stock.Levels) error {
			r.Release(id, ls)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		r := readReservation(t, repo, id, nil)
		if r.Status != stock.ReservationReleased || r.OrderID != id || len(r.Lines) != 0 {
			t.Fatalf("tombstone stored as %+v", r)
		}
	})

	run(t, "failed UpdateReservation stores neither reservation nor levels", func(t *testing.T) {
		repo := newRepo(t)
		a, b := uniqueID("sku"), uniqueID("sku")
		setLevel(t, repo, a, 6, 1)
		id := uniqueID("order")
		err := repo.UpdateReservation(t.Context(), id, []string{a, b}, func(r *stock.Reservation, ls stock.Levels) error {
			if _, err := r.Reserve(id, []order.Line{{SKU: a, Quantity: 2}}, ls); err != nil {
				t.Fatal(err)
			}
			if l := ls[b]; l != nil {
				l.OnHand = 100
			}
			return errRefused
		})
		if !errors.Is(err, errRefused) {
			t.Fatalf("UpdateReservation = %v, want the update's error", err)
		}
		assertLevel(t, repo, a, 6, 1)
		assertLevel(t, repo, b, 0, 0)
		if r := readReservation(t, repo, id, nil); r.Status != stock.ReservationNone {
			t.Fatalf("failed update stored reservation %+v", r)
		}

		// Also when a reservation was already stored.
		reserve(t, repo, id, []order.Line{{SKU: a, Quantity: 1}}, stock.ReservationHeld)
		err = repo.UpdateReservation(t.Context(), id, nil, func(r *stock.Reservation, ls stock.Levels) error {
			r.Release(id, ls)
			return errRefused
		})
		if !errors.Is(err, errRefused) {
			t.Fatalf("UpdateReservation = %v, want the update's error", err)
		}
		assertLevel(t, repo, a, 6, 2)
		assertReservation(t, repo, id, stock.Reservation{OrderID: id, Lines: []order.Line{{SKU: a, Quantity: 1}}, Status: stock.ReservationHeld})
	})

	run(t, "concurrent reservations on overlapping skus never oversell", func(t *testing.T) {
		repo := newRepo(t)
		skus := []string{uniqueID("sku"), uniqueID("sku"), uniqueID("sku")}
		initial := []int{30, 20, 10}
		for i, sku := range skus {
			setLevel(t, repo, sku, initial[i], 0)
		}
		// Order i wants one of two SKUs and, every other order, 2 of the third: demand well
		// above supply on every SKU, in every lock order.
		linesOf := func(i int) []order.Line {
			ls := []order.Line{{SKU: skus[i%3], Quantity: 1}, {SKU: skus[(i+1)%3], Quantity: 1}}
			if i%2 == 0 {
				ls = append(ls, order.Line{SKU: skus[(i+2)%3], Quantity: 2})
			}
			rand.Shuffle(len(ls), func(a, b int) { ls[a], ls[b] = ls[b], ls[a] })
			return ls
		}
		ids := make([]string, 3*Concurrency)
		for i := range ids {
			ids[i] = uniqueID("order")
		}
		reserveAll := func(i int) error {
			lines := linesOf(i)
			return repo.UpdateReservation(t.Context(), ids[i], stock.SKUs(lines), func(r *stock.Reservation, ls stock.Levels) error {
				_, err := r.Reserve(ids[i], lines, ls)
				return err
			})
		}
		for _, err := range parallel(len(ids), reserveAll) {
			t.Errorf("UpdateReservation: %v", err)
		}
		held := make(map[string]int)
		var holders []string
		for _, id := range ids {
			r := readReservation(t, repo, id, nil)
			switch r.Status {
			case stock.ReservationHeld:
				holders = append(holders, id)
				for _, l := range r.Lines {
					held[l.SKU] += l.Quantity
				}
			case stock.ReservationFailed:
			default:
				t.Fatalf("reservation of %s stored as %+v", id, r)
			}
		}
		if len(holders) == 0 || len(holders) == len(ids) {
			t.Fatalf("%d of %d reservations held; the test expects some to fail", len(holders), len(ids))
		}
		for i, sku := range skus {
			if held[sku] > initial[i] {
				t.Errorf("%d of %s held, only %d on hand", held[sku], sku, initial[i])
			}
			assertLevel(t, repo, sku, initial[i], held[sku])
		}

		// Releasing concurrently, naming no SKU, gives everything back.
		for _, err := range parallel(len(holders), func(i int) error {
			return repo.UpdateReservation(t.Context(), holders[i], nil, func(r *stock.Reservation, ls stock.Levels) error {
				r.Release(holders[i], ls)
				return nil
			})
		}) {
			t.Errorf("UpdateReservation: %v", err)
		}
		for i, sku := range skus {
			assertLevel(t, repo, sku, initial[i], 0)
		}
	})
}

func setLevel(t *testing.T, repo stock.Repository, sku string, onHand, reserved int) {
	t.Helper()
	if err := repo.UpdateLevel(t.Context(), sku, func(l *stock.Level) error {
		l.OnHand, l.Reserved = onHand, reserved
		return nil
	}); err != nil {
		t.Fatalf("UpdateLevel(%s): %v", sku, err)
	}
}

func assertLevel(t *testing.T, repo stock.Repository, sku string, onHand, reserved int) {
	t.Helper()
	l, err := repo.Level(t.Context(), sku)
	if err != nil {
		t.Fatalf("Level(%s): %v", sku, err)
	}
	if l.OnHand != onHand || l.Reserved != reserved {
		t.Fatalf("level of %s: %+v, want %d on hand and %d reserved", sku, l, onHand, reserved)
	}
}

func reserve(t *testing.T, repo stock.Repository, id string, lines []order.Line, want stock.ReservationStatus) {
	t.Helper()
	var got stock.ReservationStatus
	err := repo.UpdateReservation(t.Context(), id, stock.SKUs(lines), func(r *stock.Reservation, ls stock.Levels) error {
		_, err := r.Reserve(id, lines, ls)
		got = r.Status
		return err
	})
	if err != nil {
		t.Fatalf("reserving for %s: %v", id, err)
	}
	if got != want {
		t.Fatalf("reservation of %s is %q, want %q", id, got, want)
	}
}

// readReservation returns the stored reservation through a read-only update.
func readReservation(t *testing.T, repo stock.Repository, id string, skus []string) stock.Reservation {
	t.Helper()
	var got stock.Reservation
	if err := repo.UpdateReservation(t.Context(), id, skus, func(r *stock.Reservation, _ stock.Levels) error {
		got = *r
		got.Lines = slices.Clone(r.Lines)
		return nil
	}); err != nil {
		t.Fatalf("reading reservation of %s: %v", id, err)
	}
	return got
}

func assertReservation(t *testing.T, repo stock.Repository, id string, want stock.Reservation) {
	t.Helper()
	got := readReservation(t, repo, id, nil)
	if got.OrderID != want.OrderID || got.Status != want.Status || got.Reason != want.Reason || !slices.Equal(got.Lines, want.Lines) {
		t.Fatalf("reservation of %s is\n %+v\nwant\n %+v", id, got, want)
	}
}

// ---------------------------------------------------------------------------------------
// query.OrderReadModel

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

	run(t, "Apply creates the view and it round-trips", func(t *testing.T) {
		rm := newRM(t)
		want := placedView(uniqueID("order"), 0)
		want.Reason = "ünïcode 'quoted' \"reason\""
		apply(t, rm, want)
		assertView(t, rm, want)
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
		for i, st := range statuses {
			ids[i] = uniqueID("order")
			v := placedView(ids[i], i)
			apply(t, rm, v)
			if st != order.StatusPending {
				v.Version, v.Status, v.UpdatedAt = 2, st, at(100+i)
				apply(t, rm, v)
			}
		}
		// A later change of the oldest order does not make it newer.
		v := placedView(ids[0], 0)
		v.Version, v.UpdatedAt = 5, at(500)
		apply(t, rm, v)

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
			got := make([]string, 0, len(views))
			for _, v := range views {
				got = append(got, v.ID)
				if tt.f.Status != "" && v.Status != tt.f.Status {
					t.Errorf("List(%+v) returned %s with status %s", tt.f, v.ID, v.Status)
				}
			}
			if !slices.Equal(got, tt.want) && !(len(got) == 0 && len(tt.want) == 0) {
				t.Errorf("List(%+v) = %v, want %v", tt.f, got, tt.want)
			}
		}
		views, err := rm.List(t.Context(), query.OrderFilter{Limit: 1})
		if err != nil || len(views) != 1 {
			t.Fatalf("List: %v, %v", views, err)
		}
		want := placedView(ids[4], 4)
		if got := views[0]; got.CustomerID != want.CustomerID || got.Version != 1 || got.Status != order.StatusPending ||
			!slices.Equal(got.Items, want.Items) || !got.CreatedAt.Equal(want.CreatedAt) {
			t.Fatalf("List returned %+v, want %+v", got, want)
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

	run(t, "concurrent AddRefusal records each refusal once", func(t *testing.T) {
		rm := newRM(t)
		id := uniqueID("order")
		apply(t, rm, placedView(id, 0))
		const distinct = 10
		for _, err := range parallel(4*distinct, func(i int) error {
			return rm.AddRefusal(t.Context(), id, query.Refusal{Command: "orders.ShipOrder.v1", Reason: fmt.Sprint("r", i%distinct), At: at(i % distinct)})
		}) {
			t.Errorf("AddRefusal: %v", err)
		}
		v, err := rm.Get(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		seen := make(map[string]int)
		for _, r := range v.Refusals {
			seen[r.Reason]++
		}
		if len(v.Refusals) != distinct || len(seen) != distinct {
			t.Fatalf("%d refusals recorded (%v), want %d distinct", len(v.Refusals), seen, distinct)
		}
	})

	run(t, "concurrent AddRefusal records each command message once", func(t *testing.T) {
		rm := newRM(t)
		id := uniqueID("order")
		apply(t, rm, placedView(id, 0))
		const distinct = 10
		// Every delivery of a message is refused at its own time.
		for _, err := range parallel(4*distinct, func(i int) error {
			return rm.AddRefusal(t.Context(), id, query.Refusal{
				CommandID: fmt.Sprint("msg-", i%distinct), Command: "orders.ShipOrder.v1", Reason: "cannot ship", At: at(i),
			})
		}) {
			t.Errorf("AddRefusal: %v", err)
		}
		v, err := rm.Get(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		seen := make(map[string]int)
		for _, r := range v.Refusals {
			seen[r.CommandID]++
		}
		if len(v.Refusals) != distinct || len(seen) != distinct {
			t.Fatalf("%d refusals recorded (%v), want one per message, %d", len(v.Refusals), seen, distinct)
		}
	})
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
		*v = want
		v.Items = slices.Clone(want.Items)
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
	same := got.ID == want.ID && got.CustomerID == want.CustomerID && got.Status == want.Status &&
		got.Reason == want.Reason && got.Version == want.Version && slices.Equal(got.Items, want.Items) &&
		got.CreatedAt.Equal(want.CreatedAt) && got.UpdatedAt.Equal(want.UpdatedAt) && len(got.Refusals) == len(want.Refusals)
	for i := 0; same && i < len(want.Refusals); i++ {
		g, w := got.Refusals[i], want.Refusals[i]
		same = g.CommandID == w.CommandID && g.Command == w.Command && g.Reason == w.Reason && g.At.Equal(w.At)
	}
	if !same {
		t.Fatalf("Get(%s) =\n %+v\nwant\n %+v", want.ID, got, want)
	}
}

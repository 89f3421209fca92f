package repositorytest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/example/orders-service/domain/order"
	"github.com/example/orders-service/domain/stock"
)

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

	run(t, "a level round-trips whole", func(t *testing.T) {
		repo := newRepo(t)
		want := filled[stock.Level](t, nil)
		if err := repo.UpdateLevel(t.Context(), want.SKU, func(l *stock.Level) error {
			*l = want
			return nil
		}); err != nil {
			t.Fatalf("UpdateLevel(%s): %v", want.SKU, err)
		}
		got, err := repo.Level(t.Context(), want.SKU)
		if err != nil {
			t.Fatalf("Level(%s): %v", want.SKU, err)
		}
		assertSame(t, "Level", got, want)
		if err := repo.UpdateLevel(t.Context(), want.SKU, func(l *stock.Level) error {
			assertSame(t, "UpdateLevel", *l, want)
			return nil
		}); err != nil {
			t.Fatalf("UpdateLevel(%s): %v", want.SKU, err)
		}
		if err := repo.UpdateReservation(t.Context(), uniqueID("order"), []string{want.SKU}, func(_ *stock.Reservation, ls stock.Levels) error {
			assertSame(t, "UpdateReservation's levels", ls, stock.Levels{want.SKU: &want})
			return nil
		}); err != nil {
			t.Fatalf("UpdateReservation: %v", err)
		}
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
		made := reserve(t, repo, failed, []order.Line{{SKU: a, Quantity: 4}}, stock.ReservationFailed)
		if made.Reason == "" {
			t.Fatalf("a failed reservation without a reason: %+v", made)
		}
		assertReservation(t, repo, failed, made)
		assertLevel(t, repo, a, 5, 2)
	})

	run(t, "a reservation round-trips whole", func(t *testing.T) {
		repo := newRepo(t)
		for _, st := range []stock.ReservationStatus{stock.ReservationHeld, stock.ReservationFailed, stock.ReservationReleased, stock.ReservationShipped} {
			want := filled(t, func(r *stock.Reservation) { r.Status = st })
			// The lines' levels are named, as the contract asks of a change that holds them.
			err := repo.UpdateReservation(t.Context(), want.OrderID, stock.SKUs(want.Lines), func(r *stock.Reservation, _ stock.Levels) error {
				*r = want
				r.Lines = slices.Clone(want.Lines)
				return nil
			})
			if err != nil {
				t.Fatalf("UpdateReservation(%s): %v", want.OrderID, err)
			}
			assertReservation(t, repo, want.OrderID, want)
		}
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
		var want stock.Reservation
		err := repo.UpdateReservation(t.Context(), id, nil, func(r *stock.Reservation, ls stock.Levels) error {
			r.Release(id, ls)
			want = *r
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if want.Status != stock.ReservationReleased || len(want.Lines) != 0 {
			t.Fatalf("releasing before reserving made %+v, want a tombstone", want)
		}
		assertReservation(t, repo, id, want)
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
	assertSame(t, "Level("+sku+")", l, stock.Level{SKU: sku, OnHand: onHand, Reserved: reserved})
}

// reserve reserves lines for order id, as the reserving handler does, and returns the
// reservation it made.
func reserve(t *testing.T, repo stock.Repository, id string, lines []order.Line, want stock.ReservationStatus) stock.Reservation {
	t.Helper()
	var made stock.Reservation
	err := repo.UpdateReservation(t.Context(), id, stock.SKUs(lines), func(r *stock.Reservation, ls stock.Levels) error {
		_, err := r.Reserve(id, lines, ls)
		made = *r
		made.Lines = slices.Clone(r.Lines)
		return err
	})
	if err != nil {
		t.Fatalf("reserving for %s: %v", id, err)
	}
	if made.Status != want {
		t.Fatalf("reservation of %s is %q, want %q", id, made.Status, want)
	}
	return made
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
	assertSame(t, "reservation of "+id, readReservation(t, repo, id, nil), want)
}

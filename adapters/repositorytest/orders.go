package repositorytest

import (
	"errors"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/example/orders-service/domain/order"
)

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

	run(t, "stored state round-trips whole", func(t *testing.T) {
		repo := newRepo(t)
		for i, st := range []order.Status{order.StatusPending, order.StatusConfirmed, order.StatusRejected, order.StatusCancelled, order.StatusShipped} {
			want := filled(t, func(s *order.Snapshot) {
				s.Status = st
				// Text a column must keep as it is, and lines out of order (kept as given).
				s.CustomerID = "customer-ü-" + s.CustomerID
				s.Reason = fmt.Sprintf("reason «%d»: 'quoted' \"and\" \\ escaped %s", i, s.Reason)
				s.Lines = append([]order.Line{{SKU: "sku-z", Quantity: 1000}}, s.Lines...)
			})
			if err := repo.Update(t.Context(), want.ID, func(*order.Order) (*order.Order, error) {
				return order.FromSnapshot(want), nil
			}); err != nil {
				t.Fatalf("Update: %v", err)
			}
			assertStored(t, repo, want)
			if err := repo.Update(t.Context(), want.ID, func(current *order.Order) (*order.Order, error) {
				if current == nil {
					t.Fatal("Update of a stored order passed nil")
				}
				assertSame(t, "Update", current.Snapshot(), want)
				return nil, nil
			}); err != nil {
				t.Fatalf("Update: %v", err)
			}
		}
	})

	run(t, "Update stores the order update returns", func(t *testing.T) {
		repo := newRepo(t)
		id := storeNewOrder(t, repo).ID
		var want order.Snapshot
		if err := repo.Update(t.Context(), id, func(current *order.Order) (*order.Order, error) {
			if _, err := current.Confirm(at(5)); err != nil {
				return nil, err
			}
			want = current.Snapshot()
			return current, nil
		}); err != nil {
			t.Fatalf("Update: %v", err)
		}
		if want.Status != order.StatusConfirmed || want.Version != 2 {
			t.Fatalf("confirming a new order made %+v, want confirmed at version 2", want)
		}
		assertStored(t, repo, want)
	})

	run(t, "returning nil stores nothing, even after changing current", func(t *testing.T) {
		repo := newRepo(t)
		want := storeNewOrder(t, repo)
		if err := repo.Update(t.Context(), want.ID, func(current *order.Order) (*order.Order, error) {
			if _, err := current.Confirm(at(5)); err != nil {
				t.Fatal(err)
			}
			return nil, nil
		}); err != nil {
			t.Fatalf("Update: %v", err)
		}
		assertStored(t, repo, want)
	})

	run(t, "returning an error stores nothing and Update returns it", func(t *testing.T) {
		repo := newRepo(t)
		want := storeNewOrder(t, repo)
		err := repo.Update(t.Context(), want.ID, func(current *order.Order) (*order.Order, error) {
			if _, err := current.Cancel("never stored", at(5)); err != nil {
				t.Fatal(err)
			}
			return current, errRefused
		})
		if !errors.Is(err, errRefused) {
			t.Fatalf("Update = %v, want the update's error", err)
		}
		assertStored(t, repo, want)

		missing := uniqueID("order")
		err = repo.Update(t.Context(), missing, func(*order.Order) (*order.Order, error) {
			o, _, _ := order.New(missing, "c", []order.Line{{SKU: "A", Quantity: 1}}, at(0))
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
		want := storeNewOrder(t, repo)
		o := mustGetOrder(t, repo, want.ID)
		if _, err := o.Confirm(at(5)); err != nil {
			t.Fatal(err)
		}
		assertStored(t, repo, want)
	})

	run(t, "orders are stored by id", func(t *testing.T) {
		repo := newRepo(t)
		a, b := storeNewOrder(t, repo).ID, storeNewOrder(t, repo)
		var rejected order.Snapshot
		if err := repo.Update(t.Context(), a, func(current *order.Order) (*order.Order, error) {
			_, err := current.Reject("no stock", at(3))
			rejected = current.Snapshot()
			return current, err
		}); err != nil {
			t.Fatal(err)
		}
		assertStored(t, repo, rejected)
		assertStored(t, repo, b) // unchanged by the change of the other
	})

	run(t, "concurrent updates of one id never lose an update", func(t *testing.T) {
		repo := newRepo(t)
		id := storeNewOrder(t, repo).ID
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
		id := storeNewOrder(t, repo).ID
		var won atomic.Int32
		errs := parallel(Concurrency, func(i int) error {
			var ok bool
			err := repo.Update(t.Context(), id, func(current *order.Order) (*order.Order, error) {
				_, err := current.Confirm(at(i))
				ok = err == nil
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

// storeNewOrder stores an order as placing one does, and returns what it stored.
func storeNewOrder(t *testing.T, repo order.Repository) order.Snapshot {
	t.Helper()
	id := uniqueID("order")
	o, _, err := order.New(id, "customer-1", []order.Line{{SKU: "A", Quantity: 2}, {SKU: "B", Quantity: 1}}, at(0))
	if err != nil {
		t.Fatal(err)
	}
	if err := repo.Update(t.Context(), id, func(*order.Order) (*order.Order, error) { return o, nil }); err != nil {
		t.Fatalf("storing %s: %v", id, err)
	}
	return o.Snapshot()
}

// assertStored checks that Get returns want, whole.
func assertStored(t *testing.T, repo order.Repository, want order.Snapshot) {
	t.Helper()
	assertSame(t, "Get("+want.ID+")", mustGetOrder(t, repo, want.ID).Snapshot(), want)
}

func mustGetOrder(t *testing.T, repo order.Repository, id string) *order.Order {
	t.Helper()
	o, err := repo.Get(t.Context(), id)
	if err != nil {
		t.Fatalf("Get(%s): %v", id, err)
	}
	return o
}

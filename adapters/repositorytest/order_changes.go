package repositorytest

import (
	"testing"
	"time"

	"github.com/example/orders-service/app/query"
	"github.com/example/orders-service/domain/order"
)

// SignalTimeout bounds how long OrderChanges waits for a signal that must come.
const SignalTimeout = 10 * time.Second

// OrderChanges checks the query.OrderChanges contract of an adapter together with its read
// model: a change of a view (committed, where there are transactions) signals the waiters
// of that order; what leaves the view as it was signals nobody. newPair returns a read
// model and the OrderChanges that reports its changes, ready: a change made once it
// returned must signal.
//
// Signals may be delivered asynchronously (PostgreSQL notifications are), but in the order
// of the changes. So a test knows every earlier signal was delivered once a change of a
// fresh order signals its own waiter (settle): that is how a waiter subscribes after the
// signals of earlier changes, and how a signal that must not come is checked without
// sleeping.
func OrderChanges(t *testing.T, newPair func(t *testing.T) (query.OrderReadModel, query.OrderChanges)) {
	t.Helper()

	run(t, "creating a view signals every waiter of the order", func(t *testing.T) {
		rm, changes := newPair(t)
		id := uniqueID("order")
		a, releaseA := changes.Changed(id)
		defer releaseA()
		b, releaseB := changes.Changed(id)
		defer releaseB()
		apply(t, rm, placedView(id, 0))
		signalled(t, a, "first waiter")
		signalled(t, b, "second waiter")
	})

	run(t, "a newer version signals, and so does a recorded refusal", func(t *testing.T) {
		rm, changes := newPair(t)
		id := uniqueID("order")
		v := placedView(id, 0)
		apply(t, rm, v)

		settle(t, rm, changes)
		ch, release := changes.Changed(id)
		defer release()
		v.Version, v.Status = 2, order.StatusConfirmed
		apply(t, rm, v)
		signalled(t, ch, "after a newer version")

		settle(t, rm, changes)
		ch, release = changes.Changed(id)
		defer release()
		if err := rm.AddRefusal(t.Context(), id, query.Refusal{Command: "orders.PlaceOrder.v1", Reason: "order ID already used", At: at(5)}); err != nil {
			t.Fatal(err)
		}
		signalled(t, ch, "after a refusal")
	})

	run(t, "what leaves the view as it was signals nobody", func(t *testing.T) {
		rm, changes := newPair(t)
		id := uniqueID("order")
		v := placedView(id, 0)
		v.Version = 2
		apply(t, rm, v)
		r := query.Refusal{CommandID: uniqueID("cmd"), Command: "orders.ShipOrder.v1", Reason: "cannot ship order: it is pending", At: at(3)}
		if err := rm.AddRefusal(t.Context(), id, r); err != nil {
			t.Fatal(err)
		}

		settle(t, rm, changes)
		ch, release := changes.Changed(id)
		defer release()
		for _, version := range []int{2, 1} { // the stored version, an older one
			if err := rm.Apply(t.Context(), id, version, func(v *query.OrderView) { v.Version, v.Status = version, order.StatusCancelled }); err != nil {
				t.Fatal(err)
			}
		}
		if err := rm.AddRefusal(t.Context(), id, r); err != nil { // recorded before
			t.Fatal(err)
		}
		apply(t, rm, placedView(uniqueID("other-order"), 1))
		notSignalled(t, rm, changes, ch, "by changes that changed nothing, or changed another order")
	})

	run(t, "a refusal of an order without a view signals nobody", func(t *testing.T) {
		rm, changes := newPair(t)
		id := uniqueID("order")
		ch, release := changes.Changed(id)
		defer release()
		if err := rm.AddRefusal(t.Context(), id, query.Refusal{Command: "orders.ShipOrder.v1", Reason: "no such order", At: at(1)}); err != nil {
			t.Fatal(err)
		}
		notSignalled(t, rm, changes, ch, "by a refusal the read model dropped")
	})

	run(t, "a released waiter is not signalled; release is idempotent", func(t *testing.T) {
		rm, changes := newPair(t)
		id := uniqueID("order")
		released, release := changes.Changed(id)
		kept, releaseKept := changes.Changed(id)
		release()
		release()
		apply(t, rm, placedView(id, 0))
		signalled(t, kept, "the waiter that stayed")
		releaseKept() // after the signal
		releaseKept()
		notSignalled(t, rm, changes, released, "after its release")
	})

	run(t, "a signal is one-shot: waiting again waits for the next change", func(t *testing.T) {
		rm, changes := newPair(t)
		id := uniqueID("order")
		v := placedView(id, 0)
		ch, release := changes.Changed(id)
		defer release()
		apply(t, rm, v)
		signalled(t, ch, "after the first change")

		settle(t, rm, changes)
		ch, release = changes.Changed(id)
		defer release()
		notSignalled(t, rm, changes, ch, "before the second change")
		v.Version = 2
		apply(t, rm, v)
		signalled(t, ch, "after the second change")
	})
}

func signalled(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(SignalTimeout):
		t.Fatalf("no signal %s within %s", what, SignalTimeout)
	}
}

// settle returns once every signal of the changes made so far has been delivered: it
// changes a fresh order and waits for that signal.
func settle(t *testing.T, rm query.OrderReadModel, changes query.OrderChanges) {
	t.Helper()
	id := uniqueID("sentinel")
	sentinel, release := changes.Changed(id)
	defer release()
	apply(t, rm, placedView(id, 0))
	signalled(t, sentinel, "of a sentinel order")
}

// notSignalled checks that ch has not been signalled, once every signal caused so far has
// been delivered.
func notSignalled(t *testing.T, rm query.OrderReadModel, changes query.OrderChanges, ch <-chan struct{}, what string) {
	t.Helper()
	settle(t, rm, changes)
	select {
	case <-ch:
		t.Fatalf("signalled %s", what)
	default:
	}
}

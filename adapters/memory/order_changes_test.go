package memory_test

import (
	"sync"
	"testing"

	"github.com/example/orders-service/adapters/memory"
	"github.com/example/orders-service/adapters/repositorytest"
	"github.com/example/orders-service/app/query"
)

func TestOrderChangesContract(t *testing.T) {
	t.Parallel()
	repositorytest.OrderChanges(t, func(*testing.T) (query.OrderReadModel, query.OrderChanges) {
		rm := memory.NewOrderReadModel()
		return rm, rm
	})
}

// TestSignalWithoutWaitersDoesNotAllocate: the read model signals on every change, at
// thousands of events a second, and almost always nobody waits.
func TestSignalWithoutWaitersDoesNotAllocate(t *testing.T) {
	var c memory.OrderChanges
	if n := testing.AllocsPerRun(100, func() { c.Signal("o-1") }); n != 0 {
		t.Errorf("Signal with no waiter at all: %v allocations", n)
	}
	_, release := c.Changed("o-2")
	defer release()
	if n := testing.AllocsPerRun(100, func() { c.Signal("o-1") }); n != 0 {
		t.Errorf("Signal of an order nobody waits for: %v allocations", n)
	}
}

func TestOrderChangesSignalAll(t *testing.T) {
	var c memory.OrderChanges
	a, releaseA := c.Changed("o-1")
	b, releaseB := c.Changed("o-2")
	c.SignalAll()
	for name, ch := range map[string]<-chan struct{}{"o-1": a, "o-2": b} {
		select {
		case <-ch:
		default:
			t.Errorf("waiter of %s not signalled", name)
		}
	}
	releaseA()
	releaseB()
	// Still usable afterwards.
	ch, release := c.Changed("o-1")
	defer release()
	c.Signal("o-1")
	select {
	case <-ch:
	default:
		t.Error("a waiter registered after SignalAll was not signalled")
	}
}

// TestOrderChangesConcurrently is for the race detector: waiters come and go while
// signals fly.
func TestOrderChangesConcurrently(t *testing.T) {
	var c memory.OrderChanges
	ids := []string{"o-1", "o-2", "o-3"}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 500 {
				id := ids[(i+j)%len(ids)]
				ch, release := c.Changed(id)
				switch j % 3 {
				case 0:
					c.Signal(id)
					<-ch
				case 1:
					c.SignalAll()
					<-ch
				}
				release()
			}
		})
	}
	wg.Wait()
	// Every waiter is gone: the fast path is back.
	if n := testing.AllocsPerRun(10, func() { c.Signal("o-1") }); n != 0 {
		t.Errorf("%v allocations after every waiter left", n)
	}
}

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
// What a store hands back is compared whole with what was stored (assertSame), and the
// round-trip subtests store fixtures with every field set (filled): a field added to
// order.Snapshot, stock.Level, stock.Reservation or query.OrderView that an adapter does
// not store fails the suite without the suite being edited. Times are stored with
// microsecond precision in a non-UTC zone and compared as instants, so a store that keeps
// instants (PostgreSQL timestamptz) passes.
package repositorytest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
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

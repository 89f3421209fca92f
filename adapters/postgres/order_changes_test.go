package postgres_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/example/orders-service/adapters/postgres"
	"github.com/example/orders-service/adapters/repositorytest"
	"github.com/example/orders-service/app/query"
	"github.com/example/orders-service/domain/order"
)

// startListener starts a listener on pool, closed when the test ends, and returns once it
// listens.
func startListener(t *testing.T, pool *pgxpool.Pool) *postgres.OrderChangeListener {
	t.Helper()
	l := postgres.StartOrderChangeListener(pool, slog.New(slog.DiscardHandler))
	t.Cleanup(l.Close)
	waitListening(t, l, 0)
	return l
}

// waitListening waits until l listens on a connection other than the backend not.
func waitListening(t *testing.T, l *postgres.OrderChangeListener, not uint32) uint32 {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if pid := l.BackendPID(); pid != 0 && pid != not {
			return pid
		}
		if time.Now().After(deadline) {
			t.Fatal("the listener does not listen")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func signalled(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(repositorytest.SignalTimeout):
		t.Fatalf("no signal %s", what)
	}
}

func isSignalled(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// placeView stores version 1 of a view of id in ctx's transaction, or its own.
func placeView(ctx context.Context, t *testing.T, rm *postgres.OrderReadModel, id string) {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Microsecond)
	err := rm.Apply(ctx, id, 1, func(v *query.OrderView) {
		v.ID, v.CustomerID, v.Status, v.Version, v.CreatedAt, v.UpdatedAt = id, "c-1", order.StatusPending, 1, now, now
	})
	if err != nil {
		t.Fatal(err)
	}
}

func newOrderID(t *testing.T, what string) string {
	return fmt.Sprintf("%s-%s-%d", what, t.Name(), time.Now().UnixNano())
}

func TestOrderChangesContract(t *testing.T) {
	t.Parallel()
	pool := newDB(t, 10)
	l := startListener(t, pool)
	rm := postgres.NewOrderReadModel(pool)
	// One schema and listener for all subtests: their order IDs are their own.
	repositorytest.OrderChanges(t, func(*testing.T) (query.OrderReadModel, query.OrderChanges) { return rm, l })
}

// TestOrderChangesAreAnnouncedOnCommitOnly: pg_notify runs in the projection's transaction,
// so a rolled-back change wakes nobody and a committed one wakes its waiters, at commit.
func TestOrderChangesAreAnnouncedOnCommitOnly(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool := newDB(t, 10)
	l := startListener(t, pool)
	rm := postgres.NewOrderReadModel(pool)
	id := newOrderID(t, "order")
	ch, release := l.Changed(id)
	defer release()

	rolledBack, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	placeView(postgres.WithTx(ctx, rolledBack), t, rm, id)
	if err := rolledBack.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	pending, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = pending.Rollback(context.WithoutCancel(ctx)) }() // after the commit: a no-op
	placeView(postgres.WithTx(ctx, pending), t, rm, id)

	// A change committed after both: once its signal is here, any signal of the two
	// would have been delivered (notifications arrive in commit order).
	sentinel := newOrderID(t, "sentinel")
	sch, releaseSentinel := l.Changed(sentinel)
	defer releaseSentinel()
	placeView(ctx, t, rm, sentinel)
	signalled(t, sch, "of a committed change")
	if isSignalled(ch) {
		t.Fatal("a rolled-back or uncommitted change woke the waiter")
	}

	if err := pending.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	signalled(t, ch, "when the change committed")
	if v, err := rm.Get(ctx, id); err != nil || v.Version != 1 {
		t.Fatalf("Get = %+v, %v", v, err)
	}
}

// TestOrderChangesReachEveryInstance: instances sharing the database each hear a change.
func TestOrderChangesReachEveryInstance(t *testing.T) {
	t.Parallel()
	schema := newSchema(t)
	pools := []*pgxpool.Pool{openPool(t, schema, 4), openPool(t, schema, 4)}
	if err := postgres.Migrate(t.Context(), pools[0], slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	id := newOrderID(t, "order")
	var waiters []<-chan struct{}
	for _, p := range pools {
		ch, release := startListener(t, p).Changed(id)
		defer release()
		waiters = append(waiters, ch)
	}
	placeView(t.Context(), t, postgres.NewOrderReadModel(pools[0]), id)
	for i, ch := range waiters {
		signalled(t, ch, fmt.Sprintf("on instance %d", i))
	}
}

// TestOrderChangeListenerReconnects: when its connection is lost, the listener wakes every
// waiter (their changes may go unheard until it listens again) and reconnects.
func TestOrderChangeListenerReconnects(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool := newDB(t, 10)
	l := startListener(t, pool)
	rm := postgres.NewOrderReadModel(pool)
	id := newOrderID(t, "order")

	for round := range 2 {
		ch, release := l.Changed(id)
		pid := l.BackendPID()
		var terminated bool
		if err := pool.QueryRow(ctx, "SELECT pg_terminate_backend($1)", int32(pid)).Scan(&terminated); err != nil || !terminated {
			t.Fatalf("round %d: terminating the listener's backend %d: %v, %v", round, pid, terminated, err)
		}
		signalled(t, ch, fmt.Sprintf("round %d: when the connection was lost", round))
		release()
		waitListening(t, l, pid)

		ch, release = l.Changed(id)
		placeView(ctx, t, rm, fmt.Sprintf("%s-%d", id, round)) // another order: no signal for id
		ch2, release2 := l.Changed(fmt.Sprintf("%s-%d-b", id, round))
		placeView(ctx, t, rm, fmt.Sprintf("%s-%d-b", id, round))
		signalled(t, ch2, fmt.Sprintf("round %d: of a change after reconnecting", round))
		if isSignalled(ch) {
			t.Fatalf("round %d: a change of another order woke the waiter", round)
		}
		release()
		release2()
	}
}

// TestOrderChangeListenerCloses: Close returns once the listener stopped, even while it
// cannot connect, and wakes every waiter.
func TestOrderChangeListenerCloses(t *testing.T) {
	t.Parallel()
	pool, err := pgxpool.New(context.Background(), "postgres://postgres@127.0.0.1:1/none?sslmode=disable&connect_timeout=1")
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	l := postgres.StartOrderChangeListener(pool, slog.New(slog.DiscardHandler))
	ch, release := l.Changed("o-1")
	defer release()
	closed := make(chan struct{})
	go func() {
		l.Close()
		l.Close()
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return")
	}
	if !isSignalled(ch) {
		t.Error("Close did not wake the waiter")
	}
	if pid := l.BackendPID(); pid != 0 {
		t.Errorf("still listening on backend %d", pid)
	}
}

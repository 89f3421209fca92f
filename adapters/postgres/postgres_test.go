package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/example/orders-service/adapters/postgres"
	"github.com/example/orders-service/app/query"
	"github.com/example/orders-service/domain/order"
	"github.com/example/orders-service/domain/stock"
)

var tables = []string{"orders", "stock_levels", "stock_reservations", "order_views", "processed_messages"}

func TestMigrateConcurrentlyOnAFreshSchema(t *testing.T) {
	t.Parallel()
	schema := newSchema(t)
	ctx := t.Context()
	// Each "instance" has its own pool, as separate processes would.
	const instances = 4
	pools := make([]*pgxpool.Pool, instances)
	for i := range pools {
		pools[i] = openPool(t, schema, 4)
	}
	// Another instance is migrating: it holds the migration lock of the schema.
	holder, err := pools[0].Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Release()
	if _, err := holder.Exec(ctx, "SELECT pg_advisory_lock($1)", postgres.MigrationLockID(schema)); err != nil {
		t.Fatal(err)
	}
	var (
		wg       sync.WaitGroup
		finished atomic.Int32
		errs     = make([]error, instances)
		start    = make(chan struct{})
	)
	for i, p := range pools {
		wg.Go(func() {
			<-start
			errs[i] = postgres.Migrate(ctx, p, slog.New(slog.DiscardHandler))
			finished.Add(1)
		})
	}
	close(start)
	time.Sleep(1500 * time.Millisecond)
	var orders *string
	if err := holder.QueryRow(ctx, "SELECT to_regclass($1)::text", schema+".orders").Scan(&orders); err != nil {
		t.Fatal(err)
	}
	if n := finished.Load(); n != 0 || orders != nil {
		t.Fatalf("while another instance held the migration lock, %d Migrate calls returned (errors %v) and table orders is %v", n, errs, orders)
	}
	if _, err := holder.Exec(ctx, "SELECT pg_advisory_unlock($1)", postgres.MigrationLockID(schema)); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("instance %d: Migrate: %v", i, err)
		}
	}
	// Once more, sequentially: nothing to do.
	if err := postgres.Migrate(t.Context(), pools[0], slog.New(slog.DiscardHandler)); err != nil {
		t.Fatalf("Migrate again: %v", err)
	}

	for _, table := range tables {
		var found *string
		if err := pools[0].QueryRow(ctx, "SELECT to_regclass($1)::text", schema+"."+table).Scan(&found); err != nil || found == nil {
			t.Errorf("table %s.%s: %v, %v", schema, table, found, err)
		}
	}
	var applied int
	if err := pools[0].QueryRow(ctx, "SELECT count(*) FROM goose_db_version WHERE version_id > 0 AND is_applied").Scan(&applied); err != nil {
		t.Fatal(err)
	}
	files, err := postgres.MigrationFiles()
	if err != nil || len(files) == 0 {
		t.Fatalf("embedded migrations: %v, %v", files, err)
	}
	if applied != len(files) {
		t.Fatalf("%d migrations recorded as applied, want %d (once each)", applied, len(files))
	}
}

func TestMigrateRejectsAMissingSchema(t *testing.T) {
	t.Parallel()
	pool := openPool(t, "t_no_such_schema", 2)
	err := postgres.Migrate(t.Context(), pool, slog.New(slog.DiscardHandler))
	if err == nil || !strings.Contains(err.Error(), "no existing schema") {
		t.Fatalf("Migrate = %v, want an error naming the missing schema", err)
	}
}

func TestOpenAndPing(t *testing.T) {
	t.Parallel()
	url := databaseURL(t)
	pool, err := postgres.Open(t.Context(), url, postgres.PoolConfig{MaxConns: 3, MinConns: 1, HealthCheckPeriod: time.Second, ConnectTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if c := pool.Config(); c.MaxConns != 3 || c.MinConns != 1 || c.HealthCheckPeriod != time.Second || c.ConnConfig.ConnectTimeout != 5*time.Second {
		t.Errorf("pool config %+v", c)
	}
	if err := postgres.Ping(t.Context(), pool); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	pool.Close()
	if err := postgres.Ping(t.Context(), pool); err == nil {
		t.Fatal("Ping of a closed pool succeeded")
	}

	if _, err := postgres.Open(t.Context(), "postgres://u:secret@127.0.0.1:1/x?sslmode=disable", postgres.PoolConfig{ConnectTimeout: time.Second}); err == nil || strings.Contains(err.Error(), "secret") {
		t.Fatalf("Open of an unreachable database = %v; want an error without the password", err)
	}
	if _, err := postgres.Open(t.Context(), url, postgres.PoolConfig{MaxConns: 1, MinConns: 2}); err == nil {
		t.Fatal("Open accepted MinConns > MaxConns")
	}
}

// TestReservationRace is the 200-orders-racing-for-100-units scenario at the repository:
// exactly 100 reservations hold, the others fail, nothing is oversold.
func TestReservationRace(t *testing.T) {
	t.Parallel()
	pool := newDB(t, 20)
	repo := postgres.NewStockRepository(pool)
	ctx := t.Context()
	const units, orders = 100, 200
	sku := "sku-race"
	if err := repo.UpdateLevel(ctx, sku, func(l *stock.Level) error { return l.SetOnHand(units) }); err != nil {
		t.Fatal(err)
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		held  int
		start = make(chan struct{})
		errs  []error
	)
	began := time.Now()
	for i := range orders {
		wg.Go(func() {
			<-start
			id := fmt.Sprint("order-", i)
			lines := []order.Line{{SKU: sku, Quantity: 1}}
			var status stock.ReservationStatus
			err := repo.UpdateReservation(ctx, id, stock.SKUs(lines), func(r *stock.Reservation, ls stock.Levels) error {
				_, err := r.Reserve(id, lines, ls)
				status = r.Status
				return err
			})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
			} else if status == stock.ReservationHeld {
				held++
			}
		})
	}
	close(start)
	wg.Wait()
	elapsed := time.Since(began)
	for _, err := range errs {
		t.Errorf("UpdateReservation: %v", err)
	}
	l, err := repo.Level(ctx, sku)
	if err != nil {
		t.Fatal(err)
	}
	var stored, storedHeld int
	if err := pool.QueryRow(ctx, "SELECT count(*), count(*) FILTER (WHERE status = 'held') FROM stock_reservations").Scan(&stored, &storedHeld); err != nil {
		t.Fatal(err)
	}
	if held != units || l.Reserved != units || l.OnHand != units || stored != orders || storedHeld != units {
		t.Fatalf("%d held (%d stored held of %d stored), level %+v; want exactly %d held of %d on hand", held, storedHeld, stored, l, units, units)
	}
	t.Logf("%d concurrent reservations for %d units on PostgreSQL: %v (%.0f/s)", orders, units, elapsed, orders/elapsed.Seconds())
}

// Two or more first Updates of an order not stored yet must not both create it.
func TestConcurrentFirstUpdatesOfOneOrder(t *testing.T) {
	t.Parallel()
	pool := newDB(t, 10)
	repo := postgres.NewOrderRepository(pool)
	const n = 20
	id := "order-first"
	var wg sync.WaitGroup
	errs := make(chan error, n)
	start := make(chan struct{})
	for range n {
		wg.Go(func() {
			<-start
			errs <- repo.Update(t.Context(), id, func(cur *order.Order) (*order.Order, error) {
				if cur == nil {
					o, _, err := order.New(id, "c", []order.Line{{SKU: "A", Quantity: 1}}, time.Now())
					return o, err
				}
				s := cur.Snapshot()
				s.Version++
				return order.FromSnapshot(s), nil
			})
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Update: %v", err)
		}
	}
	o, err := repo.Get(t.Context(), id)
	if err != nil || o.Version() != n {
		t.Fatalf("Get = %v, %v; want version %d (one creation, %d increments)", o, err, n, n-1)
	}
}

// Repositories called with a transaction in the context join it: what they write commits
// or rolls back with it.
func TestRepositoriesJoinTheTransactionInTheContext(t *testing.T) {
	t.Parallel()
	pool := newDB(t, 4)
	orders, stocks, views := postgres.NewOrderRepository(pool), postgres.NewStockRepository(pool), postgres.NewOrderReadModel(pool)

	writeAll := func(ctx context.Context, id string) error {
		if err := orders.Update(ctx, id, func(*order.Order) (*order.Order, error) {
			o, _, err := order.New(id, "c", []order.Line{{SKU: "sku-" + id, Quantity: 2}}, time.Now())
			return o, err
		}); err != nil {
			return err
		}
		if err := stocks.UpdateLevel(ctx, "sku-"+id, func(l *stock.Level) error { return l.SetOnHand(5) }); err != nil {
			return err
		}
		lines := []order.Line{{SKU: "sku-" + id, Quantity: 2}}
		if err := stocks.UpdateReservation(ctx, id, stock.SKUs(lines), func(r *stock.Reservation, ls stock.Levels) error {
			_, err := r.Reserve(id, lines, ls)
			return err
		}); err != nil {
			return err
		}
		return views.Apply(ctx, id, 1, func(v *query.OrderView) {
			v.Version, v.Status, v.CreatedAt, v.UpdatedAt = 1, order.StatusPending, time.Now(), time.Now()
		})
	}
	visible := func(ctx context.Context, id string) (orderFound, viewFound bool, reserved int) {
		_, err := orders.Get(ctx, id)
		orderFound = err == nil
		_, err = views.Get(ctx, id)
		viewFound = err == nil
		l, err := stocks.Level(ctx, "sku-"+id)
		if err != nil {
			t.Fatal(err)
		}
		return orderFound, viewFound, l.Reserved
	}

	for _, commit := range []bool{false, true} {
		id := fmt.Sprint("tx-", commit)
		tx, err := pool.Begin(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		ctx := postgres.WithTx(t.Context(), tx)
		if err := writeAll(ctx, id); err != nil {
			t.Fatal(err)
		}
		if o, v, r := visible(ctx, id); !o || !v || r != 2 {
			t.Fatalf("inside the transaction: order %v, view %v, reserved %d", o, v, r)
		}
		if o, v, r := visible(t.Context(), id); o || v || r != 0 {
			t.Fatalf("outside the uncommitted transaction: order %v, view %v, reserved %d", o, v, r)
		}
		if commit {
			err = tx.Commit(t.Context())
		} else {
			err = tx.Rollback(t.Context())
		}
		if err != nil {
			t.Fatal(err)
		}
		if o, v, r := visible(t.Context(), id); o != commit || v != commit || (r == 2) != commit {
			t.Fatalf("after commit=%v: order %v, view %v, reserved %d", commit, o, v, r)
		}
	}
}

// The CHECK constraints are a last line of defence: a negative level is not stored.
func TestNegativeLevelsAreRefused(t *testing.T) {
	t.Parallel()
	pool := newDB(t, 2)
	repo := postgres.NewStockRepository(pool)
	err := repo.UpdateLevel(t.Context(), "sku-neg", func(l *stock.Level) error { l.Reserved = -1; return nil })
	if err == nil {
		t.Fatal("UpdateLevel stored a negative reserved count")
	}
	if l, err := repo.Level(t.Context(), "sku-neg"); err != nil || l.Reserved != 0 {
		t.Fatalf("Level = %+v, %v", l, err)
	}
	var pgErr interface{ SQLState() string }
	if !errors.As(err, &pgErr) || pgErr.SQLState() != "23514" {
		t.Fatalf("UpdateLevel = %v, want a check violation", err)
	}
}

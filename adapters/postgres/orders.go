package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/example/orders-service/domain/order"
)

// OrderRepository keeps orders in the orders table. Update holds the order's row lock (or,
// for an order not stored yet, an advisory lock on its ID) for the whole transaction, so
// concurrent updates of one order run one after the other and none is lost.
type OrderRepository struct{ pool *pgxpool.Pool }

var _ order.Repository = (*OrderRepository)(nil)

func NewOrderRepository(pool *pgxpool.Pool) *OrderRepository {
	return &OrderRepository{pool: pool}
}

const selectOrderSQL = `SELECT id, customer_id, lines, status, reason, version, created_at, updated_at FROM orders WHERE id = $1`

func (r *OrderRepository) Update(ctx context.Context, id string, update func(*order.Order) (*order.Order, error)) error {
	return inTx(ctx, r.pool, func(tx pgx.Tx) error {
		stored, err := scanOrder(tx.QueryRow(ctx, selectOrderSQL+` FOR UPDATE`, id))
		if errors.Is(err, pgx.ErrNoRows) {
			// No row to lock: serialize the creators of this ID, then look again, since
			// the one before may have created it (read committed: a new statement sees it).
			if _, err := tx.Exec(ctx, advisoryLockSQL, lockSpaceOrders, id); err != nil {
				return fmt.Errorf("locking order %s: %w", id, err)
			}
			stored, err = scanOrder(tx.QueryRow(ctx, selectOrderSQL+` FOR UPDATE`, id))
		}
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("loading order %s: %w", id, err)
		}
		exists := err == nil
		var current *order.Order
		if exists {
			current = order.FromSnapshot(stored)
		}
		updated, err := update(current)
		if err != nil || updated == nil {
			return err
		}
		s := updated.Snapshot()
		lines := storedLines(s.Lines)
		if exists {
			_, err = tx.Exec(ctx, `UPDATE orders SET customer_id = $2, lines = $3, status = $4, reason = $5, version = $6,
				created_at = $7, updated_at = $8 WHERE id = $1`,
				id, s.CustomerID, lines, string(s.Status), s.Reason, s.Version, s.CreatedAt, s.UpdatedAt)
		} else {
			_, err = tx.Exec(ctx, `INSERT INTO orders (id, customer_id, lines, status, reason, version, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
				id, s.CustomerID, lines, string(s.Status), s.Reason, s.Version, s.CreatedAt, s.UpdatedAt)
		}
		if err != nil {
			return fmt.Errorf("storing order %s: %w", id, err)
		}
		return nil
	})
}

func (r *OrderRepository) Get(ctx context.Context, id string) (*order.Order, error) {
	var o *order.Order
	err := inTx(ctx, r.pool, func(tx pgx.Tx) error {
		s, err := scanOrder(tx.QueryRow(ctx, selectOrderSQL, id))
		if errors.Is(err, pgx.ErrNoRows) {
			return order.ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("loading order %s: %w", id, err)
		}
		o = order.FromSnapshot(s)
		return nil
	})
	return o, err
}

func scanOrder(row pgx.Row) (order.Snapshot, error) {
	var (
		s      order.Snapshot
		status string
	)
	if err := row.Scan(&s.ID, &s.CustomerID, &s.Lines, &status, &s.Reason, &s.Version, &s.CreatedAt, &s.UpdatedAt); err != nil {
		return order.Snapshot{}, err
	}
	s.Status = order.Status(status)
	s.Lines = storedLines(s.Lines)
	s.CreatedAt, s.UpdatedAt = utc(s.CreatedAt), utc(s.UpdatedAt)
	return s, nil
}

// utc returns t in UTC; timestamptz keeps the instant, not the zone.
func utc(t time.Time) time.Time { return t.UTC() }

package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/example/orders-service/app/query"
	"github.com/example/orders-service/domain/order"
)

// OrderReadModel keeps order views in the order_views table. Apply and AddRefusal lock the
// view's row (or, for a view not stored yet, an advisory lock on its ID) so each is atomic
// per order; a view's version only ever grows. Each change of a view is announced on
// OrderViewsChannel when its transaction commits; OrderChangeListener hears it.
type OrderReadModel struct{ pool *pgxpool.Pool }

// notifyStoredSQL completes a statement whose CTE "stored" returns the IDs of the views it
// wrote: it announces each on OrderViewsChannel. PostgreSQL queues a notification at
// commit, under a database-wide lock held through the commit: transactions that notify
// commit one at a time.
const notifyStoredSQL = `SELECT pg_notify('` + OrderViewsChannel + `', id) FROM stored`

var _ query.OrderReadModel = (*OrderReadModel)(nil)

func NewOrderReadModel(pool *pgxpool.Pool) *OrderReadModel {
	return &OrderReadModel{pool: pool}
}

type refusalJSON struct {
	CommandID string    `json:"command_id,omitempty"`
	Command   string    `json:"command"`
	Reason    string    `json:"reason"`
	At        time.Time `json:"at"`
}

const (
	selectViewSQL = `SELECT id, customer_id, items, status, reason, version, created_at, updated_at, refusals FROM order_views`
	// lockViewSQL loads a view and holds its row until the transaction ends.
	lockViewSQL = selectViewSQL + ` WHERE id = $1 FOR UPDATE`
)

func (m *OrderReadModel) Apply(ctx context.Context, orderID string, version int, change func(*query.OrderView)) error {
	return inTx(ctx, m.pool, func(tx pgx.Tx) error {
		v, err := scanView(tx.QueryRow(ctx, lockViewSQL, orderID))
		if errors.Is(err, pgx.ErrNoRows) {
			if _, err := tx.Exec(ctx, advisoryLockSQL, lockSpaceOrderViews, orderID); err != nil {
				return fmt.Errorf("locking view of order %s: %w", orderID, err)
			}
			v, err = scanView(tx.QueryRow(ctx, lockViewSQL, orderID))
		}
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			v = query.OrderView{ID: orderID}
		case err != nil:
			return fmt.Errorf("loading view of order %s: %w", orderID, err)
		}
		if v.Version >= version {
			return nil
		}
		change(&v)
		items := storedLines(v.Items)
		// The version condition repeats the check above in SQL: a stale version never
		// overwrites a newer view, whatever happened in between. A row written is
		// announced to the listeners (pg_notify in this transaction: on commit only).
		_, err = tx.Exec(ctx, `WITH stored AS (
			INSERT INTO order_views (id, customer_id, items, status, reason, version, created_at, updated_at, refusals)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
			ON CONFLICT (id) DO UPDATE SET customer_id = EXCLUDED.customer_id, items = EXCLUDED.items,
				status = EXCLUDED.status, reason = EXCLUDED.reason, version = EXCLUDED.version,
				created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at, refusals = EXCLUDED.refusals
			WHERE order_views.version < $10
			RETURNING id)
			`+notifyStoredSQL,
			orderID, v.CustomerID, items, string(v.Status), v.Reason, v.Version, v.CreatedAt, v.UpdatedAt,
			refusalsJSON(v.Refusals), version)
		if err != nil {
			return fmt.Errorf("storing view of order %s: %w", orderID, err)
		}
		return nil
	})
}

// AddRefusal applies query's refusal rule (OrderView.AddRefusal) in Go to the view it
// holds locked, and writes the refusals back only when the rule recorded one: a refusal
// already recorded changes nothing and signals nobody.
func (m *OrderReadModel) AddRefusal(ctx context.Context, orderID string, r query.Refusal) error {
	return inTx(ctx, m.pool, func(tx pgx.Tx) error {
		v, err := scanView(tx.QueryRow(ctx, lockViewSQL, orderID))
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			return nil // as the memory adapter: a refusal of an order not projected yet is dropped
		case err != nil:
			return fmt.Errorf("loading view of order %s: %w", orderID, err)
		}
		if !v.AddRefusal(r) {
			return nil
		}
		if _, err := tx.Exec(ctx, `WITH stored AS (UPDATE order_views SET refusals = $2 WHERE id = $1 RETURNING id) `+notifyStoredSQL,
			orderID, refusalsJSON(v.Refusals)); err != nil {
			return fmt.Errorf("storing refusals of order %s: %w", orderID, err)
		}
		return nil
	})
}

func (m *OrderReadModel) Get(ctx context.Context, orderID string) (query.OrderView, error) {
	var v query.OrderView
	err := inTx(ctx, m.pool, func(tx pgx.Tx) error {
		var err error
		v, err = scanView(tx.QueryRow(ctx, selectViewSQL+` WHERE id = $1 AND version > 0`, orderID))
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			return query.ErrNotFound
		case err != nil:
			return fmt.Errorf("loading view of order %s: %w", orderID, err)
		}
		return nil
	})
	return v, err
}

func (m *OrderReadModel) List(ctx context.Context, f query.OrderFilter) ([]query.OrderView, error) {
	// A zero limit means none; LIMIT NULL is no limit.
	var limit *int
	if f.Limit > 0 {
		limit = &f.Limit
	}
	sql, args := selectViewSQL+` WHERE version > 0 ORDER BY created_at DESC, id DESC LIMIT $1`, []any{limit}
	if f.Status != "" {
		sql, args = selectViewSQL+` WHERE version > 0 AND status = $2 ORDER BY created_at DESC, id DESC LIMIT $1`, []any{limit, string(f.Status)}
	}
	var views []query.OrderView
	err := inTx(ctx, m.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, sql, args...)
		if err != nil {
			return fmt.Errorf("listing order views: %w", err)
		}
		views, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (query.OrderView, error) { return scanView(row) })
		if err != nil {
			return fmt.Errorf("listing order views: %w", err)
		}
		return nil
	})
	return views, err
}

func scanView(row pgx.Row) (query.OrderView, error) {
	var (
		v        query.OrderView
		status   string
		refusals []refusalJSON
	)
	if err := row.Scan(&v.ID, &v.CustomerID, &v.Items, &status, &v.Reason, &v.Version, &v.CreatedAt, &v.UpdatedAt, &refusals); err != nil {
		return query.OrderView{}, err
	}
	v.Status = order.Status(status)
	v.CreatedAt, v.UpdatedAt = utc(v.CreatedAt), utc(v.UpdatedAt)
	if len(v.Items) == 0 {
		v.Items = nil
	}
	for _, r := range refusals {
		r.At = utc(r.At)
		v.Refusals = append(v.Refusals, query.Refusal(r))
	}
	return v, nil
}

func refusalsJSON(rs []query.Refusal) []refusalJSON {
	out := make([]refusalJSON, 0, len(rs))
	for _, r := range rs {
		out = append(out, refusalJSON(r))
	}
	return out
}

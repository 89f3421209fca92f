package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/example/orders-service/domain/stock"
)

// StockRepository keeps stock levels and reservations. Every call locks what it reads, in
// one global order (the reservation first, then the levels sorted by SKU), so concurrent
// reservations on overlapping SKUs serialize without deadlocking and none is lost.
type StockRepository struct{ pool *pgxpool.Pool }

var _ stock.Repository = (*StockRepository)(nil)

func NewStockRepository(pool *pgxpool.Pool) *StockRepository {
	return &StockRepository{pool: pool}
}

func (r *StockRepository) UpdateLevel(ctx context.Context, sku string, update func(*stock.Level) error) error {
	return inTx(ctx, r.pool, func(tx pgx.Tx) error {
		levels, err := lockLevels(ctx, tx, []string{sku})
		if err != nil {
			return err
		}
		before := *levels[sku]
		l := before
		if err := update(&l); err != nil {
			return err
		}
		l.SKU = sku
		if l == before {
			return nil
		}
		return storeLevels(ctx, tx, []stock.Level{l})
	})
}

func (r *StockRepository) UpdateReservation(ctx context.Context, orderID string, skus []string, update func(*stock.Reservation, stock.Levels) error) error {
	return inTx(ctx, r.pool, func(tx pgx.Tx) error {
		res, err := lockReservation(ctx, tx, orderID)
		if err != nil {
			return err
		}
		all := slices.Clone(skus)
		for _, l := range res.Lines {
			all = append(all, l.SKU)
		}
		levels, err := lockLevels(ctx, tx, all)
		if err != nil {
			return err
		}
		before := make(map[string]stock.Level, len(levels))
		for sku, l := range levels {
			before[sku] = *l
		}
		if err := update(&res, levels); err != nil {
			return err
		}
		var changed []stock.Level
		for sku, l := range levels {
			old, locked := before[sku]
			if !locked {
				return fmt.Errorf("reservation of order %s changed the level of %s, which it did not name: pass every SKU to UpdateReservation", orderID, sku)
			}
			if l == nil {
				continue
			}
			nl := *l
			nl.SKU = sku
			if nl != old {
				changed = append(changed, nl)
			}
		}
		if err := storeLevels(ctx, tx, changed); err != nil {
			return err
		}
		if res.Status == stock.ReservationNone {
			return nil
		}
		lines := storedLines(res.Lines)
		if _, err := tx.Exec(ctx, `INSERT INTO stock_reservations (order_id, lines, status, reason) VALUES ($1, $2, $3, $4)
			ON CONFLICT (order_id) DO UPDATE SET lines = EXCLUDED.lines, status = EXCLUDED.status, reason = EXCLUDED.reason`,
			orderID, lines, string(res.Status), res.Reason); err != nil {
			return fmt.Errorf("storing reservation of order %s: %w", orderID, err)
		}
		return nil
	})
}

func (r *StockRepository) Level(ctx context.Context, sku string) (stock.Level, error) {
	l := stock.Level{SKU: sku}
	err := inTx(ctx, r.pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `SELECT on_hand, reserved, count_id FROM stock_levels WHERE sku = $1`, sku).Scan(&l.OnHand, &l.Reserved, &l.CountID)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("loading stock level of %s: %w", sku, err)
		}
		return nil
	})
	return l, err
}

const selectReservationSQL = `SELECT lines, status, reason FROM stock_reservations WHERE order_id = $1 FOR UPDATE`

// lockReservation loads and locks the order's reservation; for one not stored it takes
// the order's advisory lock instead, so two first reservations of an order serialize.
func lockReservation(ctx context.Context, tx pgx.Tx, orderID string) (stock.Reservation, error) {
	res, err := scanReservation(tx.QueryRow(ctx, selectReservationSQL, orderID), orderID)
	if errors.Is(err, pgx.ErrNoRows) {
		if _, err := tx.Exec(ctx, advisoryLockSQL, lockSpaceReservations, orderID); err != nil {
			return stock.Reservation{}, fmt.Errorf("locking reservation of order %s: %w", orderID, err)
		}
		res, err = scanReservation(tx.QueryRow(ctx, selectReservationSQL, orderID), orderID)
	}
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return stock.Reservation{}, nil
	case err != nil:
		return stock.Reservation{}, fmt.Errorf("loading reservation of order %s: %w", orderID, err)
	}
	return res, nil
}

func scanReservation(row pgx.Row, orderID string) (stock.Reservation, error) {
	var (
		status string
		res    = stock.Reservation{OrderID: orderID}
	)
	if err := row.Scan(&res.Lines, &status, &res.Reason); err != nil {
		return stock.Reservation{}, err
	}
	res.Status = stock.ReservationStatus(status)
	if len(res.Lines) == 0 {
		res.Lines = nil
	}
	return res, nil
}

// lockLevels locks the levels of skus in byte order of SKU, the same order in every
// transaction, and returns them all: a SKU never stocked gets a zero row first. Rows are
// inserted (in that order) before any is locked, so a transaction never waits for another
// one's new row while holding a lock the other needs.
func lockLevels(ctx context.Context, tx pgx.Tx, skus []string) (stock.Levels, error) {
	sorted := slices.Clone(skus)
	slices.Sort(sorted)
	sorted = slices.Compact(sorted)
	levels := make(stock.Levels, len(sorted))
	if len(sorted) == 0 {
		return levels, nil
	}
	b := &pgx.Batch{}
	b.Queue(`INSERT INTO stock_levels (sku) SELECT s FROM unnest($1::text[]) WITH ORDINALITY AS u(s, n) ORDER BY n
		ON CONFLICT (sku) DO NOTHING`, sorted)
	b.Queue(`SELECT sku, on_hand, reserved, count_id FROM stock_levels WHERE sku = ANY($1::text[]) ORDER BY sku FOR UPDATE`, sorted)
	br := tx.SendBatch(ctx, b)
	if _, err := br.Exec(); err != nil {
		return nil, errors.Join(fmt.Errorf("creating stock levels %v: %w", sorted, err), br.Close())
	}
	rows, err := br.Query()
	if err != nil {
		return nil, errors.Join(fmt.Errorf("locking stock levels %v: %w", sorted, err), br.Close())
	}
	for rows.Next() {
		var l stock.Level
		if err := rows.Scan(&l.SKU, &l.OnHand, &l.Reserved, &l.CountID); err != nil {
			rows.Close()
			return nil, errors.Join(fmt.Errorf("locking stock levels %v: %w", sorted, err), br.Close())
		}
		levels[l.SKU] = &l
	}
	if err := rows.Err(); err != nil {
		return nil, errors.Join(fmt.Errorf("locking stock levels %v: %w", sorted, err), br.Close())
	}
	if err := br.Close(); err != nil {
		return nil, fmt.Errorf("locking stock levels %v: %w", sorted, err)
	}
	if len(levels) != len(sorted) {
		return nil, fmt.Errorf("locking stock levels %v: found %d of %d rows", sorted, len(levels), len(sorted))
	}
	return levels, nil
}

// storeLevels writes levels whose rows the transaction holds locked.
func storeLevels(ctx context.Context, tx pgx.Tx, levels []stock.Level) error {
	if len(levels) == 0 {
		return nil
	}
	skus := make([]string, len(levels))
	onHand := make([]int64, len(levels))
	reserved := make([]int64, len(levels))
	countIDs := make([]string, len(levels))
	for i, l := range levels {
		skus[i], onHand[i], reserved[i], countIDs[i] = l.SKU, int64(l.OnHand), int64(l.Reserved), l.CountID
	}
	_, err := tx.Exec(ctx, `UPDATE stock_levels AS s SET on_hand = v.on_hand, reserved = v.reserved, count_id = v.count_id
		FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[]) AS v(sku, on_hand, reserved, count_id) WHERE s.sku = v.sku`,
		skus, onHand, reserved, countIDs)
	if err != nil {
		return fmt.Errorf("storing stock levels %v: %w", skus, err)
	}
	return nil
}

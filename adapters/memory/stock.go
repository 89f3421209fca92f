package memory

import (
	"context"
	"sync"

	"github.com/example/orders-service/domain/order"
	"github.com/example/orders-service/domain/stock"
)

// StockRepository keeps levels and reservations in maps behind one lock, which makes a
// reservation across several SKUs atomic.
type StockRepository struct {
	mu           sync.Mutex
	levels       map[string]stock.Level
	reservations map[string]stock.Reservation
}

func NewStockRepository() *StockRepository {
	return &StockRepository{levels: make(map[string]stock.Level), reservations: make(map[string]stock.Reservation)}
}

func (r *StockRepository) UpdateLevel(ctx context.Context, sku string, update func(*stock.Level) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	l := r.levels[sku]
	l.SKU = sku
	if err := update(&l); err != nil {
		return err
	}
	r.levels[sku] = l
	return nil
}

func (r *StockRepository) UpdateReservation(ctx context.Context, orderID string, skus []string, update func(*stock.Reservation, stock.Levels) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	res := r.reservations[orderID]
	res.Lines = append([]order.Line(nil), res.Lines...)
	levels := make(stock.Levels, len(skus)+len(res.Lines))
	load := func(sku string) {
		l := r.levels[sku]
		l.SKU = sku
		levels[sku] = &l
	}
	for _, sku := range skus {
		load(sku)
	}
	for _, l := range res.Lines {
		load(l.SKU)
	}
	if err := update(&res, levels); err != nil {
		return err
	}
	for sku, l := range levels {
		r.levels[sku] = *l
	}
	if res.Status != stock.ReservationNone {
		r.reservations[orderID] = res
	}
	return nil
}

func (r *StockRepository) Level(ctx context.Context, sku string) (stock.Level, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	l := r.levels[sku]
	l.SKU = sku
	return l, nil
}

package stock

import "context"

// Repository stores stock levels and reservations. Implementations live in adapters/ and
// must pass the shared contract test in adapters/repositorytest.
type Repository interface {
	// UpdateLevel loads the level of sku (zero when never set), calls update while holding
	// it exclusively and stores the result unless update fails.
	UpdateLevel(ctx context.Context, sku string, update func(level *Level) error) error
	// UpdateReservation loads the order's reservation (Status ReservationNone when there is
	// none) and the levels of every SKU in skus and in the stored reservation, holds them all
	// exclusively while update runs, and stores reservation and levels together, or nothing
	// when update fails. Concurrent calls on overlapping SKUs never lose an update.
	UpdateReservation(ctx context.Context, orderID string, skus []string, update func(r *Reservation, levels Levels) error) error
	// Level returns the level of sku; a SKU never set has zero of everything.
	Level(ctx context.Context, sku string) (Level, error)
}

package postgres

import (
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/example/orders-service/app"
	"github.com/example/orders-service/app/query"
)

// NewAdapters is the PostgreSQL adapter set over pool: what the service runs on with
// DATABASE_URL. changes signals changes of order views (StartOrderChangeListener). The buses
// (Commands, Events: the outbox) and the clock are left for the caller to set.
func NewAdapters(pool *pgxpool.Pool, changes query.OrderChanges) app.Adapters {
	return app.Adapters{
		Orders:    NewOrderRepository(pool),
		Stock:     NewStockRepository(pool),
		ReadModel: NewOrderReadModel(pool),
		Changes:   changes,
	}
}

package postgres_test

import (
	"testing"

	"github.com/example/orders-service/adapters/postgres"
	"github.com/example/orders-service/adapters/repositorytest"
	"github.com/example/orders-service/app/query"
	"github.com/example/orders-service/domain/order"
	"github.com/example/orders-service/domain/stock"
)

// The contract suite, as the memory adapters run it. Order and stock subtests share one
// schema per test; the read model's listing subtests need an empty read model each, so each
// of its subtests gets a schema of its own.

func TestOrderRepositoryContract(t *testing.T) {
	t.Parallel()
	pool := newDB(t, 10)
	repositorytest.OrderRepository(t, func(*testing.T) order.Repository { return postgres.NewOrderRepository(pool) })
}

func TestStockRepositoryContract(t *testing.T) {
	t.Parallel()
	pool := newDB(t, 10)
	repositorytest.StockRepository(t, func(*testing.T) stock.Repository { return postgres.NewStockRepository(pool) })
}

func TestOrderReadModelContract(t *testing.T) {
	t.Parallel()
	databaseURL(t) // skip (or fail in CI) before the subtests start
	repositorytest.OrderReadModel(t, func(t *testing.T) query.OrderReadModel {
		return postgres.NewOrderReadModel(newDB(t, 10))
	})
}

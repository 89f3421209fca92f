package memory_test

import (
	"testing"

	"github.com/example/orders-service/adapters/memory"
	"github.com/example/orders-service/adapters/repositorytest"
	"github.com/example/orders-service/app/query"
	"github.com/example/orders-service/domain/order"
	"github.com/example/orders-service/domain/stock"
)

func TestOrderRepositoryContract(t *testing.T) {
	t.Parallel()
	repositorytest.OrderRepository(t, func(*testing.T) order.Repository { return memory.NewOrderRepository() })
}

func TestStockRepositoryContract(t *testing.T) {
	t.Parallel()
	repositorytest.StockRepository(t, func(*testing.T) stock.Repository { return memory.NewStockRepository() })
}

func TestOrderReadModelContract(t *testing.T) {
	t.Parallel()
	repositorytest.OrderReadModel(t, func(*testing.T) query.OrderReadModel { return memory.NewOrderReadModel() })
}

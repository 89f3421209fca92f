package memory

import "github.com/example/orders-service/app"

// NewAdapters is the in-memory adapter set: what the service runs on without DATABASE_URL,
// and what the application and HTTP tests run on. The buses (Commands, Events) and the
// clock are left for the caller to set.
func NewAdapters() app.Adapters {
	readModel := NewOrderReadModel()
	return app.Adapters{
		Orders:    NewOrderRepository(),
		Stock:     NewStockRepository(),
		ReadModel: readModel,
		Changes:   readModel,
	}
}

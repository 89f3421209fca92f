// Package app is the application layer: the use cases, wired over the interfaces the
// domain and app/bus declare. It knows no transport, broker or database.
package app

import (
	"time"

	"github.com/example/orders-service/app/bus"
	"github.com/example/orders-service/app/query"
	"github.com/example/orders-service/domain/order"
	"github.com/example/orders-service/domain/stock"
)

// Application is everything the ports can drive: the routing table of the message
// handlers, which the messaging port builds its consumers from, and the queries.
type Application struct {
	Routes  []bus.Route
	Queries Queries
}

// Queries are the read-side use cases.
type Queries struct {
	Order     query.OrderHandler
	WaitOrder query.WaitOrderHandler
	Orders    query.OrdersHandler
	Stock     query.StockHandler
}

// Adapters are what the application needs from the outside world. adapters/memory and
// adapters/postgres each provide a set (the buses and the clock are the caller's); a new
// dependency is a field here and a line in each set that has it.
type Adapters struct {
	Orders    order.Repository
	Stock     stock.Repository
	ReadModel query.OrderReadModel
	Changes   query.OrderChanges // signals changes of ReadModel's views; nil: waits re-read every query.DefaultRecheck
	Commands  bus.CommandSender
	Events    bus.EventPublisher
	Clock     func() time.Time // nil means time.Now
}

// New builds the application over its adapters.
func New(a Adapters) Application {
	return Application{
		Routes: routes(a),
		Queries: Queries{
			Order:     query.OrderHandler{ReadModel: a.ReadModel},
			WaitOrder: query.WaitOrderHandler{ReadModel: a.ReadModel, Changes: a.Changes},
			Orders:    query.OrdersHandler{ReadModel: a.ReadModel},
			Stock:     query.StockHandler{Stock: a.Stock},
		},
	}
}

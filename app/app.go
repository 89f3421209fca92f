// Package app is the application layer: the use cases, wired over the interfaces the
// domain and app/bus declare. It knows no transport, broker or database.
package app

import (
	"github.com/example/orders-service/app/bus"
	"github.com/example/orders-service/app/query"
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

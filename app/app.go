// Package app is the application layer: the use cases, wired over the interfaces the
// domain and app/bus declare. It knows no transport, broker or database.
package app

import (
	"github.com/example/orders-service/app/command"
	"github.com/example/orders-service/app/event"
	"github.com/example/orders-service/app/query"
)

// Application is everything the ports can drive.
type Application struct {
	Commands command.Handlers
	Events   Events
	Queries  Queries
}

// Events are the handlers that react to events.
type Events struct {
	ReserveStockOnOrderPlaced      event.ReserveStockOnOrderPlaced
	ReleaseStockOnOrderCancelled   event.ReleaseStockOnOrderCancelled
	ShipStockOnOrderShipped        event.ShipStockOnOrderShipped
	ConfirmOrderOnStockReserved    event.ConfirmOrderOnStockReserved
	RejectOrderOnReservationFailed event.RejectOrderOnReservationFailed
	OrderProjection                event.OrderProjection
}

// Queries are the read-side use cases.
type Queries struct {
	Order     query.OrderHandler
	WaitOrder query.WaitOrderHandler
	Orders    query.OrdersHandler
	Stock     query.StockHandler
}

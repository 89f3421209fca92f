package app

import (
	"time"

	"github.com/example/orders-service/app/bus"
	"github.com/example/orders-service/app/command"
	"github.com/example/orders-service/app/event"
	"github.com/example/orders-service/app/query"
	"github.com/example/orders-service/domain/order"
	"github.com/example/orders-service/domain/stock"
)

// Adapters are what the application needs from the outside world.
type Adapters struct {
	Orders    order.Repository
	Stock     stock.Repository
	ReadModel query.OrderReadModel
	Changes   query.OrderChanges // signals changes of ReadModel's views; nil: waits re-read every query.DefaultRecheck
	Commands  bus.CommandSender
	Events    bus.EventPublisher
	Clock     func() time.Time // nil means time.Now
}

// New wires the application.
func New(a Adapters) Application {
	return Application{
		Commands: command.NewHandlers(command.Deps{Orders: a.Orders, Stock: a.Stock, Events: a.Events, Clock: a.Clock}),
		Events: Events{
			ReserveStockOnOrderPlaced:      event.ReserveStockOnOrderPlaced{Commands: a.Commands},
			ReleaseStockOnOrderCancelled:   event.ReleaseStockOnOrderCancelled{Commands: a.Commands},
			ShipStockOnOrderShipped:        event.ShipStockOnOrderShipped{Commands: a.Commands},
			ConfirmOrderOnStockReserved:    event.ConfirmOrderOnStockReserved{Commands: a.Commands},
			RejectOrderOnReservationFailed: event.RejectOrderOnReservationFailed{Commands: a.Commands},
			OrderProjection:                event.OrderProjection{ReadModel: a.ReadModel},
		},
		Queries: Queries{
			Order:     query.OrderHandler{ReadModel: a.ReadModel},
			WaitOrder: query.WaitOrderHandler{ReadModel: a.ReadModel, Changes: a.Changes},
			Orders:    query.OrdersHandler{ReadModel: a.ReadModel},
			Stock:     query.StockHandler{Stock: a.Stock},
		},
	}
}

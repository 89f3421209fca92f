package app

import (
	"github.com/example/orders-service/app/bus"
	"github.com/example/orders-service/app/command"
	"github.com/example/orders-service/app/event"
	"github.com/example/orders-service/domain/stock"
)

// The consumer groups. A group reads one stream (the commands or the events of one
// context) in one Kafka consumer group, and handles each key's messages in order: that is
// what keeps PlaceOrder and a CancelOrder right behind it in order. Each event group has its
// own consumer group, so a slow projection never holds back a policy.
const (
	orderCommands   = "order-commands"
	stockCommands   = "stock-commands"
	stockPolicy     = "stock-policy"
	orderPolicy     = "order-policy"
	orderProjection = "order-projection"
)

// routes is THE routing table: which handler consumes which message type, in which consumer
// group. The messaging port builds its consumers and the topic list from it, and the
// application tests deliver through it. To add a handler, write it as a method in app/command
// or app/event and add its line here (routes_test.go fails until you do).
func routes(a Adapters) []bus.Route {
	commands := command.Handlers{Orders: a.Orders, Stock: a.Stock, Events: a.Events, Clock: a.Clock}
	policies := event.Policies{Commands: a.Commands}
	projection := event.OrderProjection{ReadModel: a.ReadModel}
	return []bus.Route{
		bus.Command(orderCommands, commands.PlaceOrder),
		bus.Command(orderCommands, commands.ConfirmOrder),
		bus.Command(orderCommands, commands.RejectOrder),
		bus.Command(orderCommands, commands.CancelOrder),
		bus.Command(orderCommands, commands.ShipOrder),

		bus.Command(stockCommands, commands.SetStockLevel),
		bus.Command(stockCommands, commands.ReserveStock),
		bus.Command(stockCommands, commands.ReleaseStock),
		bus.Command(stockCommands, commands.ShipStock),

		bus.Event(stockPolicy, policies.ReserveStockOnOrderPlaced),
		bus.Event(stockPolicy, policies.ReleaseStockOnOrderCancelled),
		bus.Event(stockPolicy, policies.ShipStockOnOrderShipped),

		bus.Event(orderPolicy, policies.ConfirmOrderOnStockReserved),
		bus.Event(orderPolicy, policies.RejectOrderOnReservationFailed),

		bus.Event(orderProjection, projection.OnPlaced),
		bus.Event(orderProjection, projection.OnConfirmed),
		bus.Event(orderProjection, projection.OnRejected),
		bus.Event(orderProjection, projection.OnCancelled),
		bus.Event(orderProjection, projection.OnShipped),
		bus.Event(orderProjection, projection.OnCommandRefused),

		// Published for consumers elsewhere; no handler here.
		bus.Published[stock.StockLevelSet](),
		bus.Published[stock.StockReleased](),
		bus.Published[stock.StockShipped](),
	}
}

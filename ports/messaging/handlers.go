package messaging

import "github.com/example/orders-service/app"

// registerHandlers is THE list of message handlers. To add one: write the handler in
// app/command or app/event as a func(ctx, Message) error, and add one Handle line here, in
// the group of the topic it consumes (declare a new group to consume another topic).
func registerHandlers(r *Registry, a app.Application) {
	orderCommands := r.Commands("order-commands", OrdersContext)
	Handle(orderCommands, a.Commands.PlaceOrder.Handle)
	Handle(orderCommands, a.Commands.ConfirmOrder.Handle)
	Handle(orderCommands, a.Commands.RejectOrder.Handle)
	Handle(orderCommands, a.Commands.CancelOrder.Handle)
	Handle(orderCommands, a.Commands.ShipOrder.Handle)

	stockCommands := r.Commands("stock-commands", StockContext)
	Handle(stockCommands, a.Commands.SetStockLevel.Handle)
	Handle(stockCommands, a.Commands.ReserveStock.Handle)
	Handle(stockCommands, a.Commands.ReleaseStock.Handle)
	Handle(stockCommands, a.Commands.ShipStock.Handle)

	stockPolicy := r.Events("stock-policy", OrdersContext)
	Handle(stockPolicy, a.Events.ReserveStockOnOrderPlaced.Handle)
	Handle(stockPolicy, a.Events.ReleaseStockOnOrderCancelled.Handle)
	Handle(stockPolicy, a.Events.ShipStockOnOrderShipped.Handle)

	orderPolicy := r.Events("order-policy", StockContext)
	Handle(orderPolicy, a.Events.ConfirmOrderOnStockReserved.Handle)
	Handle(orderPolicy, a.Events.RejectOrderOnReservationFailed.Handle)

	orderProjection := r.Events("order-projection", OrdersContext)
	Handle(orderProjection, a.Events.OrderProjection.OnPlaced)
	Handle(orderProjection, a.Events.OrderProjection.OnConfirmed)
	Handle(orderProjection, a.Events.OrderProjection.OnRejected)
	Handle(orderProjection, a.Events.OrderProjection.OnCancelled)
	Handle(orderProjection, a.Events.OrderProjection.OnShipped)
	Handle(orderProjection, a.Events.OrderProjection.OnCommandRefused)
}

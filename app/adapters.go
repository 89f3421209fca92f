package app

import (
	"time"

	"github.com/example/orders-service/app/bus"
	"github.com/example/orders-service/app/query"
	"github.com/example/orders-service/domain/order"
	"github.com/example/orders-service/domain/stock"
)

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

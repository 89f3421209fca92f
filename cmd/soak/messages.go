package main

// The service's wire contract as the tool reads it (README: Topics and message flow). The
// tool is a black box client, so it names these itself rather than importing the service's
// packages: a change of the contract must show up here as a failing check, not silently.

// Topics, without the run's prefix.
const (
	topicOrderCommands = "orders.commands"
	topicOrderEvents   = "orders.events"
	topicStockCommands = "stock.commands"
	topicStockEvents   = "stock.events"
	topicPoison        = "poison"
)

var allTopics = []string{topicOrderCommands, topicOrderEvents, topicStockCommands, topicStockEvents, topicPoison}

// Message types (the "type" header).
const (
	cmdPlaceOrder    = "orders.PlaceOrder.v1"
	cmdConfirmOrder  = "orders.ConfirmOrder.v1"
	cmdRejectOrder   = "orders.RejectOrder.v1"
	cmdCancelOrder   = "orders.CancelOrder.v1"
	cmdShipOrder     = "orders.ShipOrder.v1"
	cmdSetStockLevel = "stock.SetStockLevel.v1"
	cmdReserveStock  = "stock.ReserveStock.v1"
	cmdReleaseStock  = "stock.ReleaseStock.v1"
	cmdShipStock     = "stock.ShipStock.v1"

	evOrderPlaced    = "orders.OrderPlaced.v1"
	evOrderConfirmed = "orders.OrderConfirmed.v1"
	evOrderRejected  = "orders.OrderRejected.v1"
	evOrderCancelled = "orders.OrderCancelled.v1"
	evOrderShipped   = "orders.OrderShipped.v1"
	evOrderRefused   = "orders.OrderCommandRefused.v1"

	evStockLevelSet    = "stock.StockLevelSet.v1"
	evStockReserved    = "stock.StockReserved.v1"
	evStockReserveFail = "stock.StockReservationFailed.v1"
	evStockReleased    = "stock.StockReleased.v1"
	evStockShipped     = "stock.StockShipped.v1"
)

// Headers.
const (
	headerType        = "type"
	headerUUID        = "_watermill_message_uuid"
	headerCorrelation = "correlation_id"
	headerCausation   = "causation_id"
	// headerInjected marks a poison message the tool produced; the poison copy keeps it.
	headerInjected = "soak_poison"

	headerPoisonTopic     = "topic_poisoned"
	headerPoisonPartition = "partition_poisoned"
	headerPoisonOffset    = "offset_poisoned"
	headerPoisonReason    = "reason_poisoned"
	headerPoisonHandler   = "handler_poisoned"
)

// Order statuses, and the one each status event sets.
const (
	statusPending   = "pending"
	statusConfirmed = "confirmed"
	statusRejected  = "rejected"
	statusCancelled = "cancelled"
	statusShipped   = "shipped"
)

var statusOf = map[string]string{
	evOrderPlaced:    statusPending,
	evOrderConfirmed: statusConfirmed,
	evOrderRejected:  statusRejected,
	evOrderCancelled: statusCancelled,
	evOrderShipped:   statusShipped,
}

// next is the order's state machine: the statuses each status may move to.
var next = map[string][]string{
	"":              {statusPending},
	statusPending:   {statusConfirmed, statusRejected, statusCancelled},
	statusConfirmed: {statusShipped, statusCancelled},
}

// settledStatus tells whether the saga is done with an order in this status: confirmed
// waits for a person, the others are terminal.
func settledStatus(s string) bool { return s != "" && s != statusPending }

// The consumer groups (README: each [consumer] is one group), the topic each reads, and
// whether its handler publishes (the projection publishes nothing).
type consumerGroup struct {
	name, topic string
}

var consumerGroups = []consumerGroup{
	{"order-commands", topicOrderCommands},
	{"stock-commands", topicStockCommands},
	{"stock-policy", topicOrderEvents},
	{"order-policy", topicStockEvents},
	{"order-projection", topicOrderEvents},
}

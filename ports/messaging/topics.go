package messaging

import (
	"fmt"
	"strings"
)

// Topics names the Kafka topics. A message's topic follows from its explicit wire name:
// "orders.PlaceOrder.v1" is a command of the orders context, so it goes to
// "<prefix>orders.commands"; "stock.StockReserved.v1" goes to "<prefix>stock.events".
type Topics struct {
	Prefix string
}

const (
	OrdersContext = "orders"
	StockContext  = "stock"
)

func (t Topics) Commands(context string) string { return t.Prefix + context + ".commands" }
func (t Topics) Events(context string) string   { return t.Prefix + context + ".events" }
func (t Topics) Poison() string                 { return t.Prefix + "poison" }

// All lists every topic the service uses, for provisioning and readiness.
func (t Topics) All() []string {
	return []string{
		t.Commands(OrdersContext), t.Events(OrdersContext),
		t.Commands(StockContext), t.Events(StockContext),
		t.Poison(),
	}
}

func contextOf(messageName string) (string, error) {
	context, _, ok := strings.Cut(messageName, ".")
	if !ok || context == "" {
		return "", fmt.Errorf("message name %q has no context prefix (want \"context.Name.vN\")", messageName)
	}
	return context, nil
}

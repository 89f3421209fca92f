package messaging

import (
	"fmt"
	"slices"

	"github.com/example/orders-service/app/bus"
)

// Topics names the Kafka topics. A message's topic follows from its explicit wire name and
// its kind: "orders.PlaceOrder.v1" is a command of the orders context, so it goes to
// "<prefix>orders.commands"; "stock.StockReserved.v1" goes to "<prefix>stock.events".
type Topics struct {
	Prefix string
}

func (t Topics) Commands(context string) string { return t.Prefix + context + ".commands" }
func (t Topics) Events(context string) string   { return t.Prefix + context + ".events" }
func (t Topics) Poison() string                 { return t.Prefix + "poison" }

// Of is the topic of a route's message.
func (t Topics) Of(r bus.Route) (string, error) {
	context, err := r.Context()
	if err != nil {
		return "", err
	}
	switch r.Kind {
	case bus.KindCommand:
		return t.Commands(context), nil
	case bus.KindEvent:
		return t.Events(context), nil
	}
	return "", fmt.Errorf("%s has no kind: route it with bus.Command or bus.Event", r.Message)
}

// For lists, sorted, every topic a routing table uses (the topics of the messages it
// consumes and publishes) and the poison topic: what the service provisions and what
// readiness checks.
func (t Topics) For(routes []bus.Route) ([]string, error) {
	all := []string{t.Poison()}
	for _, r := range routes {
		topic, err := t.Of(r)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(all, topic) {
			all = append(all, topic)
		}
	}
	slices.Sort(all)
	return all, nil
}

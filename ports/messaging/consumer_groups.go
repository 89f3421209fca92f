package messaging

import "github.com/example/orders-service/app/bus"

// ConsumerGroup is one consumer of a routing table: the router handler, the Kafka consumer
// group it reads in, and the topic it reads. Whatever watches the consumers from outside
// (consumer lag) learns them here, from the routing table, as the router does.
type ConsumerGroup struct {
	Handler string // the router handler's name, the group's name in the routing table
	Group   string // the Kafka consumer group: the prefix and the handler's name
	Topic   string
}

// ConsumerGroups lists the consumers the router builds from routes, in the table's order.
func ConsumerGroups(routes []bus.Route, topics Topics, groupPrefix string) ([]ConsumerGroup, error) {
	groups, err := groupsOf(routes, topics)
	if err != nil {
		return nil, err
	}
	out := make([]ConsumerGroup, 0, len(groups))
	for _, g := range groups {
		out = append(out, ConsumerGroup{Handler: g.name, Group: groupPrefix + g.name, Topic: g.topic})
	}
	return out, nil
}

package service_test

import (
	"context"
	"sync"
	"testing"

	"github.com/example/orders-service/domain/order"
	"github.com/example/orders-service/service"
)

// heldOrders holds every order update until released: the order-commands consumer group
// stops moving on, its partitions waiting behind the message in hand, while commands keep
// arriving.
type heldOrders struct {
	order.Repository
	release chan struct{}
	once    sync.Once
}

func (h *heldOrders) Update(ctx context.Context, id string, update func(*order.Order) (*order.Order, error)) error {
	select {
	case <-h.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	return h.Repository.Update(ctx, id, update)
}

func (h *heldOrders) let() { h.once.Do(func() { close(h.release) }) }

// A consumer group that stops while messages arrive shows them all as its lag, per
// partition and in its sum, while the groups that got nothing stay at 0; once it moves on,
// its lag drains to 0.
func TestMetricsShowTheLagOfAStoppedConsumerGroupAndItsDrain(t *testing.T) {
	t.Parallel()
	held := &heldOrders{release: make(chan struct{})}
	// The held handler must not time out and be retried meanwhile.
	env := withEnv(metricsEnv, map[string]string{"HANDLER_TIMEOUT": "60s"})
	h := startService(t, env, service.Options{WrapOrders: func(r order.Repository) order.Repository {
		held.Repository = r
		return held
	}})
	t.Cleanup(held.let) // before the shutdown, which runs later (cleanups run last first)
	h.setStock("sku-lag", 100)

	const placed = 6
	var ids []string
	for range placed {
		ids = append(ids, h.placeOrder(nil, "cust-lag", item{"sku-lag", 1}).OrderID)
	}
	commands := map[string]string{"group": "orders-service.order-commands", "topic": "orders.commands"}
	h.waitMetrics("the stopped group's lag",
		expect("orders_kafka_consumer_group_lag", commands, exactly(placed)),
		expect("orders_kafka_consumer_lag", commands, exactly(placed)), // summed over partitions
		expect("orders_kafka_consumer_group_lag", map[string]string{"group": "orders-service.stock-policy"}, exactly(0)),
	)

	held.let()
	for _, id := range ids {
		h.waitOrderStatus(id, "confirmed")
	}
	var drained []expectation
	for _, g := range consumerGroups {
		drained = append(drained, expect("orders_kafka_consumer_group_lag", map[string]string{"group": "orders-service." + g}, exactly(0)))
	}
	h.waitMetrics("every group's lag drained", drained...)
}

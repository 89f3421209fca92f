package service_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/example/orders-service/domain/order"
	"github.com/example/orders-service/service"
)

// metricsEnv reads consumer lag and the outbox backlog often, so tests see them settle
// within their deadlines.
var metricsEnv = map[string]string{"METRICS_LAG_INTERVAL": "100ms"}

// consumerGroups are the routing table's groups as the tests' configuration names them.
var consumerGroups = []string{"order-commands", "stock-commands", "stock-policy", "order-policy", "order-projection"}

// An order's way through the service shows on /metrics: its requests by route, each
// handler's deliveries and attempts, the publishes by topic, and once it is done, every
// consumer group's lag back at 0 (and, in the PostgreSQL mode, every outbox shard empty).
func TestMetricsFollowAnOrder(t *testing.T) {
	forEachMode(t, func(t *testing.T, mode map[string]string) {
		h := startService(t, withEnv(mode, metricsEnv), service.Options{})
		h.setStock("sku-m", 5)
		a := h.placeOrder(nil, "cust-m", item{"sku-m", 2})
		h.waitOrderStatus(a.OrderID, "confirmed")
		if code, _ := h.do("GET", "/no/such/route", "", nil); code != http.StatusNotFound {
			t.Fatalf("GET /no/such/route: %d, want 404", code)
		}

		exps := []expectation{
			expect("orders_http_requests_total", map[string]string{"route": "/orders", "method": "POST", "code": "202"}, exactly(1)),
			expect("orders_http_requests_total", map[string]string{"route": "/stock/:sku", "method": "PUT", "code": "202"}, exactly(1)),
			expect("orders_http_requests_total", map[string]string{"route": "/orders/:id", "method": "GET", "code": "200"}, atLeast(1)),
			expect("orders_http_requests_total", map[string]string{"route": "unmatched", "method": "GET", "code": "404"}, exactly(1)),
			expect("orders_http_request_duration_seconds", map[string]string{"route": "/orders", "method": "POST", "wait": "false"}, exactly(1)),
			expect("orders_http_waiting_requests", nil, exactly(0)),

			expect("orders_handler_messages_total", map[string]string{"handler": "order-commands", "type": "orders.PlaceOrder.v1", "outcome": "ok"}, exactly(1)),
			expect("orders_handler_messages_total", map[string]string{"handler": "stock-commands", "type": "stock.ReserveStock.v1", "outcome": "ok"}, exactly(1)),
			expect("orders_handler_messages_total", map[string]string{"handler": "order-projection", "type": "orders.OrderConfirmed.v1", "outcome": "ok"}, exactly(1)),
			expect("watermill_handler_execution_time_seconds", map[string]string{"handler_name": "order-policy", "success": "true"}, exactly(1)),

			expect("orders_kafka_publish_duration_seconds", map[string]string{"topic": "orders.commands", "success": "true"}, atLeast(2)),
			expect("orders_kafka_publish_duration_seconds", map[string]string{"topic": "orders.events", "success": "true"}, atLeast(2)),
			expect("orders_kafka_publish_duration_seconds", map[string]string{"topic": "stock.commands", "success": "true"}, atLeast(2)),

			expect("orders_poison_topic_messages", map[string]string{"topic": "poison"}, exactly(0)),
			expect("orders_metrics_refresh_timestamp_seconds", map[string]string{"source": "kafka"}, atLeast(1)),
			expect("orders_ready", map[string]string{"check": "kafka"}, exactly(1)),
			expect("orders_ready", map[string]string{"check": "consumers"}, exactly(1)),
			expect("go_goroutines", nil, atLeast(1)),
			expect("process_cpu_seconds_total", nil, atLeast(0)),
		}
		for _, g := range consumerGroups {
			group := "orders-service." + g
			exps = append(exps,
				expect("orders_kafka_consumer_group_lag", map[string]string{"group": group}, exactly(0)),
				// KAFKA_PARTITIONS is 4 in the tests: one series per partition.
				expect("orders_kafka_consumer_lag", map[string]string{"group": group, "partition": "3"}, exactly(0)),
			)
		}
		if mode["DATABASE_URL"] != "" {
			for shard := range 4 { // OUTBOX_SHARDS' default
				labels := map[string]string{"shard": strconv.Itoa(shard)}
				exps = append(exps,
					expect("orders_outbox_backlog_messages", labels, exactly(0)),
					expect("orders_outbox_oldest_unsent_age_seconds", labels, exactly(0)))
			}
			exps = append(exps,
				expect("orders_metrics_refresh_timestamp_seconds", map[string]string{"source": "outbox"}, atLeast(1)),
				expect("orders_db_pool_max_connections", nil, exactly(10)),
				expect("orders_db_pool_acquires_total", nil, atLeast(1)),
				expect("orders_ready", map[string]string{"check": "outbox"}, exactly(1)))
		}
		h.waitMetrics("the order's metrics, and every consumer group caught up", exps...)
	})
}

// Each delivery counts under its outcome: a handler that fails once and then succeeds is
// "retried"; a malformed message and one of a type no route names are "poisoned" (the
// unknown type under the label "unknown", never under the header's value), counted once the
// poison topic took them, which its size shows too.
func TestMetricsCountOutcomesAndPoison(t *testing.T) {
	t.Parallel()
	flaky := &flakyOrders{}
	flaky.failuresLeft.Store(1)
	h := startService(t, metricsEnv, service.Options{WrapOrders: func(r order.Repository) order.Repository {
		flaky.Repository = r
		return flaky
	}})
	h.setStock("sku-o", 5)
	a := h.placeOrder(nil, "cust-o", item{"sku-o", 1})
	h.waitOrderStatus(a.OrderID, "confirmed")

	producer, err := kgo.NewClient(kgo.SeedBrokers(h.svc.Brokers()...))
	if err != nil {
		t.Fatal(err)
	}
	defer producer.Close()
	commands := h.svc.Topics().Commands("orders")
	for _, r := range []*kgo.Record{
		{Topic: commands, Key: []byte("bad-1"), Value: []byte("{not json"), Headers: []kgo.RecordHeader{{Key: "type", Value: []byte("orders.PlaceOrder.v1")}}},
		{Topic: commands, Key: []byte("bad-2"), Value: []byte("{}"), Headers: []kgo.RecordHeader{{Key: "type", Value: []byte("orders.NoSuchCommand.v1")}}},
	} {
		if err := producer.ProduceSync(context.Background(), r).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}

	outcome := func(typ, outcome string) map[string]string {
		return map[string]string{"handler": "order-commands", "type": typ, "outcome": outcome}
	}
	h.waitMetrics("outcomes and poison counted",
		expect("orders_handler_messages_total", outcome("orders.PlaceOrder.v1", "retried"), exactly(1)),
		expect("orders_handler_messages_total", outcome("orders.PlaceOrder.v1", "poisoned"), exactly(1)),
		expect("orders_handler_messages_total", outcome("unknown", "poisoned"), exactly(1)),
		expect("orders_poison_messages_total", map[string]string{"topic": "orders.commands", "handler": "order-commands"}, exactly(2)),
		expect("orders_poison_topic_messages", map[string]string{"topic": "poison"}, exactly(2)),
		// The failed first attempt, and the one attempt of each message poisoned at once.
		expect("watermill_handler_execution_time_seconds", map[string]string{"handler_name": "order-commands", "success": "false"}, exactly(3)),
		expect("orders_kafka_publish_duration_seconds", map[string]string{"topic": "poison", "success": "true"}, exactly(2)),
	)
	if _, found := (series{name: "orders_handler_messages_total", labels: map[string]string{"type": "orders.NoSuchCommand.v1"}}).value(h.scrape()); found {
		t.Error("a type no route names is a label value: a producer could make the label's values unbounded")
	}
}

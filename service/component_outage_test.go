package service_test

import (
	"context"
	"testing"
	"time"

	"github.com/example/orders-service/adapters/kafka"
	"github.com/example/orders-service/service"
)

// A broker outage longer than the handlers' retries, while orders are in flight, poisons
// nothing and loses no step: a handler that cannot send holds its message until the broker
// is back. Poisoning there (what happened before) left orders pending for ever.
func TestBrokerOutageHoldsMessagesAndLosesNoStep(t *testing.T) {
	dir := t.TempDir()
	broker, err := kafka.StartEmbedded("127.0.0.1:0", 2, dir)
	if err != nil {
		t.Fatal(err)
	}
	addr := broker.Addr()
	defer func() { broker.Close() }()
	h := startService(t, map[string]string{
		"KAFKA_BROKERS": addr, "KAFKA_PARTITIONS": "2", "KAFKA_DIAL_TIMEOUT": "500ms", "KAFKA_IDEMPOTENT_PRODUCER": "false",
		// Retries spent well within the outage: without the hold every failing step is poisoned.
		"RETRY_MAX_RETRIES": "2", "RETRY_INITIAL_INTERVAL": "10ms", "RETRY_MAX_INTERVAL": "20ms", "RETRY_MAX_ELAPSED_TIME": "200ms",
	}, service.Options{})
	h.setStock("sku-outage", 100)

	var ids []string
	for range 20 {
		ids = append(ids, h.placeOrder(nil, "cust-outage", item{"sku-outage", 1}).OrderID)
	}
	broker.Close()
	outage := time.Now()
	// The outage is the fault injected, not a wait for something to happen: the service's
	// handlers fail throughout it.
	time.Sleep(3 * time.Second)
	if broker, err = kafka.StartEmbedded(addr, 2, dir); err != nil {
		t.Fatalf("restarting the broker: %v", err)
	}
	t.Logf("broker away for %s", time.Since(outage).Round(time.Millisecond))

	for _, id := range ids {
		h.waitOrderStatus(id, "confirmed")
	}
	h.waitStock("sku-outage", 80, 20)
	c := kafkaClient(t, []string{addr}, h.svc.Topics().Poison())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if recs := c.PollFetches(ctx).Records(); len(recs) != 0 {
		t.Fatalf("%d messages poisoned by an outage: %s", len(recs), describe(recs))
	}
}

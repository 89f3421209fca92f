package service_test

import (
	"context"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/google/uuid"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/example/orders-service/service"
)

// A message that cannot be processed leaves its partition whatever its size: a record just
// under the broker's size limit, and one with a header of 130 KB that the poison reason
// repeats, both reach the poison topic as bounded copies, and an order behind them on the
// same partition completes. Without bounded copies the poison publish failed forever and
// the partition stopped.
func TestOversizedPoisonMessagesLeaveTheirPartition(t *testing.T) {
	// One partition: the bad records sit in front of the order on the same partition.
	h := startService(t, map[string]string{"KAFKA_PARTITIONS": "1"}, service.Options{})
	topics := h.svc.Topics()

	producer, err := kgo.NewClient(kgo.SeedBrokers(h.svc.Brokers()...), kgo.ProducerBatchMaxBytes(2_000_000))
	if err != nil {
		t.Fatal(err)
	}
	defer producer.Close()
	hugePayload := strings.Repeat("W", 1_048_300)
	hugeType := "orders.PlaceOrder.v1" + strings.Repeat("T", 130_000)
	bad := []*kgo.Record{
		{Topic: topics.Commands("orders"), Key: []byte("k1"), Value: []byte(hugePayload), Headers: []kgo.RecordHeader{
			{Key: "type", Value: []byte("orders.PlaceOrder.v1")}, {Key: "correlation_id", Value: []byte("edge")},
		}},
		{Topic: topics.Commands("orders"), Key: []byte("k2"), Value: []byte(`{"order_id":"x"}`), Headers: []kgo.RecordHeader{
			{Key: "type", Value: []byte(hugeType)}, {Key: "correlation_id", Value: []byte("edge-header")},
		}},
	}
	for _, r := range bad {
		if err := producer.ProduceSync(context.Background(), r).FirstErr(); err != nil {
			t.Fatalf("producing the oversized record %s: %v", r.Key, err)
		}
	}

	h.setStock("sku-big", 3)
	a := h.placeOrder(nil, "cust-big", item{"sku-big", 1})
	h.waitOrderStatus(a.OrderID, "confirmed")

	c := kafkaClient(t, h.svc.Brokers(), topics.Poison())
	poisoned := recordsUntil(t, c, 20*time.Second, "both oversized records poisoned", func(rs []*kgo.Record) bool { return len(rs) >= 2 })
	byKey := map[string]*kgo.Record{}
	for _, r := range poisoned {
		byKey[string(r.Key)] = r
	}

	big := byKey["k1"]
	if big == nil {
		t.Fatalf("the record near the size limit is not on the poison topic: %s", describe(poisoned))
	}
	if header(big, "payload_truncated_poisoned") != "true" || header(big, "payload_bytes_poisoned") != strconv.Itoa(len(hugePayload)) {
		t.Errorf("near-limit copy: payload_truncated_poisoned=%q payload_bytes_poisoned=%q, want true and %d",
			header(big, "payload_truncated_poisoned"), header(big, "payload_bytes_poisoned"), len(hugePayload))
	}
	if !strings.HasPrefix(hugePayload, string(big.Value)) || len(big.Value) == 0 {
		t.Errorf("near-limit copy's payload (%d bytes) is not the start of the original", len(big.Value))
	}
	for k, want := range map[string]string{"topic_poisoned": topics.Commands("orders"), "partition_poisoned": "0", "offset_poisoned": "0", "correlation_id": "edge"} {
		if got := header(big, k); got != want {
			t.Errorf("near-limit copy: %s = %q, want %q", k, got, want)
		}
	}

	// Sent without a message UUID: the copy names it by where it sits in Kafka.
	if _, err := uuid.Parse(header(big, "_watermill_message_uuid")); err != nil {
		t.Errorf("near-limit copy has no message UUID: %q", header(big, "_watermill_message_uuid"))
	}

	hdr := byKey["k2"]
	if hdr == nil {
		t.Fatalf("the record with an oversized header is not on the poison topic: %s", describe(poisoned))
	}
	if got := header(hdr, "headers_truncated_poisoned"); got != "type" {
		t.Errorf("oversized-header copy: headers_truncated_poisoned = %q, want type", got)
	}
	for _, k := range []string{"type", "reason_poisoned"} {
		if n := len(header(hdr, k)); n > 4096 {
			t.Errorf("oversized-header copy: %s is %d bytes, want it capped", k, n)
		}
	}
	if got := header(hdr, "correlation_id"); got != "edge-header" {
		t.Errorf("oversized-header copy: correlation_id = %q", got)
	}
	if n := h.logs.countLogs("message sent to the poison topic"); n != 2 {
		t.Errorf("'sent to the poison topic' logged %d times, want 2", n)
	}
	if n := h.logs.countLogs("cannot publish to the poison topic; the partition waits and the publish is retried"); n != 0 {
		t.Errorf("%d failed poison publishes, want none", n)
	}
	if max := longestLine(h.logs.String()); max > 16<<10 {
		t.Errorf("a log line of %d bytes: headers are repeated unbounded", max)
	}
}

func longestLine(s string) int {
	n := 0
	for _, line := range strings.Split(s, "\n") {
		n = max(n, len(line))
	}
	return n
}

// When the poison topic itself refuses a message (here: it was deleted from a broker that
// creates no topics on its own), the consumer holds the message and retries with back-off,
// /readyz names the stalled consumer with the cause, and once the topic is back the message
// is poisoned, readiness returns and the order queued behind it completes.
func TestRefusingPoisonTopicStallsTheConsumerVisiblyUntilItRecovers(t *testing.T) {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.ListenFn(func(network, _ string) (net.Listener, error) {
		return net.Listen(network, "127.0.0.1:0")
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	brokers := cluster.ListenAddrs()
	h := startService(t, map[string]string{"KAFKA_BROKERS": brokers[0], "KAFKA_PARTITIONS": "1", "KAFKA_DIAL_TIMEOUT": "500ms"}, service.Options{})
	topics := h.svc.Topics()

	admin, err := sarama.NewClusterAdmin(brokers, sarama.NewConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if err := admin.DeleteTopic(topics.Poison()); err != nil {
		t.Fatalf("deleting the poison topic: %v", err)
	}
	producer, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		t.Fatal(err)
	}
	defer producer.Close()
	bad := &kgo.Record{Topic: topics.Commands("orders"), Key: []byte("bad"), Value: []byte("{not json"), Headers: []kgo.RecordHeader{
		{Key: "type", Value: []byte("orders.PlaceOrder.v1")}, {Key: "correlation_id", Value: []byte("corr-stall")},
	}}
	if err := producer.ProduceSync(context.Background(), bad).FirstErr(); err != nil {
		t.Fatal(err)
	}
	a := h.placeOrder(nil, "cust-stall", item{"sku-stall", 1}) // queued behind the bad record

	h.eventually(20*time.Second, "/readyz naming the stalled consumer", func() (bool, string) {
		code, body := h.do("GET", "/readyz", "", nil)
		return code == http.StatusServiceUnavailable && strings.Contains(body, "consumer order-commands partition 0 stalled"), body
	})
	// Not a hot loop: a handful of attempts with growing pauses, one line each.
	if n := h.logs.countLogs("cannot publish to the poison topic; the partition waits and the publish is retried"); n < 1 || n > 8 {
		t.Errorf("%d lines about the refused poison publish by now, want a few", n)
	}
	if n := h.logs.countLogs("message sent to the poison topic"); n != 0 {
		t.Errorf("'sent to the poison topic' logged %d times while the topic refused it", n)
	}

	if err := admin.CreateTopic(topics.Poison(), &sarama.TopicDetail{NumPartitions: 1, ReplicationFactor: 1}, false); err != nil {
		t.Fatalf("creating the poison topic again: %v", err)
	}
	h.eventually(30*time.Second, "/readyz ready again", func() (bool, string) {
		code, body := h.do("GET", "/readyz", "", nil)
		return code == http.StatusOK, body
	})
	c := kafkaClient(t, brokers, topics.Poison())
	recordsUntil(t, c, 20*time.Second, "the bad record poisoned", func(rs []*kgo.Record) bool { return len(rs) >= 1 })
	h.waitOrderStatus(a.OrderID, "rejected") // no stock of its SKU
}

// An event that lacks what its handlers need is rejected where it arrives, by each group
// that handles its type, with the reason; it causes nothing downstream.
func TestInvalidEventIsPoisonedWhereItArrives(t *testing.T) {
	h := startService(t, map[string]string{"KAFKA_PARTITIONS": "1"}, service.Options{})
	topics := h.svc.Topics()
	producer, err := kgo.NewClient(kgo.SeedBrokers(h.svc.Brokers()...))
	if err != nil {
		t.Fatal(err)
	}
	defer producer.Close()
	empty := &kgo.Record{Topic: topics.Events("orders"), Key: []byte("evt"), Value: []byte(`{}`), Headers: []kgo.RecordHeader{
		{Key: "type", Value: []byte("orders.OrderPlaced.v1")}, {Key: "_watermill_message_uuid", Value: []byte("uuid-empty-event")},
	}}
	if err := producer.ProduceSync(context.Background(), empty).FirstErr(); err != nil {
		t.Fatal(err)
	}
	// An order behind it on the same partition of orders.events shows both groups went on.
	h.setStock("sku-ev", 1)
	a := h.placeOrder(nil, "cust-ev", item{"sku-ev", 1})
	h.waitOrderStatus(a.OrderID, "confirmed")

	c := kafkaClient(t, h.svc.Brokers(), topics.Poison())
	poisoned := recordsUntil(t, c, 20*time.Second, "the empty event poisoned by both groups", func(rs []*kgo.Record) bool { return len(rs) >= 2 })
	handlers := map[string]bool{}
	for _, r := range poisoned {
		handlers[header(r, "handler_poisoned")] = true
		if reason := header(r, "reason_poisoned"); !strings.Contains(reason, "rejecting orders.OrderPlaced.v1") || !strings.Contains(reason, "order_id is required") {
			t.Errorf("reason_poisoned = %q, want the rejected field named", reason)
		}
		if header(r, "attempts_poisoned") != "1" {
			t.Errorf("attempts_poisoned = %q, want 1: a rejection is permanent", header(r, "attempts_poisoned"))
		}
	}
	if !handlers["stock-policy"] || !handlers["order-projection"] || len(poisoned) != 2 {
		t.Errorf("poisoned by %v (%d records), want stock-policy and order-projection once each", handlers, len(poisoned))
	}
	cmds := kafkaClient(t, h.svc.Brokers(), topics.Commands("stock"))
	for _, r := range recordsUntil(t, cmds, 20*time.Second, "the order's ReserveStock", func(rs []*kgo.Record) bool {
		return len(ofType(rs, "stock.ReserveStock.v1", a.OrderID)) == 1
	}) {
		if header(r, "causation_id") == "uuid-empty-event" {
			t.Errorf("the empty event caused %s", header(r, "type"))
		}
	}
}

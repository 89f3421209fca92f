package postgres_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/example/orders-service/adapters/kafka"
	"github.com/example/orders-service/adapters/postgres"
	"github.com/example/orders-service/domain/order"
)

// outboxRig is a migrated schema with an order repository, and an embedded broker.
type outboxRig struct {
	db     *postgres.OrderRepository
	broker *kafka.Embedded
	pool   *pgxpool.Pool
}

func newOutboxRig(t *testing.T) (*outboxRig, func(handler message.HandlerFunc) message.HandlerFunc, postgres.OutboxPublisher, *postgres.Relay) {
	t.Helper()
	pool := newDB(t, 8)
	broker, err := kafka.StartEmbedded("127.0.0.1:0", 1, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(broker.Close)
	kafkaPub, err := kafka.Client{
		Brokers: []string{broker.Addr()},
		Key:     func(m *message.Message) string { return m.Metadata.Get("partition_key") },
	}.NewPublisher()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = kafkaPub.Close() })
	relay, err := postgres.NewRelay(context.Background(), pool, 0, kafkaPub, postgres.DefaultRelayBackoff, watermill.NopLogger{})
	if err != nil {
		t.Fatal(err)
	}
	rig := &outboxRig{db: postgres.NewOrderRepository(pool), broker: broker, pool: pool}
	return rig, postgres.UnitOfWork(pool), postgres.OutboxPublisher{Direct: kafkaPub, Shards: 1, Logger: watermill.NopLogger{}}, relay
}

// handlerThatPlacesAndAnnounces stores an order and sends an event through the outbox, in
// the unit of work's transaction, then fails when told to.
func handlerThatPlacesAndAnnounces(t *testing.T, repo *postgres.OrderRepository, outbox postgres.OutboxPublisher, orderID string, fail error) message.HandlerFunc {
	return func(msg *message.Message) ([]*message.Message, error) {
		ctx := msg.Context()
		err := repo.Update(ctx, orderID, func(*order.Order) (*order.Order, error) {
			o, _, err := order.New(orderID, "cust", []order.Line{{SKU: "a", Quantity: 1}}, time.Now())
			return o, err
		})
		if err != nil {
			t.Errorf("update: %v", err)
		}
		ev := message.NewMessage(watermill.NewUUID(), []byte(`{"order_id":"`+orderID+`"}`))
		ev.Metadata.Set("partition_key", orderID)
		ev.Metadata.Set("type", "orders.OrderPlaced.v1")
		ev.Metadata.Set("correlation_id", "corr-"+orderID)
		ev.SetContext(ctx)
		if err := outbox.Publish("orders.events", ev); err != nil {
			t.Errorf("outbox publish: %v", err)
		}
		return nil, fail
	}
}

func consumeAll(t *testing.T, broker string, want int, timeout time.Duration) []*kgo.Record {
	t.Helper()
	c, err := kgo.NewClient(kgo.SeedBrokers(broker), kgo.ConsumeTopics("orders.events"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.AllowAutoTopicCreation())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var recs []*kgo.Record
	for len(recs) < want && ctx.Err() == nil {
		recs = append(recs, c.PollFetches(ctx).Records()...)
	}
	return recs
}

func TestARolledBackUnitOfWorkLeavesNeitherStateNorMessage(t *testing.T) {
	rig, uow, outbox, relay := newOutboxRig(t)
	handlerErr := errors.New("handler failed after publishing")

	msg := message.NewMessage(watermill.NewUUID(), nil)
	_, err := uow(handlerThatPlacesAndAnnounces(t, rig.db, outbox, "order-rolled-back", handlerErr))(msg)
	if !errors.Is(err, handlerErr) {
		t.Fatalf("unit of work returned %v, want the handler's error", err)
	}
	if _, err := rig.db.Get(context.Background(), "order-rolled-back"); !errors.Is(err, order.ErrNotFound) {
		t.Fatalf("the rolled-back order was stored: %v", err)
	}

	// A committed unit of work after it proves the relay runs: it alone reaches Kafka.
	msg2 := message.NewMessage(watermill.NewUUID(), nil)
	if _, err := uow(handlerThatPlacesAndAnnounces(t, rig.db, outbox, "order-committed", nil))(msg2); err != nil {
		t.Fatal(err)
	}
	go func() { _ = relay.Run(context.Background()) }()
	t.Cleanup(func() { _ = relay.Close() })
	recs := consumeAll(t, rig.broker.Addr(), 2, 3*time.Second)
	if len(recs) != 1 || string(recs[0].Key) != "order-committed" {
		keys := []string{}
		for _, r := range recs {
			keys = append(keys, string(r.Key))
		}
		t.Fatalf("relayed %v, want only order-committed", keys)
	}
}

func TestACommittedMessageIsRelayedAfterARestartWithKeyAndHeaders(t *testing.T) {
	rig, uow, outbox, relay := newOutboxRig(t)
	// Committed while no relay runs: the process "crashed" between commit and relay.
	msg := message.NewMessage(watermill.NewUUID(), nil)
	if _, err := uow(handlerThatPlacesAndAnnounces(t, rig.db, outbox, "order-1", nil))(msg); err != nil {
		t.Fatal(err)
	}
	if recs := consumeAll(t, rig.broker.Addr(), 1, 500*time.Millisecond); len(recs) != 0 {
		t.Fatalf("%d records on Kafka before any relay ran", len(recs))
	}
	// The relay of the next start sends it, with its key and headers.
	go func() { _ = relay.Run(context.Background()) }()
	t.Cleanup(func() { _ = relay.Close() })
	recs := consumeAll(t, rig.broker.Addr(), 1, 10*time.Second)
	if len(recs) != 1 {
		t.Fatalf("%d records relayed, want 1", len(recs))
	}
	r := recs[0]
	headers := map[string]string{}
	for _, h := range r.Headers {
		headers[h.Key] = string(h.Value)
	}
	if string(r.Key) != "order-1" || headers["type"] != "orders.OrderPlaced.v1" || headers["correlation_id"] != "corr-order-1" || headers["_watermill_message_uuid"] == "" {
		t.Fatalf("relayed record key=%s headers=%v", r.Key, headers)
	}
}

func TestTheInboxRunsAHandlerOncePerMessage(t *testing.T) {
	rig, uow, outbox, _ := newOutboxRig(t)
	calls := 0
	h := uow(func(msg *message.Message) ([]*message.Message, error) {
		calls++
		return handlerThatPlacesAndAnnounces(t, rig.db, outbox, "order-once", nil)(msg)
	})
	id := watermill.NewUUID()
	for i := 0; i < 3; i++ {
		if _, err := h(message.NewMessage(id, nil)); err != nil {
			t.Fatal(err)
		}
	}
	if calls != 1 {
		t.Fatalf("handler ran %d times for one message delivered 3 times", calls)
	}
	// A failed attempt records nothing: the retry runs the handler again.
	failing := watermill.NewUUID()
	fails := 0
	h2 := uow(func(msg *message.Message) ([]*message.Message, error) {
		fails++
		if fails == 1 {
			return nil, errors.New("first attempt fails")
		}
		return nil, nil
	})
	_, _ = h2(message.NewMessage(failing, nil))
	if _, err := h2(message.NewMessage(failing, nil)); err != nil || fails != 2 {
		t.Fatalf("retry after a failed attempt: err=%v, handler ran %d times, want 2", err, fails)
	}
}

func TestPruneInboxForgetsOnlyOldEntries(t *testing.T) {
	pool := newDB(t, 4)
	ctx := context.Background()
	_, err := pool.Exec(ctx, `INSERT INTO processed_messages (handler, message_uuid, processed_at)
		VALUES ('h', 'old', now() - interval '8 days'), ('h', 'recent', now() - interval '1 hour')`)
	if err != nil {
		t.Fatal(err)
	}
	n, err := postgres.PruneInbox(ctx, pool, 7*24*time.Hour)
	if err != nil || n != 1 {
		t.Fatalf("PruneInbox deleted %d (%v), want 1", n, err)
	}
	var left []string
	rows, err := pool.Query(ctx, `SELECT message_uuid FROM processed_messages`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		left = append(left, id)
	}
	if len(left) != 1 || left[0] != "recent" {
		t.Fatalf("left %v, want [recent]", left)
	}
}

// TestOneKeyStaysInOneOutboxShard: messages of one order pass through one relay, which is
// what keeps them in order on their way to Kafka.
func TestOneKeyStaysInOneOutboxShard(t *testing.T) {
	pool := newDB(t, 4)
	ctx := context.Background()
	const shards = 4
	for shard := range shards {
		if _, err := postgres.NewRelay(ctx, pool, shard, nil, postgres.DefaultRelayBackoff, watermill.NopLogger{}); err != nil {
			t.Fatal(err)
		}
	}
	outbox := postgres.OutboxPublisher{Shards: shards, Key: func(m *message.Message) string { return m.Metadata.Get("partition_key") }, Logger: watermill.NopLogger{}}
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 40 {
		msg := message.NewMessage(watermill.NewUUID(), []byte("{}"))
		msg.Metadata.Set("partition_key", fmt.Sprintf("order-%d", i%8))
		msg.SetContext(postgres.WithTx(ctx, tx))
		if err := outbox.Publish("orders.events", msg); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	used := 0
	for shard := range shards {
		rows, err := pool.Query(ctx, fmt.Sprintf(`SELECT payload FROM "watermill_outbox_%d"`, shard))
		if err != nil {
			t.Fatal(err)
		}
		keys := map[string]int{}
		for rows.Next() {
			var payload []byte
			if err := rows.Scan(&payload); err != nil {
				t.Fatal(err)
			}
			var env struct{ Metadata map[string]string }
			if err := json.Unmarshal(payload, &env); err != nil {
				t.Fatal(err)
			}
			keys[env.Metadata["partition_key"]]++
		}
		for k, n := range keys {
			if n != 5 {
				t.Errorf("shard %d holds %d of the 5 messages of %s: one key must stay in one shard", shard, n, k)
			}
		}
		if len(keys) > 0 {
			used++
		}
	}
	if used < 2 {
		t.Errorf("8 keys landed in %d of %d shards; they should spread", used, shards)
	}
}

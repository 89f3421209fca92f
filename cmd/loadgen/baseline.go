package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/IBM/sarama"
	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"

	"github.com/example/orders-service/adapters/kafka"
)

// baselineConfig says what the raw watermill-kafka run does.
type baselineConfig struct {
	Brokers    []string
	Messages   int64
	Size       int // payload bytes
	Partitions int // 0: as many as the service's orders.commands topic
	Publishers int
	Timeout    time.Duration // bound on consuming everything back
	Security   kafka.Security
}

// baselineResult is what the raw run measured.
type baselineResult struct {
	Topic           string  `json:"topic"`
	Partitions      int     `json:"partitions"`
	Messages        int64   `json:"messages"`
	MessageBytes    int     `json:"message_bytes"`
	Publishers      int     `json:"publishers"`
	PublishSec      float64 `json:"publish_sec"`
	ElapsedSec      float64 `json:"elapsed_sec"` // first publish to last message consumed and all published
	PublishedPerSec float64 `json:"published_per_sec"`
	MsgsPerSec      float64 `json:"msgs_per_sec"` // messages / elapsed_sec
}

// Metadata the service puts on every message, reproduced so baseline messages are as big
// on the wire.
const (
	mdCorrelationID = "correlation_id"
	mdCausationID   = "causation_id"
	mdType          = "type"
	mdPartitionKey  = "partition_key"
	mdWarmup        = "loadgen_warmup"
	serviceTopic    = "orders.commands"
)

// runBaseline publishes cfg.Messages messages to a fresh topic with cfg.Publishers
// goroutines through the service's own Kafka adapter (same Sarama settings: acks from all
// in-sync replicas, idempotent producer, protocol 2.3, oldest offset), and reads them back
// with a Watermill router and an ack-only handler, as the service's consumers do. Six
// messages share a key, like the messages of one order. Time runs from the first publish
// to the last message consumed; the consumer group has joined before (a warm-up message
// went round), so the join is not timed. The topic is deleted afterwards.
func runBaseline(ctx context.Context, cfg baselineConfig) (baselineResult, error) {
	res := baselineResult{Topic: "loadgen.baseline." + uuid.NewString(), Messages: cfg.Messages, MessageBytes: cfg.Size, Publishers: cfg.Publishers}
	if cfg.Messages <= 0 {
		return res, errors.New("baseline: no messages to send (no order reached a final state)")
	}
	admin, err := kafka.NewClusterAdmin(cfg.Brokers, baselineSettings(cfg.Security))
	if err != nil {
		return res, fmt.Errorf("baseline: %w", err)
	}
	defer admin.Close()
	if res.Partitions, err = baselinePartitions(admin, cfg.Partitions); err != nil {
		return res, err
	}
	if err := admin.CreateTopic(res.Topic, &sarama.TopicDetail{NumPartitions: int32(res.Partitions), ReplicationFactor: 1}, false); err != nil {
		return res, fmt.Errorf("baseline: creating topic %s: %w", res.Topic, err)
	}
	defer admin.DeleteTopic(res.Topic) //nolint:errcheck // best effort: the topic is only garbage now

	client := kafka.Client{
		Brokers:  cfg.Brokers,
		Settings: baselineSettings(cfg.Security),
		Key:      func(m *message.Message) string { return m.Metadata.Get(mdPartitionKey) },
		Logger:   watermill.NopLogger{},
	}
	pub, err := client.NewPublisher()
	if err != nil {
		return res, fmt.Errorf("baseline: %w", err)
	}
	defer pub.Close()
	sub, err := client.NewSubscriber(res.Topic)
	if err != nil {
		return res, fmt.Errorf("baseline: %w", err)
	}

	c := newBaselineConsumer(cfg.Messages)
	router, err := message.NewRouter(message.RouterConfig{CloseTimeout: 10 * time.Second}, watermill.NopLogger{})
	if err != nil {
		return res, fmt.Errorf("baseline: creating router: %w", err)
	}
	router.AddConsumerHandler("loadgen-baseline", res.Topic, sub, c.handle)
	routerDone := make(chan error, 1)
	go func() { routerDone <- router.Run(context.Background()) }()
	defer func() {
		router.Close()
		<-routerDone
	}()

	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	payload := baselinePayload(cfg.Size)
	if err := warmUp(ctx, pub, res.Topic, payload, c); err != nil {
		return res, err
	}

	start := time.Now()
	if err := publishAll(ctx, pub, res.Topic, payload, cfg.Messages, cfg.Publishers); err != nil {
		return res, err
	}
	published := time.Now()
	select {
	case <-c.done:
	case <-ctx.Done():
		return res, fmt.Errorf("baseline: consumed %d of %d messages: %w", c.count.Load(), cfg.Messages, ctx.Err())
	}
	// The last message may be consumed before the publishers have all returned: the flow
	// is done when both happened.
	end := c.last
	if published.After(end) {
		end = published
	}
	res.PublishSec = round(published.Sub(start).Seconds(), 3)
	res.ElapsedSec = round(end.Sub(start).Seconds(), 3)
	res.PublishedPerSec = round(perSecond(cfg.Messages, published.Sub(start)), 1)
	res.MsgsPerSec = round(perSecond(cfg.Messages, end.Sub(start)), 1)
	return res, nil
}

// baselinePartitions is want, or when 0 the partition count of the service's command
// topic (8, the service's default, when it does not exist).
func baselinePartitions(admin sarama.ClusterAdmin, want int) (int, error) {
	if want > 0 {
		return want, nil
	}
	md, err := admin.DescribeTopics([]string{serviceTopic})
	if err != nil {
		return 0, fmt.Errorf("baseline: describing topic %s: %w", serviceTopic, err)
	}
	if len(md) == 1 && md[0].Err == sarama.ErrNoError && len(md[0].Partitions) > 0 {
		return len(md[0].Partitions), nil
	}
	return 8, nil
}

// baselinePayload is a JSON object of exactly size bytes (at least its fixed part), shaped
// like the service's messages.
func baselinePayload(size int) []byte {
	const head = `{"order_id":"0198a2b4-7c1e-7d3a-9f60-2b5e8c4d1a7f","customer_id":"loadgen-customer","items":[{"sku":"loadgen-sku-1","quantity":1}],"pad":"`
	const tail = `"}`
	pad := max(size-len(head)-len(tail), 0)
	return []byte(head + strings.Repeat("x", pad) + tail)
}

func newBaselineMessage(payload []byte, key string) *message.Message {
	m := message.NewMessage(uuid.Must(uuid.NewV7()).String(), payload)
	m.Metadata.Set(mdCorrelationID, key)
	m.Metadata.Set(mdCausationID, uuid.Must(uuid.NewV7()).String())
	m.Metadata.Set(mdType, "orders.OrderPlaced.v1")
	m.Metadata.Set(mdPartitionKey, key)
	return m
}

// publishAll publishes n messages with the given number of goroutines, each message
// synchronously (Publish returns once the broker acknowledged it), as the service's
// handlers and HTTP requests do.
func publishAll(ctx context.Context, pub message.Publisher, topic string, payload []byte, n int64, publishers int) error {
	var next atomic.Int64
	var once sync.Once
	var firstErr error
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for range publishers {
		wg.Go(func() {
			key := uuid.NewString()
			for ctx.Err() == nil {
				i := next.Add(1) - 1
				if i >= n {
					return
				}
				if i%messagesPerOrder == 0 {
					key = uuid.NewString()
				}
				if err := pub.Publish(topic, newBaselineMessage(payload, key)); err != nil {
					once.Do(func() { firstErr = fmt.Errorf("baseline: publishing message %d to %s: %w", i, topic, err) })
					cancel()
					return
				}
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

// warmUp sends one message and waits until it comes back, so the consumer group has
// joined before the timed run.
func warmUp(ctx context.Context, pub message.Publisher, topic string, payload []byte, c *baselineConsumer) error {
	m := newBaselineMessage(payload, uuid.NewString())
	m.Metadata.Set(mdWarmup, "true")
	if err := pub.Publish(topic, m); err != nil {
		return fmt.Errorf("baseline: publishing warm-up message to %s: %w", topic, err)
	}
	select {
	case <-c.warm:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("baseline: waiting for the consumer to join and read the warm-up message: %w", ctx.Err())
	}
}

// baselineConsumer acknowledges messages and notes when the last expected one arrived.
// At-least-once delivery may bring a message twice; counting reaches the total no later.
type baselineConsumer struct {
	want     int64
	count    atomic.Int64
	warm     chan struct{}
	warmOnce sync.Once
	done     chan struct{}
	doneOnce sync.Once
	last     time.Time // written before done is closed
}

func newBaselineConsumer(want int64) *baselineConsumer {
	return &baselineConsumer{want: want, warm: make(chan struct{}), done: make(chan struct{})}
}

func (c *baselineConsumer) handle(m *message.Message) error {
	if m.Metadata.Get(mdWarmup) != "" {
		c.warmOnce.Do(func() { close(c.warm) })
		return nil
	}
	if c.count.Add(1) == c.want {
		c.doneOnce.Do(func() {
			c.last = time.Now()
			close(c.done)
		})
	}
	return nil
}

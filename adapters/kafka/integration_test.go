package kafka

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/ThreeDotsLabs/watermill"
	wkafka "github.com/ThreeDotsLabs/watermill-kafka/v3/pkg/kafka"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/twmb/franz-go/pkg/kgo"
)

func TestEmbeddedBrokerEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an embedded broker")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
	defer cancel()

	broker, err := StartEmbedded("127.0.0.1:0", 2, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(broker.Close)
	if !strings.HasPrefix(broker.Addr(), "127.0.0.1:") || strings.HasSuffix(broker.Addr(), ":0") {
		t.Fatalf("Addr() = %q, want the bound port", broker.Addr())
	}
	brokers := []string{broker.Addr()}
	settings := Settings{ClientID: "kafka-test", DialTimeout: time.Second}

	admin, err := NewAdmin(brokers, settings)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = admin.Close() })
	// An admin client of the test's own: Admin drops its client after every failed call.
	raw, err := sarama.NewClusterAdmin(brokers, saramaConfig(settings))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = raw.Close() })

	const topic, other = "it.orders.commands", "it.stock.events"
	specs := []TopicSpec{{Name: topic, Partitions: 3, ReplicationFactor: 1}, {Name: other, Partitions: 1, ReplicationFactor: 1}}

	t.Run("EnsureTopics and CheckTopics", func(t *testing.T) {
		if err := admin.CheckTopics(ctx, []string{topic, other}); err == nil || !strings.Contains(err.Error(), "topics missing: ["+topic+" "+other+"]") {
			t.Fatalf("CheckTopics before creation = %v, want both named, sorted", err)
		}
		// A topic that exists already, with another size, is left as it is.
		if err := raw.CreateTopic(other, &sarama.TopicDetail{NumPartitions: 2, ReplicationFactor: 1}, false); err != nil {
			t.Fatal(err)
		}
		for i := range 2 { // idempotent
			if err := admin.EnsureTopics(ctx, specs); err != nil {
				t.Fatalf("EnsureTopics #%d: %v", i+1, err)
			}
		}
		if err := admin.CheckTopics(ctx, []string{topic, other}); err != nil {
			t.Fatalf("CheckTopics: %v", err)
		}
		md, err := raw.DescribeTopics([]string{topic, other})
		if err != nil {
			t.Fatal(err)
		}
		parts := map[string]int{}
		for _, m := range md {
			parts[m.Name] = len(m.Partitions)
		}
		if parts[topic] != 3 || parts[other] != 2 {
			t.Errorf("partitions = %v, want %s:3 (created) and %s:2 (kept)", parts, topic, other)
		}
		err = admin.CheckTopics(ctx, []string{topic, "it.zz.missing", "it.aa.missing"})
		if err == nil || !strings.Contains(err.Error(), "[it.aa.missing it.zz.missing]") || strings.Contains(err.Error(), topic) {
			t.Fatalf("CheckTopics = %v, want exactly the missing topics, sorted", err)
		}
		// EnsureTopics tolerates a topic created concurrently: it relies on this error.
		err = raw.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: 3, ReplicationFactor: 1}, false)
		if !errors.Is(err, sarama.ErrTopicAlreadyExists) {
			t.Fatalf("creating an existing topic: %v, want errors.Is ErrTopicAlreadyExists", err)
		}
	})

	t.Run("publish and read back", func(t *testing.T) {
		pub, err := Client{
			Brokers:  brokers,
			Settings: Settings{ClientID: "kafka-test", DialTimeout: time.Second, Producers: 2},
			Key:      keyFromMetadata,
			Logger:   watermill.NopLogger{},
		}.NewPublisher()
		if err != nil {
			t.Fatal(err)
		}
		const n, keys = 20, 4
		sent := make([]*message.Message, n)
		for i := range n {
			m := message.NewMessage(fmt.Sprintf("uuid-%02d", i), []byte(fmt.Sprintf(`{"i":%d}`, i)))
			m.Metadata.Set("partition_key", fmt.Sprintf("key-%d", i%keys))
			m.Metadata.Set("type", "orders.X.v1")
			m.Metadata.Set("correlation_id", fmt.Sprintf("corr-%d", i))
			sent[i] = m
			if err := pub.Publish(topic, m); err != nil {
				t.Fatalf("Publish #%d: %v", i, err)
			}
		}
		if err := pub.Close(); err != nil {
			t.Fatalf("closing publisher: %v", err)
		}

		cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(topic),
			kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(100*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		defer cl.Close()
		var recs []*kgo.Record
		for len(recs) < n {
			fs := cl.PollFetches(ctx)
			if ctx.Err() != nil {
				t.Fatalf("read %d of %d records before the deadline", len(recs), n)
			}
			fs.EachError(func(topic string, p int32, err error) { t.Fatalf("fetch %s/%d: %v", topic, p, err) })
			recs = append(recs, fs.Records()...)
		}
		if len(recs) != n {
			t.Fatalf("read %d records, want %d", len(recs), n)
		}

		byUUID := map[string]*kgo.Record{}
		partOfKey := map[string]int32{}
		lastOfKey := map[string]string{}
		for _, r := range recs {
			h := map[string]string{}
			for _, hd := range r.Headers {
				h[hd.Key] = string(hd.Value)
			}
			id := h[wkafka.UUIDHeaderKey]
			byUUID[id] = r
			key := string(r.Key)
			if p, ok := partOfKey[key]; ok && p != r.Partition {
				t.Errorf("key %s on partitions %d and %d", key, p, r.Partition)
			}
			partOfKey[key] = r.Partition
			if prev := lastOfKey[key]; prev >= id {
				t.Errorf("key %s: %s read after %s", key, id, prev)
			}
			lastOfKey[key] = id

			var want *message.Message
			for _, m := range sent {
				if m.UUID == id {
					want = m
				}
			}
			if want == nil {
				t.Errorf("record with unknown UUID header %q", id)
				continue
			}
			if key != want.Metadata.Get("partition_key") {
				t.Errorf("%s: key = %q, want %q", id, key, want.Metadata.Get("partition_key"))
			}
			if string(r.Value) != string(want.Payload) {
				t.Errorf("%s: value = %s, want %s", id, r.Value, want.Payload)
			}
			for k, v := range want.Metadata {
				if h[k] != v {
					t.Errorf("%s: header %s = %q, want %q", id, k, h[k], v)
				}
			}
		}
		if len(byUUID) != n {
			t.Errorf("%d distinct UUIDs, want %d", len(byUUID), n)
		}
		if len(partOfKey) != keys {
			t.Errorf("%d keys read, want %d", len(partOfKey), keys)
		}
	})
}

// fakeClusterAdmin is a connected admin client that only counts Close.
type fakeClusterAdmin struct {
	sarama.ClusterAdmin
	closed atomic.Int32
}

func (f *fakeClusterAdmin) Close() error { f.closed.Add(1); return nil }

func TestAdminCall(t *testing.T) {
	boom := errors.New("boom")
	t.Run("stops waiting when ctx ends", func(t *testing.T) {
		client := &fakeClusterAdmin{}
		a := &Admin{client: client}
		release := make(chan struct{})
		defer close(release)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := a.call(ctx, func(sarama.ClusterAdmin) error { <-release; return nil })
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("call = %v, want context.Canceled", err)
		}
	})
	t.Run("keeps the client after a success", func(t *testing.T) {
		client := &fakeClusterAdmin{}
		a := &Admin{client: client}
		if err := a.call(context.Background(), func(sarama.ClusterAdmin) error { return nil }); err != nil {
			t.Fatal(err)
		}
		if a.client != client || client.closed.Load() != 0 {
			t.Fatal("a working client was dropped")
		}
	})
	t.Run("drops the client after a failure", func(t *testing.T) {
		client := &fakeClusterAdmin{}
		a := &Admin{client: client}
		if err := a.call(context.Background(), func(sarama.ClusterAdmin) error { return boom }); !errors.Is(err, boom) {
			t.Fatalf("call = %v, want the call's error", err)
		}
		if a.client != nil || client.closed.Load() != 1 {
			t.Fatalf("after a failure the client is kept (%v) or not closed (%d): the next call must connect afresh", a.client, client.closed.Load())
		}
	})
}

func TestNewAdminUnreachable(t *testing.T) {
	_, err := NewAdmin([]string{"127.0.0.1:1"}, Settings{DialTimeout: 200 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Fatalf("NewAdmin = %v, want an error naming the broker", err)
	}
}

package kafka

import (
	"errors"
	"fmt"
	"hash/maphash"

	"github.com/IBM/sarama"
	"github.com/ThreeDotsLabs/watermill"
	wkafka "github.com/ThreeDotsLabs/watermill-kafka/v3/pkg/kafka"
	"github.com/ThreeDotsLabs/watermill/message"
)

// PartitionKeyFunc returns the Kafka key of an outgoing message.
type PartitionKeyFunc func(msg *message.Message) string

// marshaler writes the partition key as the Kafka key and every metadata entry as a header.
// Unmarshal never fails: a Kafka-level unmarshal error would stop the consumer-group session
// and turn the record into a poison pill that restarts it forever, so decoding of payloads
// happens inside the handler chain, where the poison middleware catches it.
type marshaler struct {
	wkafka.DefaultMarshaler
	key PartitionKeyFunc
}

func (m marshaler) Marshal(topic string, msg *message.Message) (*sarama.ProducerMessage, error) {
	km, err := m.DefaultMarshaler.Marshal(topic, msg)
	if err != nil {
		return nil, fmt.Errorf("marshaling message %s for %s: %w", msg.UUID, topic, err)
	}
	if key := m.key(msg); key != "" {
		km.Key = sarama.StringEncoder(key)
	}
	return km, nil
}

// Client makes publishers and subscribers for one cluster.
type Client struct {
	Brokers  []string
	Settings Settings
	Key      PartitionKeyFunc
	Logger   watermill.LoggerAdapter
}

// NewPublisher returns a synchronous publisher: Publish returns once every in-sync replica
// has the message. It holds Settings.Producers producers (at least one).
func (c Client) NewPublisher() (message.Publisher, error) {
	if c.Key == nil {
		return nil, errors.New("kafka: Client.Key is required: every message needs its partition key")
	}
	pool := &publisherPool{key: c.Key, seed: maphash.MakeSeed()}
	for range max(1, c.Settings.Producers) {
		p, err := wkafka.NewPublisher(wkafka.PublisherConfig{
			Brokers:               c.Brokers,
			Marshaler:             marshaler{key: c.Key},
			OverwriteSaramaConfig: saramaConfig(c.Settings),
		}, c.Logger)
		if err != nil {
			_ = pool.Close()
			return nil, fmt.Errorf("creating Kafka publisher for %v: %w", c.Brokers, err)
		}
		pool.producers = append(pool.producers, p)
	}
	return pool, nil
}

// NewSubscriber returns a subscriber in the given consumer group.
func (c Client) NewSubscriber(consumerGroup string) (message.Subscriber, error) {
	s, err := wkafka.NewSubscriber(wkafka.SubscriberConfig{
		Brokers:               c.Brokers,
		Unmarshaler:           marshaler{key: c.Key},
		OverwriteSaramaConfig: saramaConfig(c.Settings),
		ConsumerGroup:         consumerGroup,
	}, c.Logger)
	if err != nil {
		return nil, fmt.Errorf("creating Kafka subscriber for group %s: %w", consumerGroup, err)
	}
	return s, nil
}

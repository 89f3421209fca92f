// Package kafka builds Watermill's Kafka publisher and subscribers from configuration,
// provisions topics, checks the broker, and runs the embedded Kafka-protocol broker used by
// the zero-setup default and by tests.
package kafka

import (
	"time"

	"github.com/IBM/sarama"
	metrics "github.com/rcrowley/go-metrics"
)

// ProtocolVersion is the one Kafka protocol version the service speaks. It must stay within
// [2.1, 2.3]: Kafka 4.x brokers refuse requests older than 2.1 (KIP-896), and the embedded
// kfake broker cannot decode the OffsetFetch v6+ that Sarama uses from 2.4 on.
var ProtocolVersion = sarama.V2_3_0_0

// MaxMessageBytes is the largest record a producer sends (Sarama's default, set here so the
// poison queue can size its copies to it). A larger one fails before it leaves the process.
const MaxMessageBytes = 1_000_000

// Settings are the client settings that are not topology.
type Settings struct {
	ClientID string
	// DialTimeout bounds how long a send waits for a dead broker; the HTTP port answers 503
	// soon after instead of hanging.
	DialTimeout time.Duration
	// NotIdempotent turns the idempotent producer off. Only for brokers whose idempotence
	// support cannot be trusted (see the README on the embedded broker); handlers are
	// idempotent, so a retried send written twice changes nothing.
	NotIdempotent bool
	// Producers is how many producers (connections) a publisher spreads sends over.
	Producers int
	// Security is TLS and SASL for every connection (security.go); zero: plaintext.
	Security Security
}

// Sarama records client metrics in go-metrics on every request; nothing here reads them,
// and their sampling showed in the hot path's profile.
func init() { metrics.UseNilMetrics = true }

// saramaConfig is the safe base both producer and consumers share. Sarama's defaults
// are unsafe for this service and are overridden explicitly:
//   - acks from all in-sync replicas, not from the leader only;
//   - an idempotent producer, so a retried send is not written twice;
//   - a new consumer group starts at the oldest offset, not the newest, so nothing published
//     before the group first joined is skipped.
//
// Consumer auto-commit stays on: offsets are marked only after a message is acknowledged and
// committed every second. Committing synchronously per message measured 17 msg/s here.
func saramaConfig(s Settings) *sarama.Config {
	c := sarama.NewConfig()
	c.Version = ProtocolVersion
	c.ClientID = s.ClientID
	if c.ClientID == "" {
		c.ClientID = "orders-service"
	}

	c.Net.DialTimeout = s.DialTimeout
	if c.Net.DialTimeout <= 0 {
		c.Net.DialTimeout = 3 * time.Second
	}
	c.Net.ReadTimeout = 10 * time.Second
	c.Net.WriteTimeout = 10 * time.Second
	c.Metadata.Retry.Max = 3
	c.Metadata.Retry.Backoff = 250 * time.Millisecond

	c.Producer.RequiredAcks = sarama.WaitForAll
	c.Producer.Idempotent = !s.NotIdempotent
	// One request in flight per broker: required by the idempotent producer, and what keeps
	// a retried batch from overtaking a later one without it.
	c.Net.MaxOpenRequests = 1
	c.Producer.Retry.Max = 5
	c.Producer.Retry.Backoff = 100 * time.Millisecond
	c.Producer.MaxMessageBytes = MaxMessageBytes
	c.Producer.Return.Successes = true
	c.Producer.Return.Errors = true
	c.Producer.Partitioner = sarama.NewHashPartitioner

	c.Consumer.Return.Errors = true
	c.Consumer.Offsets.Initial = sarama.OffsetOldest
	c.Consumer.Offsets.AutoCommit.Enable = true
	c.Consumer.Offsets.AutoCommit.Interval = time.Second
	c.Consumer.MaxWaitTime = 250 * time.Millisecond
	applySecurity(c, s.Security)
	return c
}

package postgres

import (
	"context"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wsql "github.com/ThreeDotsLabs/watermill-sql/v4/pkg/sql"
	"github.com/ThreeDotsLabs/watermill/components/forwarder"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The outbox is split into shards, each a watermill-sql topic (table watermill_outbox_<n>)
// with its own relay: one relay forwards one message at a time, so shards multiply relay
// throughput. A message's shard follows from its partition key, so all messages of one
// order pass through one relay, in commit order, and reach Kafka in that order.
func outboxTopic(shard int) string { return fmt.Sprintf("outbox_%d", shard) }

func (p OutboxPublisher) shardOf(msg *message.Message) int {
	if p.Shards <= 1 {
		return 0
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(p.Key(msg)))
	return int(h.Sum32() % uint32(p.Shards))
}

var outboxSchema = wsql.DefaultPostgreSQLSchema{}

// The relays read the outbox as one watermill-sql consumer group, whose offsets table
// marks what was sent; the backlog metric (metrics.go) reads the same mark.
var outboxOffsets = wsql.DefaultPostgreSQLOffsetsAdapter{}

const relayConsumerGroup = "outbox-relay"

// OutboxPublisher writes a message into the outbox, inside the transaction of the unit of
// work running in the message's context, so the message exists if and only if the state
// change that caused it commits. A message sent outside any unit of work (an HTTP command,
// whose 202 waits for the broker's ack) goes straight to the direct publisher.
type OutboxPublisher struct {
	Direct message.Publisher
	Shards int // as many as relays run; at least 1
	// Key returns a message's Kafka key, which picks its shard (required with Shards > 1).
	Key    func(*message.Message) string
	Logger watermill.LoggerAdapter
}

func (p OutboxPublisher) Publish(topic string, msgs ...*message.Message) error {
	for _, msg := range msgs {
		tx, ok := TxFrom(msg.Context())
		if !ok {
			if err := p.Direct.Publish(topic, msg); err != nil {
				return err
			}
			continue
		}
		sqlPub, err := wsql.NewPublisher(wsql.TxFromPgx(tx), wsql.PublisherConfig{SchemaAdapter: outboxSchema}, p.Logger)
		if err != nil {
			return fmt.Errorf("creating outbox publisher: %w", err)
		}
		// The envelope keeps the destination topic, UUID and metadata (correlation,
		// causation, type, partition key), so the relayed message is the one sent.
		enveloped := forwarder.NewPublisher(sqlPub, forwarder.PublisherConfig{ForwarderTopic: outboxTopic(p.shardOf(msg))})
		if err := enveloped.Publish(topic, msg); err != nil {
			return fmt.Errorf("writing %s to the outbox: %w", msg.UUID, err)
		}
	}
	return nil
}

func (p OutboxPublisher) Close() error { return nil }

// Relay forwards outbox rows to Kafka, in the order their transactions committed, and marks
// them sent only after the broker acknowledged them: a crash between commit and relay
// delays a message, never loses it; a crash after relaying and before marking sends it
// again (at-least-once, absorbed by the inbox).
type Relay struct {
	forwarder *forwarder.Forwarder
	hold      *relayHold
}

// NewRelay creates the table of one outbox shard when missing, and the forwarder that
// empties it into out, holding a message out refuses (see relayHold).
func NewRelay(ctx context.Context, pool *pgxpool.Pool, shard int, out message.Publisher, backoff RelayBackoff, logger watermill.LoggerAdapter) (*Relay, error) {
	sub, err := wsql.NewSubscriber(wsql.BeginnerFromPgx(pool), wsql.SubscriberConfig{
		ConsumerGroup: relayConsumerGroup,
		// An idle relay looks for new rows this often; under load it never waits.
		SchemaAdapter:    outboxSchema,
		OffsetsAdapter:   outboxOffsets,
		InitializeSchema: true,
		PollInterval:     20 * time.Millisecond,
		ResendInterval:   100 * time.Millisecond,
		RetryInterval:    500 * time.Millisecond,
	}, infoAsDebug{logger})
	if err != nil {
		return nil, fmt.Errorf("creating outbox subscriber: %w", err)
	}
	if err := sub.SubscribeInitialize(outboxTopic(shard)); err != nil {
		return nil, fmt.Errorf("creating the outbox table: %w", err)
	}
	hold := &relayHold{backoff: backoff, logger: logger.With(watermill.LogFields{"outbox_shard": shard})}
	fwd, err := forwarder.NewForwarder(sub, out, logger, forwarder.Config{
		ForwarderTopic: outboxTopic(shard),
		Middlewares:    []message.HandlerMiddleware{hold.middleware},
	})
	if err != nil {
		return nil, fmt.Errorf("creating outbox relay: %w", err)
	}
	return &Relay{forwarder: fwd, hold: hold}, nil
}

// Stalled reports a message Kafka keeps refusing, and since when; nil while the relay flows.
func (r *Relay) Stalled() error { return r.hold.err() }

// infoAsDebug demotes watermill-sql's Info lines to Debug: its subscriber logs the whole
// CREATE TABLE statement of an outbox table at Info, twice per shard at every start.
type infoAsDebug struct{ watermill.LoggerAdapter }

func (l infoAsDebug) Info(msg string, f watermill.LogFields) { l.LoggerAdapter.Debug(msg, f) }
func (l infoAsDebug) With(f watermill.LogFields) watermill.LoggerAdapter {
	return infoAsDebug{l.LoggerAdapter.With(f)}
}

func (r *Relay) Run(ctx context.Context) error { return r.forwarder.Run(ctx) }
func (r *Relay) Running() chan struct{}        { return r.forwarder.Running() }
func (r *Relay) Close() error                  { return r.forwarder.Close() }

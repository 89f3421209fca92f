package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/example/orders-service/observability"
)

var (
	backlogDesc = prometheus.NewDesc(prometheus.BuildFQName(observability.Namespace, "outbox", "backlog_messages"),
		"Messages committed to an outbox shard and not yet relayed to Kafka.", []string{"shard"}, nil)
	oldestUnsentDesc = prometheus.NewDesc(prometheus.BuildFQName(observability.Namespace, "outbox", "oldest_unsent_age_seconds"),
		"How long the oldest message not yet relayed has been in its outbox shard; 0 when the shard is empty.", []string{"shard"}, nil)
)

// OutboxMetrics is a collector of the outbox backlog of each shard, read by Periodic.Run.
func OutboxMetrics(pool *pgxpool.Pool, shards int) *observability.Periodic {
	return observability.NewPeriodic("outbox", []*prometheus.Desc{backlogDesc, oldestUnsentDesc}, func(ctx context.Context) ([]prometheus.Metric, error) {
		samples := make([]prometheus.Metric, 0, 2*shards)
		for shard := range shards {
			b, err := ReadOutboxBacklog(ctx, pool, shard)
			if err != nil {
				return nil, err
			}
			label := strconv.Itoa(shard)
			samples = append(samples,
				prometheus.MustNewConstMetric(backlogDesc, prometheus.GaugeValue, float64(b.Messages), label),
				prometheus.MustNewConstMetric(oldestUnsentDesc, prometheus.GaugeValue, b.OldestAgeSeconds, label))
		}
		return samples, nil
	})
}

// OutboxBacklog is what one outbox shard holds that its relay has not sent.
type OutboxBacklog struct {
	Messages         int64
	OldestAgeSeconds float64
}

// ReadOutboxBacklog counts the messages of a shard that its relay has not sent. Rows stay in
// the outbox table after they are sent: watermill-sql marks the last one its consumer group
// acknowledged, by (transaction_id, offset), the order it reads them in, and the rows after
// that mark are the backlog. Comparing with the mark as a parameter keeps the count on the
// table's primary key, (transaction_id, offset), however many sent rows the table holds.
// Before the relay first subscribed there is no mark, and every row counts.
func ReadOutboxBacklog(ctx context.Context, pool *pgxpool.Pool, shard int) (OutboxBacklog, error) {
	topic := outboxTopic(shard)
	txID, offset := "0", int64(0)
	err := pool.QueryRow(ctx, `SELECT last_processed_transaction_id::text, COALESCE(offset_acked, 0) FROM `+
		outboxOffsets.MessagesOffsetsTable(topic)+` WHERE consumer_group = $1`, relayConsumerGroup).Scan(&txID, &offset)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return OutboxBacklog{}, fmt.Errorf("reading what the relay of outbox shard %d sent: %w", shard, err)
	}
	var b OutboxBacklog
	// created_at is the inserting session's local time without a zone; every session of
	// the pool has the same zone, so localtimestamp is comparable with it.
	err = pool.QueryRow(ctx, `SELECT count(*), COALESCE(EXTRACT(EPOCH FROM localtimestamp - min(created_at)), 0)::float8 FROM `+
		outboxSchema.MessagesTable(topic)+` WHERE (transaction_id, "offset") > ($1::text::xid8, $2)`, txID, offset).Scan(&b.Messages, &b.OldestAgeSeconds)
	if err != nil {
		return OutboxBacklog{}, fmt.Errorf("counting the backlog of outbox shard %d: %w", shard, err)
	}
	b.OldestAgeSeconds = max(0, b.OldestAgeSeconds)
	return b, nil
}

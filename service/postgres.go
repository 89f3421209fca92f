package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/example/orders-service/adapters/postgres"
	"github.com/example/orders-service/app"
	"github.com/example/orders-service/ports/messaging"
)

// durable is the PostgreSQL mode: state in the database, messages caused by a handler
// written to the outbox in the handler's transaction and relayed to Kafka.
type durable struct {
	pool    *pgxpool.Pool
	relays  []*postgres.Relay             // one per outbox shard
	changes *postgres.OrderChangeListener // nil until orderChanges
}

func openDurable(ctx context.Context, cfg Config, kafkaPub message.Publisher, slogger *slog.Logger, logger watermill.LoggerAdapter) (*durable, error) {
	pool, err := postgres.Open(ctx, cfg.DatabaseURL, postgres.PoolConfig{
		MaxConns:       int32(cfg.DatabaseMaxConns),
		ConnectTimeout: cfg.DatabaseConnectTimeout,
	})
	if err != nil {
		return nil, fmt.Errorf("%w (DATABASE_URL)", err)
	}
	if err := postgres.Migrate(ctx, pool, slogger); err != nil {
		pool.Close()
		return nil, err
	}
	d := &durable{pool: pool}
	for shard := range cfg.OutboxShards {
		relay, err := postgres.NewRelay(ctx, pool, shard, kafkaPub, postgres.DefaultRelayBackoff, logger)
		if err != nil {
			pool.Close()
			return nil, err
		}
		d.relays = append(d.relays, relay)
	}
	return d, nil
}

// outbox is the publisher handlers send through: into the outbox shard of each message.
func (d *durable) outbox(direct message.Publisher, logger watermill.LoggerAdapter) message.Publisher {
	return postgres.OutboxPublisher{Direct: direct, Shards: len(d.relays), Key: messaging.PartitionKey, Logger: logger}
}

// runRelays runs every relay until closed; the first one to stop reports why.
func (d *durable) runRelays(done chan<- error) {
	for _, r := range d.relays {
		go func() { done <- r.Run(context.Background()) }()
	}
}

// relaysFlowing reports the outbox shards whose relay holds a message Kafka refuses.
func (d *durable) relaysFlowing(context.Context) error {
	var errs []error
	for shard, r := range d.relays {
		if err := r.Stalled(); err != nil {
			errs = append(errs, fmt.Errorf("outbox shard %d: %w", shard, err))
		}
	}
	return errors.Join(errs...)
}

func (d *durable) closeRelays() error {
	var errs []error
	for _, r := range d.relays {
		errs = append(errs, r.Close())
	}
	return errors.Join(errs...)
}

// adapters is the PostgreSQL adapter set; it starts listening for changes of order views
// (on a connection of its own), so long-polling readers wake up.
func (d *durable) adapters(logger *slog.Logger) app.Adapters {
	d.changes = postgres.StartOrderChangeListener(d.pool, logger)
	return postgres.NewAdapters(d.pool, d.changes)
}

func (d *durable) ready(ctx context.Context) error       { return postgres.Ping(ctx, d.pool) }
func (d *durable) unitOfWork() message.HandlerMiddleware { return postgres.UnitOfWork(d.pool) }

// pruneInbox forgets old processed-message records every interval until ctx ends.
func (d *durable) pruneInbox(ctx context.Context, every, olderThan time.Duration, logger *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			n, err := postgres.PruneInbox(ctx, d.pool, olderThan)
			if err != nil {
				logger.Warn("pruning the inbox", "err", err)
				continue
			}
			logger.Debug("inbox pruned", "deleted", n)
		}
	}
}

func (d *durable) close() {
	if d.changes != nil {
		d.changes.Close()
	}
	d.pool.Close()
}

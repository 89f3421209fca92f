package service

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/example/orders-service/adapters/postgres"
	"github.com/example/orders-service/app/query"
	"github.com/example/orders-service/domain/order"
	"github.com/example/orders-service/domain/stock"
)

// durable is the PostgreSQL mode: state in the database, messages caused by a handler
// written to the outbox in the handler's transaction and relayed to Kafka.
type durable struct {
	pool  *pgxpool.Pool
	relay *postgres.Relay
}

func openDurable(ctx context.Context, cfg Config, kafkaPub message.Publisher, logger watermill.LoggerAdapter) (*durable, error) {
	pool, err := postgres.Open(ctx, cfg.DatabaseURL, postgres.PoolConfig{
		MaxConns:       int32(cfg.DatabaseMaxConns),
		ConnectTimeout: cfg.DatabaseConnectTimeout,
	})
	if err != nil {
		return nil, fmt.Errorf("%w (DATABASE_URL)", err)
	}
	if err := postgres.Migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	relay, err := postgres.NewRelay(ctx, pool, kafkaPub, logger)
	if err != nil {
		pool.Close()
		return nil, err
	}
	return &durable{pool: pool, relay: relay}, nil
}

func (d *durable) orders() order.Repository              { return postgres.NewOrderRepository(d.pool) }
func (d *durable) stock() stock.Repository               { return postgres.NewStockRepository(d.pool) }
func (d *durable) readModel() query.OrderReadModel       { return postgres.NewOrderReadModel(d.pool) }
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
	d.pool.Close()
}

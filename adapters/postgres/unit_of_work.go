package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/example/orders-service/app/bus"
)

// UnitOfWork is router middleware that runs each handler attempt in one transaction: the
// handler's repository changes, the messages it sends (outbox) and the record that this
// handler processed this message (inbox) commit together or not at all. A message the
// handler already processed is acknowledged without running the handler again, which turns
// at-least-once delivery into an exactly-once effect.
//
// It must sit inside Retry (each attempt gets a fresh transaction) and outside Recoverer (a
// panic rolls back).
func UnitOfWork(pool *pgxpool.Pool) message.HandlerMiddleware {
	return func(h message.HandlerFunc) message.HandlerFunc {
		return func(msg *message.Message) (produced []*message.Message, err error) {
			outer := msg.Context()
			tx, err := pool.Begin(outer)
			if err != nil {
				return nil, bus.Unavailable(fmt.Errorf("beginning unit of work: %w", err))
			}
			defer func() {
				// The message outlives the transaction (the poison queue may publish it):
				// it must not keep a finished transaction in its context.
				msg.SetContext(outer)
				if err != nil {
					err = errors.Join(err, rollback(outer, tx))
				}
			}()

			if msg.UUID == "" {
				// The router names every message before it gets here; without a name the
				// inbox could not tell a redelivery from a new message.
				return nil, errors.New("unit of work: the message has no UUID to deduplicate by")
			}
			fresh, err := markProcessed(outer, tx, message.HandlerNameFromCtx(outer), msg.UUID)
			if err != nil {
				return nil, err
			}
			if !fresh {
				return nil, rollback(outer, tx)
			}
			msg.SetContext(WithTx(outer, tx))
			if produced, err = h(msg); err != nil {
				return produced, err
			}
			if err := tx.Commit(outer); err != nil {
				return nil, bus.Unavailable(fmt.Errorf("committing unit of work: %w", err))
			}
			return produced, nil
		}
	}
}

// markProcessed records that handler processed message id, in tx. It reports false when
// it was recorded before: a concurrent duplicate waits here for the first to commit.
func markProcessed(ctx context.Context, tx pgx.Tx, handler, id string) (bool, error) {
	tag, err := tx.Exec(ctx, `INSERT INTO processed_messages (handler, message_uuid) VALUES ($1, $2) ON CONFLICT DO NOTHING`, handler, id)
	if err != nil {
		return false, fmt.Errorf("recording message %s as processed by %s: %w", id, handler, err)
	}
	return tag.RowsAffected() == 1, nil
}

// PruneInbox forgets processed messages older than the given age. A message redelivered
// after that would be processed again, so the age must exceed any plausible redelivery
// delay (consumer lag, a restore from backup).
func PruneInbox(ctx context.Context, pool *pgxpool.Pool, olderThan time.Duration) (int64, error) {
	tag, err := pool.Exec(ctx, `DELETE FROM processed_messages WHERE processed_at < now() - $1::interval`, olderThan.String())
	if err != nil {
		return 0, fmt.Errorf("pruning the inbox: %w", err)
	}
	return tag.RowsAffected(), nil
}

package postgres

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/example/orders-service/adapters/memory"
	"github.com/example/orders-service/app/query"
)

// OrderViewsChannel is the notification channel on which OrderReadModel announces every
// committed change of a view, with the order ID as payload. Instances sharing a database
// share the channel: each wakes its own waiters of that order.
const OrderViewsChannel = "orders_service_order_views"

// Listener timing; variables so tests can shorten them.
var (
	listenerMinBackoff   = 100 * time.Millisecond
	listenerMaxBackoff   = 5 * time.Second
	listenerPingInterval = 30 * time.Second // a quiet connection is checked this often
	listenerPingTimeout  = 5 * time.Second
	// listenerConnectTimeout bounds connecting and LISTEN: a blackholed host would
	// otherwise hold the listener until TCP gives up.
	listenerConnectTimeout = 10 * time.Second
	// listenerStableAfter is how long a connection must have listened before the backoff
	// starts again from its minimum, so one that dies right after LISTEN is not retried
	// ten times a second.
	listenerStableAfter = 30 * time.Second
)

// OrderChangeListener LISTENs on OrderViewsChannel over a connection of its own (not one
// of the pool's) and wakes the local waiters of each announced order: it implements
// query.OrderChanges for every instance sharing the database. When the connection is lost
// it reconnects with exponential backoff and, once listening again, wakes every waiter,
// since announcements made in between are lost.
type OrderChangeListener struct {
	config  *pgx.ConnConfig
	logger  *slog.Logger
	changes memory.OrderChanges
	pid     atomic.Uint32 // backend PID of the listening connection; 0 while not listening

	cancel    context.CancelFunc
	done      chan struct{}
	closeOnce sync.Once
}

var _ query.OrderChanges = (*OrderChangeListener)(nil)

// StartOrderChangeListener starts listening with the connection settings of pool (its
// search_path included). Close stops it.
func StartOrderChangeListener(pool *pgxpool.Pool, logger *slog.Logger) *OrderChangeListener {
	if logger == nil {
		logger = slog.Default()
	}
	config := pool.Config().ConnConfig
	if _, ok := config.RuntimeParams["application_name"]; !ok {
		config.RuntimeParams["application_name"] = "orders-service order-view listener"
	}
	ctx, cancel := context.WithCancel(context.Background())
	l := &OrderChangeListener{config: config, logger: logger, cancel: cancel, done: make(chan struct{})}
	go l.run(ctx)
	return l
}

// Changed registers a waiter of orderID; see query.OrderChanges.
func (l *OrderChangeListener) Changed(orderID string) (<-chan struct{}, func()) {
	return l.changes.Changed(orderID)
}

// Close stops listening, closes the connection and wakes every waiter; it returns when the
// listener's goroutine has ended. Safe to call more than once.
func (l *OrderChangeListener) Close() {
	l.closeOnce.Do(func() {
		l.cancel()
		<-l.done
		l.changes.SignalAll()
	})
}

func (l *OrderChangeListener) run(ctx context.Context) {
	defer close(l.done)
	backoff := listenerMinBackoff
	for {
		var listeningSince time.Time
		err := l.listen(ctx, func() { listeningSince = time.Now() })
		l.pid.Store(0)
		if ctx.Err() != nil {
			return
		}
		if !listeningSince.IsZero() && time.Since(listeningSince) >= listenerStableAfter {
			backoff = listenerMinBackoff
		}
		// Whatever was announced until the connection is back is lost: waiters re-read
		// now (and on their recheck timer meanwhile).
		l.changes.SignalAll()
		l.logger.Warn("order view notifications: connection lost, reconnecting", "err", err, "backoff", backoff)
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		backoff = min(2*backoff, listenerMaxBackoff)
	}
}

// listen connects, LISTENs and signals each notification until the connection fails or ctx
// ends; listening is called once LISTEN took effect.
func (l *OrderChangeListener) listen(ctx context.Context, listening func()) error {
	connectCtx, cancelConnect := context.WithTimeout(ctx, listenerConnectTimeout)
	defer cancelConnect()
	conn, err := pgx.ConnectConfig(connectCtx, l.config)
	if err != nil {
		return err
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = conn.Close(closeCtx)
	}()
	if _, err := conn.Exec(connectCtx, "LISTEN "+pgx.Identifier{OrderViewsChannel}.Sanitize()); err != nil {
		return err
	}
	listening()
	// Changes committed before LISTEN took effect were not heard.
	l.changes.SignalAll()
	l.pid.Store(conn.PgConn().PID())
	for {
		waitCtx, cancel := context.WithTimeout(ctx, listenerPingInterval)
		n, err := conn.WaitForNotification(waitCtx)
		cancel()
		switch {
		case err == nil:
			l.changes.Signal(n.Payload)
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, context.DeadlineExceeded):
			// Quiet for a while: make sure the connection still works (a half-open one
			// would otherwise go unnoticed).
			pingCtx, cancel := context.WithTimeout(ctx, listenerPingTimeout)
			err := conn.Ping(pingCtx)
			cancel()
			if err != nil {
				return err
			}
		default:
			return err
		}
	}
}

// Package messaging drives the application from Kafka: the Watermill router, its middleware
// stack, the typed dispatch of commands and events, and the buses the application sends
// through.
package messaging

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"

	"github.com/example/orders-service/app/bus"
)

// RetryConfig bounds the retries of a failing handler: exponential backoff with jitter.
type RetryConfig struct {
	MaxRetries      int
	InitialInterval time.Duration
	MaxInterval     time.Duration
	MaxElapsedTime  time.Duration
}

// RouterConfig configures the router.
type RouterConfig struct {
	Topics              Topics
	ConsumerGroupPrefix string
	Retry               RetryConfig
	HandlerTimeout      time.Duration
	CloseTimeout        time.Duration
	// UnitOfWork, when set, wraps each handler attempt (inside the timeout, outside the
	// recoverer): the PostgreSQL mode's transaction with outbox and inbox.
	UnitOfWork message.HandlerMiddleware
	// PoisonLimits bound the copy of a message sent to the poison topic.
	PoisonLimits PoisonLimits
	// PoisonBackoff paces retries of a publish to the poison topic that failed.
	PoisonBackoff PoisonBackoff
	// WatermillLogger receives Watermill's own logs; nil means the slog logger, unfiltered.
	WatermillLogger watermill.LoggerAdapter
	// Tracing, when set, gives each message handled a span that continues the trace of the
	// span that sent it (tracing_consume.go); the zero value traces nothing.
	Tracing Tracing
	// Metrics, when set, count and time what the router handles (metrics.go).
	Metrics *Metrics
}

// SubscriberFactory returns a subscriber in the named Kafka consumer group.
type SubscriberFactory func(consumerGroup string) (message.Subscriber, error)

// Router is the Watermill router with a consumer for every group of the routing table.
type Router struct {
	*message.Router
	stalls *stalls
	topics []string
}

// Topics lists every topic the router's routing table uses, and the poison topic.
func (r *Router) Topics() []string { return r.topics }

// NewRouter builds the router's consumers from the application's routing table, one per
// consumer group. Middleware, outermost first:
//  0. events the consuming group has no handler for are acknowledged at once;
//  1. correlation ID into ctx and logs (and onto every message sent, via the buses);
//     then, with tracing, the message's span: a child of the one that sent it;
//  2. poison queue, for what fails after retries or at once when permanent: a bounded copy
//     with where it came from and why (poison.go). It must sit outside retry, or retries
//     would be skipped;
//  3. hold while unavailable: a message whose handling failed because the broker or the
//     database is down is kept and handled again after a pause (hold.go), never poisoned;
//  4. retry with exponential backoff and jitter, never for permanent errors; then, with
//     metrics, Watermill's timing of each attempt;
//  5. a timeout per attempt (retry resets the context between attempts);
//  6. the unit of work, when configured: one transaction per attempt;
//  7. recoverer: a panic becomes an error, is retried, then poisoned; the process lives.
func NewRouter(cfg RouterConfig, routes []bus.Route, pub message.Publisher, newSubscriber SubscriberFactory, logger *slog.Logger) (*Router, error) {
	wlogger := cfg.WatermillLogger
	if wlogger == nil {
		wlogger = watermill.NewSlogLogger(logger)
	}
	r, err := message.NewRouter(message.RouterConfig{CloseTimeout: cfg.CloseTimeout}, wlogger)
	if err != nil {
		return nil, fmt.Errorf("creating router: %w", err)
	}
	if cfg.PoisonLimits.MaxRecordBytes <= 0 {
		return nil, fmt.Errorf("creating router: PoisonLimits.MaxRecordBytes must be positive")
	}
	if cfg.PoisonBackoff.Initial <= 0 || cfg.PoisonBackoff.Max < cfg.PoisonBackoff.Initial {
		return nil, fmt.Errorf("creating router: PoisonBackoff needs 0 < Initial <= Max, got %+v", cfg.PoisonBackoff)
	}
	poison := &poisonQueue{pub: pub, topic: cfg.Topics.Poison(), limits: cfg.PoisonLimits, backoff: cfg.PoisonBackoff, stalls: newStalls(), metrics: cfg.Metrics}
	groups, err := groupsOf(routes, cfg.Topics)
	if err != nil {
		return nil, err
	}
	topics, err := cfg.Topics.For(routes)
	if err != nil {
		return nil, err
	}
	stack := []message.HandlerMiddleware{
		correlate(logger),
		poison.middleware,
		holdWhileUnavailable{backoff: cfg.PoisonBackoff, stalls: poison.stalls}.middleware,
		middleware.Retry{
			MaxRetries:          cfg.Retry.MaxRetries,
			InitialInterval:     cfg.Retry.InitialInterval,
			MaxInterval:         cfg.Retry.MaxInterval,
			MaxElapsedTime:      cfg.Retry.MaxElapsedTime,
			Multiplier:          2,
			RandomizationFactor: 0.5,
			ResetContextOnRetry: true,
			ShouldRetry:         func(p middleware.RetryParams) bool { return shouldRetry(p.Err) },
		}.Middleware,
		countAttempts,
		cfg.Metrics.timeAttempts,
		middleware.Timeout(cfg.HandlerTimeout),
	}
	if cfg.UnitOfWork != nil {
		stack = append(stack, cfg.UnitOfWork)
	}
	stack = append(stack, middleware.Recoverer)
	if cfg.Tracing.enabled() {
		// Right inside correlate (stack[0]): the span covers every attempt and the poison
		// queue, and its IDs join the logger correlate made.
		stack = slices.Insert(stack, 1, cfg.Tracing.handlingSpan(cfg.ConsumerGroupPrefix))
	}

	cfg.Metrics.learn(groups)
	for _, g := range groups {
		sub, err := newSubscriber(cfg.ConsumerGroupPrefix + g.name)
		if err != nil {
			return nil, err
		}
		r.AddConsumerHandler(g.name, g.topic, sub, chain(g, stack))
	}
	return &Router{Router: r, stalls: poison.stalls, topics: topics}, nil
}

// chain is the group's handler behind the middleware stack (outermost first), itself behind
// the group's filter of ignored events. The stack is composed here rather than as router
// middleware so that the filter can sit outside it.
func chain(g *group, stack []message.HandlerMiddleware) message.NoPublishHandlerFunc {
	h := func(msg *message.Message) ([]*message.Message, error) { return nil, g.dispatch(msg) }
	for i := len(stack) - 1; i >= 0; i-- {
		h = stack[i](h)
	}
	h = g.skipIgnored(h)
	return func(msg *message.Message) error {
		_, err := h(msg)
		return err
	}
}

// Ready reports whether every handler is running.
func (r *Router) Ready(context.Context) error {
	if !r.IsRunning() {
		return fmt.Errorf("message router is not running")
	}
	return nil
}

// Stalled reports the consumers that cannot move on because the poison topic does not take
// a message that failed, each with the cause.
func (r *Router) Stalled(context.Context) error { return r.stalls.err() }

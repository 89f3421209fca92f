// Package service is the composition root: configuration -> adapters -> application ->
// ports, and the order in which they start and stop.
package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"go.opentelemetry.io/otel/trace"

	"github.com/example/orders-service/adapters/kafka"
	"github.com/example/orders-service/adapters/memory"
	"github.com/example/orders-service/app"
	"github.com/example/orders-service/domain/order"
	httpport "github.com/example/orders-service/ports/http"
	"github.com/example/orders-service/ports/messaging"
)

// poisonMaxBackoff bounds the pause between attempts to publish to a poison topic that does
// not take a message: the partition waits meanwhile, and each pause logs one line.
const poisonMaxBackoff = 10 * time.Second

// Options adjust the service; zero values get the defaults.
type Options struct {
	Logger *slog.Logger
	// WrapOrders decorates the order repository of either mode; tests use it to inject
	// failures and panics.
	WrapOrders func(order.Repository) order.Repository
	// TracerProvider, when set, makes the service's spans instead of the provider the
	// OTEL_* variables describe; tests pass one with an in-memory exporter. The service
	// flushes it at shutdown and leaves shutting it down to the caller.
	TracerProvider trace.TracerProvider
}

// Service is the running whole: broker connection, router and HTTP server.
type Service struct {
	cfg      Config
	logger   *slog.Logger
	embedded *kafka.Embedded
	brokers  []string
	admin    *kafka.Admin
	pub      message.Publisher
	router   *messaging.Router
	listener net.Listener
	http     *http.Server
	topics   messaging.Topics
	durable  *durable // nil in the in-memory mode
	metrics  *metrics // served at GET /metrics (metrics.go)
	// kafkaSecurity is TLS and SASL for every Kafka client (kafka_security.go).
	kafkaSecurity kafka.Security
	// telemetry makes spans and carries their context (telemetry.go).
	telemetry *telemetry
}

// New builds the service and claims its ports; nothing is handled until Run. On error,
// everything started so far is stopped again.
func New(ctx context.Context, cfg Config, opts Options) (svc *Service, err error) {
	s := &Service{cfg: cfg, logger: opts.Logger, topics: messaging.Topics{Prefix: cfg.KafkaTopicPrefix}}
	if s.logger == nil {
		s.logger = slog.Default()
	}
	defer func() {
		if err != nil {
			s.closeAll()
		}
	}()

	if err := s.startTelemetry(ctx, opts.TracerProvider); err != nil {
		return nil, err
	}
	if err := s.connectKafka(); err != nil {
		return nil, err
	}
	client := kafka.Client{
		Brokers:  s.brokers,
		Settings: s.kafkaSettings(),
		Key:      messaging.PartitionKey,
		Logger:   newWatermillLogger(s.logger),
	}
	if s.pub, err = client.NewPublisher(); err != nil {
		return nil, err
	}
	if err := s.instrumentPublisher(); err != nil {
		return nil, err
	}
	adapters, busPublisher, unitOfWork, err := s.openState(ctx, opts, client.Logger)
	if err != nil {
		return nil, err
	}
	buses, err := messaging.NewBuses(messaging.TracePublisher(busPublisher, s.telemetry.Tracing), s.topics, client.Logger)
	if err != nil {
		return nil, err
	}
	adapters.Commands, adapters.Events = buses, buses
	application := app.New(adapters)

	s.router, err = messaging.NewRouter(messaging.RouterConfig{
		Topics:              s.topics,
		ConsumerGroupPrefix: cfg.KafkaConsumerGroup,
		Retry: messaging.RetryConfig{
			MaxRetries:      cfg.RetryMaxRetries,
			InitialInterval: cfg.RetryInitialInterval,
			MaxInterval:     cfg.RetryMaxInterval,
			MaxElapsedTime:  cfg.RetryMaxElapsedTime,
		},
		HandlerTimeout:  cfg.HandlerTimeout,
		CloseTimeout:    cfg.ShutdownTimeout,
		UnitOfWork:      unitOfWork,
		PoisonLimits:    messaging.DefaultPoisonLimits(kafka.MaxMessageBytes),
		PoisonBackoff:   messaging.PoisonBackoff{Initial: cfg.RetryInitialInterval, Max: poisonMaxBackoff},
		WatermillLogger: client.Logger,
		Tracing:         s.telemetry.Tracing,
		Metrics:         s.metrics.messaging,
	}, application.Routes, s.pub, client.NewSubscriber, s.logger)
	if err != nil {
		return nil, err
	}
	if err := s.provisionTopics(ctx); err != nil {
		return nil, err
	}

	checks := []httpport.ReadinessCheck{
		{Name: "kafka", Check: func(ctx context.Context) error { return s.admin.CheckTopics(ctx, s.router.Topics()) }},
	}
	if s.durable != nil {
		checks = append(checks,
			httpport.ReadinessCheck{Name: "postgres", Check: s.durable.ready},
			httpport.ReadinessCheck{Name: "outbox", Check: s.durable.relaysFlowing},
		)
	}
	checks = append(checks,
		httpport.ReadinessCheck{Name: "router", Check: s.router.Ready},
		httpport.ReadinessCheck{Name: "consumers", Check: s.router.Stalled},
	)
	api := httpport.NewServer(buses, application.Queries, checks, s.logger)
	api.SetMaxWait(cfg.HTTPMaxWait)
	api.EnableTracing(s.telemetry.Provider, s.telemetry.Propagator)
	if err := s.enableMetrics(api, application.Routes); err != nil {
		return nil, err
	}
	if cfg.DebugPprof {
		api.EnableProfiling()
		s.logger.Warn("profiling endpoints enabled at /debug/pprof/ (DEBUG_PPROF)")
	}
	s.http = &http.Server{
		Handler:           api.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	// A request with Prefer: wait (GET /orders/{id}, POST /orders) extends its own read and write
	// deadlines past these timeouts; on shutdown it is answered at once.
	s.http.RegisterOnShutdown(api.StopWaiting)
	if s.listener, err = net.Listen("tcp", cfg.HTTPAddr); err != nil {
		return nil, fmt.Errorf("listening for HTTP on %s (HTTP_ADDR): %w", cfg.HTTPAddr, err)
	}
	return s, nil
}

// openState chooses where state lives: PostgreSQL when DATABASE_URL is set (handlers then
// run in a unit of work and send through the outbox), memory otherwise.
func (s *Service) openState(ctx context.Context, opts Options, logger watermill.LoggerAdapter) (app.Adapters, message.Publisher, message.HandlerMiddleware, error) {
	var (
		adapters     app.Adapters
		busPublisher = s.pub
		unitOfWork   message.HandlerMiddleware
	)
	if s.cfg.DatabaseURL != "" {
		var err error
		if s.durable, err = openDurable(ctx, s.cfg, messaging.TraceRelay(s.pub, s.telemetry.Tracing), s.logger, logger); err != nil {
			return app.Adapters{}, nil, nil, err
		}
		adapters = s.durable.adapters(s.logger)
		busPublisher = s.durable.outbox(s.pub, logger)
		unitOfWork = s.durable.unitOfWork()
		s.logger.Info("state: PostgreSQL, with transactional outbox and inbox")
	} else {
		adapters = memory.NewAdapters()
		s.logger.Info("state: in-memory repositories and read model; they are empty at every start")
	}
	if opts.WrapOrders != nil {
		adapters.Orders = opts.WrapOrders(adapters.Orders)
	}
	return adapters, busPublisher, unitOfWork, nil
}

// connectKafka starts the embedded broker when no brokers are configured, and connects the
// admin client.
func (s *Service) connectKafka() error {
	for _, b := range s.cfg.KafkaBrokers {
		if b = strings.TrimSpace(b); b != "" {
			s.brokers = append(s.brokers, b)
		}
	}
	if len(s.brokers) == 0 {
		e, err := kafka.StartEmbedded(s.cfg.KafkaEmbeddedAddr, s.cfg.KafkaPartitions, s.cfg.KafkaEmbeddedDataDir)
		if err != nil {
			return fmt.Errorf("%w (KAFKA_EMBEDDED_ADDR; set KAFKA_BROKERS to use an external cluster)", err)
		}
		s.embedded = e
		s.brokers = []string{e.Addr()}
		storage := "in memory: topics are lost on exit"
		if s.cfg.KafkaEmbeddedDataDir != "" {
			storage = "data in " + s.cfg.KafkaEmbeddedDataDir
		}
		s.logger.Info("kafka: EMBEDDED broker (kfake) for development and tests; set KAFKA_BROKERS for a real cluster",
			"addr", e.Addr(), "storage", storage)
	} else {
		s.logger.Info("kafka: external cluster", "brokers", s.brokers)
	}
	if err := s.secureKafka(); err != nil {
		return err
	}
	admin, err := kafka.NewAdmin(s.brokers, s.kafkaSettings())
	if err != nil {
		return err
	}
	s.admin = admin
	return nil
}

// provisionTopics creates the topics of the routing table that are missing.
func (s *Service) provisionTopics(ctx context.Context) error {
	topics := s.router.Topics()
	specs := make([]kafka.TopicSpec, 0, len(topics))
	for _, t := range topics {
		specs = append(specs, kafka.TopicSpec{Name: t, Partitions: int32(s.cfg.KafkaPartitions), ReplicationFactor: int16(s.cfg.KafkaReplicationFactor)})
	}
	if err := s.admin.EnsureTopics(ctx, specs); err != nil {
		return fmt.Errorf("provisioning topics: %w", err)
	}
	return nil
}

func (s *Service) kafkaSettings() kafka.Settings {
	return kafka.Settings{ClientID: s.cfg.KafkaClientID, DialTimeout: s.cfg.KafkaDialTimeout, NotIdempotent: !s.cfg.KafkaIdempotent, Producers: s.cfg.KafkaProducers, Security: s.kafkaSecurity}
}

// HTTPAddr is the address the API listens on (useful with port 0).
func (s *Service) HTTPAddr() string { return s.listener.Addr().String() }

// Brokers are the Kafka bootstrap addresses in use.
func (s *Service) Brokers() []string { return s.brokers }

// Topics names the topics in use.
func (s *Service) Topics() messaging.Topics { return s.topics }

// TopicNames lists every topic the service uses, from its routing table.
func (s *Service) TopicNames() []string { return s.router.Topics() }

// Run handles messages and HTTP requests until ctx ends, then shuts down within
// SHUTDOWN_TIMEOUT: HTTP stops taking requests and finishes those in flight, the router
// finishes in-flight handlers and its consumers commit their offsets, the publisher and the
// embedded broker close. It returns nil after a clean shutdown.
func (s *Service) Run(ctx context.Context) error {
	relayDone := make(chan error, 64)
	if s.durable != nil {
		s.durable.runRelays(relayDone)
		go s.durable.pruneInbox(ctx, s.cfg.InboxPruneInterval, s.cfg.InboxRetention, s.logger)
	}
	routerDone := make(chan error, 1)
	go func() { routerDone <- s.router.Run(context.Background()) }()
	select {
	case <-s.router.Running():
	case err := <-routerDone:
		s.closeAll()
		return fmt.Errorf("message router stopped at start: %w", err)
	case <-ctx.Done():
	}

	s.metrics.start(s.cfg.MetricsLagInterval, s.logger)
	httpDone := make(chan error, 1)
	go func() { httpDone <- s.http.Serve(httpport.WrapListener(s.listener)) }()
	s.logger.Info("orders-service ready", "http", s.HTTPAddr(), "kafka", s.brokers, "topics", s.router.Topics())

	var runErr error
	select {
	case <-ctx.Done():
		s.logger.Info("shutting down", "timeout", s.cfg.ShutdownTimeout)
	case err := <-routerDone:
		runErr = fmt.Errorf("message router stopped: %w", err)
	case err := <-httpDone:
		runErr = fmt.Errorf("HTTP server stopped: %w", err)
	case err := <-relayDone:
		runErr = fmt.Errorf("outbox relay stopped: %w", err)
	}
	return errors.Join(runErr, s.shutdown())
}

func (s *Service) shutdown() error {
	start := time.Now()
	deadline, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	var errs []error
	if err := s.http.Shutdown(deadline); err != nil {
		errs = append(errs, fmt.Errorf("stopping HTTP: %w", err))
	}
	if err := s.router.Close(); err != nil {
		errs = append(errs, fmt.Errorf("stopping router: %w", err))
	}
	if s.durable != nil {
		// After the router: what its last handlers committed to the outbox is relayed now,
		// or after the next start.
		if err := s.durable.closeRelays(); err != nil {
			errs = append(errs, fmt.Errorf("stopping outbox relay: %w", err))
		}
	}
	// After the router and the relays, whose last spans have ended by now.
	if err := s.telemetry.shutdown(deadline); err != nil {
		errs = append(errs, err)
	}
	s.closeAll()
	s.logger.Info("stopped", "took", time.Since(start).Round(time.Millisecond))
	return errors.Join(errs...)
}

// closeAll releases what New acquired, in reverse order; safe on a half-built service.
func (s *Service) closeAll() {
	s.metrics.stop() // its reads use the admin client and the pool
	if s.listener != nil {
		_ = s.listener.Close()
	}
	if s.pub != nil {
		if err := s.pub.Close(); err != nil {
			s.logger.Warn("closing publisher", "err", err)
		}
	}
	if s.admin != nil {
		_ = s.admin.Close()
	}
	if s.durable != nil {
		s.durable.close()
	}
	if s.embedded != nil {
		s.embedded.Close()
	}
	s.closeTelemetry()
}

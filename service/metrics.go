package service

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/example/orders-service/adapters/kafka"
	"github.com/example/orders-service/adapters/postgres"
	"github.com/example/orders-service/app/bus"
	"github.com/example/orders-service/observability"
	httpport "github.com/example/orders-service/ports/http"
	"github.com/example/orders-service/ports/messaging"
)

// metrics are the service's Prometheus series, served at GET /metrics from a registry of
// the service's own (README.md, Observability, lists them).
type metrics struct {
	registry  *prometheus.Registry
	messaging *messaging.Metrics
	// periodic are read every METRICS_LAG_INTERVAL while the service runs.
	periodic []*observability.Periodic

	cancel context.CancelFunc // nil until start
	done   sync.WaitGroup
}

// instrumentPublisher creates the registry and times every publish to Kafka: commands from
// HTTP, messages from handlers, the relays and the poison queue all go through s.pub.
func (s *Service) instrumentPublisher() error {
	m := &metrics{registry: observability.NewRegistry()}
	var err error
	if m.messaging, err = messaging.NewMetrics(m.registry); err != nil {
		return err
	}
	s.metrics, s.pub = m, m.messaging.DecoratePublisher(s.pub)
	return nil
}

// enableMetrics serves the registry at GET /metrics and adds the series read from Kafka
// (consumer lag of the routing table's groups, the poison topic's size) and, in the
// PostgreSQL mode, from the database (outbox backlog, pool).
func (s *Service) enableMetrics(api *httpport.Server, routes []bus.Route) error {
	if err := api.EnableMetrics(s.metrics.registry); err != nil {
		return err
	}
	consumers, err := messaging.ConsumerGroups(routes, s.topics, s.cfg.KafkaConsumerGroup)
	if err != nil {
		return fmt.Errorf("listing consumer groups for their lag: %w", err)
	}
	groups := make([]kafka.GroupTopic, 0, len(consumers))
	for _, c := range consumers {
		groups = append(groups, kafka.GroupTopic{Group: c.Group, Topic: c.Topic})
	}
	collectors := []prometheus.Collector{}
	s.metrics.periodic = append(s.metrics.periodic, kafka.LagMetrics(s.admin, groups, s.topics.Poison()))
	if s.durable != nil {
		s.metrics.periodic = append(s.metrics.periodic, postgres.OutboxMetrics(s.durable.pool, len(s.durable.relays)))
		collectors = append(collectors, postgres.PoolMetrics(s.durable.pool))
	}
	for _, p := range s.metrics.periodic {
		collectors = append(collectors, p)
	}
	for _, c := range collectors {
		if err := s.metrics.registry.Register(c); err != nil {
			return fmt.Errorf("registering metrics: %w", err)
		}
	}
	return nil
}

// start reads the periodic series now and then every interval, until stop.
func (m *metrics) start(every time.Duration, logger *slog.Logger) {
	if m == nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	m.cancel = cancel
	for _, p := range m.periodic {
		m.done.Go(func() { p.Run(ctx, every, logger) })
	}
}

// stop ends the periodic reads and waits for them: they use the Kafka admin client and the
// database pool, which close after.
func (m *metrics) stop() {
	if m == nil || m.cancel == nil {
		return
	}
	m.cancel()
	m.done.Wait()
}

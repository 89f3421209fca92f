package messaging

import (
	"context"
	"fmt"

	wmetrics "github.com/ThreeDotsLabs/watermill/components/metrics"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/example/orders-service/observability"
)

// Outcomes of a delivery, the outcome label of orders_handler_messages_total.
const (
	outcomeOK          = "ok"          // handled at the first attempt
	outcomeRetried     = "retried"     // handled after one or more retries
	outcomePoisoned    = "poisoned"    // sent to the poison topic, and acknowledged
	outcomeInterrupted = "interrupted" // stopped by shutdown; delivered again later
)

// unknownType labels a message whose type no route names: the type header comes from
// whoever produced the message, and a label must not take whatever values it brings.
const unknownType = "unknown"

// Metrics are what the router and the publisher report. Watermill's own handler metrics
// (components/metrics) time every handler attempt; Watermill has no notion of a
// delivery's outcome or of the poison queue, so those two are counted here. Watermill's
// subscriber and publisher metrics are left out for their cost, which the benchmark
// showed: the subscriber decorator starts a goroutine per message to wait for its ack and
// relays every message through one more channel (the outcomes counted here say as much),
// and the publisher decorator builds and hashes a map of labels on every publish
// (publish_metrics.go times publishes instead).
type Metrics struct {
	attempts  wmetrics.HandlerPrometheusMetricsMiddleware
	publishes *prometheus.HistogramVec
	outcomes  *prometheus.CounterVec
	poisoned  *prometheus.CounterVec
	// routed holds, by handler (consumer group), the message types it routes: the values
	// its type label may take besides unknownType.
	routed map[string]map[string]bool
	// counters are the outcome series learn made, one per handler, type and outcome:
	// counting a delivery looks its series up here rather than have the vector hash the
	// label values, and allocate, on every message.
	counters map[outcomeKey]prometheus.Counter
}

type outcomeKey struct{ handler, typ, outcome string }

// NewMetrics registers the router's and the publisher's series with reg.
func NewMetrics(reg prometheus.Registerer) (m *Metrics, err error) {
	m = &Metrics{routed: map[string]map[string]bool{}, counters: map[outcomeKey]prometheus.Counter{}}
	defer func() {
		// Watermill's builder panics when it cannot register the handler histogram.
		if p := recover(); p != nil {
			m, err = nil, fmt.Errorf("registering handler metrics: %v", p)
		}
	}()
	// No message type on the handler histogram: Watermill computes extra labels from the
	// message's context only, and one more context layer per attempt slowed every lookup in
	// the handler's context measurably. The outcome counter has the type.
	handlers := wmetrics.NewPrometheusMetricsBuilder(reg, observability.WatermillNamespace, "")
	handlers.HandlerBuckets = observability.LatencyBuckets
	m.attempts = handlers.NewRouterMiddleware()

	m.publishes = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: observability.Namespace, Subsystem: "kafka", Name: "publish_duration_seconds",
		Help:    "Publishes to Kafka (one message each), by topic and success, until the broker acknowledged the message or the publish failed.",
		Buckets: observability.LatencyBuckets,
	}, []string{"topic", "success"})

	m.outcomes = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: observability.Namespace, Subsystem: "handler", Name: "messages_total",
		Help: "Messages delivered to a consumer group's handler, by type and outcome: ok, retried (handled after retries), poisoned, interrupted (by shutdown, delivered again).",
	}, []string{"handler", "type", "outcome"})
	m.poisoned = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: observability.Namespace, Subsystem: "poison", Name: "messages_total",
		Help: "Messages the poison topic took, by the topic and the handler they failed in.",
	}, []string{"topic", "handler"})
	for _, c := range []prometheus.Collector{m.publishes, m.outcomes, m.poisoned} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("registering messaging metrics: %w", err)
		}
	}
	return m, nil
}

// typeLabel is the message's type when the handler routes it, or unknownType.
func (m *Metrics) typeLabel(handler string, msg *message.Message) string {
	if t := msg.Metadata.Get(TypeKey); m.routed[handler][t] {
		return t
	}
	return unknownType
}

var allOutcomes = []string{outcomeOK, outcomeRetried, outcomePoisoned, outcomeInterrupted}

// learn takes the message types each group routes as the values its type label may take,
// and makes every series of the outcome and poison counters at 0: an alert on an increase
// then sees the first message poisoned, which a series born at 1 would hide. NewRouter
// calls it before the router runs.
func (m *Metrics) learn(groups []*group) {
	if m == nil {
		return
	}
	for _, g := range groups {
		m.routed[g.name] = map[string]bool{}
		types := []string{unknownType}
		for name := range g.routes {
			m.routed[g.name][name] = true
			types = append(types, name)
		}
		for _, t := range types {
			for _, o := range allOutcomes {
				m.counters[outcomeKey{g.name, t, o}] = m.outcomes.WithLabelValues(g.name, t, o)
			}
		}
		m.poisoned.WithLabelValues(g.topic, g.name)
	}
}

// timeAttempts is middleware inside retry: Watermill's histogram of handler execution
// times, one observation per attempt.
func (m *Metrics) timeAttempts(h message.HandlerFunc) message.HandlerFunc {
	if m == nil {
		return h
	}
	return m.attempts.Middleware(h)
}

// delivered counts the outcome of one delivery.
func (m *Metrics) delivered(ctx context.Context, msg *message.Message, outcome string) {
	if m == nil {
		return
	}
	handler := message.HandlerNameFromCtx(ctx)
	key := outcomeKey{handler, m.typeLabel(handler, msg), outcome}
	c, ok := m.counters[key]
	if !ok { // a handler learn did not see
		c = m.outcomes.WithLabelValues(key.handler, key.typ, key.outcome)
	}
	c.Inc()
}

// handled counts a delivery its handler handled, at the first attempt or after retries.
func (m *Metrics) handled(ctx context.Context, msg *message.Message, attempts int) {
	outcome := outcomeOK
	if attempts > 1 {
		outcome = outcomeRetried
	}
	m.delivered(ctx, msg, outcome)
}

// poisonTaken counts a message once the poison topic has its copy.
func (m *Metrics) poisonTaken(ctx context.Context, msg *message.Message, f poisonFacts) {
	if m != nil {
		m.poisoned.WithLabelValues(f.topic, f.handler).Inc()
	}
	m.delivered(ctx, msg, outcomePoisoned)
}

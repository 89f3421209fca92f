package messaging

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/ThreeDotsLabs/watermill/message"
	"go.opentelemetry.io/otel/trace"

	"github.com/example/orders-service/app/bus"
)

// group is one consumer: one stream (topic), one Kafka consumer group, one router handler,
// and the routes it dispatches to by message type. Dispatching inside one consumer, rather
// than one subscription per handler as Watermill's cqrs processors do, is what keeps every
// message of one order (PlaceOrder, then CancelOrder) handled in the order it was sent.
type group struct {
	name   string
	topic  string
	strict bool // a command stream: a type without a route is an error
	routes map[string]bus.Route
}

var (
	errUnknownType = errors.New("unknown message type")
	errNoType      = errors.New("message has no type header")
)

// groupsOf builds the consumers of a routing table, one per group, in the table's order.
func groupsOf(routes []bus.Route, topics Topics) ([]*group, error) {
	if err := bus.CheckRoutes(routes); err != nil {
		return nil, fmt.Errorf("routing table: %w", err)
	}
	var groups []*group
	byName := map[string]*group{}
	for _, r := range routes {
		if !r.Handles() {
			continue
		}
		g, ok := byName[r.Group]
		if !ok {
			topic, err := topics.Of(r)
			if err != nil {
				return nil, err
			}
			g = &group{name: r.Group, topic: topic, strict: r.Kind == bus.KindCommand, routes: map[string]bus.Route{}}
			byName[r.Group] = g
			groups = append(groups, g)
		}
		g.routes[r.Message] = r
	}
	return groups, nil
}

// dispatch is the router handler of a group. In a strict group (a command topic) a type
// without a route is a permanent error: a command nobody handles is lost otherwise. An
// event group ignores the events it does not care about, as any subscriber to a shared
// event stream must.
func (g *group) dispatch(msg *message.Message) error {
	name := msg.Metadata.Get(TypeKey)
	r, ok := g.routes[name]
	switch {
	case ok:
		return r.Deliver(msg.Context(), func(into any) error { return decodePayload(msg.Payload, into) })
	case name == "":
		return bus.Permanent(errNoType)
	case g.strict:
		return bus.Permanent(fmt.Errorf("%w %q on %s", errUnknownType, capValue(name, maxLoggedValueBytes), g.topic))
	default:
		loggerFrom(msg.Context()).Debug("event ignored: no handler in this group")
		return nil
	}
}

// ignores reports whether g drops messages of type name without handling them: events of a
// type it has no route for.
func (g *group) ignores(name string) bool {
	if g.strict || name == "" {
		return false
	}
	_, ok := g.routes[name]
	return !ok
}

// skipIgnored wraps the group's whole middleware chain: it acknowledges at once an event
// the group has no route for. An event topic carries many events each group ignores (the
// stock policy reads every OrderConfirmed); without it each would pay for correlation,
// retry, timeout and the recoverer before dispatch dropped it.
func (g *group) skipIgnored(h message.HandlerFunc) message.HandlerFunc {
	return func(msg *message.Message) ([]*message.Message, error) {
		if g.ignores(msg.Metadata.Get(TypeKey)) {
			return nil, nil
		}
		return h(msg)
	}
}

type loggerKey struct{}

// messageLogger is the logger of one message, with its correlation ID, UUID, handler, topic,
// partition and offset. It is built on first use: most messages log nothing at the
// configured level, and building it for each cost ~6% of CPU end to end.
type messageLogger struct {
	base  *slog.Logger
	attrs []any
	span  trace.SpanContext // the message's span, with tracing: its IDs join the attributes
	built *slog.Logger
}

func (m *messageLogger) get() *slog.Logger {
	if m.built == nil {
		attrs := m.attrs
		if m.span.IsValid() {
			attrs = append(attrs, traceLogAttrs(m.span)...)
		}
		m.built = m.base.With(attrs...)
	}
	return m.built
}

func withLogger(ctx context.Context, l *messageLogger) context.Context {
	return context.WithValue(ctx, loggerKey{}, l)
}

func loggerFrom(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(loggerKey{}).(*messageLogger); ok {
		return l.get()
	}
	return slog.Default()
}

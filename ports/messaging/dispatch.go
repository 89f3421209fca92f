package messaging

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/go-json-experiment/json"

	"github.com/example/orders-service/app/bus"
)

// Group is one consumer: one topic, one Kafka consumer group, one router handler, and the
// typed handlers it dispatches to by message type. Dispatching inside one consumer, rather
// than one subscription per handler as Watermill's cqrs processors do, is what keeps every
// message of one order (PlaceOrder, then CancelOrder) handled in the order it was sent.
type Group struct {
	name     string
	topic    string
	strict   bool
	handlers map[string]func(context.Context, []byte) error
}

var (
	errUnknownType = errors.New("unknown message type")
	errNoType      = errors.New("message has no type header")
)

// Handle registers fn for the messages of type M in g. It is the one line that adds a
// handler. Registering one type twice in a group is a programming error and panics at start.
func Handle[M bus.Message](g *Group, fn func(context.Context, M) error) {
	var zero M
	name := zero.MessageName()
	if _, dup := g.handlers[name]; dup {
		panic(fmt.Sprintf("messaging: %s registered twice in %s", name, g.name))
	}
	g.handlers[name] = func(ctx context.Context, payload []byte) error {
		// JSON v2 decodes in one pass with a fifth of the allocations of encoding/json
		// (1.4-2.4 µs and 2 allocations against 7 µs and 12 for an OrderPlaced); each
		// order's messages are decoded seven times. It matches field names exactly: the
		// wire names are a versioned contract, as on the HTTP API.
		var m M
		if err := json.Unmarshal(payload, &m); err != nil {
			return bus.Permanent(fmt.Errorf("decoding %s: %w", name, err))
		}
		if err := m.Validate(); err != nil {
			return bus.Permanent(fmt.Errorf("rejecting %s: %w", name, err))
		}
		return fn(ctx, m)
	}
}

// dispatch is the router handler of a group. In a strict group (a command topic) a type
// without handler is a permanent error: a command nobody handles is lost otherwise. An
// event group ignores the events it does not care about, as any subscriber to a shared
// event stream must.
func (g *Group) dispatch(msg *message.Message) error {
	name := msg.Metadata.Get(TypeKey)
	h, ok := g.handlers[name]
	switch {
	case ok:
		return h(msg.Context(), msg.Payload)
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
// type it has no handler for.
func (g *Group) ignores(name string) bool {
	if g.strict || name == "" {
		return false
	}
	_, ok := g.handlers[name]
	return !ok
}

// skipIgnored wraps the group's whole middleware chain: it acknowledges at once an event
// the group has no handler for. An event topic carries many events each group ignores (the
// stock policy reads every OrderConfirmed); without it each would pay for correlation,
// retry, timeout and the recoverer before dispatch dropped it.
func (g *Group) skipIgnored(h message.HandlerFunc) message.HandlerFunc {
	return func(msg *message.Message) ([]*message.Message, error) {
		if g.ignores(msg.Metadata.Get(TypeKey)) {
			return nil, nil
		}
		return h(msg)
	}
}

// Registry collects the groups while handlers are registered.
type Registry struct {
	topics Topics
	groups []*Group
}

// Commands declares the consumer of a context's command topic.
func (r *Registry) Commands(name, context string) *Group {
	return r.add(name, r.topics.Commands(context), true)
}

// Events declares a consumer of a context's event topic. Each event group has its own Kafka
// consumer group, so a slow projection never holds back a policy.
func (r *Registry) Events(name, context string) *Group {
	return r.add(name, r.topics.Events(context), false)
}

func (r *Registry) add(name, topic string, strict bool) *Group {
	for _, g := range r.groups {
		if g.name == name {
			panic(fmt.Sprintf("messaging: group %s declared twice", name))
		}
	}
	g := &Group{name: name, topic: topic, strict: strict, handlers: map[string]func(context.Context, []byte) error{}}
	r.groups = append(r.groups, g)
	return g
}

type loggerKey struct{}

// messageLogger is the logger of one message, with its correlation ID, UUID, handler, topic,
// partition and offset. It is built on first use: most messages log nothing at the
// configured level, and building it for each cost ~6% of CPU end to end.
type messageLogger struct {
	base  *slog.Logger
	attrs []any
	built *slog.Logger
}

func (m *messageLogger) get() *slog.Logger {
	if m.built == nil {
		m.built = m.base.With(m.attrs...)
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

package bus

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"runtime"
	"slices"
	"strings"
)

// Kind tells a command from an event. A command has exactly one handler in the service; an
// event has any number of consumers, here or in other services.
type Kind int

const (
	KindCommand Kind = iota + 1
	KindEvent
)

func (k Kind) String() string {
	switch k {
	case KindCommand:
		return "command"
	case KindEvent:
		return "event"
	}
	return "unknown kind"
}

// Route is one line of the routing table: the handler of one message type in one consumer
// group. A consumer group reads one stream, the commands or the events of one context
// (named by the wire name's first part: "orders" for "orders.PlaceOrder.v1"), and keeps
// the order of each key. A route without a handler declares an event the service publishes
// for consumers elsewhere.
type Route struct {
	// Group is the consumer group the handler runs in.
	Group string
	// Kind says whether the message is a command or an event.
	Kind Kind
	// Message is the wire name of the message type.
	Message string
	// Type is the message's Go type.
	Type reflect.Type
	// Handler is the handler's Go name, such as "event.Policies.ReserveStockOnOrderPlaced".
	Handler string

	deliver func(ctx context.Context, decode func(into any) error) error
}

// Command routes the commands of type M to handle, in group.
func Command[M Message](group string, handle func(context.Context, M) error) Route {
	return route(KindCommand, group, handle)
}

// Event routes the events of type M to handle, in group; other groups may consume them too.
func Event[M Message](group string, handle func(context.Context, M) error) Route {
	return route(KindEvent, group, handle)
}

// Published declares an event of type M that the service publishes and does not consume
// itself: its topic is provisioned, and the routing table's checks know it is not forgotten.
func Published[M Message]() Route {
	var zero M
	return Route{Kind: KindEvent, Message: zero.MessageName(), Type: reflect.TypeFor[M]()}
}

func route[M Message](kind Kind, group string, handle func(context.Context, M) error) Route {
	var zero M
	name := zero.MessageName()
	return Route{
		Group:   group,
		Kind:    kind,
		Message: name,
		Type:    reflect.TypeFor[M](),
		Handler: funcName(handle),
		deliver: func(ctx context.Context, decode func(any) error) error {
			var m M
			if err := decode(&m); err != nil {
				return Permanent(fmt.Errorf("decoding %s: %w", name, err))
			}
			if err := m.Validate(); err != nil {
				return Permanent(fmt.Errorf("rejecting %s: %w", name, err))
			}
			return handle(ctx, m)
		},
	}
}

// Handles reports whether the route has a handler (it is not a Published declaration).
func (r Route) Handles() bool { return r.deliver != nil }

// Deliver hands one message of the route's type to its handler: decode fills the message
// from its transport's encoding, then the message's checks run. A message that cannot be
// decoded or fails its checks is a permanent failure, and the handler does not run.
func (r Route) Deliver(ctx context.Context, decode func(into any) error) error {
	if r.deliver == nil {
		return fmt.Errorf("%s is published by this service, not consumed", r.Message)
	}
	return r.deliver(ctx, decode)
}

// Context is the context the message belongs to: the wire name up to its first dot.
func (r Route) Context() (string, error) { return ContextOf(r.Message) }

// ContextOf returns the context of a wire name ("orders" for "orders.PlaceOrder.v1").
func ContextOf(messageName string) (string, error) {
	context, _, ok := strings.Cut(messageName, ".")
	if !ok || context == "" {
		return "", fmt.Errorf("message name %q has no context prefix (want \"context.Name.vN\")", messageName)
	}
	return context, nil
}

// funcName names a handler for people: "event.Policies.ReserveStockOnOrderPlaced" for the
// method value of github.com/.../app/event.Policies.ReserveStockOnOrderPlaced.
func funcName(fn any) string {
	name := runtime.FuncForPC(reflect.ValueOf(fn).Pointer()).Name()
	name = strings.TrimSuffix(name, "-fm") // a method value
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	return name
}

// CheckRoutes checks what a routing table must hold for the service to run: every message
// names its context; each command has one handler; a group reads one stream (the commands
// or the events of one context) and handles each of its message types once; a published-only
// event is not also consumed.
func CheckRoutes(routes []Route) error {
	var errs []error
	type stream struct {
		kind    Kind
		context string
	}
	groupStream := map[string]stream{}
	commandHandler := map[string]string{}
	seen := map[[2]string]bool{}
	consumed, published := map[string]bool{}, map[string]bool{}
	kinds := map[string]Kind{}
	for _, r := range routes {
		ctx, err := r.Context()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if k, ok := kinds[r.Message]; ok && k != r.Kind {
			errs = append(errs, fmt.Errorf("%s is routed as a %s and as a %s: a message is one or the other", r.Message, k, r.Kind))
		}
		kinds[r.Message] = r.Kind
		if !r.Handles() {
			published[r.Message] = true
			continue
		}
		consumed[r.Message] = true
		if r.Group == "" {
			errs = append(errs, fmt.Errorf("%s (%s) has no consumer group", r.Message, r.Handler))
		}
		if r.Kind == KindCommand {
			if other, dup := commandHandler[r.Message]; dup {
				errs = append(errs, fmt.Errorf("command %s has two handlers: %s and %s", r.Message, other, r.Handler))
			}
			commandHandler[r.Message] = r.Handler
		}
		if seen[[2]string{r.Group, r.Message}] {
			errs = append(errs, fmt.Errorf("group %s routes %s twice: a second handler of one message type needs a consumer group of its own", r.Group, r.Message))
		}
		seen[[2]string{r.Group, r.Message}] = true
		s := stream{r.Kind, ctx}
		if first, ok := groupStream[r.Group]; !ok {
			groupStream[r.Group] = s
		} else if first != s {
			errs = append(errs, fmt.Errorf("group %s reads the %ss of %s and %s (%s): a group reads one stream", r.Group, first.kind, first.context, r.Message, r.Kind))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(published)) {
		if consumed[name] {
			errs = append(errs, fmt.Errorf("%s is declared published-only but has a handler", name))
		}
	}
	return errors.Join(errs...)
}

package messaging

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/example/orders-service/app/bus"
)

type ctxMarker struct{}

func newMsg(typ, payload string) *message.Message {
	msg := message.NewMessage("msg-1", []byte(payload))
	if typ != "" {
		msg.Metadata.Set(TypeKey, typ)
	}
	return msg
}

// routeOf routes the messages of type M to handle in group: as commands when strict, else
// as events.
func routeOf[M bus.Message](strict bool, group string, handle func(context.Context, M) error) bus.Route {
	if strict {
		return bus.Command(group, handle)
	}
	return bus.Event(group, handle)
}

// mustGroups builds the groups of a valid routing table.
func mustGroups(t *testing.T, topics Topics, routes ...bus.Route) []*group {
	t.Helper()
	groups, err := groupsOf(routes, topics)
	if err != nil {
		t.Fatalf("groupsOf: %v", err)
	}
	return groups
}

func TestGroupDispatch(t *testing.T) {
	type outcome int
	const (
		ok outcome = iota
		permanent
		transient
	)
	tests := []struct {
		name        string
		strict      bool
		typ         string
		payload     string
		handlerErr  error
		want        outcome
		wantHandled []fakeCmd
		errContains string
	}{
		{name: "commands: registered type", strict: true, typ: "orders.X.v1", payload: `{"id":"o-1","note":"n"}`, want: ok, wantHandled: []fakeCmd{{ID: "o-1", Note: "n"}}},
		{name: "events: registered type", typ: "orders.X.v1", payload: `{"id":"o-2"}`, want: ok, wantHandled: []fakeCmd{{ID: "o-2"}}},
		{name: "commands: malformed payload", strict: true, typ: "orders.X.v1", payload: `{not json`, want: permanent, errContains: "orders.X.v1"},
		{name: "events: malformed payload", typ: "orders.X.v1", payload: `{"id": 42}`, want: permanent},
		{name: "commands: missing type", strict: true, payload: `{"id":"o-1"}`, want: permanent},
		{name: "events: missing type", payload: `{"id":"o-1"}`, want: permanent},
		{name: "commands: unknown type", strict: true, typ: "orders.Unknown.v1", payload: `{}`, want: permanent, errContains: `"orders.Unknown.v1"`},
		{name: "commands: invalid message rejected before its handler", strict: true, typ: "orders.X.v1", payload: `{"id":"o-6","note":"invalid"}`, want: permanent, errContains: "rejecting orders.X.v1: note must not be"},
		{name: "events: invalid message rejected before its handler", typ: "orders.X.v1", payload: `{"id":"o-7","note":"invalid"}`, want: permanent, errContains: "rejecting orders.X.v1"},
		{name: "field names match exactly", typ: "orders.X.v1", payload: `{"ID":"o-5","note":"n"}`, want: ok, wantHandled: []fakeCmd{{Note: "n"}}},
		{name: "events: unknown type ignored", typ: "orders.Unknown.v1", payload: `{}`, want: ok},
		{name: "commands: handler error passed through", strict: true, typ: "orders.X.v1", payload: `{"id":"o-3"}`, handlerErr: errBoom, want: transient, wantHandled: []fakeCmd{{ID: "o-3"}}},
		{name: "events: handler error passed through", typ: "orders.X.v1", payload: `{"id":"o-4"}`, handlerErr: fmt.Errorf("wrapped: %w", errBoom), want: transient, wantHandled: []fakeCmd{{ID: "o-4"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var handled []fakeCmd
			var handledCtx []context.Context
			groups := mustGroups(t, Topics{Prefix: "p."},
				routeOf(tt.strict, "g", func(ctx context.Context, c fakeCmd) error {
					handled = append(handled, c)
					handledCtx = append(handledCtx, ctx)
					return tt.handlerErr
				}),
				routeOf(tt.strict, "g", func(context.Context, otherCmd) error {
					t.Error("handler of another type called")
					return nil
				}),
			)

			msg := newMsg(tt.typ, tt.payload)
			msg.SetContext(context.WithValue(context.Background(), ctxMarker{}, "marker"))
			err := groups[0].dispatch(msg)

			switch tt.want {
			case ok:
				if err != nil {
					t.Fatalf("dispatch = %v, want nil", err)
				}
			case permanent:
				if err == nil || !errors.Is(err, bus.ErrPermanent) {
					t.Fatalf("dispatch = %v, want a permanent error", err)
				}
			case transient:
				if err == nil || errors.Is(err, bus.ErrPermanent) {
					t.Fatalf("dispatch = %v, want a non-permanent error", err)
				}
				if !errors.Is(err, tt.handlerErr) {
					t.Fatalf("dispatch = %v, want the handler's error %v", err, tt.handlerErr)
				}
			}
			if tt.errContains != "" && !strings.Contains(err.Error(), tt.errContains) {
				t.Errorf("error %q does not mention %s", err, tt.errContains)
			}
			if fmt.Sprint(handled) != fmt.Sprint(tt.wantHandled) {
				t.Errorf("handled %+v, want %+v", handled, tt.wantHandled)
			}
			for _, ctx := range handledCtx {
				if ctx.Value(ctxMarker{}) != "marker" {
					t.Error("handler did not get the message's context")
				}
			}
		})
	}
}

func TestGroupTopicsAndStrictness(t *testing.T) {
	groups := mustGroups(t, Topics{Prefix: "x-"},
		bus.Command("a", nop[fakeEvent]),
		bus.Published[otherCmd](),
		bus.Event("b", nop[fakeCmd]),
		bus.Command("a", nop[stockCmd]),
	)
	tests := []struct {
		name       string
		topic      string
		strict     bool
		routeNames []string
	}{
		{name: "a", topic: "x-stock.commands", strict: true, routeNames: []string{"stock.Other.v1", "stock.Y.v1"}},
		{name: "b", topic: "x-orders.events", routeNames: []string{"orders.X.v1"}},
	}
	if len(groups) != len(tests) {
		t.Fatalf("groupsOf = %d groups, want %d (one per group, none for a published-only route)", len(groups), len(tests))
	}
	for i, want := range tests {
		g := groups[i]
		routeNames := slices.Sorted(maps.Keys(g.routes))
		if g.name != want.name || g.topic != want.topic || g.strict != want.strict || !slices.Equal(routeNames, want.routeNames) {
			t.Errorf("group %d = {%s %s strict:%v routes:%q}, want {%s %s strict:%v routes:%q}",
				i, g.name, g.topic, g.strict, routeNames, want.name, want.topic, want.strict, want.routeNames)
		}
	}
}

func TestUnknownCommandErrorNamesTypeAndTopic(t *testing.T) {
	g := mustGroups(t, Topics{}, bus.Command("cmds", nop[fakeCmd]))[0]
	err := g.dispatch(newMsg("orders.Nope.v3", `{}`))
	if !errors.Is(err, errUnknownType) || !errors.Is(err, bus.ErrPermanent) {
		t.Fatalf("err = %v, want errUnknownType and permanent", err)
	}
	for _, s := range []string{"orders.Nope.v3", "orders.commands"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not name %s", err, s)
		}
	}
	if err := g.dispatch(newMsg("", `{}`)); !errors.Is(err, errNoType) {
		t.Errorf("missing type: err = %v, want errNoType", err)
	}
}

// invalidTables are routing tables bus.CheckRoutes rejects, which the router must refuse.
func invalidTables() map[string][]bus.Route {
	return map[string][]bus.Route{
		"command with two handlers in two groups": {bus.Command("a", nop[fakeCmd]), bus.Command("b", nop[fakeCmd])},
		"group routes one type twice":             {bus.Event("a", nop[fakeCmd]), bus.Event("a", nop[fakeCmd])},
		"group reads two streams":                 {bus.Command("a", nop[fakeCmd]), bus.Command("a", nop[fakeEvent])},
		"published type with a handler":           {bus.Published[fakeCmd](), bus.Event("a", nop[fakeCmd])},
		"message name without context":            {bus.Command("a", nop[badName])},
	}
}

func TestGroupsOfChecksRoutes(t *testing.T) {
	for name, routes := range invalidTables() {
		t.Run(name, func(t *testing.T) {
			want := bus.CheckRoutes(routes)
			if want == nil {
				t.Fatal("bus.CheckRoutes accepts the table")
			}
			groups, err := groupsOf(routes, Topics{})
			if err == nil || !strings.Contains(err.Error(), want.Error()) {
				t.Fatalf("groupsOf = %v, %v; want the error %q", groups, err, want)
			}
		})
	}
}

// subscribers is a SubscriberFactory that records the consumer groups asked for.
type subscribers struct{ groups []string }

func (s *subscribers) new(consumerGroup string) (message.Subscriber, error) {
	s.groups = append(s.groups, consumerGroup)
	return nopSubscriber{}, nil
}

type nopSubscriber struct{}

func (nopSubscriber) Subscribe(context.Context, string) (<-chan *message.Message, error) {
	return make(chan *message.Message), nil
}
func (nopSubscriber) Close() error { return nil }

func TestNewRouter(t *testing.T) {
	cfg := RouterConfig{
		Topics:              Topics{Prefix: "t-"},
		ConsumerGroupPrefix: "svc-",
		HandlerTimeout:      time.Second,
		PoisonLimits:        DefaultPoisonLimits(testMaxRecordBytes),
		PoisonBackoff:       PoisonBackoff{Initial: time.Millisecond, Max: time.Millisecond},
	}
	newRouter := func(routes []bus.Route) (*Router, *subscribers, error) {
		subs := &subscribers{}
		r, err := NewRouter(cfg, routes, &recordingPublisher{}, subs.new, slog.New(slog.DiscardHandler))
		return r, subs, err
	}

	t.Run("valid table", func(t *testing.T) {
		r, subs, err := newRouter([]bus.Route{
			bus.Command("cmds", nop[fakeCmd]),
			bus.Event("evts", nop[fakeEvent]),
			bus.Published[otherCmd](),
		})
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"svc-cmds", "svc-evts"}; !slices.Equal(subs.groups, want) {
			t.Errorf("consumer groups = %q, want %q", subs.groups, want)
		}
		if want := []string{"t-orders.commands", "t-orders.events", "t-poison", "t-stock.events"}; !slices.Equal(r.Topics(), want) {
			t.Errorf("Topics() = %q, want %q", r.Topics(), want)
		}
	})
	for name, routes := range invalidTables() {
		t.Run(name, func(t *testing.T) {
			if _, subs, err := newRouter(routes); err == nil || len(subs.groups) != 0 {
				t.Fatalf("NewRouter = %v, consumer groups %q; want an error and no consumer", err, subs.groups)
			}
		})
	}
}

func TestSkipIgnored(t *testing.T) {
	groups := mustGroups(t, Topics{Prefix: "p."},
		bus.Command("cmds", nop[otherCmd]),
		bus.Event("evts", nop[fakeCmd]),
	)
	cmds, evts := groups[0], groups[1]
	tests := []struct {
		name        string
		group       *group
		typ         string
		wantSkipped bool
	}{
		{name: "event without handler in its group", group: evts, typ: "orders.Unknown.v1", wantSkipped: true},
		{name: "event with a handler", group: evts, typ: "orders.X.v1"},
		{name: "event without type goes on, to be poisoned", group: evts},
		{name: "unknown command goes on, to be poisoned", group: cmds, typ: "orders.Unknown.v1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reached := false
			next := func(*message.Message) ([]*message.Message, error) { reached = true; return nil, nil }
			if _, err := tt.group.skipIgnored(next)(newMsg(tt.typ, `{}`)); err != nil {
				t.Fatal(err)
			}
			if reached == tt.wantSkipped {
				t.Errorf("rest of the chain reached = %v, want %v", reached, !tt.wantSkipped)
			}
		})
	}
}

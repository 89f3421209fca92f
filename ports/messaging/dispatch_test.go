package messaging

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

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
			r := &Registry{topics: Topics{Prefix: "p."}}
			var g *Group
			if tt.strict {
				g = r.Commands("cmds", OrdersContext)
			} else {
				g = r.Events("evts", OrdersContext)
			}
			var handled []fakeCmd
			var handledCtx []context.Context
			Handle(g, func(ctx context.Context, c fakeCmd) error {
				handled = append(handled, c)
				handledCtx = append(handledCtx, ctx)
				return tt.handlerErr
			})
			Handle(g, func(context.Context, otherCmd) error {
				t.Error("handler of another type called")
				return nil
			})

			msg := newMsg(tt.typ, tt.payload)
			msg.SetContext(context.WithValue(context.Background(), ctxMarker{}, "marker"))
			err := g.dispatch(msg)

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
	r := &Registry{topics: Topics{Prefix: "x-"}}
	c := r.Commands("a", StockContext)
	e := r.Events("b", OrdersContext)
	if c.topic != "x-stock.commands" || !c.strict || c.name != "a" {
		t.Errorf("Commands group = %+v", c)
	}
	if e.topic != "x-orders.events" || e.strict || e.name != "b" {
		t.Errorf("Events group = %+v", e)
	}
	if len(r.groups) != 2 || r.groups[0] != c || r.groups[1] != e {
		t.Errorf("registry groups = %v", r.groups)
	}
}

func TestUnknownCommandErrorNamesTypeAndTopic(t *testing.T) {
	r := &Registry{topics: Topics{}}
	g := r.Commands("cmds", OrdersContext)
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

func mustPanic(t *testing.T, contains string, fn func()) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		if r == nil {
			t.Fatal("did not panic")
		}
		if !strings.Contains(fmt.Sprint(r), contains) {
			t.Fatalf("panic %q does not contain %q", r, contains)
		}
	}()
	fn()
}

func TestRegistrationPanics(t *testing.T) {
	t.Run("type registered twice", func(t *testing.T) {
		r := &Registry{}
		g := r.Commands("cmds", OrdersContext)
		Handle(g, func(context.Context, fakeCmd) error { return nil })
		mustPanic(t, "orders.X.v1", func() {
			Handle(g, func(context.Context, fakeCmd) error { return nil })
		})
	})
	t.Run("same type in two groups is fine", func(t *testing.T) {
		r := &Registry{}
		Handle(r.Events("a", OrdersContext), func(context.Context, fakeCmd) error { return nil })
		Handle(r.Events("b", OrdersContext), func(context.Context, fakeCmd) error { return nil })
	})
	for _, tt := range []struct {
		name          string
		first, second func(*Registry, string) *Group
	}{
		{"commands then commands", func(r *Registry, n string) *Group { return r.Commands(n, OrdersContext) }, func(r *Registry, n string) *Group { return r.Commands(n, StockContext) }},
		{"events then commands", func(r *Registry, n string) *Group { return r.Events(n, OrdersContext) }, func(r *Registry, n string) *Group { return r.Commands(n, OrdersContext) }},
		{"events then events", func(r *Registry, n string) *Group { return r.Events(n, StockContext) }, func(r *Registry, n string) *Group { return r.Events(n, StockContext) }},
	} {
		t.Run("group declared twice: "+tt.name, func(t *testing.T) {
			r := &Registry{}
			tt.first(r, "dup")
			mustPanic(t, "dup", func() { tt.second(r, "dup") })
		})
	}
}

func TestSkipIgnored(t *testing.T) {
	r := &Registry{topics: Topics{Prefix: "p."}}
	cmds := r.Commands("cmds", OrdersContext)
	Handle(cmds, func(context.Context, fakeCmd) error { return nil })
	evts := r.Events("evts", OrdersContext)
	Handle(evts, func(context.Context, fakeCmd) error { return nil })
	tests := []struct {
		name        string
		group       *Group
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

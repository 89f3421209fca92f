package bus_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/example/orders-service/app/bus"
)

// wireName names a fake message type: fake[N] is the message named N{}.wire().
type wireName interface{ wire() string }

type (
	orderAName   struct{}
	orderBName   struct{}
	orderEName   struct{}
	stockAName   struct{}
	stockBName   struct{}
	stockCName   struct{}
	noDotName    struct{}
	emptyCtxName struct{}
)

func (orderAName) wire() string   { return "orders.A.v1" }
func (orderBName) wire() string   { return "orders.B.v1" }
func (orderEName) wire() string   { return "orders.E.v1" }
func (stockAName) wire() string   { return "stock.A.v1" }
func (stockBName) wire() string   { return "stock.B.v1" }
func (stockCName) wire() string   { return "stock.C.v1" }
func (noDotName) wire() string    { return "noDot" }
func (emptyCtxName) wire() string { return ".A.v1" }

// fake is a message type of the tests; an ID of "invalid" fails its checks.
type fake[N wireName] struct {
	ID string `json:"id"`
}

func (fake[N]) MessageName() string    { var n N; return n.wire() }
func (m fake[N]) PartitionKey() string { return m.ID }
func (m fake[N]) Validate() error {
	if m.ID == "invalid" {
		return errInvalid
	}
	return nil
}

type (
	orderA = fake[orderAName]
	orderB = fake[orderBName]
	orderE = fake[orderEName]
	stockA = fake[stockAName]
	stockB = fake[stockBName]
	stockC = fake[stockCName]
	noDot  = fake[noDotName]
)

var (
	errInvalid = errors.New("id must not be \"invalid\"")
	errDecode  = errors.New("bad payload")
	errBoom    = errors.New("boom")
)

// nop is a handler of any message type.
func nop[M bus.Message](context.Context, M) error { return nil }

// handlers has handlers with names, for the messages that name them.
type handlers struct{}

func (handlers) First(context.Context, orderA) error  { return nil }
func (handlers) Second(context.Context, orderA) error { return nil }

func TestRouteFields(t *testing.T) {
	tests := []struct {
		name        string
		route       bus.Route
		wantGroup   string
		wantKind    bus.Kind
		wantMessage string
		wantType    reflect.Type
		wantHandles bool
	}{
		{
			name: "command", route: bus.Command("cmds", handlers{}.First),
			wantGroup: "cmds", wantKind: bus.KindCommand, wantMessage: "orders.A.v1", wantType: reflect.TypeFor[orderA](), wantHandles: true,
		},
		{
			name: "event", route: bus.Event("evts", nop[stockA]),
			wantGroup: "evts", wantKind: bus.KindEvent, wantMessage: "stock.A.v1", wantType: reflect.TypeFor[stockA](), wantHandles: true,
		},
		{
			name: "published", route: bus.Published[orderB](),
			wantKind: bus.KindEvent, wantMessage: "orders.B.v1", wantType: reflect.TypeFor[orderB](),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.route
			if r.Group != tt.wantGroup || r.Kind != tt.wantKind || r.Message != tt.wantMessage || r.Type != tt.wantType {
				t.Errorf("route = {Group:%q Kind:%v Message:%q Type:%v}, want {%q %v %q %v}",
					r.Group, r.Kind, r.Message, r.Type, tt.wantGroup, tt.wantKind, tt.wantMessage, tt.wantType)
			}
			if r.Handles() != tt.wantHandles {
				t.Errorf("Handles() = %v, want %v", r.Handles(), tt.wantHandles)
			}
			if !tt.wantHandles && r.Handler != "" {
				t.Errorf("Handler = %q, want none", r.Handler)
			}
		})
	}
}

func TestRouteHandlerName(t *testing.T) {
	tests := []struct {
		name  string
		route bus.Route
		want  string
	}{
		{name: "command method value", route: bus.Command("g", handlers{}.First), want: "bus_test.handlers.First"},
		{name: "event method value", route: bus.Event("g", handlers{}.Second), want: "bus_test.handlers.Second"},
		{name: "generic function", route: bus.Event("g", nop[orderA]), want: "bus_test.nop[...]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.route.Handler; got != tt.want {
				t.Errorf("Handler = %q, want %q", got, tt.want)
			}
		})
	}
}

type ctxMarker struct{}

func TestRouteDeliver(t *testing.T) {
	tests := []struct {
		name        string
		decoded     orderA
		decodeErr   error
		handlerErr  error
		wantHandled bool
		wantErrIs   error
		wantPerm    bool
		errContains string
	}{
		{name: "success", decoded: orderA{ID: "o-1"}, wantHandled: true},
		{name: "decode error", decodeErr: errDecode, wantErrIs: errDecode, wantPerm: true, errContains: "decoding orders.A.v1"},
		{name: "invalid message rejected before its handler", decoded: orderA{ID: "invalid"}, wantErrIs: errInvalid, wantPerm: true, errContains: "rejecting orders.A.v1"},
		{name: "handler error passed through", decoded: orderA{ID: "o-2"}, handlerErr: errBoom, wantHandled: true, wantErrIs: errBoom},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var handled []orderA
			r := bus.Command("g", func(ctx context.Context, m orderA) error {
				if ctx.Value(ctxMarker{}) != "marker" {
					t.Error("handler did not get the delivery's context")
				}
				handled = append(handled, m)
				return tt.handlerErr
			})
			decode := func(into any) error {
				p, ok := into.(*orderA)
				if !ok {
					t.Fatalf("decode into %T, want *orderA", into)
				}
				*p = tt.decoded
				return tt.decodeErr
			}
			err := r.Deliver(context.WithValue(context.Background(), ctxMarker{}, "marker"), decode)

			if !errors.Is(err, tt.wantErrIs) || (err == nil) != (tt.wantErrIs == nil) {
				t.Fatalf("Deliver = %v, want %v", err, tt.wantErrIs)
			}
			if errors.Is(err, bus.ErrPermanent) != tt.wantPerm {
				t.Errorf("Deliver = %v, permanent = %v, want %v", err, !tt.wantPerm, tt.wantPerm)
			}
			if tt.errContains != "" && !strings.Contains(err.Error(), tt.errContains) {
				t.Errorf("error %q does not mention %q", err, tt.errContains)
			}
			var want []orderA
			if tt.wantHandled {
				want = []orderA{tt.decoded}
			}
			if !reflect.DeepEqual(handled, want) {
				t.Errorf("handled %+v, want %+v", handled, want)
			}
		})
	}
}

func TestPublishedRouteDoesNotDeliver(t *testing.T) {
	r := bus.Published[orderB]()
	decoded := false
	err := r.Deliver(context.Background(), func(any) error { decoded = true; return nil })
	if err == nil || !strings.Contains(err.Error(), "orders.B.v1") {
		t.Errorf("Deliver = %v, want an error naming orders.B.v1", err)
	}
	if decoded {
		t.Error("Deliver decoded a message of a published-only route")
	}
}

func TestContextOf(t *testing.T) {
	tests := []struct {
		name    string
		want    string
		wantErr bool
	}{
		{name: "orders.PlaceOrder.v1", want: "orders"},
		{name: "stock.X.v1", want: "stock"},
		{name: "", wantErr: true},
		{name: "noDot", wantErr: true},
		{name: ".x", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := bus.ContextOf(tt.name)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("ContextOf(%q) = %q, nil; want an error", tt.name, got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ContextOf(%q) = %q, %v; want %q, nil", tt.name, got, err, tt.want)
			}
		})
	}
}

func TestRouteContext(t *testing.T) {
	tests := []struct {
		route   bus.Route
		want    string
		wantErr bool
	}{
		{route: bus.Command("g", nop[orderA]), want: "orders"},
		{route: bus.Event("g", nop[stockA]), want: "stock"},
		{route: bus.Published[orderB](), want: "orders"},
		{route: bus.Command("g", nop[noDot]), wantErr: true},
		{route: bus.Published[fake[emptyCtxName]](), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.route.Message, func(t *testing.T) {
			got, err := tt.route.Context()
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("Context() = %q, %v; want %q, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestKindString(t *testing.T) {
	for kind, want := range map[bus.Kind]string{bus.KindCommand: "command", bus.KindEvent: "event", 0: "unknown kind"} {
		if got := kind.String(); got != want {
			t.Errorf("Kind(%d).String() = %q, want %q", kind, got, want)
		}
	}
}

func TestCheckRoutes(t *testing.T) {
	tests := []struct {
		name   string
		routes []bus.Route
		// wantErrs are what the error says, one item each; none means the table is valid.
		wantErrs []string
	}{
		{
			name: "valid table",
			routes: []bus.Route{
				bus.Command("order-commands", handlers{}.First),
				bus.Command("order-commands", nop[orderB]),
				bus.Command("stock-commands", nop[stockA]),
				bus.Event("stock-policy", nop[orderE]),
				bus.Event("order-projection", nop[orderE]),
				bus.Event("order-policy", nop[stockB]),
				bus.Published[stockC](),
			},
		},
		{name: "empty table", routes: nil},
		{
			name:   "same type in two event groups",
			routes: []bus.Route{bus.Event("a", nop[orderA]), bus.Event("b", nop[orderA])},
		},
		{
			name:     "command with two handlers in one group",
			routes:   []bus.Route{bus.Command("cmds", handlers{}.First), bus.Command("cmds", handlers{}.Second)},
			wantErrs: []string{"command orders.A.v1 has two handlers: bus_test.handlers.First and bus_test.handlers.Second", "group cmds routes orders.A.v1 twice"},
		},
		{
			name:     "command with two handlers in two groups",
			routes:   []bus.Route{bus.Command("a", handlers{}.First), bus.Command("b", handlers{}.Second)},
			wantErrs: []string{"command orders.A.v1 has two handlers: bus_test.handlers.First and bus_test.handlers.Second"},
		},
		{
			name:     "group routes one event type twice",
			routes:   []bus.Route{bus.Event("evts", handlers{}.First), bus.Event("evts", handlers{}.Second)},
			wantErrs: []string{"group evts routes orders.A.v1 twice"},
		},
		{
			name:     "group reads commands of orders and of stock",
			routes:   []bus.Route{bus.Command("cmds", nop[orderA]), bus.Command("cmds", nop[stockA])},
			wantErrs: []string{"group cmds reads the commands of orders and stock.A.v1 (command): a group reads one stream"},
		},
		{
			name:     "group reads events and commands of one context",
			routes:   []bus.Route{bus.Event("g", nop[orderA]), bus.Command("g", nop[orderB])},
			wantErrs: []string{"group g reads the events of orders and orders.B.v1 (command): a group reads one stream"},
		},
		{
			name:     "group reads events of two contexts",
			routes:   []bus.Route{bus.Event("g", nop[orderA]), bus.Event("g", nop[stockA])},
			wantErrs: []string{"group g reads the events of orders and stock.A.v1 (event): a group reads one stream"},
		},
		{
			name:     "published type that also has a handler",
			routes:   []bus.Route{bus.Published[orderA](), bus.Event("g", nop[orderA])},
			wantErrs: []string{"orders.A.v1 is declared published-only but has a handler"},
		},
		{
			name:     "message name without context",
			routes:   []bus.Route{bus.Command("g", nop[noDot])},
			wantErrs: []string{`message name "noDot" has no context prefix`},
		},
		{
			name:     "published message name without context",
			routes:   []bus.Route{bus.Published[noDot]()},
			wantErrs: []string{`message name "noDot" has no context prefix`},
		},
		{
			name:   "every error is reported",
			routes: []bus.Route{bus.Command("g", nop[noDot]), bus.Command("a", handlers{}.First), bus.Command("b", handlers{}.Second), bus.Command("a", nop[stockA])},
			wantErrs: []string{
				`message name "noDot" has no context prefix`,
				"command orders.A.v1 has two handlers",
				"group a reads the commands of orders and stock.A.v1",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := bus.CheckRoutes(tt.routes)
			if len(tt.wantErrs) == 0 {
				if err != nil {
					t.Fatalf("CheckRoutes = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("CheckRoutes = nil, want errors %q", tt.wantErrs)
			}
			if lines := strings.Split(err.Error(), "\n"); len(lines) != len(tt.wantErrs) {
				t.Errorf("CheckRoutes = %q: %d errors, want %d", err, len(lines), len(tt.wantErrs))
			}
			for _, want := range tt.wantErrs {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("CheckRoutes = %q, does not say %q", err, want)
				}
			}
		})
	}
}

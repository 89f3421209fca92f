package messaging

import (
	"slices"
	"testing"

	"github.com/example/orders-service/app/bus"
)

func TestTopics(t *testing.T) {
	tests := []struct {
		prefix                 string
		ordersCmds, ordersEvts string
		stockCmds, stockEvts   string
		poison                 string
	}{
		{
			prefix: "", ordersCmds: "orders.commands", ordersEvts: "orders.events",
			stockCmds: "stock.commands", stockEvts: "stock.events", poison: "poison",
		},
		{
			prefix: "test-", ordersCmds: "test-orders.commands", ordersEvts: "test-orders.events",
			stockCmds: "test-stock.commands", stockEvts: "test-stock.events", poison: "test-poison",
		},
	}
	for _, tt := range tests {
		t.Run("prefix="+tt.prefix, func(t *testing.T) {
			tp := Topics{Prefix: tt.prefix}
			for _, c := range []struct{ call, got, want string }{
				{"Commands(orders)", tp.Commands("orders"), tt.ordersCmds},
				{"Events(orders)", tp.Events("orders"), tt.ordersEvts},
				{"Commands(stock)", tp.Commands("stock"), tt.stockCmds},
				{"Events(stock)", tp.Events("stock"), tt.stockEvts},
				{"Poison()", tp.Poison(), tt.poison},
			} {
				if c.got != c.want {
					t.Errorf("%s = %q, want %q", c.call, c.got, c.want)
				}
			}
		})
	}
}

func TestTopicsOf(t *testing.T) {
	tests := []struct {
		name    string
		route   bus.Route
		want    string
		wantErr bool
	}{
		{name: "command", route: bus.Command("g", nop[fakeCmd]), want: "p.orders.commands"},
		{name: "event", route: bus.Event("g", nop[fakeEvent]), want: "p.stock.events"},
		{name: "command consumed as an event", route: bus.Event("g", nop[fakeCmd]), want: "p.orders.events"},
		{name: "published event", route: bus.Published[fakeEvent](), want: "p.stock.events"},
		{name: "name without context", route: bus.Command("g", nop[badName]), wantErr: true},
		{name: "no kind", route: bus.Route{Message: "orders.X.v1"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Topics{Prefix: "p."}.Of(tt.route)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("Of = %q, %v; want %q, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestTopicsFor(t *testing.T) {
	tests := []struct {
		name    string
		prefix  string
		routes  []bus.Route
		want    []string
		wantErr bool
	}{
		{name: "empty table", want: []string{"poison"}},
		{
			name: "sorted, unique, with poison",
			routes: []bus.Route{
				bus.Event("b", nop[fakeEvent]),
				bus.Command("a", nop[fakeCmd]),
				bus.Event("c", nop[fakeEvent]),
				bus.Command("d", nop[otherCmd]),
				bus.Published[stockCmd](),
			},
			want: []string{"orders.commands", "poison", "stock.events"},
		},
		{
			name:   "with prefix",
			prefix: "x-",
			routes: []bus.Route{bus.Event("b", nop[fakeEvent]), bus.Command("a", nop[fakeCmd])},
			want:   []string{"x-orders.commands", "x-poison", "x-stock.events"},
		},
		{
			name:    "route with a bad name",
			routes:  []bus.Route{bus.Command("a", nop[fakeCmd]), bus.Published[badName]()},
			wantErr: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Topics{Prefix: tt.prefix}.For(tt.routes)
			if (err != nil) != tt.wantErr || !slices.Equal(got, tt.want) {
				t.Fatalf("For = %q, %v; want %q, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

package query_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/example/orders-service/adapters/memory"
	"github.com/example/orders-service/app/query"
	"github.com/example/orders-service/domain/order"
	"github.com/example/orders-service/domain/stock"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// recordingReadModel remembers the filter List was called with.
type recordingReadModel struct {
	query.OrderReadModel
	filter query.OrderFilter
	calls  int
	err    error
}

func (r *recordingReadModel) List(_ context.Context, f query.OrderFilter) ([]query.OrderView, error) {
	r.filter = f
	r.calls++
	return nil, r.err
}

func (r *recordingReadModel) Get(context.Context, string) (query.OrderView, error) {
	return query.OrderView{}, r.err
}

func TestOrdersHandlerFilter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      query.OrderFilter
		want    query.OrderFilter
		wantErr bool
	}{
		{"default limit", query.OrderFilter{}, query.OrderFilter{Limit: query.DefaultListLimit}, false},
		{"negative limit", query.OrderFilter{Limit: -5}, query.OrderFilter{Limit: query.DefaultListLimit}, false},
		{"limit kept", query.OrderFilter{Limit: 7}, query.OrderFilter{Limit: 7}, false},
		{"max limit kept", query.OrderFilter{Limit: query.MaxListLimit}, query.OrderFilter{Limit: query.MaxListLimit}, false},
		{"limit capped", query.OrderFilter{Limit: query.MaxListLimit + 1}, query.OrderFilter{Limit: query.MaxListLimit}, false},
		{"status kept", query.OrderFilter{Status: order.StatusShipped, Limit: 3}, query.OrderFilter{Status: order.StatusShipped, Limit: 3}, false},
		{"unknown status", query.OrderFilter{Status: "lost"}, query.OrderFilter{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rm := &recordingReadModel{}
			_, err := query.OrdersHandler{ReadModel: rm}.Handle(t.Context(), tt.in)
			if tt.wantErr {
				if err == nil || rm.calls != 0 {
					t.Fatalf("Handle = %v after %d List calls, want an error and no call", err, rm.calls)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if rm.filter != tt.want {
				t.Fatalf("List got %+v, want %+v", rm.filter, tt.want)
			}
		})
	}
}

func TestHandlersWrapReadModelErrors(t *testing.T) {
	t.Parallel()
	errDown := errors.New("storage down")
	rm := &recordingReadModel{err: errDown}
	if _, err := (query.OrdersHandler{ReadModel: rm}).Handle(t.Context(), query.OrderFilter{}); !errors.Is(err, errDown) {
		t.Errorf("OrdersHandler = %v", err)
	}
	if _, err := (query.OrderHandler{ReadModel: rm}).Handle(t.Context(), "o-1"); !errors.Is(err, errDown) {
		t.Errorf("OrderHandler = %v", err)
	}
}

func TestOrderHandler(t *testing.T) {
	t.Parallel()
	rm := memory.NewOrderReadModel()
	h := query.OrderHandler{ReadModel: rm}
	if _, err := h.Handle(t.Context(), "o-1"); !errors.Is(err, query.ErrNotFound) {
		t.Fatalf("unknown order: %v, want ErrNotFound", err)
	}
	if err := rm.Apply(t.Context(), "o-1", 1, func(v *query.OrderView) {
		v.ID, v.Version, v.Status, v.CustomerID, v.CreatedAt, v.UpdatedAt = "o-1", 1, order.StatusPending, "c-1", t0, t0
	}); err != nil {
		t.Fatal(err)
	}
	v, err := h.Handle(t.Context(), "o-1")
	if err != nil || v.ID != "o-1" || v.CustomerID != "c-1" || v.Status != order.StatusPending {
		t.Fatalf("Handle = %+v, %v", v, err)
	}
}

func TestOrdersHandlerOverMemory(t *testing.T) {
	t.Parallel()
	rm := memory.NewOrderReadModel()
	for i, st := range []order.Status{order.StatusPending, order.StatusConfirmed, order.StatusPending} {
		id := []string{"o-1", "o-2", "o-3"}[i]
		if err := rm.Apply(t.Context(), id, 1, func(v *query.OrderView) {
			v.ID, v.Version, v.Status, v.CreatedAt = id, 1, st, t0.Add(time.Duration(i)*time.Minute)
		}); err != nil {
			t.Fatal(err)
		}
	}
	views, err := query.OrdersHandler{ReadModel: rm}.Handle(t.Context(), query.OrderFilter{Status: order.StatusPending})
	if err != nil || len(views) != 2 || views[0].ID != "o-3" || views[1].ID != "o-1" {
		t.Fatalf("Handle = %+v, %v", views, err)
	}
}

// failingStock is a stock repository whose storage is down.
type failingStock struct {
	stock.Repository
	err error
}

func (f failingStock) Level(context.Context, string) (stock.Level, error) {
	return stock.Level{}, f.err
}

func TestStockHandler(t *testing.T) {
	t.Parallel()
	repo := memory.NewStockRepository()
	h := query.StockHandler{Stock: repo}
	l, err := h.Handle(t.Context(), "never")
	if err != nil || l != (stock.Level{SKU: "never"}) {
		t.Fatalf("never stocked: %+v, %v", l, err)
	}
	if err := repo.UpdateLevel(t.Context(), "A", func(l *stock.Level) error { l.OnHand, l.Reserved = 6, 2; return nil }); err != nil {
		t.Fatal(err)
	}
	if l, err := h.Handle(t.Context(), "A"); err != nil || l != (stock.Level{SKU: "A", OnHand: 6, Reserved: 2}) || l.Available() != 4 {
		t.Fatalf("A: %+v, %v; want 6 on hand, 2 reserved, 4 available", l, err)
	}
	errDown := errors.New("storage down")
	if _, err := (query.StockHandler{Stock: failingStock{err: errDown}}).Handle(t.Context(), "A"); !errors.Is(err, errDown) {
		t.Fatalf("storage down: %v", err)
	}
}

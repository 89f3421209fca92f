package query_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/example/orders-service/adapters/memory"
	"github.com/example/orders-service/app/query"
	"github.com/example/orders-service/domain/order"
)

// forever is a wait or recheck interval no test reaches: what ends such a wait is what the
// test is about.
const forever = time.Hour

type waitResult struct {
	view query.OrderView
	err  error
	took time.Duration
}

// startWait runs the handler in a goroutine; its answer arrives on the channel.
func startWait(ctx context.Context, h query.WaitOrderHandler, q query.WaitOrder) <-chan waitResult {
	out := make(chan waitResult, 1)
	go func() {
		start := time.Now()
		v, err := h.Handle(ctx, q)
		out <- waitResult{v, err, time.Since(start)}
	}()
	return out
}

// answer returns the wait's answer, failing the test when none comes in time.
func answer(t *testing.T, res <-chan waitResult) waitResult {
	t.Helper()
	select {
	case r := <-res:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("the wait did not end")
		return waitResult{}
	}
}

// notYet fails the test if the wait already ended.
func notYet(t *testing.T, res <-chan waitResult) {
	t.Helper()
	select {
	case r := <-res:
		t.Fatalf("the wait ended early: %+v", r)
	default:
	}
}

// spyChanges reports each subscription, so a test knows when a waiter is waiting.
type spyChanges struct {
	query.OrderChanges
	subscribed chan string
	// before runs at the first subscription, before it is made.
	before func()
}

func (s *spyChanges) Changed(orderID string) (<-chan struct{}, func()) {
	if s.before != nil {
		s.before()
		s.before = nil
	}
	ch, release := s.OrderChanges.Changed(orderID)
	s.subscribed <- orderID
	return ch, release
}

func newSpy(inner query.OrderChanges) *spyChanges {
	return &spyChanges{OrderChanges: inner, subscribed: make(chan string, 100)}
}

func (s *spyChanges) waitSubscribed(t *testing.T) {
	t.Helper()
	select {
	case <-s.subscribed:
	case <-time.After(10 * time.Second):
		t.Fatal("the waiter never subscribed")
	}
}

// silentChanges never signals: the waiter can rely on its recheck timer only.
type silentChanges struct{}

func (silentChanges) Changed(string) (<-chan struct{}, func()) { return nil, func() {} }

func applyView(t *testing.T, rm query.OrderReadModel, id string, version int, st order.Status) {
	t.Helper()
	err := rm.Apply(t.Context(), id, version, func(v *query.OrderView) {
		v.ID, v.Version, v.Status, v.CustomerID, v.CreatedAt, v.UpdatedAt = id, version, st, "c-1", t0, t0.Add(time.Duration(version)*time.Second)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// seen returns a Seen that matches the given revisions.
func seen(revisions ...string) func(query.OrderView) bool {
	return func(v query.OrderView) bool {
		for _, r := range revisions {
			if v.Revision() == r {
				return true
			}
		}
		return false
	}
}

func TestWaitAnswersAtOnceWhenNothingIsToWaitFor(t *testing.T) {
	t.Parallel()
	rm := memory.NewOrderReadModel()
	applyView(t, rm, "o-1", 1, order.StatusPending)
	tests := []struct {
		name    string
		q       query.WaitOrder
		want    string // revision; "" for ErrNotFound
		wantErr error
	}{
		{"exists, nothing seen", query.WaitOrder{OrderID: "o-1", Wait: forever}, "1.0", nil},
		{"exists, another revision seen", query.WaitOrder{OrderID: "o-1", Seen: seen("0.0", "2.0"), Wait: forever}, "1.0", nil},
		{"exists and seen, no wait", query.WaitOrder{OrderID: "o-1", Seen: seen("1.0")}, "1.0", nil},
		{"exists and seen, negative wait", query.WaitOrder{OrderID: "o-1", Seen: seen("1.0"), Wait: -time.Second}, "1.0", nil},
		{"absent, no wait", query.WaitOrder{OrderID: "o-2"}, "", query.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			spy := newSpy(rm)
			h := query.WaitOrderHandler{ReadModel: rm, Changes: spy, Recheck: forever}
			r := answer(t, startWait(t.Context(), h, tt.q))
			if !errors.Is(r.err, tt.wantErr) || (tt.wantErr == nil && r.view.Revision() != tt.want) {
				t.Fatalf("Handle = %+v, %v; want revision %q, error %v", r.view, r.err, tt.want, tt.wantErr)
			}
			if len(spy.subscribed) != 0 {
				t.Errorf("subscribed although there was nothing to wait for")
			}
		})
	}
}

func TestWaitWakesOnChange(t *testing.T) {
	t.Parallel()
	refusal := query.Refusal{CommandID: "cmd-1", Command: "orders.ShipOrder.v1", Reason: "cannot ship order: it is pending", At: t0}
	tests := []struct {
		name   string
		before func(t *testing.T, rm *memory.OrderReadModel) // the state the waiter sees
		seen   []string
		change func(t *testing.T, rm *memory.OrderReadModel)
		want   string
	}{
		{
			name:   "created",
			before: func(*testing.T, *memory.OrderReadModel) {},
			change: func(t *testing.T, rm *memory.OrderReadModel) { applyView(t, rm, "o-1", 1, order.StatusPending) },
			want:   "1.0",
		},
		{
			name:   "status changed",
			before: func(t *testing.T, rm *memory.OrderReadModel) { applyView(t, rm, "o-1", 1, order.StatusPending) },
			seen:   []string{"1.0"},
			change: func(t *testing.T, rm *memory.OrderReadModel) { applyView(t, rm, "o-1", 2, order.StatusConfirmed) },
			want:   "2.0",
		},
		{
			name:   "refusal recorded",
			before: func(t *testing.T, rm *memory.OrderReadModel) { applyView(t, rm, "o-1", 1, order.StatusPending) },
			seen:   []string{"1.0"},
			change: func(t *testing.T, rm *memory.OrderReadModel) {
				if err := rm.AddRefusal(t.Context(), "o-1", refusal); err != nil {
					t.Fatal(err)
				}
			},
			want: query.OrderView{Version: 1, Refusals: []query.Refusal{refusal}}.Revision(),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rm := memory.NewOrderReadModel()
			tt.before(t, rm)
			spy := newSpy(rm)
			// No recheck within the test: only the signal can end the wait.
			h := query.WaitOrderHandler{ReadModel: rm, Changes: spy, Recheck: forever}
			res := startWait(t.Context(), h, query.WaitOrder{OrderID: "o-1", Seen: seen(tt.seen...), Wait: forever})
			spy.waitSubscribed(t)
			notYet(t, res)
			tt.change(t, rm)
			r := answer(t, res)
			if r.err != nil || r.view.Revision() != tt.want {
				t.Fatalf("Handle = %+v, %v; want revision %s", r.view, r.err, tt.want)
			}
		})
	}
}

func TestWaitIgnoresChangesOfOtherOrdersAndStaleOnes(t *testing.T) {
	t.Parallel()
	rm := memory.NewOrderReadModel()
	applyView(t, rm, "o-1", 2, order.StatusConfirmed)
	spy := newSpy(rm)
	h := query.WaitOrderHandler{ReadModel: rm, Changes: spy, Recheck: forever}
	res := startWait(t.Context(), h, query.WaitOrder{OrderID: "o-1", Seen: seen("2.0"), Wait: forever})
	spy.waitSubscribed(t)
	applyView(t, rm, "o-2", 1, order.StatusPending)   // another order
	applyView(t, rm, "o-1", 2, order.StatusCancelled) // not newer: ignored by the read model
	applyView(t, rm, "o-1", 1, order.StatusPending)   // older
	notYet(t, res)
	applyView(t, rm, "o-1", 3, order.StatusShipped)
	if r := answer(t, res); r.err != nil || r.view.Status != order.StatusShipped {
		t.Fatalf("Handle = %+v, %v; want the shipped view", r.view, r.err)
	}
}

func TestWaitTimesOut(t *testing.T) {
	t.Parallel()
	const wait = 50 * time.Millisecond
	rm := memory.NewOrderReadModel()
	applyView(t, rm, "o-1", 1, order.StatusPending)
	tests := []struct {
		name    string
		q       query.WaitOrder
		want    string
		wantErr error
	}{
		{"view unchanged: the seen view", query.WaitOrder{OrderID: "o-1", Seen: seen("1.0"), Wait: wait}, "1.0", nil},
		{"every view seen", query.WaitOrder{OrderID: "o-1", Seen: func(query.OrderView) bool { return true }, Wait: wait}, "1.0", nil},
		{"never created: not found", query.WaitOrder{OrderID: "o-2", Wait: wait}, "", query.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := query.WaitOrderHandler{ReadModel: rm, Changes: rm, Recheck: 10 * time.Millisecond}
			r := answer(t, startWait(t.Context(), h, tt.q))
			if !errors.Is(r.err, tt.wantErr) || (tt.wantErr == nil && r.view.Revision() != tt.want) {
				t.Fatalf("Handle = %+v, %v; want revision %q, error %v", r.view, r.err, tt.want, tt.wantErr)
			}
			if r.took < wait {
				t.Errorf("answered after %s, before the wait of %s was over", r.took, wait)
			}
		})
	}
}

func TestWaitEndsWithTheContext(t *testing.T) {
	t.Parallel()
	for _, exists := range []bool{false, true} {
		t.Run("order exists: "+strconv.FormatBool(exists), func(t *testing.T) {
			t.Parallel()
			rm := memory.NewOrderReadModel()
			if exists {
				applyView(t, rm, "o-1", 1, order.StatusPending)
			}
			spy := newSpy(rm)
			h := query.WaitOrderHandler{ReadModel: rm, Changes: spy, Recheck: forever}
			ctx, cancel := context.WithCancel(t.Context())
			res := startWait(ctx, h, query.WaitOrder{OrderID: "o-1", Seen: seen("1.0"), Wait: forever})
			spy.waitSubscribed(t)
			notYet(t, res)
			cancel()
			if r := answer(t, res); !errors.Is(r.err, context.Canceled) {
				t.Fatalf("Handle = %+v, %v; want context.Canceled", r.view, r.err)
			}
		})
	}
}

// TestWaitSeesAChangeBetweenReadAndSubscribe: a change that lands after the first read
// but before the subscription signals nobody; the read after subscribing must catch it.
func TestWaitSeesAChangeBetweenReadAndSubscribe(t *testing.T) {
	t.Parallel()
	for _, exists := range []bool{false, true} {
		t.Run("order exists: "+strconv.FormatBool(exists), func(t *testing.T) {
			t.Parallel()
			rm := memory.NewOrderReadModel()
			if exists {
				applyView(t, rm, "o-1", 1, order.StatusPending)
			}
			spy := newSpy(rm)
			spy.before = func() { applyView(t, rm, "o-1", 2, order.StatusConfirmed) }
			h := query.WaitOrderHandler{ReadModel: rm, Changes: spy, Recheck: forever}
			r := answer(t, startWait(t.Context(), h, query.WaitOrder{OrderID: "o-1", Seen: seen("1.0"), Wait: forever}))
			if r.err != nil || r.view.Revision() != "2.0" {
				t.Fatalf("Handle = %+v, %v; want revision 2.0", r.view, r.err)
			}
		})
	}
}

// TestWaitRechecksWithoutSignal: a lost signal delays the answer by the recheck interval at
// most; it never hangs the wait. The change is made only once the wait has read the view
// (and subscribed, when it can): only a recheck can see it.
func TestWaitRechecksWithoutSignal(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		changes func(*spyChanges) query.OrderChanges
		// waiting returns once the wait has read the order and is waiting.
		waiting func(t *testing.T, spy *spyChanges, reads <-chan struct{})
	}{
		{"signals lost", func(s *spyChanges) query.OrderChanges { return s },
			func(t *testing.T, spy *spyChanges, _ <-chan struct{}) { spy.waitSubscribed(t) }},
		{"no OrderChanges at all", func(*spyChanges) query.OrderChanges { return nil },
			func(t *testing.T, _ *spyChanges, reads <-chan struct{}) { awaitReads(t, reads, 2) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rm := memory.NewOrderReadModel()
			applyView(t, rm, "o-1", 1, order.StatusPending)
			spy := newSpy(silentChanges{})
			counted := &countingReadModel{OrderReadModel: rm, reads: make(chan struct{}, 100)}
			h := query.WaitOrderHandler{ReadModel: counted, Changes: tc.changes(spy), Recheck: 50 * time.Millisecond}
			res := startWait(t.Context(), h, query.WaitOrder{OrderID: "o-1", Seen: seen("1.0"), Wait: forever})
			tc.waiting(t, spy, counted.reads)
			applyView(t, rm, "o-1", 2, order.StatusConfirmed)
			if r := answer(t, res); r.err != nil || r.view.Revision() != "2.0" {
				t.Fatalf("Handle = %+v, %v; want revision 2.0", r.view, r.err)
			}
		})
	}
}

// countingReadModel reports each Get on reads.
type countingReadModel struct {
	query.OrderReadModel
	reads chan struct{}
}

func (c *countingReadModel) Get(ctx context.Context, orderID string) (query.OrderView, error) {
	v, err := c.OrderReadModel.Get(ctx, orderID)
	select {
	case c.reads <- struct{}{}:
	default:
	}
	return v, err
}

func awaitReads(t *testing.T, reads <-chan struct{}, n int) {
	t.Helper()
	for range n {
		select {
		case <-reads:
		case <-time.After(10 * time.Second):
			t.Fatal("the waiter did not read the order")
		}
	}
}

func TestWaitReturnsReadErrorsAtOnce(t *testing.T) {
	t.Parallel()
	errDown := errors.New("storage down")
	h := query.WaitOrderHandler{ReadModel: &recordingReadModel{err: errDown}, Changes: silentChanges{}, Recheck: forever}
	if r := answer(t, startWait(t.Context(), h, query.WaitOrder{OrderID: "o-1", Wait: forever})); !errors.Is(r.err, errDown) {
		t.Fatalf("Handle = %+v, %v; want the read error", r.view, r.err)
	}
}

func TestRevision(t *testing.T) {
	t.Parallel()
	r1 := query.Refusal{CommandID: "c-1", Command: "orders.ShipOrder.v1", Reason: "pending", At: t0}
	r2 := query.Refusal{CommandID: "c-2", Command: "orders.ShipOrder.v1", Reason: "pending", At: t0}
	r3 := query.Refusal{CommandID: "c-3", Command: "orders.CancelOrder.v1", Reason: "shipped", At: t0.Add(time.Second)}
	views := map[string]query.OrderView{
		"new":              {},
		"version 1":        {Version: 1},
		"version 2":        {Version: 2},
		"version 1, r1":    {Version: 1, Refusals: []query.Refusal{r1}},
		"version 1, r2":    {Version: 1, Refusals: []query.Refusal{r2}},
		"version 1, r1 r2": {Version: 1, Refusals: []query.Refusal{r1, r2}},
		"version 1, r2 r3 (r1 dropped from a full list)": {Version: 1, Refusals: []query.Refusal{r2, r3}},
		"version 2, r1": {Version: 2, Refusals: []query.Refusal{r1}},
	}
	seenRevisions := map[string]string{}
	for name, v := range views {
		rev := v.Revision()
		if other, ok := seenRevisions[rev]; ok {
			t.Errorf("%s and %s have the same revision %s", name, other, rev)
		}
		seenRevisions[rev] = name
		if rev != v.Revision() {
			t.Errorf("%s: revision not stable", name)
		}
	}
	for v, want := range map[*query.OrderView]string{&query.OrderView{Version: 3}: "3.0", &query.OrderView{Version: 12, Status: order.StatusShipped}: "12.0"} {
		if got := v.Revision(); got != want {
			t.Errorf("Revision of %+v = %s, want %s", *v, got, want)
		}
	}
	// Equal views, such as one read twice, have equal revisions.
	a := query.OrderView{Version: 1, Refusals: []query.Refusal{r1, r2}}
	b := query.OrderView{Version: 1, Refusals: []query.Refusal{r1, {CommandID: "c-2", Command: "orders.ShipOrder.v1", Reason: "pending", At: t0.In(time.FixedZone("x", 3600))}}}
	if a.Revision() != b.Revision() {
		t.Errorf("equal views: revisions %s and %s", a.Revision(), b.Revision())
	}
}

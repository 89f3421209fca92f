package query

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"time"
)

// DefaultRecheck is how often a wait re-reads the view when no signal came. Signals are not
// lost (the in-process read model signals every change; PostgreSQL's listener wakes every
// waiter when it reconnects), so this only bounds the harm of a bug: rare enough that a
// thousand waiting requests do not read the database hundreds of times a second.
const DefaultRecheck = 10 * time.Second

// OrderChanges tells waiters when the view of an order may have changed. A signal may be
// spurious (the waiter reads the view again), but a change that becomes visible to
// OrderReadModel.Get after Changed returned must signal, soon after it became visible.
type OrderChanges interface {
	// Changed returns a channel that is closed once the view of orderID may have changed,
	// and a release function to call when the caller stops waiting. Release may be called
	// more than once, and after the signal.
	Changed(orderID string) (changed <-chan struct{}, release func())
}

// Revision identifies the view a reader sees: it changes whenever the view does. It is the
// version and the number of refusals ("3.0"); with refusals it also holds a hash of the
// newest one ("3.2.1x8z0qk"), because a view keeps a bounded list of refusals and a full
// list does not grow longer when it takes a new one.
func (v OrderView) Revision() string {
	rev := strconv.Itoa(v.Version) + "." + strconv.Itoa(len(v.Refusals))
	if n := len(v.Refusals); n > 0 {
		last := v.Refusals[n-1]
		h := fnv.New32a()
		for _, s := range []string{last.CommandID, last.Command, last.Reason, strconv.FormatInt(last.At.UnixNano(), 10)} {
			_, _ = h.Write([]byte(s))
			_, _ = h.Write([]byte{0})
		}
		rev += "." + strconv.FormatUint(uint64(h.Sum32()), 36)
	}
	return rev
}

// WaitOrder asks for the view of an order once it is one the caller has not seen.
type WaitOrder struct {
	OrderID string
	// Seen reports whether the caller already has this view. The wait ends as soon as the
	// order exists with a view Seen is false for; a nil Seen counts any view as new.
	Seen func(OrderView) bool
	// Wait bounds the wait; zero or less reads once.
	Wait time.Duration
}

// WaitOrderHandler reads one order, waiting a bounded time for a view the caller has not
// seen: a long poll. It reads the view, and when that is not new yet it subscribes to the
// order's changes and reads again (a change between the first read and the subscription
// is then seen), then waits for a signal, the recheck timer, the end of the wait or of
// ctx, and reads again.
type WaitOrderHandler struct {
	ReadModel OrderReadModel
	// Changes signals changes of views; nil: the view is read every Recheck.
	Changes OrderChanges
	// Recheck is how often the view is read without a signal; zero means DefaultRecheck.
	Recheck time.Duration
}

// Handle returns the view as soon as it is new to the caller, or else, when the wait is
// over, the view as it is then, or ErrNotFound when the order still does not exist. When
// ctx ends first it returns ctx's error.
func (h WaitOrderHandler) Handle(ctx context.Context, q WaitOrder) (OrderView, error) {
	done := func(v OrderView, err error) bool {
		if err != nil {
			return !errors.Is(err, ErrNotFound)
		}
		return q.Seen == nil || !q.Seen(v)
	}
	v, err := h.get(ctx, q.OrderID)
	if q.Wait <= 0 || done(v, err) {
		return v, err
	}
	deadline := time.NewTimer(q.Wait)
	defer deadline.Stop()
	recheck := h.Recheck
	if recheck <= 0 {
		recheck = DefaultRecheck
	}
	ticker := time.NewTicker(recheck)
	defer ticker.Stop()

	changed, release := h.subscribe(q.OrderID)
	defer func() { release() }()
	for {
		// Subscribed before this read: a change after it signals.
		if v, err = h.get(ctx, q.OrderID); done(v, err) {
			return v, err
		}
		select {
		case <-changed:
			release()
			changed, release = h.subscribe(q.OrderID)
		case <-ticker.C:
		case <-deadline.C:
			return h.get(ctx, q.OrderID)
		case <-ctx.Done():
			return OrderView{}, fmt.Errorf("waiting for order %s: %w", q.OrderID, ctx.Err())
		}
	}
}

func (h WaitOrderHandler) get(ctx context.Context, orderID string) (OrderView, error) {
	return OrderHandler{ReadModel: h.ReadModel}.Handle(ctx, orderID)
}

func (h WaitOrderHandler) subscribe(orderID string) (<-chan struct{}, func()) {
	if h.Changes == nil {
		return nil, func() {}
	}
	return h.Changes.Changed(orderID)
}

package main

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
)

// fakeAPI is just enough of the service's HTTP API for the tool. Stock shows up on the
// second read after a PUT. An order is answered 202 with its Location; its view is
// unknown (404) until visibleAfter, then pending, then confirmed at confirmAfter (both from
// the 202), unless manual is set: then only the test changes it (show). GET /orders/{id}
// follows the service's contract: every 200 has an ETag that changes with the view;
// Prefer: wait=N holds the request until the order exists and its ETag differs from
// If-None-Match, or the wait elapsed: then 304 (If-None-Match matched) or 404
// (problem+json), with Preference-Applied: wait=N. POST /orders with Prefer: wait=N (N >
// 0) follows the service's contract too: it holds the answer until the order is visible
// and no longer pending, then answers 201 with its view, ETag and Location, or, once the
// wait elapsed, the usual 202; both with Preference-Applied: wait=N.
type fakeAPI struct {
	visibleAfter, confirmAfter time.Duration
	manual                     bool
	// maxHold caps how long a GET is held (the service's cap). Tests compress time with
	// it: the answer still says the wait asked for was applied.
	maxHold time.Duration
	// noWait makes it a service without the contract: no ETag, Prefer and If-None-Match
	// ignored, every GET answered at once.
	noWait bool
	// placeDelay, when set, is how long the server takes to answer the n-th POST /orders
	// (from 0): a slow server, not a synchronisation.
	placeDelay func(n int64) time.Duration
	// getFault, when set, may make the n-th GET /orders/{id} (from 0) fail: a status code
	// to answer with, faultBadBody for a 200 that is not JSON, 0 to answer normally.
	getFault func(n int64) int
	// held, when set, receives the ID of an order each time a GET of it, or its POST,
	// starts waiting.
	held chan string
	// expire, when set, ends one held GET or POST as if its wait had elapsed per value
	// received.
	expire chan struct{}

	posts atomic.Int64
	gets  atomic.Int64
	// created counts POSTs answered 201, waitedOut POSTs answered 202 after their wait.
	created, waitedOut atomic.Int64

	open, maxOpen       atomic.Int64 // orders placed and not yet answered final
	inGets, maxInGets   atomic.Int64 // GET /orders/{id} in progress
	notModified, absent atomic.Int64 // 304s and 404s answered

	mu         sync.Mutex
	stock      map[string]int
	stockReads map[string]int
	orders     map[string]*fakeOrder
}

const faultBadBody = -1

type fakeOrder struct {
	visible  bool
	status   string
	version  int
	changed  chan struct{} // closed and replaced at every change
	answered bool          // a final view was answered
}

func (o *fakeOrder) etag() string { return `"v` + strconv.Itoa(o.version) + `"` }

// newFakeAPI returns a fake whose orders show up pending 1 ms after their 202 and are
// confirmed 3 ms after it.
func newFakeAPI() *fakeAPI {
	return &fakeAPI{
		visibleAfter: time.Millisecond, confirmAfter: 3 * time.Millisecond, maxHold: 30 * time.Second,
		stock: map[string]int{}, stockReads: map[string]int{}, orders: map[string]*fakeOrder{},
	}
}

// show makes an order visible with status, changing its view (and ETag) even when the
// status stays the same.
func (f *fakeAPI) show(id, status string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	o := f.orders[id]
	o.visible, o.status = true, status
	o.version++
	close(o.changed)
	o.changed = make(chan struct{})
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodPut && strings.HasPrefix(r.URL.Path, "/stock/"):
		var body struct{ Quantity int }
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		f.stock[strings.TrimPrefix(r.URL.Path, "/stock/")] = body.Quantity
		f.mu.Unlock()
		writeJSONAnswer(w, http.StatusAccepted, map[string]string{"sku": "x"})
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/stock/"):
		sku := strings.TrimPrefix(r.URL.Path, "/stock/")
		f.mu.Lock()
		f.stockReads[sku]++
		onHand := 0
		if f.stockReads[sku] > 1 {
			onHand = f.stock[sku]
		}
		f.mu.Unlock()
		writeJSONAnswer(w, http.StatusOK, map[string]any{"sku": sku, "available": onHand, "reserved": 0, "on_hand": onHand})
	case r.Method == http.MethodPost && r.URL.Path == "/orders":
		n := f.posts.Add(1) - 1
		if f.placeDelay != nil {
			time.Sleep(f.placeDelay(n))
		}
		id := f.place()
		w.Header().Set("Location", "/orders/"+id)
		if wait := preferredWait(r.Header.Get("Prefer")); wait > 0 && !f.noWait {
			f.answerOutcome(w, r, id, wait)
			return
		}
		writeJSONAnswer(w, http.StatusAccepted, map[string]string{"order_id": id, "correlation_id": r.Header.Get("X-Correlation-Id")})
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/orders/"):
		f.getOrder(w, r, strings.TrimPrefix(r.URL.Path, "/orders/"))
	default:
		http.NotFound(w, r)
	}
}

func (f *fakeAPI) place() string {
	id := uuid.NewString()
	raiseMax(&f.maxOpen, f.open.Add(1))
	f.mu.Lock()
	f.orders[id] = &fakeOrder{status: "pending", changed: make(chan struct{})}
	f.mu.Unlock()
	if !f.manual {
		// The flow behind the 202, not a synchronisation; one step after the other.
		time.AfterFunc(f.visibleAfter, func() {
			f.show(id, "pending")
			time.AfterFunc(f.confirmAfter-f.visibleAfter, func() { f.show(id, statusConfirmed) })
		})
	}
	return id
}

func (f *fakeAPI) getOrder(w http.ResponseWriter, r *http.Request, id string) {
	n := f.gets.Add(1) - 1
	raiseMax(&f.maxInGets, f.inGets.Add(1))
	defer f.inGets.Add(-1)
	if f.getFault != nil {
		switch code := f.getFault(n); {
		case code == faultBadBody:
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte("{not json"))
			return
		case code > 0:
			writeProblem(w, code)
			return
		}
	}

	wait, inm := time.Duration(-1), ""
	if !f.noWait {
		wait, inm = preferredWait(r.Header.Get("Prefer")), r.Header.Get("If-None-Match")
	}
	if wait >= 0 {
		wait = min(wait, 30*time.Second)
		w.Header().Set("Preference-Applied", "wait="+strconv.Itoa(int(wait/time.Second)))
	}
	var expired <-chan time.Time
	if hold := min(wait, f.maxHold); hold > 0 {
		t := time.NewTimer(hold)
		defer t.Stop()
		expired = t.C
	}
	notified := false
	for {
		o, ok := f.look(id, func(o *fakeOrder) bool { return o.visible && o.etag() != inm })
		if !ok {
			http.Error(w, "unknown order", http.StatusBadRequest)
			return
		}
		visible, status, etag, changed := o.visible, o.status, o.etag, o.changed

		switch {
		case visible && etag != inm:
			if !f.noWait {
				w.Header().Set("ETag", etag)
			}
			writeJSONAnswer(w, http.StatusOK, map[string]string{"id": id, "status": status})
			return
		case expired != nil:
			if f.held != nil && !notified {
				notified = true
				f.held <- id
			}
			select {
			case <-changed:
				continue
			case <-expired:
			case <-f.expire: // nil unless set: never
			case <-r.Context().Done():
				return
			}
		}
		// Not changed within the wait.
		if visible {
			f.notModified.Add(1)
			w.Header().Set("ETag", etag)
			w.WriteHeader(http.StatusNotModified)
		} else {
			f.absent.Add(1)
			writeProblem(w, http.StatusNotFound)
		}
		return
	}
}

// orderState is an order as one request saw it.
type orderState struct {
	visible      bool
	status, etag string
	changed      <-chan struct{} // closed at the next change
}

// look returns the state of order id (false: no such order). When answer says the
// request answers with that state and it is final, the order is no longer open.
func (f *fakeAPI) look(id string, answer func(*fakeOrder) bool) (orderState, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	o, ok := f.orders[id]
	if !ok {
		return orderState{}, false
	}
	final := o.visible && (o.status == statusConfirmed || o.status == statusRejected)
	if final && !o.answered && answer(o) {
		o.answered = true
		f.open.Add(-1)
	}
	return orderState{visible: o.visible, status: o.status, etag: o.etag(), changed: o.changed}, true
}

// answerOutcome answers the POST of order id once the order is visible and no longer
// pending (201 with its view), or after wait (202), like the service.
func (f *fakeAPI) answerOutcome(w http.ResponseWriter, r *http.Request, id string, wait time.Duration) {
	wait = min(wait, 30*time.Second)
	w.Header().Set("Preference-Applied", "wait="+strconv.Itoa(int(wait/time.Second)))
	decided := func(o *fakeOrder) bool { return o.visible && o.status != "pending" }
	t := time.NewTimer(min(wait, f.maxHold))
	defer t.Stop()
	notified := false
	for {
		o, _ := f.look(id, decided)
		if o.visible && o.status != "pending" {
			f.created.Add(1)
			w.Header().Set("ETag", o.etag)
			writeJSONAnswer(w, http.StatusCreated, map[string]string{"id": id, "status": o.status})
			return
		}
		if f.held != nil && !notified {
			notified = true
			f.held <- id
		}
		select {
		case <-o.changed:
			continue
		case <-t.C:
		case <-f.expire: // nil unless set: never
		case <-r.Context().Done():
			return
		}
		// Still pending, or not visible, when the wait elapsed.
		f.waitedOut.Add(1)
		writeJSONAnswer(w, http.StatusAccepted, map[string]string{"order_id": id, "correlation_id": r.Header.Get("X-Correlation-Id")})
		return
	}
}

// preferredWait is the wait preference of a Prefer header, -1 when there is none.
func preferredWait(h string) time.Duration {
	for pref := range strings.SplitSeq(h, ",") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(pref), "wait="); ok {
			if s, err := strconv.Atoi(v); err == nil && s >= 0 {
				return time.Duration(s) * time.Second
			}
		}
	}
	return -1
}

func raiseMax(m *atomic.Int64, v int64) {
	for {
		old := m.Load()
		if v <= old || m.CompareAndSwap(old, v) {
			return
		}
	}
}

func writeProblem(w http.ResponseWriter, code int) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{"title": http.StatusText(code), "status": code})
}

func writeJSONAnswer(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

package main

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// trackerRig is a tracker following orders of a fake service, with the connections the
// service accepted counted.
type trackerRig struct {
	fake  *fakeAPI
	api   *apiClient
	rec   *recorder
	tr    *tracker
	conns atomic.Int64
}

func newTrackerRig(t *testing.T, fake *fakeAPI, maxWatches int) *trackerRig {
	t.Helper()
	r := &trackerRig{fake: fake, rec: newRecorder()}
	srv := httptest.NewUnstartedServer(fake)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			r.conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	r.api = newAPIClient(srv.URL, 4, maxWatches, 5*time.Second, 10*time.Second)
	t.Cleanup(r.api.close)
	r.tr = newTracker(context.Background(), r.api, r.rec, maxWatches)
	t.Cleanup(r.tr.stop) // before the server closes: it ends the held requests
	return r
}

// manualFake is a fake whose orders change only when the test says so, and which reports
// every GET that starts waiting.
func manualFake() *fakeAPI {
	f := newFakeAPI()
	f.manual = true
	f.held = make(chan string, 16)
	f.expire = make(chan struct{})
	return f
}

// place posts an order and returns its ID and the URL the tracker follows.
func (r *trackerRig) place(t *testing.T) (id, orderURL string) {
	t.Helper()
	p, err := r.api.placeOrder(context.Background(), []byte(`{}`), "test")
	if err != nil {
		t.Fatal(err)
	}
	if p.code != http.StatusAccepted || p.location != "/orders/"+p.id {
		t.Fatalf("%d, Location %q for order %s; want 202, /orders/%[3]s", p.code, p.location, p.id)
	}
	return p.id, r.api.orderURL(p.id, p.location)
}

// recv receives from ch, failing the test if nothing comes within 10 s.
func recv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// expireOne ends one held GET as if its wait had elapsed.
func (r *trackerRig) expireOne(t *testing.T) {
	t.Helper()
	select {
	case r.fake.expire <- struct{}{}:
	case <-time.After(10 * time.Second):
		t.Fatal("no held GET to expire")
	}
}

// checkDone checks the tracker saw every order final with requests status requests, all
// counted by the server, no error and no answer that was not held.
func (r *trackerRig) checkDone(t *testing.T, orders, requests int64) {
	t.Helper()
	s := r.rec.snapshot()
	if s.Completed != orders || s.Confirmed != orders || r.tr.awaiting.Load() != 0 {
		t.Errorf("completed %d, confirmed %d, awaiting %d; want %d, %d, 0", s.Completed, s.Confirmed, r.tr.awaiting.Load(), orders, orders)
	}
	if s.Polls != requests || r.fake.gets.Load() != requests {
		t.Errorf("%d status requests counted, server saw %d; want %d", s.Polls, r.fake.gets.Load(), requests)
	}
	if len(s.Errors) != 0 || s.Unheld != 0 {
		t.Errorf("errors %v, unheld answers %d; want none", s.Errors, s.Unheld)
	}
}

// TestTrackerFinalAfterDelay: an order that shows up pending at once and is confirmed
// 50 ms later is seen final in at most two requests (one answered pending, one held until
// the confirmation), and no earlier than the confirmation.
func TestTrackerFinalAfterDelay(t *testing.T) {
	const delay = 50 * time.Millisecond
	fake := newFakeAPI()
	fake.visibleAfter, fake.confirmAfter = 0, delay
	r := newTrackerRig(t, fake, 4)
	intended := time.Now()
	_, u := r.place(t)
	recv(t, r.tr.track(u, "", intended), "the order to be final")
	s := r.rec.snapshot()
	if s.Polls > 2 || s.Completed != 1 || len(s.Errors) != 0 || s.Unheld != 0 {
		t.Errorf("%d requests, completed %d, errors %v, unheld %d; want <= 2, 1, none, 0", s.Polls, s.Completed, s.Errors, s.Unheld)
	}
	if s.E2E.Max < delay {
		t.Errorf("e2e latency %s, want >= the %s until confirmation", s.E2E.Max, delay)
	}
	if n := r.conns.Load(); n != 2 {
		t.Errorf("server accepted %d connections, want 2 (one per pool, reused)", n)
	}
}

// TestTrackerFollowsEachChange: unknown, then pending, then pending with a changed view,
// then confirmed: one request per change, each held until that change, over one connection.
func TestTrackerFollowsEachChange(t *testing.T) {
	r := newTrackerRig(t, manualFake(), 4)
	id, u := r.place(t)
	final := r.tr.track(u, "", time.Now())
	recv(t, r.fake.held, "the first GET to wait for the order to exist")
	r.fake.show(id, "pending")
	recv(t, r.fake.held, "the second GET to wait for a change")
	r.fake.show(id, "pending") // the view changes, the status does not
	recv(t, r.fake.held, "the third GET to wait for a change")
	r.fake.show(id, statusConfirmed)
	recv(t, final, "the order to be final")
	r.checkDone(t, 1, 3)
	if r.fake.notModified.Load() != 0 || r.fake.absent.Load() != 0 {
		t.Errorf("%d 304s and %d 404s, want none", r.fake.notModified.Load(), r.fake.absent.Load())
	}
	if n := r.conns.Load(); n != 2 {
		t.Errorf("server accepted %d connections, want 2 (one per pool, reused)", n)
	}
}

// TestTracker304ThenChange: a wait that elapses without change (304) is asked again with
// the same ETag, and the change after it is seen.
func TestTracker304ThenChange(t *testing.T) {
	r := newTrackerRig(t, manualFake(), 4)
	id, u := r.place(t)
	r.fake.show(id, "pending")
	final := r.tr.track(u, "", time.Now())
	recv(t, r.fake.held, "a GET to wait for a change of the pending order") // the first was answered at once
	r.expireOne(t)
	recv(t, r.fake.held, "the GET after the 304")
	r.fake.show(id, statusConfirmed)
	recv(t, final, "the order to be final")
	r.checkDone(t, 1, 3)
	if r.fake.notModified.Load() != 1 {
		t.Errorf("%d 304s, want 1", r.fake.notModified.Load())
	}
	if n := r.conns.Load(); n != 2 {
		t.Errorf("server accepted %d connections, want 2 (one per pool, reused)", n)
	}
}

// TestTracker404ThenAppears: a wait that elapses before the order exists (404) is no
// error; the order is asked for again and seen when it appears.
func TestTracker404ThenAppears(t *testing.T) {
	r := newTrackerRig(t, manualFake(), 4)
	id, u := r.place(t)
	final := r.tr.track(u, "", time.Now())
	recv(t, r.fake.held, "the first GET to wait for the order to exist")
	r.expireOne(t)
	recv(t, r.fake.held, "the GET after the 404")
	r.fake.show(id, statusRejected)
	recv(t, final, "the order to be final")
	s := r.rec.snapshot()
	if s.Completed != 1 || s.Rejected != 1 || s.Polls != 2 || len(s.Errors) != 0 || s.Unheld != 0 {
		t.Errorf("completed %d, rejected %d, %d requests, errors %v, unheld %d; want 1, 1, 2, none, 0",
			s.Completed, s.Rejected, s.Polls, s.Errors, s.Unheld)
	}
	if r.fake.absent.Load() != 1 {
		t.Errorf("%d 404s, want 1", r.fake.absent.Load())
	}
	if n := r.conns.Load(); n != 2 {
		t.Errorf("server accepted %d connections, want 2 (one per pool, reused: the 404's body was drained)", n)
	}
}

// TestTrackerMeasuresFromIntendedTime: end-to-end latency runs from the order's intended
// send time (here a second before it was tracked, as for an open-loop send that started
// late) to the arrival of the final view.
func TestTrackerMeasuresFromIntendedTime(t *testing.T) {
	r := newTrackerRig(t, manualFake(), 4)
	id, u := r.place(t)
	intended := time.Now().Add(-time.Second)
	final := r.tr.track(u, "", intended)
	recv(t, r.fake.held, "a GET to wait for the order")
	confirmed := time.Now()
	r.fake.show(id, statusConfirmed)
	recv(t, final, "the order to be final")
	seen := time.Now()
	s := r.rec.snapshot()
	if lat := s.E2E.Max; s.E2E.Count != 1 || lat < confirmed.Sub(intended) || lat > seen.Sub(intended) {
		t.Errorf("%d latencies, latency %s; want one within [%s, %s] (intended -> confirmed, intended -> seen)",
			s.E2E.Count, lat, confirmed.Sub(intended), seen.Sub(intended))
	}
	if !s.LastComplete.After(confirmed) || s.LastComplete.After(seen) {
		t.Errorf("completion at %s, want between the confirmation %s and %s", s.LastComplete, confirmed, seen)
	}
}

// TestTrackerCountsErrorsByKind: failed status requests are counted by kind and retried.
func TestTrackerCountsErrorsByKind(t *testing.T) {
	fake := manualFake()
	faults := []int{http.StatusInternalServerError, http.StatusInternalServerError, faultBadBody, http.StatusServiceUnavailable}
	fake.getFault = func(n int64) int {
		if n < int64(len(faults)) {
			return faults[n]
		}
		return 0
	}
	r := newTrackerRig(t, fake, 4)
	id, u := r.place(t)
	fake.show(id, statusConfirmed)
	recv(t, r.tr.track(u, "", time.Now()), "the order to be final")
	s := r.rec.snapshot()
	want := map[string]int64{"poll_http_500": 2, "poll_bad_response": 1, "poll_http_503": 1}
	if len(s.Errors) != len(want) || s.Errors["poll_http_500"] != 2 || s.Errors["poll_bad_response"] != 1 || s.Errors["poll_http_503"] != 1 {
		t.Errorf("errors %v, want %v", s.Errors, want)
	}
	if s.Completed != 1 || s.Polls != 5 {
		t.Errorf("completed %d after %d requests, want 1 after 5", s.Completed, s.Polls)
	}
}

// TestTrackerCountsConnectionErrors: a service that went away is a connection error per
// attempt, retried with a back-off until the tracker stops; the order stays awaiting.
func TestTrackerCountsConnectionErrors(t *testing.T) {
	r := newTrackerRig(t, manualFake(), 4)
	// An order whose view is at an address nobody listens on.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String() + "/orders/x"
	ln.Close()
	r.tr.track(dead, "", time.Now())
	deadline := time.Now().Add(10 * time.Second)
	for r.rec.snapshot().Errors["poll_connection"] < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("errors %v, want poll_connection >= 2", r.rec.snapshot().Errors)
		}
		time.Sleep(time.Millisecond) // polling a condition with a deadline
	}
	r.tr.stop()
	s := r.rec.snapshot()
	if s.Completed != 0 || r.tr.awaiting.Load() != 1 || len(s.Errors) != 1 {
		t.Errorf("completed %d, awaiting %d, errors %v; want 0, 1, only poll_connection", s.Completed, r.tr.awaiting.Load(), s.Errors)
	}
}

// TestTrackerFallsBackToPolling: a service that ignores Prefer: wait (no ETag, answers at
// once) is polled with a growing back-off, not hammered, and the answers are counted.
func TestTrackerFallsBackToPolling(t *testing.T) {
	fake := newFakeAPI()
	fake.noWait = true
	fake.visibleAfter, fake.confirmAfter = 20*time.Millisecond, 60*time.Millisecond
	r := newTrackerRig(t, fake, 4)
	_, u := r.place(t)
	recv(t, r.tr.track(u, "", time.Now()), "the order to be final")
	s := r.rec.snapshot()
	// Back-offs of 5, 10, 20, 40, 80, 100, ... ms: about 6 requests in 60 ms; a loop
	// without back-off would make thousands.
	if s.Completed != 1 || s.Unheld < 1 || s.Polls > 20 || len(s.Errors) != 0 {
		t.Errorf("completed %d, %d requests, %d unheld, errors %v; want 1, <= 20, >= 1, none", s.Completed, s.Polls, s.Unheld, s.Errors)
	}
}

// TestTrackerBoundsWatches: with room for two followers, five orders are followed two at
// a time, oldest first; the others queue and are counted, and all become final.
func TestTrackerBoundsWatches(t *testing.T) {
	r := newTrackerRig(t, manualFake(), 2)
	var ids []string
	var finals []<-chan struct{}
	for range 5 {
		id, u := r.place(t)
		ids = append(ids, id)
		finals = append(finals, r.tr.track(u, "", time.Now()))
	}
	first := map[string]bool{recv(t, r.fake.held, "a held GET"): true, recv(t, r.fake.held, "a second held GET"): true}
	if !first[ids[0]] || !first[ids[1]] {
		t.Errorf("held GETs of %v, want the two oldest orders %v", first, ids[:2])
	}
	if q := r.rec.watchQueued.Load(); q != 3 {
		t.Errorf("%d orders queued, want 3", q)
	}
	for _, id := range ids {
		r.fake.show(id, statusConfirmed)
	}
	for i, f := range finals {
		recv(t, f, "order "+ids[i]+" to be final")
	}
	if m := r.fake.maxInGets.Load(); m > 2 {
		t.Errorf("%d GETs at once, want at most 2", m)
	}
	s := r.rec.snapshot()
	if s.Completed != 5 || len(s.Errors) != 0 || s.WatchQueued != 3 {
		t.Errorf("completed %d, errors %v, queued %d; want 5, none, 3", s.Completed, s.Errors, s.WatchQueued)
	}
}

// TestLongPollsDoNotStarvePosts: while every long-poll connection is held, a POST still
// goes out at once, on the pool of its own.
func TestLongPollsDoNotStarvePosts(t *testing.T) {
	r := newTrackerRig(t, manualFake(), 3)
	for range 3 {
		_, u := r.place(t)
		r.tr.track(u, "", time.Now())
	}
	for range 3 {
		recv(t, r.fake.held, "a held GET")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := r.api.placeOrder(ctx, []byte(`{}`), "test"); err != nil {
		t.Errorf("POST while 3 waits are held: %v", err)
	}
	if n := r.fake.inGets.Load(); n != 3 {
		t.Errorf("%d GETs held, want 3", n)
	}
}

func TestOrderURL(t *testing.T) {
	a := newAPIClient("http://h:1", 1, 1, time.Second, time.Second)
	for _, tt := range []struct{ id, location, want string }{
		{"o-1", "/orders/o-1", "http://h:1/orders/o-1"},
		{"o-1", "http://other:2/v/o-1", "http://other:2/v/o-1"},
		{"o 1", "", "http://h:1/orders/o%201"},
	} {
		if got := a.orderURL(tt.id, tt.location); got != tt.want {
			t.Errorf("orderURL(%q, %q) = %q, want %q", tt.id, tt.location, got, tt.want)
		}
	}
}

func TestWaitApplied(t *testing.T) {
	for _, tt := range []struct {
		values []string
		want   bool
	}{
		{nil, false},
		{[]string{"wait=10"}, true},
		{[]string{"respond-async, Wait=5"}, true},
		{[]string{"return=minimal"}, false},
		{[]string{"return=minimal", "wait=1"}, true},
	} {
		if got := waitApplied(http.Header{"Preference-Applied": tt.values}); got != tt.want {
			t.Errorf("waitApplied(%q) = %v, want %v", tt.values, got, tt.want)
		}
	}
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// postRig is a tracker rig whose POSTs ask for the outcome (--post-wait), on a pool of
// maxPosts connections, placed through a driver that hands what the POST did not settle to
// the tracker.
func newPostRig(t *testing.T, fake *fakeAPI, maxPosts int) (*trackerRig, *driver) {
	t.Helper()
	r := newTrackerRig(t, fake, 4)
	r.api.holdPosts(maxPosts)
	return r, newDriver(r.api, r.rec, []string{"sku-1"}, "test", r.tr.track)
}

// placeAsync places one order with intended send time intended, and delivers what place
// returned (the channel closed when the order is final) once the POST was answered.
func placeAsync(t *testing.T, d *driver, intended time.Time) <-chan (<-chan struct{}) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel) // before the rig's: ends a POST still held
	done := make(chan (<-chan struct{}), 1)
	go func() { done <- d.place(ctx, intended) }()
	return done
}

// isClosed tells whether ch is closed now.
func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// TestPostWaitCompletesInOneRequest: with --post-wait, the POST of an order that shows up
// pending and is confirmed later is held through the pending view and answered 201 with
// the confirmed one: the order is complete with that one request, no status GET, no
// accept latency, and its latency runs from the intended send time (here a second before
// the send, as for an open-loop send that started late) to that answer.
func TestPostWaitCompletesInOneRequest(t *testing.T) {
	r, d := newPostRig(t, manualFake(), 4)
	intended := time.Now().Add(-time.Second)
	done := placeAsync(t, d, intended)
	id := recv(t, r.fake.held, "the POST to wait for the outcome")
	r.fake.show(id, "pending") // visible, but no outcome yet: the POST stays held
	confirmed := time.Now()
	r.fake.show(id, statusConfirmed)
	final := recv(t, done, "the POST to be answered")
	seen := time.Now()
	if final == nil || !isClosed(final) {
		t.Fatalf("place returned %v, want a closed channel: the 201 carried the final state", final)
	}

	s := r.rec.snapshot()
	if r.fake.posts.Load() != 1 || r.fake.created.Load() != 1 || r.fake.gets.Load() != 0 || s.Polls != 0 {
		t.Errorf("server saw %d POSTs (%d answered 201) and %d GETs, %d status requests counted; want 1 (1), 0, 0",
			r.fake.posts.Load(), r.fake.created.Load(), r.fake.gets.Load(), s.Polls)
	}
	if s.Accepted != 1 || s.Completed != 1 || s.Confirmed != 1 || s.CompletedByPost != 1 || s.PostWaitsElapsed != 0 || r.tr.awaiting.Load() != 0 {
		t.Errorf("accepted %d, completed %d, confirmed %d, completed by POST %d, waits elapsed %d, awaiting %d; want 1, 1, 1, 1, 0, 0",
			s.Accepted, s.Completed, s.Confirmed, s.CompletedByPost, s.PostWaitsElapsed, r.tr.awaiting.Load())
	}
	if s.Accept.Count != 0 {
		t.Errorf("%d accept latencies recorded, want none: the 201 waited for the outcome", s.Accept.Count)
	}
	if lat := s.E2E.Max; s.E2E.Count != 1 || lat < confirmed.Sub(intended) || lat > seen.Sub(intended) {
		t.Errorf("%d latencies, latency %s; want one within [%s, %s] (intended -> confirmed, intended -> seen)",
			s.E2E.Count, lat, confirmed.Sub(intended), seen.Sub(intended))
	}
	if len(s.Errors) != 0 || r.fake.open.Load() != 0 {
		t.Errorf("errors %v, %d orders open at the server; want none, 0", s.Errors, r.fake.open.Load())
	}
	if n := r.conns.Load(); n != 1 {
		t.Errorf("server accepted %d connections, want 1 (the POST's)", n)
	}
}

// TestPostWaitElapsedThenLongPoll: an order still pending when its POST's wait elapses is
// answered 202 (with Preference-Applied), whose latency is an accept latency, and is then
// followed by long-poll until final; its latency still runs from the intended send time.
func TestPostWaitElapsedThenLongPoll(t *testing.T) {
	r, d := newPostRig(t, manualFake(), 4)
	intended := time.Now().Add(-time.Second)
	done := placeAsync(t, d, intended)
	id := recv(t, r.fake.held, "the POST to wait for the outcome")
	r.fake.show(id, "pending")
	r.expireOne(t) // the POST's wait elapses with the order pending: 202
	final := recv(t, done, "the POST to be answered")
	if final == nil {
		t.Fatal("place returned nil, want the order followed after its 202")
	}
	// The first GET is answered at once (pending), the second held until the outcome.
	if got := recv(t, r.fake.held, "a GET to wait for the outcome"); got != id {
		t.Fatalf("held request for order %s, want %s", got, id)
	}
	confirmed := time.Now()
	r.fake.show(id, statusConfirmed)
	recv(t, final, "the order to be final")
	seen := time.Now()

	s := r.rec.snapshot()
	if r.fake.posts.Load() != 1 || r.fake.waitedOut.Load() != 1 || r.fake.created.Load() != 0 || r.fake.gets.Load() != 2 || s.Polls != 2 {
		t.Errorf("server saw %d POSTs (%d 202 after the wait, %d 201) and %d GETs, %d counted; want 1 (1, 0), 2, 2",
			r.fake.posts.Load(), r.fake.waitedOut.Load(), r.fake.created.Load(), r.fake.gets.Load(), s.Polls)
	}
	if s.Accepted != 1 || s.Accept.Count != 1 || s.PostWaitsElapsed != 1 || s.Completed != 1 || s.CompletedByPost != 0 || r.tr.awaiting.Load() != 0 {
		t.Errorf("accepted %d (%d accept latencies), waits elapsed %d, completed %d, completed by POST %d, awaiting %d; want 1 (1), 1, 1, 0, 0",
			s.Accepted, s.Accept.Count, s.PostWaitsElapsed, s.Completed, s.CompletedByPost, r.tr.awaiting.Load())
	}
	if lat := s.E2E.Max; s.E2E.Count != 1 || lat < confirmed.Sub(intended) || lat > seen.Sub(intended) {
		t.Errorf("%d latencies, latency %s; want one within [%s, %s]", s.E2E.Count, lat, confirmed.Sub(intended), seen.Sub(intended))
	}
	if len(s.Errors) != 0 || s.Unheld != 0 {
		t.Errorf("errors %v, unheld answers %d; want none", s.Errors, s.Unheld)
	}
}

// TestPostWaitNotFinalFollowedFromItsView: a 201 whose status is not final (the order was
// cancelled, say) hands the order to the tracker with the 201's ETag: its first GET waits
// for a change of that view instead of fetching it again.
func TestPostWaitNotFinalFollowedFromItsView(t *testing.T) {
	r, d := newPostRig(t, manualFake(), 4)
	done := placeAsync(t, d, time.Now())
	id := recv(t, r.fake.held, "the POST to wait for the outcome")
	r.fake.show(id, "cancelled")
	final := recv(t, done, "the POST to be answered")
	if final == nil || isClosed(final) {
		t.Fatalf("place returned %v, want an open channel: cancelled is not final here", final)
	}
	recv(t, r.fake.held, "the GET to wait for a change of the 201's view")
	r.fake.show(id, statusConfirmed)
	recv(t, final, "the order to be final")
	s := r.rec.snapshot()
	if r.fake.created.Load() != 1 || r.fake.gets.Load() != 1 || s.Polls != 1 || s.Accepted != 1 || s.Accept.Count != 0 || s.Completed != 1 || s.CompletedByPost != 0 {
		t.Errorf("%d 201s, %d GETs (%d counted), accepted %d (%d accept latencies), completed %d (%d by POST); want 1, 1 (1), 1 (0), 1 (0)",
			r.fake.created.Load(), r.fake.gets.Load(), s.Polls, s.Accepted, s.Accept.Count, s.Completed, s.CompletedByPost)
	}
}

// TestPostWaitPoolHoldsEveryOrderInFlight: held POSTs each hold a connection of their own
// pool, as many at once as it allows, and the stock requests still get through on theirs.
func TestPostWaitPoolHoldsEveryOrderInFlight(t *testing.T) {
	r, d := newPostRig(t, manualFake(), 3)
	var finals []<-chan (<-chan struct{})
	for range 3 {
		finals = append(finals, placeAsync(t, d, time.Now()))
	}
	var ids []string
	for range 3 {
		ids = append(ids, recv(t, r.fake.held, "a held POST"))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := r.api.stock(ctx, "sku-1"); err != nil {
		t.Errorf("stock read while 3 POSTs are held: %v", err)
	}
	for _, id := range ids {
		r.fake.show(id, statusRejected)
	}
	for _, f := range finals {
		if final := recv(t, f, "a POST to be answered"); final == nil || !isClosed(final) {
			t.Errorf("place returned %v, want a closed channel", final)
		}
	}
	s := r.rec.snapshot()
	if s.Completed != 3 || s.Rejected != 3 || s.CompletedByPost != 3 || s.Polls != 0 || len(s.Errors) != 0 {
		t.Errorf("completed %d (rejected %d, by POST %d), %d status requests, errors %v; want 3 (3, 3), 0, none",
			s.Completed, s.Rejected, s.CompletedByPost, s.Polls, s.Errors)
	}
	if n := r.conns.Load(); n != 4 {
		t.Errorf("server accepted %d connections, want 4 (3 held POSTs, 1 stock read)", n)
	}
}

// TestRunWithPostWait runs the whole tool with --post-wait against the fake (orders
// confirmed 3 ms after their POST): every order is completed by its POST, without a single
// status request, and the summary says so.
func TestRunWithPostWait(t *testing.T) {
	t.Run("closed loop, JSON", func(t *testing.T) {
		fake := newFakeAPI()
		srv := httptest.NewServer(fake)
		defer srv.Close()
		var stdout, stderr bytes.Buffer
		args := []string{"--target", srv.URL, "--concurrency", "4", "--post-wait", "--duration", "300ms", "--skus", "2", "--timeout", "5s", "--json", "--progress=false"}
		if err := run(context.Background(), args, &stdout, &stderr); err != nil {
			t.Fatalf("run: %v\n%s", err, stderr.String())
		}
		var fields map[string]any
		if err := json.Unmarshal(stdout.Bytes(), &fields); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"post_wait", "completed_by_post", "post_waits_elapsed", "accepted_202"} {
			if _, ok := fields[k]; !ok {
				t.Errorf("summary has no %q:\n%s", k, stdout.String())
			}
		}
		var s summary
		if err := json.Unmarshal(stdout.Bytes(), &s); err != nil {
			t.Fatal(err)
		}
		if !s.PostWait || s.Accepted == 0 || s.Sent != s.Accepted || s.Completed != s.Accepted || s.CompletedByPost != s.Completed || s.NotFinal != 0 {
			t.Errorf("post wait %v, sent %d, accepted %d, completed %d (by POST %d), not final %d; want true, all equal and > 0, 0",
				s.PostWait, s.Sent, s.Accepted, s.Completed, s.CompletedByPost, s.NotFinal)
		}
		if s.Polls != 0 || s.PollsPerOrder != 0 || fake.gets.Load() != 0 || s.Accepted202 != 0 || s.PostWaitsElapsed != 0 || s.AcceptMaxMs != 0 {
			t.Errorf("polls %d (%g per order, server saw %d GETs), %d 202s (%d after the wait), accept max %g ms; want all 0",
				s.Polls, s.PollsPerOrder, fake.gets.Load(), s.Accepted202, s.PostWaitsElapsed, s.AcceptMaxMs)
		}
		if fake.posts.Load() != s.Sent || fake.created.Load() != s.Sent || fake.maxOpen.Load() > 4 {
			t.Errorf("server got %d POSTs (%d answered 201), %d orders open at once; want %d, %d, <= 4",
				fake.posts.Load(), fake.created.Load(), fake.maxOpen.Load(), s.Sent, s.Sent)
		}
		if s.E2EP50Ms <= 0 || s.E2EMaxMs < s.E2EP50Ms || len(s.Errors) != 0 {
			t.Errorf("e2e p50 %g ms, max %g ms, errors %v; want positive, ascending, none", s.E2EP50Ms, s.E2EMaxMs, s.Errors)
		}
	})
	t.Run("open loop, human", func(t *testing.T) {
		fake := newFakeAPI()
		srv := httptest.NewServer(fake)
		defer srv.Close()
		var stdout, stderr bytes.Buffer
		args := []string{"--target", srv.URL, "--rate", "50", "--post-wait", "--duration", "200ms", "--skus", "1", "--progress=false", "--wait", "5s"}
		if err := run(context.Background(), args, &stdout, &stderr); err != nil {
			t.Fatalf("run: %v\n%s", err, stderr.String())
		}
		for _, want := range []string{"accepted 10, final 10", "202 answers only: 0 of 10 accepted", "Prefer: wait=5 on POST /orders: 10 orders completed by their POST (201)", "0 GETs"} {
			if !strings.Contains(stdout.String(), want) {
				t.Errorf("summary lacks %q:\n%s", want, stdout.String())
			}
		}
		if fake.gets.Load() != 0 {
			t.Errorf("server saw %d GETs, want 0", fake.gets.Load())
		}
	})
}

func TestParseConfigPostWait(t *testing.T) {
	_, err := parseConfig([]string{"--rate", "10", "--track=false", "--post-wait"}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "--post-wait needs --track") {
		t.Errorf("--post-wait with --track=false: %v; want an error saying --post-wait needs --track", err)
	}
	for _, tt := range []struct {
		args  []string
		posts int
	}{
		{[]string{"--concurrency", "64", "--post-wait"}, 64},
		{[]string{"--rate", "500", "--post-wait", "--max-inflight", "300"}, 300},
		{[]string{"--concurrency", "8", "--closed-until", "accepted", "--post-wait"}, 8},
	} {
		c, err := parseConfig(tt.args, &bytes.Buffer{})
		if err != nil || !c.PostWait || c.posts() != tt.posts {
			t.Errorf("parseConfig(%q): post wait %v, posts() %d, %v; want true, %d, no error", tt.args, c.PostWait, c.posts(), err, tt.posts)
		}
	}
	if c, err := parseConfig([]string{"--rate", "10"}, &bytes.Buffer{}); err != nil || c.PostWait {
		t.Errorf("default: post wait %v, %v; want false", c.PostWait, err)
	}
}

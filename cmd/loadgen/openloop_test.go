package main

import (
	"context"
	"net/http/httptest"
	"slices"
	"testing"
	"time"
)

func TestIntendedAt(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		i    int64
		rate float64
		want time.Duration
	}{
		{0, 1000, 0},
		{1, 1000, time.Millisecond},
		{1500, 1000, 1500 * time.Millisecond},
		{1, 3, 333333333},
		{3, 3, time.Second},
		{10, 0.5, 20 * time.Second},
		{59_999_999, 1e6, 59_999_999 * time.Microsecond},
	}
	for _, tt := range tests {
		if got := intendedAt(t0, tt.i, tt.rate).Sub(t0); got != tt.want {
			t.Errorf("intendedAt(t0, %d, %g) = t0+%s, want t0+%s", tt.i, tt.rate, got, tt.want)
		}
	}
}

// openLoopAgainst runs an open loop of n sends at 1000/s against a fake server whose first
// answer takes stall, and returns the sorted 202 latencies and the recorder.
func openLoopAgainst(t *testing.T, n int, maxInFlight int, stall time.Duration) ([]time.Duration, *recorder) {
	t.Helper()
	fake := newFakeAPI()
	fake.placeDelay = func(i int64) time.Duration {
		if i == 0 {
			return stall
		}
		return 0
	}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	api := newAPIClient(srv.URL, maxInFlight+1, 1, 5*time.Second, time.Second)
	t.Cleanup(api.close)
	rec := newRecorder()
	d := newDriver(api, rec, []string{"sku-1"}, "test", nil)
	const rate = 1000
	runOpenLoop(context.Background(), d, rate, time.Duration(n)*time.Second/rate, maxInFlight)
	if got := fake.posts.Load(); got != int64(n) {
		t.Fatalf("server got %d orders, want %d", got, n)
	}
	s := rec.snapshot()
	if s.Sent != int64(n) || s.Accepted != int64(n) || len(s.Errors) != 0 {
		t.Fatalf("sent %d, accepted %d, errors %v; want %d, %d, none", s.Sent, s.Accepted, s.Errors, n, n)
	}
	lat := slices.Clone(rec.accept)
	slices.Sort(lat)
	return lat, rec
}

// TestOpenLoopMeasuresFromIntendedTime proves there is no coordinated omission: with one
// request in flight at most, a first answer stalled for 100 ms holds back the 19 sends
// scheduled 1..19 ms after it. Measured from their intended send times they all waited at
// least 100-19 = 81 ms; a tool timing from the actual send would report them as fast.
func TestOpenLoopMeasuresFromIntendedTime(t *testing.T) {
	const stall = 100 * time.Millisecond
	lat, rec := openLoopAgainst(t, 20, 1, stall)
	if lat[0] < stall-19*time.Millisecond {
		t.Errorf("fastest 202 took %s; every send was scheduled behind the stall and must count at least %s", lat[0], stall-19*time.Millisecond)
	}
	if lat[len(lat)-1] < stall {
		t.Errorf("slowest 202 took %s, want >= the %s stall", lat[len(lat)-1], stall)
	}
	s := rec.snapshot()
	if s.LateStarts < 19 || s.MaxStartLag < stall-time.Millisecond-lateStartThreshold {
		t.Errorf("late starts %d, max start lag %s; want >= 19 and about %s", s.LateStarts, s.MaxStartLag, stall)
	}
}

// TestOpenLoopDoesNotWaitForSlowAnswers: with room for many requests in flight, the same
// stall delays only the stalled request; the sends behind it go out on schedule.
func TestOpenLoopDoesNotWaitForSlowAnswers(t *testing.T) {
	const stall = 200 * time.Millisecond
	lat, _ := openLoopAgainst(t, 20, 100, stall)
	slow := 0
	for _, d := range lat {
		if d >= stall {
			slow++
		}
	}
	if slow != 1 {
		t.Errorf("%d of %d 202s took >= %s, want only the stalled one; latencies %v", slow, len(lat), stall, lat)
	}
}

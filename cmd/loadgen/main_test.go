package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestRunAgainstFakeAPI runs the whole tool for 1 s against a fake of the API whose orders
// show up pending 1 ms after their 202 and are confirmed 3 ms after it, and checks the JSON
// summary is complete and consistent.
func TestRunAgainstFakeAPI(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		sent    int64 // 0: any
		maxOpen int64 // most orders placed and not yet final at once; 0: any
	}{
		{"open loop", []string{"--rate", "200"}, 200, 0},
		{"closed loop until final", []string{"--concurrency", "4"}, 0, 4},
		{"closed loop until accepted", []string{"--concurrency", "4", "--closed-until", "accepted"}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFakeAPI()
			srv := httptest.NewServer(fake)
			defer srv.Close()
			var stdout, stderr bytes.Buffer
			args := append([]string{"--target", srv.URL, "--duration", "1s", "--skus", "3", "--timeout", "5s", "--json"}, tt.args...)
			ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
			defer cancel()
			if err := run(ctx, args, &stdout, &stderr); err != nil {
				t.Fatalf("run: %v\nstderr:\n%s", err, stderr.String())
			}

			var fields map[string]any
			if err := json.Unmarshal(stdout.Bytes(), &fields); err != nil {
				t.Fatalf("summary is not JSON: %v\n%s", err, stdout.String())
			}
			for _, k := range []string{
				"accepted_per_sec", "completed_per_sec", "errors",
				"accept_p50_ms", "accept_p90_ms", "accept_p99_ms", "accept_p999_ms", "accept_max_ms",
				"e2e_p50_ms", "e2e_p90_ms", "e2e_p99_ms", "e2e_p999_ms", "e2e_max_ms",
				"sent", "accepted", "completed", "confirmed", "rejected", "not_final", "polls", "polls_per_order",
				"watch_queued", "wait_sec",
				"send_elapsed_sec", "complete_elapsed_sec", "service_msgs_per_sec",
			} {
				if _, ok := fields[k]; !ok {
					t.Errorf("summary has no %q:\n%s", k, stdout.String())
				}
			}
			if _, ok := fields["baseline_ratio"]; ok {
				t.Errorf("baseline_ratio present without --baseline")
			}

			var s summary
			if err := json.Unmarshal(stdout.Bytes(), &s); err != nil {
				t.Fatal(err)
			}
			if s.Accepted == 0 || s.Sent != s.Accepted || s.Completed != s.Accepted || s.Confirmed != s.Completed || s.NotFinal != 0 {
				t.Errorf("sent %d, accepted %d, completed %d, confirmed %d, not final %d: want all equal and > 0, none not final",
					s.Sent, s.Accepted, s.Completed, s.Confirmed, s.NotFinal)
			}
			if tt.sent > 0 && s.Sent != tt.sent {
				t.Errorf("sent %d orders, want %d", s.Sent, tt.sent)
			}
			if tt.maxOpen > 0 && fake.maxOpen.Load() > tt.maxOpen {
				t.Errorf("%d orders were open at once, want at most %d", fake.maxOpen.Load(), tt.maxOpen)
			}
			if got := fake.posts.Load(); got != s.Sent {
				t.Errorf("server got %d orders, summary says %d sent", got, s.Sent)
			}
			if len(s.Errors) != 0 || s.ErrorsTotal != 0 {
				t.Errorf("errors %v (total %d), want none", s.Errors, s.ErrorsTotal)
			}
			// An order's view changes twice (pending, confirmed) and each long-poll is
			// answered at a change: at most two requests per order, none answered unheld.
			if s.Polls < s.Completed || s.Polls > 2*s.Completed || s.Polls != fake.gets.Load() {
				t.Errorf("polls %d (server saw %d) for %d orders, want 1 or 2 per order", s.Polls, fake.gets.Load(), s.Completed)
			}
			if s.UnheldAnswers != 0 || s.WatchQueued != 0 || s.WaitSec != 10 {
				t.Errorf("unheld answers %d, watch queued %d, wait %gs; want 0, 0, 10s", s.UnheldAnswers, s.WatchQueued, s.WaitSec)
			}
			near := func(name string, got, want float64) {
				if math.Abs(got-want) > 0.01*want+0.1 {
					t.Errorf("%s = %g, want %g", name, got, want)
				}
			}
			near("accepted_per_sec", s.AcceptedPerSec, float64(s.Accepted)/s.SendElapsedSec)
			near("completed_per_sec", s.CompletedPerSec, float64(s.Completed)/s.CompleteElapsedSec)
			near("service_msgs_per_sec", s.ServiceMsgsPerSec, 6*s.CompletedPerSec)
			if s.SendElapsedSec < 0.9 || s.CompleteElapsedSec < s.SendElapsedSec {
				t.Errorf("send phase %gs, completion phase %gs: want about 1s and not shorter", s.SendElapsedSec, s.CompleteElapsedSec)
			}
			ascending := func(name string, v ...float64) {
				for i := 1; i < len(v); i++ {
					if v[i] < v[i-1] || v[0] <= 0 {
						t.Errorf("%s percentiles not positive and ascending: %v", name, v)
						return
					}
				}
			}
			ascending("202", s.AcceptP50Ms, s.AcceptP90Ms, s.AcceptP99Ms, s.AcceptP999Ms, s.AcceptMaxMs)
			ascending("e2e", s.E2EP50Ms, s.E2EP90Ms, s.E2EP99Ms, s.E2EP999Ms, s.E2EMaxMs)
			// An order is final only after its 202, so e2e dominates at every percentile.
			if s.E2EP50Ms < s.AcceptP50Ms || s.E2EP99Ms < s.AcceptP99Ms || s.E2EMaxMs < s.AcceptMaxMs {
				t.Errorf("e2e latencies below 202 latencies: %+v", s)
			}
			if !strings.Contains(stderr.String(), "accepted/s") {
				t.Errorf("no progress line on stderr:\n%s", stderr.String())
			}
		})
	}
}

func TestRunHumanSummary(t *testing.T) {
	srv := httptest.NewServer(newFakeAPI())
	defer srv.Close()
	var stdout, stderr bytes.Buffer
	args := []string{"--target", srv.URL, "--rate", "50", "--duration", "200ms", "--skus", "1", "--progress=false", "--wait", "5s"}
	if err := run(context.Background(), args, &stdout, &stderr); err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	for _, want := range []string{"open loop at 50 orders/s", "accepted 10, final 10", "202 ms", "final ms", "long-poll, wait 5s", "errors     none", "late starts"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout.String())
		}
	}
}

func TestPlaceCountsErrorsByKind(t *testing.T) {
	srv := httptest.NewServer(newFakeAPI())
	rec := newRecorder()
	place := func(base string) {
		api := newAPIClient(base, 1, 1, time.Second, time.Second)
		defer api.close()
		newDriver(api, rec, []string{"sku-1"}, "test", nil).place(context.Background(), time.Now())
	}
	place(srv.URL + "/nowhere") // 404
	srv.Close()
	place(srv.URL) // nobody listens
	s := rec.snapshot()
	if s.Errors["http_404"] != 1 || s.Errors["connection"] != 1 || s.Accepted != 0 || s.Sent != 2 {
		t.Errorf("errors %v, sent %d, accepted %d; want http_404=1 connection=1 of 2 sent, none accepted", s.Errors, s.Sent, s.Accepted)
	}
}

func TestRunWithoutTracking(t *testing.T) {
	fake := newFakeAPI()
	srv := httptest.NewServer(fake)
	defer srv.Close()
	var stdout, stderr bytes.Buffer
	args := []string{"--target", srv.URL, "--concurrency", "2", "--closed-until", "accepted", "--track=false", "--duration", "200ms", "--skus", "1", "--json"}
	if err := run(context.Background(), args, &stdout, &stderr); err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	var s summary
	if err := json.Unmarshal(stdout.Bytes(), &s); err != nil {
		t.Fatal(err)
	}
	if s.Tracked || s.Accepted == 0 || s.Completed != 0 || s.Polls != 0 || fake.gets.Load() != 0 || len(s.Errors) != 0 {
		t.Errorf("untracked run: %+v; server saw %d GETs", s, fake.gets.Load())
	}
}

func TestParseConfigRejectsBadFlags(t *testing.T) {
	tests := [][]string{
		{},                                     // neither rate nor concurrency
		{"--rate", "10", "--concurrency", "2"}, // both
		{"--concurrency", "2", "--closed-until", "never"},
		{"--concurrency", "2", "--track=false"}, // waits for final states it does not track
		{"--rate", "10", "--track=false", "--baseline"},
		{"--rate", "10", "--duration", "0s"},
		{"--rate", "10", "--skus", "0"},
		{"--rate", "10", "--target", "localhost:8080"},
		{"--rate", "10", "--wait", "0s"},
		{"--rate", "10", "--wait", "1500ms"}, // Prefer: wait takes whole seconds
		{"--rate", "10", "--max-watches", "0"},
		{"--rate", "10", "--pollers", "4"}, // gone with polling
		{"--rate", "10", "--poll-min", "2ms"},
		{"--concurrency", "2", "extra"},
	}
	for _, args := range tests {
		var stderr bytes.Buffer
		if _, err := parseConfig(args, &stderr); err == nil {
			t.Errorf("parseConfig(%q) accepted", args)
		}
	}
	c, err := parseConfig([]string{"--concurrency", "8", "--target", "http://h:1/", "--brokers", "a:1, b:2"}, &bytes.Buffer{})
	if err != nil || c.Target != "http://h:1" || len(c.Brokers) != 2 || c.openLoop() || c.Duration != 30*time.Second || c.Timeout != 30*time.Second ||
		c.Wait != 10*time.Second || c.MaxWatches != 1024 || c.watches() != 1024 {
		t.Errorf("parseConfig = %+v, %v", c, err)
	}
	// A closed loop until final follows at least one order per worker.
	for _, tt := range []struct {
		args []string
		want int
	}{
		{[]string{"--concurrency", "2000"}, 2000},
		{[]string{"--concurrency", "2000", "--closed-until", "accepted"}, 1024},
		{[]string{"--rate", "5000", "--max-watches", "64"}, 64},
	} {
		c, err := parseConfig(tt.args, &bytes.Buffer{})
		if err != nil || c.watches() != tt.want {
			t.Errorf("parseConfig(%q).watches() = %d, %v; want %d", tt.args, c.watches(), err, tt.want)
		}
	}
}

package main

import (
	"math/rand/v2"
	"testing"
	"time"
)

func millis(from, to int) []time.Duration {
	var d []time.Duration
	for i := from; i <= to; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	return d
}

func TestComputeLatencies(t *testing.T) {
	shuffled := millis(1, 1000)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	ms := time.Millisecond
	tests := []struct {
		name    string
		samples []time.Duration
		want    latencyStats
	}{
		{"1..1000 ms in order", millis(1, 1000), latencyStats{Count: 1000, P50: 500 * ms, P90: 900 * ms, P99: 990 * ms, P999: 999 * ms, Max: 1000 * ms}},
		{"1..1000 ms shuffled", shuffled, latencyStats{Count: 1000, P50: 500 * ms, P90: 900 * ms, P99: 990 * ms, P999: 999 * ms, Max: 1000 * ms}},
		{"1..100 ms", millis(1, 100), latencyStats{Count: 100, P50: 50 * ms, P90: 90 * ms, P99: 99 * ms, P999: 100 * ms, Max: 100 * ms}},
		{"one sample", []time.Duration{7 * ms}, latencyStats{Count: 1, P50: 7 * ms, P90: 7 * ms, P99: 7 * ms, P999: 7 * ms, Max: 7 * ms}},
		{"two samples", []time.Duration{2 * ms, 1 * ms}, latencyStats{Count: 2, P50: 1 * ms, P90: 2 * ms, P99: 2 * ms, P999: 2 * ms, Max: 2 * ms}},
		{"none", nil, latencyStats{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := computeLatencies(tt.samples); got != tt.want {
				t.Errorf("computeLatencies = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestPerSecond(t *testing.T) {
	tests := []struct {
		count   int64
		elapsed time.Duration
		want    float64
	}{
		{1000, 2 * time.Second, 500},
		{500, 250 * time.Millisecond, 2000},
		{6 * 1000, 10 * time.Second, 600},
		{0, time.Second, 0},
		{10, 0, 0},
	}
	for _, tt := range tests {
		if got := perSecond(tt.count, tt.elapsed); got != tt.want {
			t.Errorf("perSecond(%d, %s) = %g, want %g", tt.count, tt.elapsed, got, tt.want)
		}
	}
}

// TestBuildSummary feeds a recorder a known run: 1000 orders accepted over 2 s with 202
// latencies of 1..1000 ms, all confirmed, the last one 4 s after the start, with end-to-end
// latencies of 2..2000 ms.
func TestBuildSummary(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	rec := newRecorder()
	for i := 1; i <= 1000; i++ {
		rec.sent.Add(1)
		rec.addAccepted(time.Duration(i)*time.Millisecond, start.Add(time.Duration(i)*2*time.Millisecond))
		rec.addCompleted(statusConfirmed, time.Duration(2*i)*time.Millisecond, start.Add(time.Duration(i)*4*time.Millisecond))
	}
	rec.polls.Add(3000)
	rec.addErrors("http_503", 2)
	rec.addErrors("timeout", 1)
	rec.addErrors("http_503", 1)
	rec.startLag(time.Millisecond)
	rec.startLag(7 * time.Millisecond)

	cfg := config{Target: "http://x", Rate: 500, Duration: 2 * time.Second, SKUs: 3}
	got := buildSummary(cfg, rec.snapshot(), start, 0)
	checks := []struct {
		name      string
		got, want float64
	}{
		{"accepted_per_sec", got.AcceptedPerSec, 500},
		{"completed_per_sec", got.CompletedPerSec, 250},
		{"service_msgs_per_sec", got.ServiceMsgsPerSec, 1500},
		{"send_elapsed_sec", got.SendElapsedSec, 2},
		{"complete_elapsed_sec", got.CompleteElapsedSec, 4},
		{"accept_p50_ms", got.AcceptP50Ms, 500},
		{"accept_p99_ms", got.AcceptP99Ms, 990},
		{"accept_max_ms", got.AcceptMaxMs, 1000},
		{"e2e_p50_ms", got.E2EP50Ms, 1000},
		{"e2e_p90_ms", got.E2EP90Ms, 1800},
		{"e2e_p99_ms", got.E2EP99Ms, 1980},
		{"e2e_p999_ms", got.E2EP999Ms, 1998},
		{"e2e_max_ms", got.E2EMaxMs, 2000},
		{"polls_per_order", got.PollsPerOrder, 3},
		{"max_start_lag_ms", got.MaxStartLagMs, 7},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %g, want %g", c.name, c.got, c.want)
		}
	}
	if got.Errors["http_503"] != 3 || got.Errors["timeout"] != 1 || got.ErrorsTotal != 4 {
		t.Errorf("errors = %v (total %d), want http_503=3 timeout=1 (total 4)", got.Errors, got.ErrorsTotal)
	}
	if got.LateStarts != 1 || got.Mode != "open" || got.Confirmed != 1000 || got.Completed != 1000 {
		t.Errorf("late starts %d, mode %s, confirmed %d, completed %d", got.LateStarts, got.Mode, got.Confirmed, got.Completed)
	}

	got.setBaseline(baselineResult{MsgsPerSec: 3000})
	if got.BaselineRatio != 0.5 || got.BaselineMsgsPerSec != 3000 {
		t.Errorf("baseline ratio %g of %g msgs/s, want 0.5 of 3000", got.BaselineRatio, got.BaselineMsgsPerSec)
	}
}

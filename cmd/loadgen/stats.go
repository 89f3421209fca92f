package main

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// recorder collects what the run measured. Counters are atomic so the progress line can
// read them; latencies are kept as exact samples (8 bytes each: a million orders cost 16
// MB) and sorted once at the end.
type recorder struct {
	sent      atomic.Int64 // POST /orders started
	accepted  atomic.Int64 // answered 202, or 201 (--post-wait)
	completed atomic.Int64 // seen confirmed or rejected
	confirmed atomic.Int64
	rejected  atomic.Int64
	polls     atomic.Int64 // status requests (GET /orders/{id}) answered
	errCount  atomic.Int64
	// watchQueued counts orders that waited for a free follower; unheld counts status
	// answers that brought nothing new at once (the service ignored Prefer: wait).
	watchQueued atomic.Int64
	unheld      atomic.Int64
	// With --post-wait: completedByPost counts orders whose POST was answered 201 with a
	// final state; postWaitsElapsed counts POSTs answered 202 after a wait the service
	// honoured (the order was still pending, or not visible yet).
	completedByPost  atomic.Int64
	postWaitsElapsed atomic.Int64

	mu           sync.Mutex
	accept       []time.Duration // of the 202s only
	e2e          []time.Duration
	errors       map[string]int64
	lastAccept   time.Time
	lastComplete time.Time
	lateStarts   int64
	maxStartLag  time.Duration
}

func newRecorder() *recorder { return &recorder{errors: map[string]int64{}} }

// lateStartThreshold is how far behind its intended time a send may start before it
// counts as late.
const lateStartThreshold = 5 * time.Millisecond

func (r *recorder) startLag(lag time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.maxStartLag = max(r.maxStartLag, lag)
	if lag > lateStartThreshold {
		r.lateStarts++
	}
}

// addAccepted counts an order answered 202 at at, latency after its intended send time.
func (r *recorder) addAccepted(latency time.Duration, at time.Time) {
	r.accepted.Add(1)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.accept = append(r.accept, latency)
	if at.After(r.lastAccept) {
		r.lastAccept = at
	}
}

// addCreated counts an order whose POST was answered 201 with its outcome at at. It was
// accepted, but that answer waited for the flow behind the 202, so its latency is no accept
// latency and is not recorded as one.
func (r *recorder) addCreated(at time.Time) {
	r.accepted.Add(1)
	r.mu.Lock()
	defer r.mu.Unlock()
	if at.After(r.lastAccept) {
		r.lastAccept = at
	}
}

func (r *recorder) addCompleted(status string, latency time.Duration, at time.Time) {
	r.completed.Add(1)
	if status == statusConfirmed {
		r.confirmed.Add(1)
	} else {
		r.rejected.Add(1)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.e2e = append(r.e2e, latency)
	if at.After(r.lastComplete) {
		r.lastComplete = at
	}
}

func (r *recorder) addErrors(kind string, n int64) {
	if n <= 0 {
		return
	}
	r.errCount.Add(n)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors[kind] += n
}

// latencyStats are the percentiles of one kind of latency.
type latencyStats struct {
	Count                    int
	P50, P90, P99, P999, Max time.Duration
}

// quantiles in parts per ten thousand, so ranks are computed in exact integer arithmetic.
const (
	q50  = 5000
	q90  = 9000
	q99  = 9900
	q999 = 9990
)

// computeLatencies sorts samples in place and returns their percentiles.
func computeLatencies(samples []time.Duration) latencyStats {
	slices.Sort(samples)
	return latencyStats{
		Count: len(samples),
		P50:   percentile(samples, q50),
		P90:   percentile(samples, q90),
		P99:   percentile(samples, q99),
		P999:  percentile(samples, q999),
		Max:   percentile(samples, 10000),
	}
}

// percentile is the nearest-rank percentile of sorted samples: the smallest sample that
// at least q/10000 of all samples do not exceed. 0 for no samples.
func percentile(sorted []time.Duration, q int) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	rank := (n*q + 9999) / 10000 // ceil(n*q/10000)
	rank = min(max(rank, 1), n)
	return sorted[rank-1]
}

// perSecond is count over elapsed, 0 when nothing elapsed.
func perSecond(count int64, elapsed time.Duration) float64 {
	if elapsed <= 0 {
		return 0
	}
	return float64(count) / elapsed.Seconds()
}

// snapshot is the recorder's content at the end of the run.
type snapshot struct {
	Sent, Accepted, Completed, Confirmed, Rejected, Polls int64
	Accept, E2E                                           latencyStats
	Errors                                                map[string]int64
	LastAccept, LastComplete                              time.Time
	LateStarts                                            int64
	MaxStartLag                                           time.Duration
	WatchQueued, Unheld                                   int64
	CompletedByPost, PostWaitsElapsed                     int64
}

func (r *recorder) snapshot() snapshot {
	r.mu.Lock()
	defer r.mu.Unlock()
	errs := make(map[string]int64, len(r.errors))
	for k, v := range r.errors {
		errs[k] = v
	}
	return snapshot{
		Sent:         r.sent.Load(),
		Accepted:     r.accepted.Load(),
		Completed:    r.completed.Load(),
		Confirmed:    r.confirmed.Load(),
		Rejected:     r.rejected.Load(),
		Polls:        r.polls.Load(),
		Accept:       computeLatencies(slices.Clone(r.accept)),
		E2E:          computeLatencies(slices.Clone(r.e2e)),
		Errors:       errs,
		LastAccept:   r.lastAccept,
		LastComplete: r.lastComplete,
		LateStarts:   r.lateStarts,
		MaxStartLag:  r.maxStartLag,
		WatchQueued:  r.watchQueued.Load(),
		Unheld:       r.unheld.Load(),

		CompletedByPost:  r.completedByPost.Load(),
		PostWaitsElapsed: r.postWaitsElapsed.Load(),
	}
}

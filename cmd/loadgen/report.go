package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strings"
	"time"
)

// messagesPerOrder is how many Kafka messages the service's flow writes (and reads) for one
// order: PlaceOrder, OrderPlaced, ReserveStock, StockReserved (or StockReservationFailed),
// ConfirmOrder (or RejectOrder), OrderConfirmed (or OrderRejected).
const messagesPerOrder = 6

// summary is the result of a run; its JSON form is the --json output.
type summary struct {
	Mode        string  `json:"mode"` // open or closed
	Target      string  `json:"target"`
	Rate        float64 `json:"rate,omitempty"`
	Concurrency int     `json:"concurrency,omitempty"`
	ClosedUntil string  `json:"closed_until,omitempty"` // closed loop: accepted or final
	DurationSec float64 `json:"duration_sec"`
	SKUs        int     `json:"skus"`
	Tracked     bool    `json:"tracked"`            // final states followed; false: completed and e2e are not measured
	WaitSec     float64 `json:"wait_sec,omitempty"` // Prefer: wait of a status request (and of a POST with PostWait)
	PostWait    bool    `json:"post_wait"`          // POSTs asked for the outcome (--post-wait)

	Sent      int64 `json:"sent"`
	Accepted  int64 `json:"accepted"`  // answered 202, or 201 with PostWait
	Completed int64 `json:"completed"` // confirmed + rejected
	Confirmed int64 `json:"confirmed"`
	Rejected  int64 `json:"rejected"`
	NotFinal  int64 `json:"not_final"`
	// Accepted202 counts the 202 answers: the accept_* latencies are theirs. Without
	// PostWait that is every accepted order; with it, only those whose POST did not carry
	// the outcome.
	Accepted202 int64 `json:"accepted_202"`

	// AcceptedPerSec is accepted orders over the send phase (start to the last 202 or 201);
	// CompletedPerSec is final states over start to the last final state seen.
	SendElapsedSec     float64 `json:"send_elapsed_sec"`
	CompleteElapsedSec float64 `json:"complete_elapsed_sec"`
	AcceptedPerSec     float64 `json:"accepted_per_sec"`
	CompletedPerSec    float64 `json:"completed_per_sec"`

	AcceptP50Ms  float64 `json:"accept_p50_ms"`
	AcceptP90Ms  float64 `json:"accept_p90_ms"`
	AcceptP99Ms  float64 `json:"accept_p99_ms"`
	AcceptP999Ms float64 `json:"accept_p999_ms"`
	AcceptMaxMs  float64 `json:"accept_max_ms"`
	E2EP50Ms     float64 `json:"e2e_p50_ms"`
	E2EP90Ms     float64 `json:"e2e_p90_ms"`
	E2EP99Ms     float64 `json:"e2e_p99_ms"`
	E2EP999Ms    float64 `json:"e2e_p999_ms"`
	E2EMaxMs     float64 `json:"e2e_max_ms"`

	Errors        map[string]int64 `json:"errors"`
	ErrorsTotal   int64            `json:"errors_total"`
	LateStarts    int64            `json:"late_starts"`
	MaxStartLagMs float64          `json:"max_start_lag_ms"`
	// Polls counts status requests (GET /orders/{id} long-polls) answered.
	Polls         int64   `json:"polls"`
	PollsPerOrder float64 `json:"polls_per_order"`
	// WatchQueued counts orders that waited for a free follower (--max-watches): their
	// latency may include that wait. UnheldAnswers counts status answers that brought
	// nothing new without being held: the service ignored Prefer: wait and was polled.
	WatchQueued   int64 `json:"watch_queued"`
	UnheldAnswers int64 `json:"unheld_answers,omitempty"`
	// CompletedByPost counts orders whose POST was answered 201 with a final state (no
	// status request needed); PostWaitsElapsed counts POSTs answered 202 after the wait the
	// service honoured. Both 0 without PostWait.
	CompletedByPost  int64 `json:"completed_by_post"`
	PostWaitsElapsed int64 `json:"post_waits_elapsed"`

	// ServiceMsgsPerSec is CompletedPerSec x messagesPerOrder.
	ServiceMsgsPerSec  float64         `json:"service_msgs_per_sec"`
	Baseline           *baselineResult `json:"baseline,omitempty"`
	BaselineMsgsPerSec float64         `json:"baseline_msgs_per_sec,omitempty"`
	BaselineRatio      float64         `json:"baseline_ratio,omitempty"`
}

func ms(d time.Duration) float64 { return math.Round(float64(d)/1e3) / 1e3 }

func round(x float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(x*p) / p
}

// buildSummary turns what was recorded into the summary of a run that started at start.
func buildSummary(c config, s snapshot, start time.Time, notFinal int64) summary {
	sendElapsed := s.LastAccept.Sub(start)
	if s.Accepted == 0 {
		sendElapsed = c.Duration
	}
	completeElapsed := s.LastComplete.Sub(start)
	if s.Completed == 0 {
		completeElapsed = 0
	}
	sum := summary{
		Target: c.Target, Tracked: c.Track, DurationSec: c.Duration.Seconds(), SKUs: c.SKUs,
		Sent: s.Sent, Accepted: s.Accepted, Completed: s.Completed,
		Confirmed: s.Confirmed, Rejected: s.Rejected, NotFinal: notFinal,
		SendElapsedSec:     round(sendElapsed.Seconds(), 3),
		CompleteElapsedSec: round(completeElapsed.Seconds(), 3),
		AcceptedPerSec:     round(perSecond(s.Accepted, sendElapsed), 1),
		CompletedPerSec:    round(perSecond(s.Completed, completeElapsed), 1),
		AcceptP50Ms:        ms(s.Accept.P50), AcceptP90Ms: ms(s.Accept.P90), AcceptP99Ms: ms(s.Accept.P99),
		AcceptP999Ms: ms(s.Accept.P999), AcceptMaxMs: ms(s.Accept.Max),
		E2EP50Ms: ms(s.E2E.P50), E2EP90Ms: ms(s.E2E.P90), E2EP99Ms: ms(s.E2E.P99),
		E2EP999Ms: ms(s.E2E.P999), E2EMaxMs: ms(s.E2E.Max),
		Errors:        s.Errors,
		LateStarts:    s.LateStarts,
		MaxStartLagMs: ms(s.MaxStartLag),
		Polls:         s.Polls,
		WatchQueued:   s.WatchQueued,
		UnheldAnswers: s.Unheld,

		PostWait:         c.PostWait,
		Accepted202:      int64(s.Accept.Count),
		CompletedByPost:  s.CompletedByPost,
		PostWaitsElapsed: s.PostWaitsElapsed,
	}
	if c.Track {
		sum.WaitSec = c.Wait.Seconds()
	}
	for _, n := range s.Errors {
		sum.ErrorsTotal += n
	}
	if s.Completed > 0 {
		sum.PollsPerOrder = round(float64(s.Polls)/float64(s.Completed), 2)
	}
	sum.ServiceMsgsPerSec = round(perSecond(s.Completed*messagesPerOrder, completeElapsed), 1)
	if c.openLoop() {
		sum.Mode, sum.Rate = "open", c.Rate
	} else {
		sum.Mode, sum.Concurrency, sum.ClosedUntil = "closed", c.Concurrency, c.Until
	}
	return sum
}

func (s *summary) setBaseline(b baselineResult) {
	s.Baseline = &b
	s.BaselineMsgsPerSec = b.MsgsPerSec
	if b.MsgsPerSec > 0 {
		s.BaselineRatio = round(s.ServiceMsgsPerSec/b.MsgsPerSec, 3)
	}
}

func writeJSON(w io.Writer, s summary) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s); err != nil {
		return fmt.Errorf("writing JSON summary: %w", err)
	}
	return nil
}

func writeHuman(w io.Writer, s summary) error {
	var b strings.Builder
	if s.Mode == "open" {
		fmt.Fprintf(&b, "open loop at %g orders/s", s.Rate)
	} else {
		fmt.Fprintf(&b, "closed loop with %d workers, each waiting for its order to be %s,", s.Concurrency, s.ClosedUntil)
	}
	fmt.Fprintf(&b, " for %gs against %s, %d SKUs\n", s.DurationSec, s.Target, s.SKUs)
	fmt.Fprintf(&b, "orders     sent %d, accepted %d, final %d (confirmed %d, rejected %d), not final in time %d\n",
		s.Sent, s.Accepted, s.Completed, s.Confirmed, s.Rejected, s.NotFinal)
	fmt.Fprintf(&b, "throughput accepted %.1f/s over %.2fs", s.AcceptedPerSec, s.SendElapsedSec)
	if s.Tracked {
		fmt.Fprintf(&b, ", final %.1f/s over %.2fs = %.0f service msgs/s (%d per order)",
			s.CompletedPerSec, s.CompleteElapsedSec, s.ServiceMsgsPerSec, messagesPerOrder)
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "202 ms     p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.2f",
		s.AcceptP50Ms, s.AcceptP90Ms, s.AcceptP99Ms, s.AcceptP999Ms, s.AcceptMaxMs)
	if s.PostWait {
		fmt.Fprintf(&b, "  (202 answers only: %d of %d accepted, held ones including the wait; the 201s carried the outcome)", s.Accepted202, s.Accepted)
	}
	b.WriteString("\n")
	if s.PostWait {
		fmt.Fprintf(&b, "post wait  Prefer: wait=%g on POST /orders: %d orders completed by their POST (201), %d answered 202 after the wait, then long-polled",
			s.WaitSec, s.CompletedByPost, s.PostWaitsElapsed)
		if unheld := s.Accepted202 - s.PostWaitsElapsed; unheld > 0 {
			fmt.Fprintf(&b, "; %d 202s not held (Prefer: wait on POST ignored?)", unheld)
		}
		b.WriteString("\n")
	}
	if s.Tracked {
		fmt.Fprintf(&b, "final ms   p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.2f  (place -> final view received)\n",
			s.E2EP50Ms, s.E2EP90Ms, s.E2EP99Ms, s.E2EP999Ms, s.E2EMaxMs)
		fmt.Fprintf(&b, "status     %d GETs (long-poll, wait %gs), %.2f per order; %d orders queued for a follower",
			s.Polls, s.WaitSec, s.PollsPerOrder, s.WatchQueued)
		if s.UnheldAnswers > 0 {
			fmt.Fprintf(&b, "; %d answers not held (Prefer: wait ignored? polled instead)", s.UnheldAnswers)
		}
		b.WriteString("\n")
	} else {
		fmt.Fprintf(&b, "final      not tracked (--track=false)\n")
	}
	fmt.Fprintf(&b, "errors     %s\n", formatErrors(s.Errors))
	if s.Mode == "open" {
		fmt.Fprintf(&b, "schedule   late starts %d (> %s behind), max start lag %.2f ms\n", s.LateStarts, lateStartThreshold, s.MaxStartLagMs)
	}
	if bl := s.Baseline; bl != nil {
		fmt.Fprintf(&b, "baseline   %d msgs of %d B, %d publishers, topic %s (%d partitions): published %.0f/s, end to end %.0f msgs/s in %.2fs\n",
			bl.Messages, bl.MessageBytes, bl.Publishers, bl.Topic, bl.Partitions, bl.PublishedPerSec, bl.MsgsPerSec, bl.ElapsedSec)
		fmt.Fprintf(&b, "ratio      service %.0f msgs/s / baseline %.0f msgs/s = %.3f\n", s.ServiceMsgsPerSec, s.BaselineMsgsPerSec, s.BaselineRatio)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func formatErrors(errs map[string]int64) string {
	if len(errs) == 0 {
		return "none"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(errs)) {
		parts = append(parts, fmt.Sprintf("%s=%d", k, errs[k]))
	}
	return strings.Join(parts, " ")
}

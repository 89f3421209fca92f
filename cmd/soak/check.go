package main

import "fmt"

// Invariant is one property of the history, checked: passed, failed with counter-examples,
// or skipped with the reason it cannot be checked soundly in this run.
type Invariant struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Status      string   `json:"status"` // statusPass, statusFail or statusSkipped
	Note        string   `json:"note,omitempty"`
	Checked     int      `json:"checked"` // how many items (orders, messages, SKUs ...) were checked
	Violations  int      `json:"violations"`
	Examples    []string `json:"examples,omitempty"` // the first counter-examples
}

const (
	statusPass    = "pass"
	statusFail    = "fail"
	statusSkipped = "skipped"
)

// check collects one invariant's outcome while it runs.
type check struct {
	inv         Invariant
	maxExamples int
}

func newCheck(name, description string, maxExamples int) *check {
	return &check{inv: Invariant{Name: name, Description: description}, maxExamples: maxExamples}
}

// fail records a violation; only the first maxExamples are kept as counter-examples.
func (c *check) fail(format string, args ...any) {
	c.inv.Violations++
	if len(c.inv.Examples) < c.maxExamples {
		c.inv.Examples = append(c.inv.Examples, fmt.Sprintf(format, args...))
	}
}

func (c *check) skip(why string) Invariant {
	c.inv.Status = statusSkipped
	c.inv.Note = why
	return c.inv
}

func (c *check) done() Invariant {
	c.inv.Status = statusPass
	if c.inv.Violations > 0 {
		c.inv.Status = statusFail
	}
	return c.inv
}

// Check runs every invariant over a history. It is pure: the same history always gives the
// same result, which is what lets a failing run be checked again from its saved history.
func Check(h *History, maxExamples int) []Invariant {
	x := newIndex(h)
	return []Invariant{
		checkSettled(x, maxExamples),
		checkAccepted(x, maxExamples),
		checkIdempotencyKeys(x, maxExamples),
		checkFinalStates(x, maxExamples),
		checkVersions(x, maxExamples),
		checkReadModel(x, maxExamples),
		checkEffects(x, maxExamples),
		checkStock(x, maxExamples),
		checkHandledOnce(x, maxExamples),
		checkNoLostMessage(x, maxExamples),
		checkPoisonOnlyInjected(x, maxExamples),
		checkInjectedPoisoned(x, maxExamples),
	}
}

// failed tells whether any invariant failed.
func failed(invs []Invariant) bool {
	for _, inv := range invs {
		if inv.Status == statusFail {
			return true
		}
	}
	return false
}

func checkSettled(x *index, n int) Invariant {
	c := newCheck("settled", "after the load and the faults stopped, every consumer group caught up and no topic grew for a while, within the bound", n)
	c.inv.Checked = 1
	if !x.h.Settled {
		c.fail("the flow did not settle: %s (invariants below may fail for that reason alone)", x.h.SettleNote)
	}
	return c.done()
}

// notStateful is the reason state-level invariants are skipped with several memory instances.
const notStateful = "memory mode with several instances: each process holds its own part of the state (a SKU's count in one, an order's reservation in another), so the state has no defined correct value; only Kafka-level invariants are checked (run memory mode with --instances 1 for the rest)"

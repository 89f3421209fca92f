package main

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// clean is a correct history: one order of each final state.
func clean(t *testing.T, mode string) *builder {
	t.Helper()
	b := newBuilder(t, mode)
	b.place("o1", Line{"A", 2})
	b.reserve("o1", true) // confirmed, holds 2 A
	b.place("o2", Line{"A", 1}, Line{"B", 3})
	b.reserve("o2", true)
	b.ship("o2") // shipped: 1 A and 3 B left
	b.place("o3", Line{"B", 1})
	b.reserve("o3", true)
	b.cancel("o3") // cancelled after its reservation: released
	b.place("o4", Line{"B", 20})
	b.reserve("o4", false) // rejected: not enough B
	return b
}

func TestCleanHistoryPasses(t *testing.T) {
	for _, mode := range []string{modeMemory, modePostgres} {
		t.Run(mode, func(t *testing.T) {
			h := clean(t, mode).finish()
			wantNoFailure(t, h)
			for _, inv := range Check(h, 10) {
				if inv.Status == statusPass && inv.Checked == 0 && !strings.Contains(inv.Name, "poison") {
					t.Errorf("%s passed having checked nothing", inv.Name)
				}
			}
			if got := invariant(t, h, "handled-once").Status; (mode == modePostgres) != (got == statusPass) {
				t.Errorf("handled-once is %s in %s mode", got, mode)
			}
		})
	}
}

// A ReserveStock handled twice: a second StockReserved for it, and its units reserved twice.
func TestDoubledReservationIsCaught(t *testing.T) {
	for _, mode := range []string{modeMemory, modePostgres} {
		t.Run(mode, func(t *testing.T) {
			b := clean(t, mode)
			o := b.orders["o1"]
			b.rec(topicStockEvents, evStockReserved, "o1", o.last[cmdReserveStock], "", Payload{OrderID: "o1", Items: o.items})
			h := b.finish()
			for i := range h.Stock {
				if h.Stock[i].SKU == "A" {
					h.Stock[i].Level.Reserved += 2
					h.Stock[i].Level.Available -= 2
				}
			}
			wantFail(t, h, "stock-levels", "GET /stock/A")
			if mode == modePostgres {
				wantFail(t, h, "handled-once", "ReserveStock")
			}
		})
	}
}

// A reservation taken again after its release (a release undone by a late reserve).
func TestReservationAfterReleaseIsCaught(t *testing.T) {
	b := clean(t, modePostgres)
	o := b.orders["o3"]
	again := b.rec(topicStockCommands, cmdReserveStock, "o3", o.last[evOrderPlaced], "", Payload{OrderID: "o3", Items: o.items})
	b.rec(topicStockEvents, evStockReserved, "o3", again, "", Payload{OrderID: "o3", Items: o.items})
	wantFail(t, b.finish(), "effects-once", "reserved -> released -> reserved")
}

// A reservation of other units than the order's.
func TestReservationOfOtherUnitsIsCaught(t *testing.T) {
	b := newBuilder(t, modePostgres)
	b.place("o1", Line{"A", 2})
	b.reserve("o1", true)
	for i := range b.h.Records {
		if r := &b.h.Records[i]; r.Type == evStockReserved {
			r.Body.Items = []Line{{"A", 3}}
		}
	}
	wantFail(t, b.finish(), "effects-once", "moves units")
}

// An accepted cancel whose command never reached Kafka.
func TestAcceptedCommandMissingFromKafkaIsCaught(t *testing.T) {
	b := clean(t, modePostgres)
	b.request(Request{Op: opCancel, Method: "POST", Path: "/orders/o1/cancel", OrderID: "o1"})
	wantFail(t, b.finish(), "accepted-in-kafka", "CancelOrder")
}

// A command on Kafka that was never handled: nothing caused by it.
func TestUnhandledCommandIsCaught(t *testing.T) {
	b := clean(t, modePostgres)
	c := b.request(Request{Op: opCancel, Method: "POST", Path: "/orders/o1/cancel", OrderID: "o1"})
	b.rec(topicOrderCommands, cmdCancelOrder, "o1", "", c, Payload{OrderID: "o1"})
	h := b.finish()
	wantFail(t, h, "no-lost-message", "CancelOrder")
	if s := invariant(t, h, "accepted-in-kafka").Status; s != statusPass {
		t.Errorf("accepted-in-kafka: %s, want pass (the command is on Kafka)", s)
	}
}

// A placement whose stock was never asked for: the saga stopped.
func TestLostSagaStepIsCaught(t *testing.T) {
	b := clean(t, modePostgres)
	b.place("o5", Line{"A", 1}) // ReserveStock sent, never handled
	h := b.finish()
	wantFail(t, h, "no-lost-message", "ReserveStock")
	wantFail(t, h, "final-state", "o5 is still pending")
}

func TestVersionGoingBackwardsIsCaught(t *testing.T) {
	b := clean(t, modePostgres)
	o := b.orders["o1"]
	b.rec(topicOrderEvents, evOrderPlaced, "o1", "", "", Payload{OrderID: "o1", Version: 1, CustomerID: "cust", Items: o.items})
	wantFail(t, b.finish(), "versions", "version went backwards: 1")
}

func TestVersionAnnouncedAsTwoEventsIsCaught(t *testing.T) {
	b := clean(t, modePostgres)
	b.rec(topicOrderEvents, evOrderCancelled, "o1", "", "", Payload{OrderID: "o1", Version: 2, Reason: "r"})
	wantFail(t, b.finish(), "versions", "version 2 announced as")
}

func TestVersionGapIsCaught(t *testing.T) {
	b := clean(t, modePostgres)
	b.rec(topicOrderEvents, evOrderShipped, "o1", "", "", Payload{OrderID: "o1", Version: 4})
	wantFail(t, b.finish(), "versions", "versions 3..3 missing")
}

func TestTwoFinalStatesAreCaught(t *testing.T) {
	b := clean(t, modePostgres)
	c := b.request(Request{Op: opCancel, Method: "POST", Path: "/orders/o4/cancel", OrderID: "o4"})
	cmd := b.rec(topicOrderCommands, cmdCancelOrder, "o4", "", c, Payload{OrderID: "o4"})
	ev := b.event("o4", evOrderCancelled, cmd, c)
	b.rec(topicStockCommands, cmdReleaseStock, "o4", ev, c, Payload{OrderID: "o4"})
	wantFail(t, b.finish(), "final-state", "reached a second final state: rejected, then cancelled")
}

func TestWrong201IsCaught(t *testing.T) {
	b := clean(t, modePostgres)
	b.h.Requests[len(b.h.Requests)-1].Status = 0 // keep the sequence; add a 201 below
	b.request(Request{Op: opPlaceAgain, Method: "POST", Path: "/orders", IdempotencyKey: "k-o4", CustomerID: "cust", Items: b.orders["o4"].items, OrderID: "o4", Status: 201, OrderStatus: statusConfirmed})
	c := b.h.Requests[len(b.h.Requests)-1].CorrelationID
	b.rec(topicOrderCommands, cmdPlaceOrder, "o4", "", c, Payload{OrderID: "o4", CustomerID: "cust", Items: b.orders["o4"].items})
	wantFail(t, b.finish(), "final-state", "answered 201 confirmed")
}

func TestStaleReadModelIsCaught(t *testing.T) {
	h := clean(t, modePostgres).finish()
	h.Views["o2"] = View{Found: true, Status: statusConfirmed, Version: 2}
	wantFail(t, h, "read-model", "order o2: GET shows confirmed at version 2")
}

func TestUnexpectedPoisonIsCaught(t *testing.T) {
	b := clean(t, modePostgres)
	victim := b.record(b.orders["o1"].last[evOrderConfirmed])
	b.h.Records = append(b.h.Records, Record{
		Topic: topicPoison, Key: "o1", Type: evOrderConfirmed, Headers: map[string]string{
			headerPoisonTopic: victim.Topic, headerPoisonPartition: "0", headerPoisonOffset: strconv.FormatInt(victim.Offset, 10),
			headerPoisonReason: "handler timed out", headerPoisonHandler: "order-projection",
		},
	})
	wantFail(t, b.finish(), "poison-only-injected", "handler timed out")
}

func TestInjectedPoisonIsAcceptedAndMustBePoisoned(t *testing.T) {
	b := clean(t, modePostgres)
	b.h.Records = append(b.h.Records, Record{Topic: topicOrderCommands, Offset: b.offsets[topicOrderCommands], Key: "soak-poison-0", Type: cmdPlaceOrder,
		Headers: map[string]string{headerInjected: "poison-0"}, BodyError: "not JSON"})
	b.h.Injected = []Injected{
		{ID: "poison-0", Topic: topicOrderCommands, Offset: b.offsets[topicOrderCommands], What: "not JSON"},
		{ID: "poison-1", Topic: topicStockCommands, Offset: 999, What: "unknown type"},
	}
	b.h.Records = append(b.h.Records, Record{Topic: topicPoison, Key: "soak-poison-0", Headers: map[string]string{
		headerInjected: "poison-0", headerPoisonTopic: topicOrderCommands, headerPoisonPartition: "0",
		headerPoisonOffset: strconv.FormatInt(b.offsets[topicOrderCommands], 10),
	}})
	h := b.finish()
	if inv := invariant(t, h, "poison-only-injected"); inv.Status != statusPass {
		t.Errorf("poison-only-injected: %s %v, want pass", inv.Status, inv.Examples)
	}
	wantFail(t, h, "injected-poisoned", "poison-1")
	for _, name := range []string{"no-lost-message", "final-state", "idempotency-key"} {
		if inv := invariant(t, h, name); inv.Status != statusPass {
			t.Errorf("%s: the injected record counted as part of the flow: %v", name, inv.Examples)
		}
	}
}

func TestOneKeyTwoOrdersIsCaught(t *testing.T) {
	b := clean(t, modePostgres)
	b.request(Request{Op: opPlaceAgain, Method: "POST", Path: "/orders", IdempotencyKey: "k-o1", CustomerID: "cust", Items: b.orders["o1"].items, OrderID: "o9"})
	wantFail(t, b.finish(), "idempotency-key", "Idempotency-Key k-o1 named order o1")
}

func TestPlacementRefusedAsDifferentIsCaught(t *testing.T) {
	b := clean(t, modePostgres)
	b.rec(topicOrderEvents, evOrderRefused, "o1", "", "", Payload{OrderID: "o1", Command: cmdPlaceOrder, Reason: "order ID already used for a different order"})
	wantFail(t, b.finish(), "idempotency-key", "refused a placement")
}

func TestNotSettledIsReported(t *testing.T) {
	h := clean(t, modePostgres).finish()
	h.Settled, h.SettleNote = false, "order-policy 3 behind"
	wantFail(t, h, "settled", "order-policy 3 behind")
}

// Memory mode, one instance that restarted: what the mode loses (state, and with it orders
// in flight) is not a failure; the same faults in the last lifetime are.
func TestMemoryRestartLossesAreAllowed(t *testing.T) {
	b := clean(t, modeMemory)
	b.place("o9", Line{"A", 1}) // in flight when the process dies
	b.place("o10", Line{"A", 1})
	restart := b.now.Add(time.Second)
	b.h.Lifetimes[0].End = restart
	b.h.Lifetimes = append(b.h.Lifetimes, Lifetime{Instance: 0, ClientID: "p2", Start: restart.Add(time.Second)})

	// o9: its stock refused in the old process, whose RejectOrder it never handled. The new,
	// empty process gets the PlaceOrder again (its offset was not committed): it places the
	// order again, at version 1, asks for stock (none there), and rejects it.
	o9 := b.orders["o9"]
	failed1 := b.rec(topicStockEvents, evStockReserveFail, "o9", o9.last[cmdReserveStock], "", Payload{OrderID: "o9", Reason: "short"})
	reject1 := b.rec(topicOrderCommands, cmdRejectOrder, "o9", failed1, "", Payload{OrderID: "o9"})
	b.now = restart.Add(2 * time.Second)
	o9.version = 0
	placed2 := b.event("o9", evOrderPlaced, "", "")
	reserve2 := b.rec(topicStockCommands, cmdReserveStock, "o9", placed2, "", Payload{OrderID: "o9", Items: o9.items})
	failed2 := b.rec(topicStockEvents, evStockReserveFail, "o9", reserve2, "", Payload{OrderID: "o9", Reason: "short"})
	reject2 := b.rec(topicOrderCommands, cmdRejectOrder, "o9", failed2, "", Payload{OrderID: "o9"})
	b.event("o9", evOrderRejected, reject1, "")
	b.rec(topicOrderEvents, evOrderRejected, "o9", reject2, "", Payload{OrderID: "o9", Version: 2, Reason: "short"}) // re-announced

	// o10: only its ReserveStock redelivered: it fails, and the order is unknown there.
	o10 := b.orders["o10"]
	failed := b.rec(topicStockEvents, evStockReserveFail, "o10", o10.last[cmdReserveStock], "", Payload{OrderID: "o10", Reason: "short"})
	reject := b.rec(topicOrderCommands, cmdRejectOrder, "o10", failed, "", Payload{OrderID: "o10"})
	b.rec(topicOrderEvents, evOrderRefused, "o10", reject, "", Payload{OrderID: "o10", Command: cmdRejectOrder, Reason: "unknown order"})

	// o12: confirmed in the old process. The new one gets its ReserveStock again (and holds
	// stock for it), then a client's retry places it again: the new placement finds the
	// reservation done and the order stays pending, a mix of the lost state and a new one.
	b.now = restart.Add(-500 * time.Millisecond)
	b.place("o12", Line{"B", 1})
	b.reserve("o12", true)
	b.now = restart.Add(3 * time.Second)
	o12 := b.orders["o12"]
	held := b.rec(topicStockEvents, evStockReserved, "o12", o12.last[cmdReserveStock], "", Payload{OrderID: "o12", Items: o12.items})
	confirm := b.rec(topicOrderCommands, cmdConfirmOrder, "o12", held, "", Payload{OrderID: "o12"})
	b.rec(topicOrderEvents, evOrderRefused, "o12", confirm, "", Payload{OrderID: "o12", Command: cmdConfirmOrder, Reason: "unknown order"})
	o12.version = 0
	again := b.event("o12", evOrderPlaced, "", "")
	b.rec(topicStockCommands, cmdReserveStock, "o12", again, "", Payload{OrderID: "o12", Items: o12.items})
	o12.held = false

	h := b.finish()
	h.Views["o10"] = View{} // the new process never heard of it: 404
	h.Stock = nil           // and has its own stock
	wantNoFailure(t, h)
	if inv := invariant(t, h, "final-state"); !containsAll(inv.Note, "2 orders left unsettled by a restart", "2 placed again") {
		t.Errorf("final-state note %q does not count the restart's losses", inv.Note)
	}
	if inv := invariant(t, h, "stock-levels"); inv.Note == "" {
		t.Error("stock-levels does not say why the levels were not checked")
	}

	// The same stall in the last lifetime is a failure.
	b.place("o11", Line{"A", 1})
	b.rec(topicStockEvents, evStockReserved, "o11", b.orders["o11"].last[cmdReserveStock], "", Payload{OrderID: "o11", Items: b.orders["o11"].items})
	wantFail(t, b.finish(), "final-state", "o11 is still pending")
}

// Memory mode, one restart: a version may start again at 1 in the new lifetime, but not
// within one.
func TestMemoryVersionsAreCheckedPerLifetime(t *testing.T) {
	b := clean(t, modeMemory)
	restart := b.now.Add(time.Second)
	b.h.Lifetimes[0].End = restart
	b.h.Lifetimes = append(b.h.Lifetimes, Lifetime{Instance: 0, ClientID: "p2", Start: restart.Add(time.Second)})
	b.now = restart.Add(2 * time.Second)
	o := b.orders["o1"]
	b.rec(topicOrderEvents, evOrderPlaced, "o1", "", "", Payload{OrderID: "o1", Version: 1, CustomerID: "cust", Items: o.items})
	h := b.finish()
	if inv := invariant(t, h, "versions"); inv.Status != statusPass {
		t.Fatalf("a re-placement in a new lifetime failed versions: %v", inv.Examples)
	}
	b.rec(topicOrderEvents, evOrderPlaced, "o1", "", "", Payload{OrderID: "o1", Version: 1, CustomerID: "cust", Items: o.items})
	b.rec(topicOrderEvents, evOrderConfirmed, "o1", "", "", Payload{OrderID: "o1", Version: 2})
	b.rec(topicOrderEvents, evOrderPlaced, "o1", "", "", Payload{OrderID: "o1", Version: 1, CustomerID: "cust", Items: o.items})
	wantFail(t, b.finish(), "versions", "(process lifetime 2 of 2): version went backwards")
}

func TestSeveralMemoryInstancesCheckKafkaOnly(t *testing.T) {
	b := clean(t, modeMemory)
	b.h.Instances = 2
	h := b.finish()
	for _, name := range []string{"final-state", "versions", "read-model", "effects-once"} {
		if inv := invariant(t, h, name); inv.Status != statusSkipped {
			t.Errorf("%s: %s, want skipped with several memory instances", name, inv.Status)
		}
	}
	for _, name := range []string{"accepted-in-kafka", "no-lost-message", "poison-only-injected"} {
		if inv := invariant(t, h, name); inv.Status != statusPass {
			t.Errorf("%s: %s, want pass", name, inv.Status)
		}
	}
}

// The checker is pure: a history checked twice gives the same verdicts.
func TestCheckIsDeterministic(t *testing.T) {
	h := clean(t, modePostgres).finish()
	h.Views["o2"] = View{Found: true, Status: statusConfirmed, Version: 2}
	a, b := Check(h, 3), Check(h, 3)
	for i := range a {
		if a[i].Status != b[i].Status || a[i].Violations != b[i].Violations || len(a[i].Examples) != len(b[i].Examples) {
			t.Fatalf("%s differs between two checks", a[i].Name)
		}
	}
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

// Memory mode: an order accepted just before a restart and placed by the next process
// starts afresh there; if it then stays pending, that is a failure, not a restart's loss.
func TestMemoryOrderStartedAfterRestartMustSettle(t *testing.T) {
	b := clean(t, modeMemory)
	c := b.request(Request{Op: opPlace, Method: "POST", Path: "/orders", IdempotencyKey: "k-o13", CustomerID: "cust", Items: []Line{{"A", 1}}, OrderID: "o13"})
	cmd := b.rec(topicOrderCommands, cmdPlaceOrder, "o13", "", c, Payload{OrderID: "o13", CustomerID: "cust", Items: []Line{{"A", 1}}})
	restart := b.now.Add(time.Second)
	b.h.Lifetimes[0].End = restart
	b.h.Lifetimes = append(b.h.Lifetimes, Lifetime{Instance: 0, ClientID: "p2", Start: restart.Add(time.Second)})
	b.now = restart.Add(2 * time.Second)
	b.orders["o13"] = &builtOrder{items: []Line{{"A", 1}}, last: map[string]string{}}
	placed := b.event("o13", evOrderPlaced, cmd, c)
	b.rec(topicStockCommands, cmdReserveStock, "o13", placed, c, Payload{OrderID: "o13", Items: []Line{{"A", 1}}})
	wantFail(t, b.finish(), "final-state", "o13 is still pending")
}

package http

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/example/orders-service/app/query"
	"github.com/example/orders-service/domain/order"
)

// placedView is the view of an order placed with validOrder.
func placedView(v query.OrderView) query.OrderView {
	v.CustomerID, v.Items = "customer-1", []order.Line{{SKU: "SKU-1", Quantity: 2}, {SKU: "SKU-2", Quantity: 1}}
	return v
}

func placeOrderReq(header map[string]string) request {
	return request{method: http.MethodPost, path: "/orders", header: header, body: []byte(validOrder), validRequest: true}
}

// TestPlaceOrderWaitAnswersWithTheOutcome: with Prefer: wait, POST /orders answers 201 with
// the order once the saga decided it, after the command was sent.
func TestPlaceOrderWaitAnswersWithTheOutcome(t *testing.T) {
	for _, tc := range []struct {
		name       string
		wantStatus order.Status
	}{
		{name: "confirmed", wantStatus: order.StatusConfirmed},
		{name: "rejected", wantStatus: order.StatusRejected},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			start := time.Now()
			res := e.asyncGet(placeOrderReq(map[string]string{preferHeader: "wait=20"}))
			id := waitFor(t, e.changes.subscribed, "the request to wait")
			if cmds := e.sender.commands(); len(cmds) != 1 || cmds[0].cmd.MessageName() != "orders.PlaceOrder.v1" {
				t.Fatalf("sent %+v before waiting, want the PlaceOrder", cmds)
			}
			// Pending is not an outcome: the request keeps waiting.
			seedOrder(t, e, placedView(pendingView(id)))
			waitFor(t, e.changes.subscribed, "the request to wait on")
			final := placedView(confirmedView(id))
			final.Status = tc.wantStatus
			seedOrder(t, e, final)

			got := awaitResponse(t, res)
			if got.status != http.StatusCreated {
				t.Fatalf("%d %s, want 201", got.status, got.body)
			}
			var body orderResponse
			got.decode(t, &body)
			if body.ID != id || body.Status != tc.wantStatus {
				t.Errorf("body %+v, want order %s %s", body, id, tc.wantStatus)
			}
			for h, want := range map[string]string{"Location": "/orders/" + id, "ETag": `"2.0"`, preferenceAppliedHeader: "wait=20"} {
				if v := got.header.Get(h); v != want {
					t.Errorf("%s %q, want %q", h, v, want)
				}
			}
			if took := time.Since(start); took >= 5*time.Second {
				t.Errorf("answered after %s: at a recheck (10 s) or the end of the wait, not at the outcome", took)
			}
		})
	}
}

func TestPlaceOrderWaitEndsWithTheAcceptedAnswer(t *testing.T) {
	e := newEnvWith(t, envOptions{maxWait: time.Second})
	got, took := e.timedDo(placeOrderReq(map[string]string{preferHeader: "wait=5"}))
	if got.status != http.StatusAccepted || took < time.Second {
		t.Fatalf("%d after %s, want 202 after the 1 s wait: %s", got.status, took, got.body)
	}
	var body acceptedOrder
	got.decode(t, &body)
	if got.header.Get("Location") != "/orders/"+body.OrderID || got.header.Get(preferenceAppliedHeader) != "wait=1" {
		t.Errorf("Location %q, Preference-Applied %q", got.header.Get("Location"), got.header.Get(preferenceAppliedHeader))
	}
	if len(e.sender.commands()) != 1 {
		t.Errorf("sent %d commands, want 1", len(e.sender.commands()))
	}
}

func TestPlaceOrderWaitForAnOrderAlreadyDecided(t *testing.T) {
	e := newEnv(t)
	key := "retried-" + uuid.NewString()
	id, err := orderIDFor(http.Header{"Idempotency-Key": {key}})
	if err != nil {
		t.Fatal(err)
	}
	seedOrder(t, e, placedView(confirmedView(id)))
	got, took := e.timedDo(placeOrderReq(map[string]string{preferHeader: "wait=30", "Idempotency-Key": key}))
	if got.status != http.StatusCreated || took >= 30*time.Second {
		t.Fatalf("%d after %s, want 201 at once: %s", got.status, took, got.body)
	}
	if len(e.changes.subscribed) != 0 {
		t.Error("waited although the outcome was known")
	}
	if len(e.sender.commands()) != 1 {
		t.Error("the retried PlaceOrder was not sent again (handlers make it a no-op)")
	}
}

func TestPlaceOrderWaitNeverWaitsWhenTheBrokerRefuses(t *testing.T) {
	e := newEnv(t)
	e.sender.setFail(true)
	got, took := e.timedDo(placeOrderReq(map[string]string{preferHeader: "wait=30"}))
	checkProblem(t, got, http.StatusServiceUnavailable, "")
	if took >= 30*time.Second || len(e.changes.subscribed) != 0 {
		t.Errorf("waited %s for an order that was never sent", took)
	}
}

func TestPlaceOrderWithoutPreferDoesNotWait(t *testing.T) {
	e := newEnv(t)
	got := e.do(placeOrderReq(nil))
	if got.status != http.StatusAccepted || got.header.Get(preferenceAppliedHeader) != "" {
		t.Fatalf("%d, Preference-Applied %q; want a plain 202", got.status, got.header.Get(preferenceAppliedHeader))
	}
	if len(e.changes.subscribed) != 0 {
		t.Error("waited without being asked to")
	}
}

// TestPlaceOrderWaitWithAKeyOfAnotherOrder: a reused Idempotency-Key names an order placed
// with other contents; the new placement is refused, and the answer says so instead of
// showing that other order as this request's outcome.
func TestPlaceOrderWaitWithAKeyOfAnotherOrder(t *testing.T) {
	e := newEnv(t)
	key := "reused-" + uuid.NewString()
	id, err := orderIDFor(http.Header{"Idempotency-Key": {key}})
	if err != nil {
		t.Fatal(err)
	}
	seedOrder(t, e, confirmedView(id)) // customer "c", one item: not validOrder
	got := e.do(placeOrderReq(map[string]string{preferHeader: "wait=30", "Idempotency-Key": key}))
	checkProblem(t, got, http.StatusConflict, "")
}

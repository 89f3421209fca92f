package service_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/example/orders-service/service"
)

func TestPlacedOrderIsConfirmedAndItsMessagesAreKeyedAndCorrelated(t *testing.T) {
	forEachMode(t, func(t *testing.T, mode map[string]string) {
		h := startService(t, mode, service.Options{})
		h.setStock("sku-a", 10)
		h.setStock("sku-b", 5)

		a := h.placeOrder(map[string]string{"X-Correlation-ID": "test-corr-1"}, "cust-1", item{"sku-a", 3}, item{"sku-b", 1})
		if a.CorrelationID != "test-corr-1" {
			t.Fatalf("correlation ID in 202 body = %q, want the request's", a.CorrelationID)
		}
		v := h.waitOrderStatus(a.OrderID, "confirmed")
		if v.CustomerID != "cust-1" || len(v.Items) != 2 {
			t.Fatalf("order view = %+v", v)
		}
		h.waitStock("sku-a", 7, 3)
		h.waitStock("sku-b", 4, 1)

		topics := h.svc.Topics()
		c := kafkaClient(t, h.svc.Brokers(), topics.Events("orders"), topics.Commands("orders"), topics.Commands("stock"), topics.Events("stock"))
		saga := []struct{ topic, typ string }{
			{"orders.commands", "orders.PlaceOrder.v1"},
			{"orders.events", "orders.OrderPlaced.v1"},
			{"stock.commands", "stock.ReserveStock.v1"},
			{"stock.events", "stock.StockReserved.v1"},
			{"orders.commands", "orders.ConfirmOrder.v1"},
			{"orders.events", "orders.OrderConfirmed.v1"},
		}
		// Fetches return partitions in no particular order: wait until every step is seen.
		recs := recordsUntil(t, c, 20*time.Second, "the order's saga on Kafka", func(rs []*kgo.Record) bool {
			for _, step := range saga {
				if len(ofType(rs, step.typ, a.OrderID)) == 0 {
					return false
				}
			}
			return true
		})
		for _, want := range saga {
			got := ofType(recs, want.typ, a.OrderID)
			if len(got) != 1 {
				t.Fatalf("%s keyed by the order ID: %d records, want 1; saw %s", want.typ, len(got), describe(recs))
			}
			r := got[0]
			if r.Topic != want.topic {
				t.Errorf("%s on topic %s, want %s", want.typ, r.Topic, want.topic)
			}
			if corr := header(r, "correlation_id"); corr != "test-corr-1" {
				t.Errorf("%s correlation_id header = %q, want the HTTP request's", want.typ, corr)
			}
			if header(r, "_watermill_message_uuid") == "" {
				t.Errorf("%s has no message UUID header", want.typ)
			}
			if want.typ != "orders.PlaceOrder.v1" && header(r, "causation_id") == "" {
				t.Errorf("%s has no causation_id header", want.typ)
			}
		}
		// Each message names the one that caused it.
		placed := ofType(recs, "orders.OrderPlaced.v1", a.OrderID)[0]
		place := ofType(recs, "orders.PlaceOrder.v1", a.OrderID)[0]
		if header(placed, "causation_id") != header(place, "_watermill_message_uuid") {
			t.Errorf("OrderPlaced causation_id = %q, want PlaceOrder's UUID %q", header(placed, "causation_id"), header(place, "_watermill_message_uuid"))
		}
	})
}

func TestOrderWithoutEnoughStockIsRejectedAndStockUnchanged(t *testing.T) {
	forEachMode(t, func(t *testing.T, mode map[string]string) {
		h := startService(t, mode, service.Options{})
		h.setStock("sku-low", 1)
		h.setStock("sku-ok", 10)

		a := h.placeOrder(nil, "cust-2", item{"sku-ok", 2}, item{"sku-low", 2})
		v := h.waitOrderStatus(a.OrderID, "rejected")
		if !strings.Contains(v.Reason, "insufficient stock") || !strings.Contains(v.Reason, "sku-low") {
			t.Fatalf("rejection reason = %q, want it to name the short SKU", v.Reason)
		}
		h.waitStock("sku-low", 1, 0)
		h.waitStock("sku-ok", 10, 0) // all or nothing: the SKU that had enough is untouched too
	})
}

func TestPlaceThenCancelAtOnceEndsCancelledWithStockReleased(t *testing.T) {
	forEachMode(t, func(t *testing.T, mode map[string]string) {
		h := startService(t, mode, service.Options{})
		h.setStock("sku-c", 5)

		const n = 10
		ids := make([]string, n)
		for i := range ids {
			a := h.placeOrder(nil, "cust-3", item{"sku-c", 1})
			code, body := h.do("POST", "/orders/"+a.OrderID+"/cancel", `{"reason":"changed my mind"}`, nil)
			if code != http.StatusAccepted {
				t.Fatalf("cancel: %d %s", code, body)
			}
			ids[i] = a.OrderID
		}
		for _, id := range ids {
			v := h.waitOrderStatus(id, "cancelled")
			if v.Reason != "changed my mind" {
				t.Errorf("order %s reason = %q", id, v.Reason)
			}
		}
		h.waitStock("sku-c", 5, 0)

		c := kafkaClient(t, h.svc.Brokers(), h.svc.Topics().Events("stock"))
		recordsUntil(t, c, 20*time.Second, "a release per order", func(rs []*kgo.Record) bool {
			return len(ofType(rs, "stock.StockReleased.v1", "")) >= n
		})
		if got := h.logs.countLogs("handling failed"); got != 0 {
			t.Errorf("%d handler attempts failed; place-then-cancel must need no retry", got)
		}
		if got := h.logs.countLogs("message sent to the poison topic"); got != 0 {
			t.Errorf("%d messages poisoned", got)
		}
	})
}

func TestTwoHundredOrdersRacingForOneHundredUnits(t *testing.T) {
	forEachMode(t, func(t *testing.T, mode map[string]string) {
		h := startService(t, withEnv(mode, map[string]string{"KAFKA_PARTITIONS": "8"}), service.Options{})
		h.setStock("sku-hot", 100)

		const orders = 200
		ids := make(chan string, orders)
		var wg sync.WaitGroup
		for i := 0; i < orders; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				code, body := h.do("POST", "/orders", orderBody("racer", item{"sku-hot", 1}), nil)
				if code != http.StatusAccepted {
					t.Errorf("POST /orders: %d %s", code, body)
					return
				}
				ids <- decodeAccepted(t, body).OrderID
			}()
		}
		wg.Wait()
		close(ids)

		counts := map[string]int{}
		for id := range ids {
			var v orderView
			h.eventually(60*time.Second, "order "+id+" final", func() (bool, string) {
				var ok bool
				v, ok = h.getOrder(id)
				return ok && (v.Status == "confirmed" || v.Status == "rejected"), v.Status
			})
			counts[v.Status]++
		}
		if counts["confirmed"] != 100 || counts["rejected"] != 100 {
			t.Fatalf("outcomes = %v, want exactly 100 confirmed and 100 rejected", counts)
		}
		h.waitStock("sku-hot", 0, 100)
	})
}

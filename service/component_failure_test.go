package service_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/example/orders-service/domain/order"
	"github.com/example/orders-service/service"
)

func TestIdempotencyKeyAndRedeliveredMessagesChangeNothing(t *testing.T) {
	forEachMode(t, func(t *testing.T, mode map[string]string) {
		h := startService(t, mode, service.Options{})
		h.setStock("sku-i", 10)

		key := map[string]string{"Idempotency-Key": "checkout-42"}
		first := h.placeOrder(key, "cust-i", item{"sku-i", 2})
		second := h.placeOrder(key, "cust-i", item{"sku-i", 2})
		if first.OrderID != second.OrderID {
			t.Fatalf("same Idempotency-Key gave orders %s and %s", first.OrderID, second.OrderID)
		}
		id := first.OrderID
		h.waitOrderStatus(id, "confirmed")
		h.waitStock("sku-i", 8, 2)

		topics := h.svc.Topics()
		c := kafkaClient(t, h.svc.Brokers(), topics.Commands("orders"), topics.Events("orders"), topics.Commands("stock"), topics.Events("stock"))
		recs := recordsUntil(t, c, 20*time.Second, "the saga", func(rs []*kgo.Record) bool {
			return len(ofType(rs, "orders.OrderConfirmed.v1", id)) >= 1 && len(ofType(rs, "orders.PlaceOrder.v1", id)) == 2 &&
				len(ofType(rs, "stock.ReserveStock.v1", id)) >= 1 && len(ofType(rs, "orders.OrderPlaced.v1", id)) >= 1
		})
		// The second PlaceOrder may arrive while the order is still pending and re-announce
		// OrderPlaced (harmless downstream); it never places a second order, which the stock
		// and listing checks below prove.

		// Deliver ReserveStock, PlaceOrder and OrderPlaced again, byte for byte with their
		// headers, as a consumer that crashed before committing would see them. Only the message
		// UUID differs, so the test can follow what each copy caused, and so the PostgreSQL
		// mode's inbox (which drops a repeated UUID) cannot hide a handler that is not
		// idempotent itself: the handlers must absorb the copy on their own.
		producer, err := kgo.NewClient(kgo.SeedBrokers(h.svc.Brokers()...))
		if err != nil {
			t.Fatal(err)
		}
		defer producer.Close()
		for _, typ := range []string{"stock.ReserveStock.v1", "orders.PlaceOrder.v1", "orders.OrderPlaced.v1"} {
			orig := ofType(recs, typ, id)[0]
			dup := &kgo.Record{Topic: orig.Topic, Key: orig.Key, Value: orig.Value}
			for _, hd := range orig.Headers {
				if hd.Key == "_watermill_message_uuid" {
					hd.Value = []byte("dup-" + typ)
				}
				dup.Headers = append(dup.Headers, hd)
			}
			if err := producer.ProduceSync(context.Background(), dup).FirstErr(); err != nil {
				t.Fatal(err)
			}
		}
		// The copied ReserveStock re-announces the held reservation; the copied OrderPlaced sends
		// a ReserveStock that does the same. Seeing both means both copies were handled.
		seen := recs
		recordsUntil(t, c, 20*time.Second, "the effects of the copies", func(rs []*kgo.Record) bool {
			all := append(seen, rs...)
			var fromPlaced string
			for _, r := range ofType(all, "stock.ReserveStock.v1", id) {
				if header(r, "causation_id") == "dup-orders.OrderPlaced.v1" {
					fromPlaced = header(r, "_watermill_message_uuid")
				}
			}
			var direct, indirect bool
			for _, r := range ofType(all, "stock.StockReserved.v1", id) {
				direct = direct || header(r, "causation_id") == "dup-stock.ReserveStock.v1"
				indirect = indirect || (fromPlaced != "" && header(r, "causation_id") == fromPlaced)
			}
			return direct && indirect
		})
		// Ship, keyed like the duplicates, so it is handled after them on the same partition.
		if code, body := h.do("POST", "/orders/"+id+"/ship", "", nil); code != http.StatusAccepted {
			t.Fatalf("ship: %d %s", code, body)
		}
		h.waitOrderStatus(id, "shipped")
		// Reserved once, then shipped once: 2 units left with the order, 8 remain.
		h.waitStock("sku-i", 8, 0)
		if l := h.stock("sku-i"); l.OnHand != 8 {
			t.Fatalf("on hand after shipping = %d, want 8", l.OnHand)
		}
		code, body := h.do("GET", "/orders?limit=500", "", nil)
		var list struct{ Orders []orderView }
		if err := json.Unmarshal([]byte(body), &list); code != http.StatusOK || err != nil {
			t.Fatalf("GET /orders: %d %s", code, body)
		}
		if len(list.Orders) != 1 || list.Orders[0].ID != id || len(list.Orders[0].Refused) != 0 {
			t.Fatalf("GET /orders = %+v, want the one order, with no refused commands", list.Orders)
		}
	})
}

func TestMalformedAndUnknownMessagesArePoisonedAtOnceAndTheFlowContinues(t *testing.T) {
	forEachMode(t, func(t *testing.T, mode map[string]string) {
		// One partition: the bad records sit in front of the good order on the same partition.
		h := startService(t, withEnv(mode, map[string]string{"KAFKA_PARTITIONS": "1"}), service.Options{})
		topics := h.svc.Topics()

		producer, err := kgo.NewClient(kgo.SeedBrokers(h.svc.Brokers()...))
		if err != nil {
			t.Fatal(err)
		}
		defer producer.Close()
		bad := []*kgo.Record{
			{Topic: topics.Commands("orders"), Key: []byte("bad-json"), Value: []byte("{not json"), Headers: []kgo.RecordHeader{
				{Key: "type", Value: []byte("orders.PlaceOrder.v1")}, {Key: "correlation_id", Value: []byte("corr-bad-json")},
				{Key: "_watermill_message_uuid", Value: []byte("uuid-bad-json")},
			}},
			{Topic: topics.Commands("orders"), Key: []byte("bad-type"), Value: []byte(`{"order_id":"x"}`), Headers: []kgo.RecordHeader{
				{Key: "type", Value: []byte("orders.LaunchRocket.v1")}, {Key: "correlation_id", Value: []byte("corr-bad-type")},
				{Key: "_watermill_message_uuid", Value: []byte("uuid-bad-type")},
			}},
		}
		if err := producer.ProduceSync(context.Background(), bad...).FirstErr(); err != nil {
			t.Fatal(err)
		}

		h.setStock("sku-p", 3)
		a := h.placeOrder(nil, "cust-p", item{"sku-p", 1})
		h.waitOrderStatus(a.OrderID, "confirmed")

		c := kafkaClient(t, h.svc.Brokers(), topics.Poison())
		poisoned := recordsUntil(t, c, 20*time.Second, "two poisoned records", func(rs []*kgo.Record) bool { return len(rs) >= 2 })
		if len(poisoned) != 2 {
			t.Fatalf("%d poisoned records, want 2: %s", len(poisoned), describe(poisoned))
		}
		for _, r := range poisoned {
			key := string(r.Key)
			wantReason := map[string]string{"bad-json": "decoding orders.PlaceOrder.v1", "bad-type": "unknown message type"}[key]
			if wantReason == "" {
				t.Fatalf("poisoned record with unexpected key %q", key)
			}
			checks := map[string]string{
				"topic_poisoned":      topics.Commands("orders"),
				"handler_poisoned":    "order-commands",
				"subscriber_poisoned": "kafka.Subscriber",
				"attempts_poisoned":   "1", // permanent errors are not retried
				"partition_poisoned":  "0",
				"correlation_id":      "corr-" + key,
				"type":                header(r, "type"),
			}
			for k, want := range checks {
				if got := header(r, k); got != want {
					t.Errorf("poisoned %s: header %s = %q, want %q", key, k, got, want)
				}
			}
			if reason := header(r, "reason_poisoned"); !strings.Contains(reason, wantReason) {
				t.Errorf("poisoned %s: reason_poisoned = %q, want it to contain %q", key, reason, wantReason)
			}
			if _, err := strconv.ParseInt(header(r, "offset_poisoned"), 10, 64); err != nil {
				t.Errorf("poisoned %s: offset_poisoned = %q", key, header(r, "offset_poisoned"))
			}
			if header(r, "poisoned_at") == "" || header(r, "_watermill_message_uuid") != "uuid-"+key {
				t.Errorf("poisoned %s: missing poisoned_at or original message UUID", key)
			}
		}
		if got := h.logs.countLogs("handling failed"); got != 2 {
			t.Errorf("%d failed attempts logged, want 2 (one per bad message, no retries)", got)
		}
	})
}

// flakyOrders fails the first Update calls, then behaves; and panics for one customer.
type flakyOrders struct {
	order.Repository
	failuresLeft  atomic.Int32
	panicCustomer string
}

var errInjected = errors.New("injected failure")

func (f *flakyOrders) Update(ctx context.Context, id string, update func(*order.Order) (*order.Order, error)) error {
	if f.failuresLeft.Add(-1) >= 0 {
		return errInjected
	}
	return f.Repository.Update(ctx, id, func(current *order.Order) (*order.Order, error) {
		o, err := update(current)
		if o != nil && o.CustomerID() == f.panicCustomer {
			panic(fmt.Sprintf("injected panic for %s", o.ID()))
		}
		return o, err
	})
}

func TestFailingHandlerIsRetriedAndAPanickingOneIsPoisoned(t *testing.T) {
	forEachMode(t, func(t *testing.T, mode map[string]string) {
		wrap := func(r order.Repository) order.Repository {
			orders := &flakyOrders{Repository: r, panicCustomer: "cust-panic"}
			orders.failuresLeft.Store(3)
			return orders
		}
		h := startService(t, withEnv(mode, map[string]string{"RETRY_MAX_RETRIES": "4"}), service.Options{WrapOrders: wrap})
		h.setStock("sku-r", 10)

		a := h.placeOrder(nil, "cust-r", item{"sku-r", 1})
		h.waitOrderStatus(a.OrderID, "confirmed")
		h.waitStock("sku-r", 9, 1)
		if got := h.logs.countLogs("handling failed"); got != 3 {
			t.Errorf("%d failed attempts logged, want the 3 injected", got)
		}

		p := h.placeOrder(nil, "cust-panic", item{"sku-r", 1})
		c := kafkaClient(t, h.svc.Brokers(), h.svc.Topics().Poison())
		poisoned := recordsUntil(t, c, 20*time.Second, "the panicking message on the poison topic", func(rs []*kgo.Record) bool { return len(rs) >= 1 })
		r := poisoned[0]
		if string(r.Key) != p.OrderID || header(r, "type") != "orders.PlaceOrder.v1" {
			t.Fatalf("poisoned record key=%s type=%s, want the panicking PlaceOrder", r.Key, header(r, "type"))
		}
		if got := header(r, "attempts_poisoned"); got != "5" {
			t.Errorf("attempts_poisoned = %s, want 5 (1 + 4 retries)", got)
		}
		if reason := header(r, "reason_poisoned"); !strings.Contains(reason, "injected panic") {
			t.Errorf("reason_poisoned = %q, want the panic", reason)
		}
		if _, found := h.getOrder(p.OrderID); found {
			t.Errorf("the panicking order was stored")
		}

		// The process lives and the partition flows: the next order completes.
		after := h.placeOrder(nil, "cust-r", item{"sku-r", 1})
		h.waitOrderStatus(after.OrderID, "confirmed")
		// Only the first order was retried; it was confirmed once.
		if l := h.stock("sku-r"); l.Reserved != 2 {
			t.Errorf("reserved = %d, want 2", l.Reserved)
		}
	})
}

func TestBadHTTPInputIsAProblemAndPublishesNothing(t *testing.T) {
	forEachMode(t, func(t *testing.T, mode map[string]string) {
		h := startService(t, mode, service.Options{})
		big := `{"customer_id":"c","items":[{"sku":"` + strings.Repeat("x", 1<<20) + `","quantity":1}]}`
		cases := []struct {
			name, method, path, body string
			want                     int
		}{
			{"malformed JSON", "POST", "/orders", `{"customer_id":`, 400},
			{"wrong type", "POST", "/orders", `{"customer_id":"c","items":[{"sku":"a","quantity":"2"}]}`, 400},
			{"unknown field", "POST", "/orders", `{"customer_id":"c","items":[{"sku":"a","quantity":2}],"coupon":"x"}`, 400},
			{"missing items", "POST", "/orders", `{"customer_id":"c"}`, 422},
			{"quantity out of range", "POST", "/orders", `{"customer_id":"c","items":[{"sku":"a","quantity":1001}]}`, 422},
			{"body over 1 MiB", "POST", "/orders", big, 413},
			{"cancel bad id", "POST", "/orders/not-a-uuid/cancel", `{}`, 404},
			{"negative stock", "PUT", "/stock/a", `{"quantity":-1}`, 422},
			{"stock wrong type", "PUT", "/stock/a", `{"quantity":1.5}`, 400},
			{"unknown route", "GET", "/nope", "", 404},
		}
		for _, tc := range cases {
			code, body, hdr := h.doFull(tc.method, tc.path, tc.body, nil)
			if code != tc.want {
				t.Errorf("%s: status %d, want %d: %s", tc.name, code, tc.want, body)
				continue
			}
			if ct := hdr.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("%s: Content-Type %q, want application/problem+json", tc.name, ct)
			}
			if !strings.Contains(body, `"detail":"`) || hdr.Get("X-Correlation-ID") == "" {
				t.Errorf("%s: problem without detail or correlation ID: %s", tc.name, body)
			}
		}

		// Nothing was published: the first command on each command topic is the marker sent now.
		h.placeOrder(map[string]string{"X-Correlation-ID": "marker"}, "cust-marker", item{"sku-m", 1})
		topics := h.svc.Topics()
		c := kafkaClient(t, h.svc.Brokers(), topics.Commands("orders"), topics.Commands("stock"))
		recs := recordsUntil(t, c, 20*time.Second, "the marker command", func(rs []*kgo.Record) bool {
			for _, r := range rs {
				if header(r, "correlation_id") == "marker" && r.Topic == topics.Commands("orders") {
					return true
				}
			}
			return false
		})
		for _, r := range recs {
			if header(r, "correlation_id") != "marker" && !strings.HasPrefix(header(r, "type"), "stock.ReserveStock") {
				t.Errorf("a rejected request published %s on %s", header(r, "type"), r.Topic)
			}
		}
	})
}

package service_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/example/orders-service/adapters/kafka"
	"github.com/example/orders-service/service"
)

func TestPostgresModeRunsTheSaga(t *testing.T) {
	t.Parallel()
	h := startService(t, map[string]string{"DATABASE_URL": databaseURL(t)}, service.Options{})
	h.setStock("pg-a", 10)
	h.setStock("pg-low", 1)

	ok := h.placeOrder(map[string]string{"X-Correlation-ID": "pg-corr"}, "cust", item{"pg-a", 3})
	short := h.placeOrder(nil, "cust", item{"pg-a", 1}, item{"pg-low", 2})
	h.waitOrderStatus(ok.OrderID, "confirmed")
	h.waitOrderStatus(short.OrderID, "rejected")
	h.waitStock("pg-a", 7, 3)
	h.waitStock("pg-low", 1, 0)

	cancelled := h.placeOrder(nil, "cust", item{"pg-a", 2})
	if code, body := h.do("POST", "/orders/"+cancelled.OrderID+"/cancel", `{"reason":"no"}`, nil); code != http.StatusAccepted {
		t.Fatalf("cancel: %d %s", code, body)
	}
	h.waitOrderStatus(cancelled.OrderID, "cancelled")
	h.waitStock("pg-a", 7, 3)

	// Events relayed from the outbox keep their key and headers.
	c := kafkaClient(t, h.svc.Brokers(), h.svc.Topics().Events("orders"))
	recs := recordsUntil(t, c, 20*time.Second, "the relayed OrderConfirmed", func(rs []*kgo.Record) bool {
		return len(ofType(rs, "orders.OrderConfirmed.v1", ok.OrderID)) == 1
	})
	r := ofType(recs, "orders.OrderConfirmed.v1", ok.OrderID)[0]
	if header(r, "correlation_id") != "pg-corr" || header(r, "causation_id") == "" || header(r, "_watermill_message_uuid") == "" {
		t.Errorf("relayed event lost headers: %v", r.Headers)
	}
}

func TestPostgresModeHandlesARedeliveredMessageOnce(t *testing.T) {
	t.Parallel()
	dbURL := databaseURL(t)
	h := startService(t, map[string]string{"DATABASE_URL": dbURL}, service.Options{})
	h.setStock("pg-r", 10)
	a := h.placeOrder(nil, "cust", item{"pg-r", 2})
	h.waitOrderStatus(a.OrderID, "confirmed")

	topics := h.svc.Topics()
	c := kafkaClient(t, h.svc.Brokers(), topics.Commands("stock"), topics.Events("stock"))
	recs := recordsUntil(t, c, 20*time.Second, "the reservation", func(rs []*kgo.Record) bool {
		return len(ofType(rs, "stock.StockReserved.v1", a.OrderID)) == 1 && len(ofType(rs, "stock.ReserveStock.v1", a.OrderID)) == 1
	})
	// The very same ReserveStock again, UUID included: a redelivery.
	orig := ofType(recs, "stock.ReserveStock.v1", a.OrderID)[0]
	producer, err := kgo.NewClient(kgo.SeedBrokers(h.svc.Brokers()...))
	if err != nil {
		t.Fatal(err)
	}
	defer producer.Close()
	dup := &kgo.Record{Topic: orig.Topic, Key: orig.Key, Value: orig.Value, Headers: orig.Headers}
	if err := producer.ProduceSync(context.Background(), dup).FirstErr(); err != nil {
		t.Fatal(err)
	}
	// A marker behind it on the same partition (same key): once the marker's effect is
	// visible, the duplicate was handled.
	if code, body := h.do("POST", "/orders/"+a.OrderID+"/cancel", "", nil); code != http.StatusAccepted {
		t.Fatalf("cancel: %d %s", code, body)
	}
	more := recordsUntil(t, c, 20*time.Second, "the release", func(rs []*kgo.Record) bool {
		return len(ofType(rs, "stock.StockReleased.v1", a.OrderID)) == 1
	})
	if n := len(ofType(append(recs, more...), "stock.StockReserved.v1", a.OrderID)); n != 1 {
		t.Fatalf("%d StockReserved after a redelivered ReserveStock; the inbox must make it a no-op", n)
	}
	h.waitStock("pg-r", 10, 0)
}

// TestPostgresModeStoppedMidLoadLosesAndDoublesNothing stops the service while orders flow,
// gracefully (SIGTERM: exit 0 within SHUTDOWN_TIMEOUT) or not at all (SIGKILL), restarts it
// on the same database and broker, and checks that every order answered 202 reaches a final
// state exactly once.
func TestPostgresModeStoppedMidLoadLosesAndDoublesNothing(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			stopMidLoadAndRestart(t, sig)
		})
	}
}

func stopMidLoadAndRestart(t *testing.T, sig syscall.Signal) {
	dbURL := databaseURL(t)
	broker, err := kafka.StartEmbedded("127.0.0.1:0", 4, "")
	if err != nil {
		t.Fatal(err)
	}
	defer broker.Close()
	env := map[string]string{"DATABASE_URL": dbURL, "KAFKA_BROKERS": broker.Addr(), "LOG_LEVEL": "info", "SHUTDOWN_TIMEOUT": "5s"}

	first := startChild(t, env)
	base := first.base(t)
	h := &harness{t: t, base: base, http: &http.Client{Timeout: 10 * time.Second}}
	h.setStock("pg-kill", 10000)

	var stopped sync.Once
	var signalled time.Time
	ids := placeOrders(t, base, 300, 8, "pg-kill", func(i int) {
		if i == 150 {
			stopped.Do(func() {
				signalled = time.Now()
				if err := first.cmd.Process.Signal(sig); err != nil {
					t.Errorf("%v: %v", sig, err)
				}
			})
		}
	})
	exit := <-first.done
	first.done <- exit
	if sig == syscall.SIGTERM {
		if exit != nil {
			t.Fatalf("exit after SIGTERM: %v, want 0", exit)
		}
		if took := time.Since(signalled); took > 7*time.Second {
			t.Errorf("took %s to stop, SHUTDOWN_TIMEOUT is 5s", took)
		}
	}
	if len(ids) < 100 {
		t.Fatalf("only %d orders accepted before the kill", len(ids))
	}

	h.base = startChild(t, env).base(t)
	for _, id := range ids {
		if !h.reaches(id, "confirmed", 60*time.Second) {
			v, _ := h.getOrder(id)
			t.Fatalf("order %s accepted before %v is %q after restart", id, sig, v.Status)
		}
	}
	// None twice: once every stored order is confirmed, the stock holds exactly one unit per
	// order. Orders whose command reached Kafka but whose 202 was lost to the kill count too.
	var stored int
	eventually(t, 60*time.Second, "every stored order confirmed, one unit each", func() (bool, string) {
		total, confirmed := orderCounts(t, dbURL)
		l := h.stock("pg-kill")
		stored = total
		return total == confirmed && l.Reserved == total && l.Available == 10000-total,
			fmt.Sprintf("%d orders, %d confirmed, stock %+v", total, confirmed, l)
	})
	t.Logf("%d orders accepted before %v; all confirmed after restart; %d orders stored", len(ids), sig, stored)
}

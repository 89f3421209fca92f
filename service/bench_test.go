package service_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/example/orders-service/service"
)

// finalWatcher follows orders.events with an independent Kafka client and tells waiters
// when an order's saga ended (OrderConfirmed or OrderRejected), in either mode, without
// polling the API.
type finalWatcher struct {
	mu      sync.Mutex
	waiting map[string]chan struct{}
}

func watchFinal(b *testing.B, brokers []string, topic string) *finalWatcher {
	w := &finalWatcher{waiting: map[string]chan struct{}{}}
	// From the start: the topic holds no order before the benchmark's. A client told to
	// start at the end learns where the end is only on its first fetch, which may come
	// after the first orders' events were written: it missed them, and their orders were
	// reported as never final.
	c, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(50*time.Millisecond))
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	b.Cleanup(func() { cancel(); <-done; c.Close() })
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			c.PollFetches(ctx).EachRecord(func(r *kgo.Record) {
				if t := header(r, "type"); t == "orders.OrderConfirmed.v1" || t == "orders.OrderRejected.v1" {
					w.signal(string(r.Key))
				}
			})
		}
	}()
	return w
}

func (w *finalWatcher) channel(id string) chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	ch, ok := w.waiting[id]
	if !ok {
		ch = make(chan struct{})
		w.waiting[id] = ch
	}
	return ch
}

func (w *finalWatcher) signal(id string) {
	ch := w.channel(id)
	w.mu.Lock()
	defer w.mu.Unlock()
	select {
	case <-ch:
	default:
		close(ch)
	}
}

func benchService(b *testing.B, mode map[string]string, opts service.Options) *harness {
	b.Helper()
	settings := withEnv(mode, map[string]string{"LOG_LEVEL": "error", "KAFKA_PARTITIONS": "8"})
	// BENCH_ENV="KAFKA_PRODUCERS=1 KAFKA_PARTITIONS=16" tries other settings.
	for _, kv := range strings.Fields(os.Getenv("BENCH_ENV")) {
		if k, v, ok := strings.Cut(kv, "="); ok {
			settings[k] = v
		}
	}
	cfg, err := service.ConfigFromMap(testEnv(settings))
	if err != nil {
		b.Fatal(err)
	}
	opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithCancel(context.Background())
	svc, err := service.New(ctx, cfg, opts)
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx) }()
	b.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			b.Errorf("shutdown: %v", err)
		}
	})
	h := &harness{svc: svc, base: "http://" + svc.HTTPAddr(),
		http: &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 256}}}
	eventually(b, 20*time.Second, "ready", func() (bool, string) {
		resp, err := h.http.Get(h.base + "/readyz")
		if err != nil {
			return false, err.Error()
		}
		resp.Body.Close()
		return resp.StatusCode == 200, resp.Status
	})
	for i := range benchSKUs {
		sku := fmt.Sprintf("bench-sku-%d", i)
		put, _ := http.NewRequest("PUT", h.base+"/stock/"+sku, strings.NewReader(`{"quantity": 1000000000}`))
		put.Header.Set("Content-Type", "application/json")
		if resp, err := h.http.Do(put); err != nil || resp.StatusCode != http.StatusAccepted {
			b.Fatalf("setting stock: %v", err)
		}
		eventually(b, 20*time.Second, "stock set", func() (bool, string) {
			resp, err := h.http.Get(h.base + "/stock/" + sku)
			if err != nil {
				return false, err.Error()
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			return strings.Contains(string(body), `"available":1000000000`), string(body)
		})
	}
	return h
}

type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d time.Duration) { l.mu.Lock(); l.d = append(l.d, d); l.mu.Unlock() }

func (l *latencies) report(b *testing.B, prefix string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.d) == 0 {
		return
	}
	slices.Sort(l.d)
	at := func(q float64) float64 {
		return float64(l.d[min(len(l.d)-1, int(q*float64(len(l.d))))].Microseconds()) / 1000
	}
	b.ReportMetric(at(0.50), prefix+"-p50-ms")
	b.ReportMetric(at(0.99), prefix+"-p99-ms")
}

func reportCPU(b *testing.B, since time.Duration) {
	if since < 0 {
		return // not measurable on this platform
	}
	b.ReportMetric(float64((processCPU(b)-since).Microseconds())/1000/float64(b.N), "cpu-ms/order")
}

// benchSKUs spreads orders over SKUs as a shop would: with one SKU every reservation in the
// PostgreSQL mode would queue for the same row lock.
const benchSKUs = 100

var benchOrderSeq atomic.Int64

func postOrder(b *testing.B, h *harness) string {
	sku := fmt.Sprintf("bench-sku-%d", benchOrderSeq.Add(1)%benchSKUs)
	resp, err := h.http.Post(h.base+"/orders", "application/json", strings.NewReader(orderBody("bench", item{sku, 1})))
	if err != nil {
		b.Error(err)
		return ""
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusAccepted {
		b.Errorf("POST /orders: %d %s", resp.StatusCode, body)
		return ""
	}
	return decodeAcceptedB(b, string(body))
}

// benchModes runs a benchmark in the in-memory mode and, with TEST_DATABASE_URL, in the
// PostgreSQL mode.
func benchModes(b *testing.B, bench func(b *testing.B, mode map[string]string)) {
	b.Run("memory", func(b *testing.B) { bench(b, map[string]string{}) })
	b.Run("postgres", func(b *testing.B) { bench(b, map[string]string{"DATABASE_URL": databaseURL(b)}) })
}

// BenchmarkPlaceOrderAccepted measures the command path: HTTP request -> validated ->
// PlaceOrder acknowledged by the broker -> 202, from 64 concurrent clients on 2 cores.
func BenchmarkPlaceOrderAccepted(b *testing.B) { benchModes(b, benchAccepted) }

func benchAccepted(b *testing.B, mode map[string]string) {
	h := benchService(b, mode, service.Options{})
	var lat latencies
	b.SetParallelism(32) // 32 x GOMAXPROCS client goroutines
	b.ResetTimer()
	start, cpu := time.Now(), processCPU(b)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			t0 := time.Now()
			postOrder(b, h)
			lat.add(time.Since(t0))
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "orders/s")
	reportCPU(b, cpu)
	lat.report(b, "accept")
}

// BenchmarkPlaceOrderToConfirmed measures end to end: POST /orders until OrderConfirmed is on
// Kafka (PlaceOrder, OrderPlaced, ReserveStock, StockReserved, ConfirmOrder,
// OrderConfirmed: six messages through Kafka), from 64 concurrent clients on 2 cores.
func BenchmarkPlaceOrderToConfirmed(b *testing.B) { benchModes(b, benchEndToEnd) }

func benchEndToEnd(b *testing.B, mode map[string]string) {
	h := benchService(b, mode, service.Options{})
	final := watchFinal(b, h.svc.Brokers(), h.svc.Topics().Events("orders"))
	var lat latencies
	b.SetParallelism(32)
	b.ResetTimer()
	start, cpu := time.Now(), processCPU(b)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			t0 := time.Now()
			id := postOrder(b, h)
			if id == "" {
				continue
			}
			select {
			case <-final.channel(id):
				lat.add(time.Since(t0))
			case <-time.After(30 * time.Second):
				b.Errorf("order %s not final after 30s", id)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "orders/s")
	reportCPU(b, cpu)
	lat.report(b, "e2e")
}

func decodeAcceptedB(b *testing.B, body string) string {
	const marker = `"order_id":"`
	i := strings.Index(body, marker)
	if i < 0 {
		b.Errorf("no order_id in %s", body)
		return ""
	}
	rest := body[i+len(marker):]
	return rest[:strings.IndexByte(rest, '"')]
}

package service_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/example/orders-service/service"
)

// harness runs the whole service in-process: an embedded broker on a free port, HTTP on a
// free port, and an independent franz-go client to look at Kafka.
type harness struct {
	t       *testing.T
	svc     *service.Service
	base    string
	http    *http.Client
	logs    *syncBuffer
	stop    context.CancelFunc
	stopped chan error
}

// testEnv is the configuration every component test starts from: free ports, quick retries.
func testEnv(overrides map[string]string) map[string]string {
	env := map[string]string{
		"HTTP_ADDR":              "127.0.0.1:0",
		"KAFKA_EMBEDDED_ADDR":    "127.0.0.1:0",
		"KAFKA_PARTITIONS":       "4",
		"LOG_LEVEL":              "debug",
		"LOG_FORMAT":             "json",
		"SHUTDOWN_TIMEOUT":       "10s",
		"HANDLER_TIMEOUT":        "5s",
		"RETRY_MAX_RETRIES":      "3",
		"RETRY_INITIAL_INTERVAL": "10ms",
		"RETRY_MAX_INTERVAL":     "50ms",
		"RETRY_MAX_ELAPSED_TIME": "5s",
	}
	for k, v := range overrides {
		env[k] = v
	}
	return env
}

func startService(t *testing.T, env map[string]string, opts service.Options) *harness {
	t.Helper()
	cfg, err := service.ConfigFromMap(testEnv(env))
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	ctx, cancel := context.WithCancel(context.Background())
	svc, err := service.New(ctx, cfg, opts)
	if err != nil {
		cancel()
		t.Fatalf("starting service: %v", err)
	}
	h := &harness{
		t: t, svc: svc, base: "http://" + svc.HTTPAddr(), logs: logs, stop: cancel,
		stopped: make(chan error, 1),
		http:    &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}},
	}
	go func() { h.stopped <- svc.Run(ctx) }()
	t.Cleanup(func() {
		if err := h.shutdown(); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if t.Failed() {
			t.Logf("service logs (tail):\n%s", tail(logs.String(), 6000))
			if dir := os.Getenv("ORDERS_TEST_LOG_DIR"); dir != "" {
				_ = os.WriteFile(filepath.Join(dir, strings.ReplaceAll(t.Name(), "/", "_")+".log"), []byte(logs.String()), 0o644)
			}
		}
	})
	h.eventually(20*time.Second, "service ready", func() (bool, string) {
		code, body := h.do("GET", "/readyz", "", nil)
		return code == http.StatusOK, body
	})
	return h
}

func (h *harness) shutdown() error {
	if h.stop == nil {
		return nil
	}
	h.stop()
	h.stop = nil
	select {
	case err := <-h.stopped:
		return err
	case <-time.After(30 * time.Second):
		return fmt.Errorf("service did not stop within 30s")
	}
}

// do sends a request and returns status and body.
func (h *harness) do(method, path, body string, header map[string]string) (int, string) {
	h.t.Helper()
	code, b, _ := h.doFull(method, path, body, header)
	return code, b
}

func (h *harness) doFull(method, path, body string, header map[string]string) (int, string, http.Header) {
	h.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, h.base+path, r)
	if err != nil {
		h.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := h.http.Do(req)
	if err != nil {
		return 0, err.Error(), nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

type accepted struct {
	OrderID       string `json:"order_id"`
	CorrelationID string `json:"correlation_id"`
}

func orderBody(customer string, items ...item) string {
	b, _ := json.Marshal(map[string]any{"customer_id": customer, "items": items})
	return string(b)
}

type item struct {
	SKU      string `json:"sku"`
	Quantity int    `json:"quantity"`
}

// placeOrder posts an order and fails the test unless it is accepted.
func (h *harness) placeOrder(header map[string]string, customer string, items ...item) accepted {
	h.t.Helper()
	code, body := h.do("POST", "/orders", orderBody(customer, items...), header)
	if code != http.StatusAccepted {
		h.t.Fatalf("POST /orders: %d %s", code, body)
	}
	var a accepted
	if err := json.Unmarshal([]byte(body), &a); err != nil {
		h.t.Fatal(err)
	}
	return a
}

func (h *harness) setStock(sku string, qty int) {
	h.t.Helper()
	code, body := h.do("PUT", "/stock/"+sku, fmt.Sprintf(`{"quantity": %d}`, qty), nil)
	if code != http.StatusAccepted {
		h.t.Fatalf("PUT /stock/%s: %d %s", sku, code, body)
	}
	h.waitStock(sku, qty, 0)
}

type orderView struct {
	ID         string `json:"id"`
	CustomerID string `json:"customer_id"`
	Items      []item `json:"items"`
	Status     string `json:"status"`
	Reason     string `json:"reason"`
	Refused    []struct {
		Command string `json:"command"`
		Reason  string `json:"reason"`
	} `json:"refused_commands"`
}

func (h *harness) getOrder(id string) (orderView, bool) {
	h.t.Helper()
	code, body := h.do("GET", "/orders/"+id, "", nil)
	if code == http.StatusNotFound {
		return orderView{}, false
	}
	if code != http.StatusOK {
		h.t.Fatalf("GET /orders/%s: %d %s", id, code, body)
	}
	var v orderView
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		h.t.Fatal(err)
	}
	return v, true
}

func (h *harness) waitOrderStatus(id, status string) orderView {
	h.t.Helper()
	var v orderView
	h.eventually(30*time.Second, "order "+id+" "+status, func() (bool, string) {
		var ok bool
		v, ok = h.getOrder(id)
		return ok && v.Status == status, fmt.Sprintf("%+v", v)
	})
	return v
}

// reaches reports whether the order gets the status within timeout.
func (h *harness) reaches(id, status string, timeout time.Duration) bool {
	h.t.Helper()
	deadline := time.Now().Add(timeout)
	for wait := 5 * time.Millisecond; ; wait = min(wait*2, 200*time.Millisecond) {
		if v, ok := h.getOrder(id); ok && v.Status == status {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(wait)
	}
}

// recordsWithKey reads every record of the topics, for a failure message.
func recordsWithKey(t *testing.T, brokers, topics []string, key string) []*kgo.Record {
	c := kafkaClient(t, brokers, topics...)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	var mine []*kgo.Record
	for ctx.Err() == nil {
		for _, r := range c.PollFetches(ctx).Records() {
			if string(r.Key) == key {
				mine = append(mine, r)
			}
		}
	}
	return mine
}

type stockLevel struct {
	SKU       string `json:"sku"`
	Available int    `json:"available"`
	Reserved  int    `json:"reserved"`
	OnHand    int    `json:"on_hand"`
}

func (h *harness) stock(sku string) stockLevel {
	h.t.Helper()
	code, body := h.do("GET", "/stock/"+sku, "", nil)
	if code != http.StatusOK {
		h.t.Fatalf("GET /stock/%s: %d %s", sku, code, body)
	}
	var l stockLevel
	if err := json.Unmarshal([]byte(body), &l); err != nil {
		h.t.Fatal(err)
	}
	return l
}

func (h *harness) waitStock(sku string, available, reserved int) {
	h.t.Helper()
	h.eventually(30*time.Second, "stock of "+sku, func() (bool, string) {
		l := h.stock(sku)
		return l.Available == available && l.Reserved == reserved, fmt.Sprintf("%+v, want available %d reserved %d", l, available, reserved)
	})
}

// eventually polls cond until it holds or the deadline passes; it never sleeps for a fixed
// time to let something happen, it only waits between checks.
func (h *harness) eventually(timeout time.Duration, what string, cond func() (bool, string)) {
	h.t.Helper()
	eventually(h.t, timeout, what, cond)
}

func eventually(t testing.TB, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	wait := 5 * time.Millisecond
	var last string
	for {
		ok, state := cond()
		if ok {
			return
		}
		last = state
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s; last state: %s", timeout, what, last)
		}
		time.Sleep(wait)
		wait = min(wait*2, 200*time.Millisecond)
	}
}

// kafkaClient is an independent franz-go client reading topics from the start.
func kafkaClient(t *testing.T, brokers []string, topics ...string) *kgo.Client {
	t.Helper()
	c, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(topics...),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// recordsUntil reads records until done says it has seen enough, or fails at the deadline.
func recordsUntil(t *testing.T, c *kgo.Client, timeout time.Duration, what string, done func([]*kgo.Record) bool) []*kgo.Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var recs []*kgo.Record
	for !done(recs) {
		fetches := c.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("timed out after %s waiting for %s; saw %d records: %s", timeout, what, len(recs), describe(recs))
		}
		fetches.EachError(func(topic string, p int32, err error) { t.Logf("fetch %s/%d: %v", topic, p, err) })
		recs = append(recs, fetches.Records()...)
	}
	return recs
}

func header(r *kgo.Record, key string) string {
	for _, h := range r.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}

func ofType(recs []*kgo.Record, typ, key string) []*kgo.Record {
	var out []*kgo.Record
	for _, r := range recs {
		if header(r, "type") == typ && (key == "" || string(r.Key) == key) {
			out = append(out, r)
		}
	}
	return out
}

func describe(recs []*kgo.Record) string {
	var b strings.Builder
	for i, r := range recs {
		if i == 30 {
			b.WriteString("...")
			break
		}
		fmt.Fprintf(&b, "\n  %s/%d@%d key=%s type=%s", r.Topic, r.Partition, r.Offset, r.Key, header(r, "type"))
	}
	return b.String()
}

// syncBuffer collects logs from many goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// countLogs counts JSON log lines whose msg is msg.
func (b *syncBuffer) countLogs(msg string) int {
	n := 0
	for _, line := range strings.Split(b.String(), "\n") {
		var rec struct {
			Msg string `json:"msg"`
		}
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == msg {
			n++
		}
	}
	return n
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}

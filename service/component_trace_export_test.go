package service_test

import (
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/example/orders-service/service"
)

// The batcher holds spans far longer than a test runs: only the shutdown's flush can
// deliver them.
const holdSpans = time.Hour

func TestGracefulShutdownFlushesTheGivenProvider(t *testing.T) {
	t.Parallel()
	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(spans, sdktrace.WithBatchTimeout(holdSpans)))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	h := startService(t, nil, service.Options{TracerProvider: tp})
	h.setStock("sku-f", 1)
	a := h.placeOrder(map[string]string{"traceparent": callerTraceparent}, "cust-f", item{"sku-f", 1})
	h.waitOrderStatus(a.OrderID, "confirmed")
	if n := len(spans.GetSpans()); n != 0 {
		t.Fatalf("%d spans exported before shutdown; the batcher was to hold them", n)
	}
	if err := h.shutdown(); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if got := len(spansOfTrace(spans, callerTraceID)); got < len(orderTrace) {
		t.Fatalf("%d spans of the order exported at shutdown, want at least %d", got, len(orderTrace))
	}
}

// otlpReceiver is an OTLP/HTTP trace endpoint that keeps what it is sent.
type otlpReceiver struct {
	mu    sync.Mutex
	spans map[string][]string // service.name -> span names
}

func (rcv *otlpReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body := io.Reader(r.Body)
	if r.Header.Get("Content-Encoding") == "gzip" {
		gz, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = gz
	}
	b, err := io.ReadAll(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	// An ExportTraceServiceRequest is, on the wire, a TracesData.
	var data tracepb.TracesData
	if r.URL.Path != "/v1/traces" || proto.Unmarshal(b, &data) != nil {
		http.Error(w, "not an OTLP trace export", http.StatusBadRequest)
		return
	}
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	for _, rs := range data.GetResourceSpans() {
		name := ""
		for _, kv := range rs.GetResource().GetAttributes() {
			if kv.GetKey() == "service.name" {
				name = kv.GetValue().GetStringValue()
			}
		}
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				rcv.spans[name] = append(rcv.spans[name], s.GetName())
			}
		}
	}
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.WriteHeader(http.StatusOK)
}

func (rcv *otlpReceiver) received() map[string][]string {
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	out := map[string][]string{}
	for k, v := range rcv.spans {
		out[k] = append([]string(nil), v...)
	}
	return out
}

// The standard variables turn export on, and the spans held by the batcher reach the
// collector when the service stops gracefully. Not parallel: it sets the environment.
func TestTracesAreExportedOverOTLPWhenTheEnvironmentAsks(t *testing.T) {
	rcv := &otlpReceiver{spans: map[string][]string{}}
	collector := httptest.NewServer(rcv)
	t.Cleanup(collector.Close)
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.URL)
	t.Setenv("OTEL_SERVICE_NAME", "orders-under-test")
	t.Setenv("OTEL_BSP_SCHEDULE_DELAY", strconv.FormatInt(holdSpans.Milliseconds(), 10))

	h := startService(t, nil, service.Options{})
	h.setStock("sku-o", 1)
	a := h.placeOrder(nil, "cust-o", item{"sku-o", 1})
	h.waitOrderStatus(a.OrderID, "confirmed")
	if got := rcv.received(); len(got) != 0 {
		t.Fatalf("spans exported before shutdown: %v", got)
	}
	if err := h.shutdown(); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	names := rcv.received()["orders-under-test"]
	for _, want := range []string{"POST /orders", "send orders.commands", "process orders.events", "PUT /stock/:sku"} {
		if !slices.Contains(names, want) {
			t.Errorf("no span %q exported for service orders-under-test; got %v", want, rcv.received())
		}
	}
}

// Without an exporter, spans record nothing but their context still travels: every
// message an order causes carries a traceparent of the request's trace (the caller's or a
// new one), each from a span of its own.
func TestTraceContextPropagatesWithoutAnExporter(t *testing.T) {
	t.Parallel()
	h := startService(t, nil, service.Options{})
	h.setStock("sku-n", 10)
	topics := h.svc.Topics()
	c := kafkaClient(t, h.svc.Brokers(), topics.Events("orders"), topics.Commands("orders"), topics.Commands("stock"), topics.Events("stock"))
	tests := []struct {
		name        string
		traceparent string
	}{
		{name: "the caller's trace", traceparent: callerTraceparent},
		{name: "a new trace"},
	}
	for _, tt := range tests {
		hdr := map[string]string{}
		if tt.traceparent != "" {
			hdr["traceparent"] = tt.traceparent
		}
		a := h.placeOrder(hdr, "cust-n", item{"sku-n", 1})
		h.waitOrderStatus(a.OrderID, "confirmed")
		recs := recordsUntil(t, c, 20*time.Second, "the order's records", func(rs []*kgo.Record) bool {
			return len(ofType(rs, "orders.OrderConfirmed.v1", a.OrderID)) == 1
		})
		traces, spans := map[trace.TraceID]bool{}, map[trace.SpanID]bool{}
		n := 0
		for _, r := range recs {
			if string(r.Key) != a.OrderID {
				continue
			}
			n++
			sc := trace.SpanContextFromContext(propagation.TraceContext{}.Extract(context.Background(), recordCarrier{r}))
			if !sc.IsValid() || !sc.IsSampled() {
				t.Errorf("%s: %s has traceparent %q", tt.name, header(r, "type"), header(r, "traceparent"))
			}
			traces[sc.TraceID()], spans[sc.SpanID()] = true, true
		}
		if n != 6 || len(traces) != 1 || len(spans) != n {
			t.Errorf("%s: %d records in %d traces from %d spans, want 6 in 1 from 6", tt.name, n, len(traces), len(spans))
		}
		if tt.traceparent != "" && !traces[mustTraceID(t, callerTraceID)] {
			t.Errorf("%s: records are not in the caller's trace: %v", tt.name, traces)
		}
	}
}

// recordCarrier reads a Kafka record's headers for a propagator.
type recordCarrier struct{ r *kgo.Record }

func (c recordCarrier) Get(key string) string { return header(c.r, key) }
func (c recordCarrier) Set(string, string)    {}
func (c recordCarrier) Keys() []string {
	var keys []string
	for _, h := range c.r.Headers {
		keys = append(keys, h.Key)
	}
	return keys
}

func mustTraceID(t *testing.T, s string) trace.TraceID {
	t.Helper()
	id, err := trace.TraceIDFromHex(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

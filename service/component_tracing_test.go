package service_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/example/orders-service/ports/messaging"
	"github.com/example/orders-service/service"
)

// The caller's span, as an upstream service would send it.
const (
	callerTraceID     = "4bf92f3577b34da6a3ce929d0e0e4736"
	callerSpanID      = "00f067aa0ba902b7"
	callerTraceparent = "00-" + callerTraceID + "-" + callerSpanID + "-01"
	callerTracestate  = "vendor=opaque"
)

// sagaStep is one span of an order's trace: its name, kind, the message type it is about
// ("" for the HTTP request), the consumer group handling it ("" for a producer), and the
// step it is a child of (-1: the caller's span).
type sagaStep struct {
	name   string
	kind   trace.SpanKind
	typ    string
	group  string
	parent int
}

// orderTrace is the trace of one placed and confirmed order: each handler's span continues
// the span that sent its message, in both consumer groups that read an event, and each
// message is sent from the span of the handler (or request) that caused it.
var orderTrace = []sagaStep{
	0:  {"POST /orders", trace.SpanKindServer, "", "", -1},
	1:  {"send orders.commands", trace.SpanKindProducer, "orders.PlaceOrder.v1", "", 0},
	2:  {"process orders.commands", trace.SpanKindConsumer, "orders.PlaceOrder.v1", "order-commands", 1},
	3:  {"send orders.events", trace.SpanKindProducer, "orders.OrderPlaced.v1", "", 2},
	4:  {"process orders.events", trace.SpanKindConsumer, "orders.OrderPlaced.v1", "order-projection", 3},
	5:  {"process orders.events", trace.SpanKindConsumer, "orders.OrderPlaced.v1", "stock-policy", 3},
	6:  {"send stock.commands", trace.SpanKindProducer, "stock.ReserveStock.v1", "", 5},
	7:  {"process stock.commands", trace.SpanKindConsumer, "stock.ReserveStock.v1", "stock-commands", 6},
	8:  {"send stock.events", trace.SpanKindProducer, "stock.StockReserved.v1", "", 7},
	9:  {"process stock.events", trace.SpanKindConsumer, "stock.StockReserved.v1", "order-policy", 8},
	10: {"send orders.commands", trace.SpanKindProducer, "orders.ConfirmOrder.v1", "", 9},
	11: {"process orders.commands", trace.SpanKindConsumer, "orders.ConfirmOrder.v1", "order-commands", 10},
	12: {"send orders.events", trace.SpanKindProducer, "orders.OrderConfirmed.v1", "", 11},
	13: {"process orders.events", trace.SpanKindConsumer, "orders.OrderConfirmed.v1", "order-projection", 12},
}

// relayedTypes are the messages handlers send in the PostgreSQL mode: through the outbox,
// each relayed in a span of its own, a child of the span that wrote it.
var relayedTypes = []string{"orders.OrderPlaced.v1", "stock.ReserveStock.v1", "stock.StockReserved.v1", "orders.ConfirmOrder.v1", "orders.OrderConfirmed.v1"}

func TestOneOrderIsOneTrace(t *testing.T) {
	forEachMode(t, func(t *testing.T, mode map[string]string) {
		spans := tracetest.NewInMemoryExporter()
		tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
		t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
		h := startService(t, mode, service.Options{TracerProvider: tp})
		h.setStock("sku-t", 10)

		a := h.placeOrder(map[string]string{
			"traceparent":      callerTraceparent,
			"tracestate":       callerTracestate,
			"X-Correlation-ID": "trace-corr-1",
		}, "cust-t", item{"sku-t", 2})
		h.waitOrderStatus(a.OrderID, "confirmed")

		want := len(orderTrace)
		if mode["DATABASE_URL"] != "" {
			want += len(relayedTypes)
		}
		var got []sdktrace.ReadOnlySpan
		h.eventually(20*time.Second, "the order's spans", func() (bool, string) {
			got = spansOfTrace(spans, callerTraceID)
			return len(got) >= want, fmt.Sprintf("%d spans, want %d: %s", len(got), want, spanNames(got))
		})
		if len(got) != want {
			t.Fatalf("%d spans in the order's trace, want %d: %s", len(got), want, spanNames(got))
		}
		steps := checkOrderTrace(t, got)
		if mode["DATABASE_URL"] != "" {
			checkRelaySpans(t, got, steps)
		}
		checkTraceHeaders(t, h, a.OrderID, steps)
		checkTraceInLogs(t, h, steps)
	})
}

// checkOrderTrace finds every step of orderTrace among the spans, checks its kind and
// parent, and returns the spans in the order of the steps.
func checkOrderTrace(t *testing.T, got []sdktrace.ReadOnlySpan) []sdktrace.ReadOnlySpan {
	t.Helper()
	steps := make([]sdktrace.ReadOnlySpan, len(orderTrace))
	for i, step := range orderTrace {
		for _, s := range got {
			if s.Name() == step.name && attr(s, string(messaging.MessageTypeKey)) == step.typ &&
				attr(s, "messaging.consumer.group.name") == consumerGroup(step.group) {
				if steps[i] != nil {
					t.Fatalf("step %d (%s %s %s) matches two spans: %s", i, step.name, step.typ, step.group, spanNames(got))
				}
				steps[i] = s
			}
		}
		if steps[i] == nil {
			t.Fatalf("no span for step %d (%s %s %s) among %s", i, step.name, step.typ, step.group, spanNames(got))
		}
	}
	for i, step := range orderTrace {
		s := steps[i]
		if s.SpanKind() != step.kind {
			t.Errorf("%s: kind %s, want %s", describeStep(i), s.SpanKind(), step.kind)
		}
		wantParent := callerSpanID
		if step.parent >= 0 {
			wantParent = steps[step.parent].SpanContext().SpanID().String()
		}
		if got := s.Parent().SpanID().String(); got != wantParent {
			t.Errorf("%s: parent span %s, want %s (%s)", describeStep(i), got, wantParent, describeParent(step.parent))
		}
		if s.Parent().IsRemote() != (step.parent < 0 || step.kind == trace.SpanKindConsumer) {
			t.Errorf("%s: parent remote = %v; only the request's and the handlers' parents come from headers", describeStep(i), s.Parent().IsRemote())
		}
		if step.typ != "" {
			if attr(s, "messaging.system") != "kafka" || attr(s, "messaging.message.conversation_id") != "trace-corr-1" {
				t.Errorf("%s: messaging.system %q, conversation_id %q", describeStep(i), attr(s, "messaging.system"), attr(s, "messaging.message.conversation_id"))
			}
		}
	}
	server := steps[0]
	if attr(server, "http.route") != "/orders" || attr(server, "http.response.status_code") != "202" {
		t.Errorf("server span: route %q, status %q", attr(server, "http.route"), attr(server, "http.response.status_code"))
	}
	return steps
}

// checkRelaySpans checks that each message a handler sent was relayed from the outbox in
// a span that is a child of the span that wrote it.
func checkRelaySpans(t *testing.T, got, steps []sdktrace.ReadOnlySpan) {
	t.Helper()
	for _, typ := range relayedTypes {
		var relay, send sdktrace.ReadOnlySpan
		for _, s := range got {
			if attr(s, string(messaging.MessageTypeKey)) != typ {
				continue
			}
			switch {
			case strings.HasPrefix(s.Name(), "relay "):
				relay = s
			case strings.HasPrefix(s.Name(), "send "):
				send = s
			}
		}
		if relay == nil || send == nil {
			t.Fatalf("%s: relay span %v, send span %v; spans: %s", typ, relay != nil, send != nil, spanNames(got))
		}
		if relay.Parent().SpanID() != send.SpanContext().SpanID() || relay.SpanKind() != trace.SpanKindProducer {
			t.Errorf("%s: relay span kind %s, parent %s, want a producer child of %s", typ, relay.SpanKind(), relay.Parent().SpanID(), send.SpanContext().SpanID())
		}
	}
}

// checkTraceHeaders checks that every record of the order carries the context of the span
// that sent it, and the caller's tracestate.
func checkTraceHeaders(t *testing.T, h *harness, orderID string, steps []sdktrace.ReadOnlySpan) {
	t.Helper()
	topics := h.svc.Topics()
	c := kafkaClient(t, h.svc.Brokers(), topics.Events("orders"), topics.Commands("orders"), topics.Commands("stock"), topics.Events("stock"))
	var sends []int
	for i, step := range orderTrace {
		if step.kind == trace.SpanKindProducer {
			sends = append(sends, i)
		}
	}
	recs := recordsUntil(t, c, 20*time.Second, "the order's records", func(rs []*kgo.Record) bool {
		for _, i := range sends {
			if len(ofType(rs, orderTrace[i].typ, orderID)) == 0 {
				return false
			}
		}
		return true
	})
	for _, i := range sends {
		r := ofType(recs, orderTrace[i].typ, orderID)[0]
		want := "00-" + callerTraceID + "-" + steps[i].SpanContext().SpanID().String() + "-01"
		if got := header(r, "traceparent"); got != want {
			t.Errorf("%s traceparent = %q, want %q (its send span)", orderTrace[i].typ, got, want)
		}
		if got := header(r, "tracestate"); got != callerTracestate {
			t.Errorf("%s tracestate = %q, want the caller's %q", orderTrace[i].typ, got, callerTracestate)
		}
	}
}

// checkTraceInLogs checks that a handler's log lines name its trace and span.
func checkTraceInLogs(t *testing.T, h *harness, steps []sdktrace.ReadOnlySpan) {
	t.Helper()
	process := steps[2] // PlaceOrder handled
	for _, line := range strings.Split(h.logs.String(), "\n") {
		var rec struct {
			Msg, Type, TraceID, SpanID string
		}
		if json.Unmarshal([]byte(line), &rec) != nil || rec.Msg != "message handled" || rec.Type != "orders.PlaceOrder.v1" {
			continue
		}
		var ids map[string]string
		_ = json.Unmarshal([]byte(line), &ids)
		if ids["trace_id"] == callerTraceID && ids["span_id"] == process.SpanContext().SpanID().String() {
			return
		}
	}
	t.Errorf("no 'message handled' log line of PlaceOrder with trace_id %s and span_id %s", callerTraceID, process.SpanContext().SpanID())
}

func spansOfTrace(exp *tracetest.InMemoryExporter, traceID string) []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, s := range exp.GetSpans().Snapshots() {
		if s.SpanContext().TraceID().String() == traceID {
			out = append(out, s)
		}
	}
	return out
}

func attr(s sdktrace.ReadOnlySpan, key string) string {
	for _, kv := range s.Attributes() {
		if string(kv.Key) == key {
			return kv.Value.Emit()
		}
	}
	return ""
}

// consumerGroup is the Kafka consumer group of a group of the routing table, in tests.
func consumerGroup(group string) string {
	if group == "" {
		return ""
	}
	return "orders-service." + group // KAFKA_CONSUMER_GROUP_PREFIX's default
}

func spanNames(spans []sdktrace.ReadOnlySpan) string {
	var b strings.Builder
	for _, s := range spans {
		fmt.Fprintf(&b, "\n  %s %s [%s] %s<-%s", s.Name(), attr(s, string(messaging.MessageTypeKey)), attr(s, "messaging.consumer.group.name"), s.SpanContext().SpanID(), s.Parent().SpanID())
	}
	return b.String()
}

func describeStep(i int) string {
	s := orderTrace[i]
	return strings.TrimSpace(fmt.Sprintf("step %d %s %s %s", i, s.name, s.typ, s.group))
}

func describeParent(i int) string {
	if i < 0 {
		return "the caller's span"
	}
	return describeStep(i)
}

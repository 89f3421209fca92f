package messaging

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"
	wkafka "github.com/ThreeDotsLabs/watermill-kafka/v3/pkg/kafka"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"

	"github.com/example/orders-service/app/bus"
)

const testMaxRecordBytes = 1_000_000

func testPoisonQueue(pub message.Publisher) *poisonQueue {
	return &poisonQueue{
		pub: pub, topic: "poison", limits: DefaultPoisonLimits(testMaxRecordBytes),
		backoff: PoisonBackoff{Initial: time.Millisecond, Max: 4 * time.Millisecond}, stalls: newStalls(),
	}
}

// loggedMessage returns a message whose context carries a logger writing to buf, as the
// correlate middleware gives it.
func loggedMessage(ctx context.Context, uuid string, payload []byte, buf *bytes.Buffer) *message.Message {
	msg := message.NewMessage(uuid, payload)
	logger := slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	msg.SetContext(withLogger(ctx, &messageLogger{base: logger}))
	return msg
}

func TestPoisonQueue(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		wantPoison bool
		wantErr    bool
	}{
		{"success", nil, false, false},
		{"permanent", bus.Permanent(errBoom), true, false},
		{"plain error after retries", errBoom, true, false},
		{"interrupted by shutdown", fmt.Errorf("stopped: %w", context.Canceled), false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pub := &recordingPublisher{}
			var logs bytes.Buffer
			msg := loggedMessage(context.Background(), "uuid-1", []byte(`{"id":"o-1"}`), &logs)
			msg.Metadata.Set(TypeKey, "orders.X.v1")
			msg.Metadata.Set(CorrelationIDKey, "corr-1")
			h := testPoisonQueue(pub).middleware(countAttempts(func(*message.Message) ([]*message.Message, error) { return nil, tt.err }))
			before := time.Now().UTC()
			_, err := h(msg)
			after := time.Now().UTC()
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error: %v", err, tt.wantErr)
			}
			sent := pub.all()
			if logged := strings.Contains(logs.String(), "message sent to the poison topic"); logged != tt.wantPoison {
				t.Errorf("'sent to the poison topic' logged = %v, want %v:\n%s", logged, tt.wantPoison, logs.String())
			}
			if !tt.wantPoison {
				if len(sent) != 0 {
					t.Fatalf("%d messages poisoned, want none", len(sent))
				}
				return
			}
			if len(sent) != 1 || sent[0].topic != "poison" {
				t.Fatalf("poisoned %+v, want one message on the poison topic", sent)
			}
			got := sent[0].msg
			if got.UUID != "uuid-1" || string(got.Payload) != `{"id":"o-1"}` {
				t.Errorf("poisoned copy %s %q, want the original's UUID and payload", got.UUID, got.Payload)
			}
			for k, want := range map[string]string{
				TypeKey: "orders.X.v1", CorrelationIDKey: "corr-1", AttemptsPoisonedKey: "1",
				middleware.ReasonForPoisonedKey: tt.err.Error(), PayloadBytesPoisonedKey: "12",
			} {
				if v := got.Metadata.Get(k); v != want {
					t.Errorf("%s = %q, want %q", k, v, want)
				}
			}
			ts, err := time.Parse(time.RFC3339Nano, got.Metadata.Get(PoisonedAtKey))
			if err != nil || ts.Before(before) || ts.After(after) {
				t.Errorf("poisoned_at %q not within [%v, %v] (%v)", got.Metadata.Get(PoisonedAtKey), before, after, err)
			}
			// Not read from Kafka: no partition or offset to report.
			for _, k := range []string{PartitionPoisonedKey, OffsetPoisonedKey, PayloadTruncatedPoisonedKey} {
				if _, ok := got.Metadata[k]; ok {
					t.Errorf("%s set on a copy that has none", k)
				}
			}
		})
	}
}

// kafkaRecordBytes is the size Sarama gives the copy as a Kafka record, the size its
// producer compares with MaxMessageBytes.
func kafkaRecordBytes(t *testing.T, msg *message.Message) int {
	t.Helper()
	pm, err := wkafka.DefaultMarshaler{}.Marshal("poison", msg)
	if err != nil {
		t.Fatal(err)
	}
	pm.Key = sarama.StringEncoder(PartitionKey(msg))
	return pm.ByteSize(2)
}

func TestPoisonCopyIsBounded(t *testing.T) {
	lim := DefaultPoisonLimits(testMaxRecordBytes)
	big := func(n int) string { return strings.Repeat("W", n) }
	facts := poisonFacts{reason: "decoding: invalid", topic: "orders.commands", handler: "order-commands", partition: "1", offset: "42", attempts: 1, poisonedAt: "now"}
	tests := []struct {
		name          string
		payload       int
		headers       map[string]string
		manyHeaders   int // extra headers of 100 bytes each
		reason        string
		wantTruncated bool     // payload cut
		wantCapped    []string // headers listed in headers_truncated_poisoned
		wantDropped   bool
	}{
		{name: "small message is copied whole", payload: 100, headers: map[string]string{TypeKey: "orders.PlaceOrder.v1", "x-custom": "v"}},
		{name: "payload just under the broker's limit", payload: 1_048_300, headers: map[string]string{TypeKey: "orders.PlaceOrder.v1", CorrelationIDKey: "edge"}, wantTruncated: true},
		{name: "payload exactly at the producer's limit", payload: testMaxRecordBytes, wantTruncated: true},
		{name: "oversized type header, repeated in the reason", payload: 50, headers: map[string]string{TypeKey: big(130_000)}, reason: "unknown message type " + big(130_000), wantCapped: []string{TypeKey}},
		{name: "oversized key", payload: 50, headers: map[string]string{PartitionKeyKey: big(200_000)}, wantCapped: []string{PartitionKeyKey}},
		{name: "thousands of headers", payload: 990_000, headers: map[string]string{CorrelationIDKey: "c", TypeKey: "t"}, manyHeaders: 5000, wantTruncated: true, wantDropped: true},
		{name: "oversized header name", payload: 10, headers: map[string]string{big(5000): "v", TypeKey: "t"}, wantDropped: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := message.NewMessage("uuid-1", []byte(big(tt.payload)))
			for k, v := range tt.headers {
				msg.Metadata.Set(k, v)
			}
			for i := range tt.manyHeaders {
				msg.Metadata.Set(fmt.Sprintf("h-%05d", i), big(93))
			}
			f := facts
			if tt.reason != "" {
				f.reason = tt.reason
			}
			got := poisonCopy(msg, f, lim)

			if size := kafkaRecordBytes(t, got); size > testMaxRecordBytes {
				t.Fatalf("copy is a %d-byte record, above the producer's %d", size, testMaxRecordBytes)
			}
			if n := got.Metadata.Get(PayloadBytesPoisonedKey); n != strconv.Itoa(tt.payload) {
				t.Errorf("payload_bytes_poisoned = %s, want %d", n, tt.payload)
			}
			truncated := got.Metadata.Get(PayloadTruncatedPoisonedKey) == "true"
			if truncated != tt.wantTruncated {
				t.Errorf("payload truncated = %v, want %v", truncated, tt.wantTruncated)
			}
			if !bytes.HasPrefix(msg.Payload, got.Payload) || (!truncated && len(got.Payload) != tt.payload) {
				t.Errorf("copy's payload (%d bytes) is not the original's (%d bytes) or its start", len(got.Payload), tt.payload)
			}
			if truncated && len(got.Payload) < testMaxRecordBytes/2 {
				t.Errorf("payload cut to %d bytes: more of it fits", len(got.Payload))
			}
			for k, v := range got.Metadata {
				limit := lim.MaxHeaderValueBytes
				if k == middleware.ReasonForPoisonedKey {
					limit = lim.MaxReasonBytes
				}
				if len(v) > limit || len(k) > lim.MaxHeaderValueBytes {
					t.Errorf("header %.40s is %d bytes, above %d", k, len(v), limit)
				}
			}
			if capped := got.Metadata.Get(HeadersTruncatedPoisonedKey); capped != strings.Join(tt.wantCapped, ",") {
				t.Errorf("headers_truncated_poisoned = %q, want %q", capped, strings.Join(tt.wantCapped, ","))
			}
			if dropped := got.Metadata.Get(HeadersDroppedPoisonedKey) != ""; dropped != tt.wantDropped {
				t.Errorf("headers dropped = %v, want %v", dropped, tt.wantDropped)
			}
			for _, k := range []string{CorrelationIDKey, TypeKey} {
				if _, had := tt.headers[k]; had && got.Metadata.Get(k) == "" {
					t.Errorf("%s was dropped; it ties the copy to its flow", k)
				}
			}
			for k, want := range map[string]string{PartitionPoisonedKey: "1", OffsetPoisonedKey: "42", middleware.PoisonedTopicKey: "orders.commands"} {
				if v := got.Metadata.Get(k); v != want {
					t.Errorf("%s = %q, want %q", k, v, want)
				}
			}
		})
	}
}

// A message poisoned once, replayed and poisoned again carries the new poison headers, not
// the old ones.
func TestPoisonCopyReplacesEarlierPoisonHeaders(t *testing.T) {
	msg := message.NewMessage("u", []byte("{}"))
	msg.Metadata.Set(AttemptsPoisonedKey, "9")
	msg.Metadata.Set(middleware.ReasonForPoisonedKey, "old reason")
	got := poisonCopy(msg, poisonFacts{reason: "new reason", attempts: 2}, DefaultPoisonLimits(testMaxRecordBytes))
	if got.Metadata.Get(AttemptsPoisonedKey) != "2" || got.Metadata.Get(middleware.ReasonForPoisonedKey) != "new reason" {
		t.Fatalf("copy keeps the old poison headers: %v", got.Metadata)
	}
}

// flakyPublisher fails its first failures publishes with cause, then records; onFail runs
// at each failure, inside Publish.
type flakyPublisher struct {
	recordingPublisher
	mu       sync.Mutex
	failures int
	cause    error
	calls    []time.Time
	onFail   func(call int)
}

func (p *flakyPublisher) Publish(topic string, msgs ...*message.Message) error {
	p.mu.Lock()
	p.calls = append(p.calls, time.Now())
	call := len(p.calls)
	fail := p.failures < 0 || call <= p.failures
	p.mu.Unlock()
	if fail {
		if p.onFail != nil {
			p.onFail(call)
		}
		return p.cause
	}
	return p.recordingPublisher.Publish(topic, msgs...)
}

// A poison topic that refuses the copy holds the partition, retried with a doubling pause
// and reported as a stall, never a hot loop; once it takes the copy the consumer goes on.
func TestPoisonPublishFailureBacksOffAndIsReported(t *testing.T) {
	cause := errors.New("kafka server: Message was too large")
	pub := &flakyPublisher{failures: 4, cause: cause}
	q := testPoisonQueue(pub)
	q.backoff = PoisonBackoff{Initial: 5 * time.Millisecond, Max: 20 * time.Millisecond}
	var stalledWhileFailing error
	pub.onFail = func(call int) {
		if call == 3 {
			stalledWhileFailing = q.stalls.err()
		}
	}
	var logs bytes.Buffer
	msg := loggedMessage(context.Background(), "u", []byte("x"), &logs)
	h := q.middleware(func(*message.Message) ([]*message.Message, error) { return nil, bus.Permanent(errBoom) })
	if _, err := h(msg); err != nil {
		t.Fatalf("err = %v, want the message poisoned in the end", err)
	}

	if n := len(pub.all()); n != 1 {
		t.Fatalf("%d messages on the poison topic, want 1", n)
	}
	wantPauses := []time.Duration{5, 10, 20, 20}
	if len(pub.calls) != len(wantPauses)+1 {
		t.Fatalf("%d publish attempts, want %d", len(pub.calls), len(wantPauses)+1)
	}
	for i, want := range wantPauses {
		if gap := pub.calls[i+1].Sub(pub.calls[i]); gap < want*time.Millisecond {
			t.Errorf("pause before attempt %d = %v, want at least %v", i+2, gap, want*time.Millisecond)
		}
	}
	if stalledWhileFailing == nil || !strings.Contains(stalledWhileFailing.Error(), cause.Error()) {
		t.Errorf("while failing, stalls = %v, want the cause %q", stalledWhileFailing, cause)
	}
	if err := q.stalls.err(); err != nil {
		t.Errorf("after the publish succeeded, stalls = %v", err)
	}
	out := logs.String()
	if n := strings.Count(out, "cannot publish to the poison topic"); n != 4 {
		t.Errorf("%d lines about the failing publish, want one per failure (4):\n%s", n, out)
	}
	if !strings.Contains(out, cause.Error()) {
		t.Errorf("the log does not name the cause %q:\n%s", cause, out)
	}
	if n := strings.Count(out, "message sent to the poison topic"); n != 1 {
		t.Errorf("'sent to the poison topic' logged %d times, want once, after the publish:\n%s", n, out)
	}
}

// When the delivery ends (shutdown, rebalance) while the poison topic refuses the copy, the
// message is left unacknowledged, to be delivered again, and nothing claims it was poisoned.
func TestPoisonPublishGivesUpWhenTheDeliveryEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pub := &flakyPublisher{failures: -1, cause: errors.New("broker down")}
	pub.onFail = func(call int) {
		if call == 2 {
			cancel()
		}
	}
	q := testPoisonQueue(pub)
	var logs bytes.Buffer
	msg := loggedMessage(ctx, "u", []byte("x"), &logs)
	h := q.middleware(func(*message.Message) ([]*message.Message, error) { return nil, errBoom })
	_, err := h(msg)
	if err == nil || !errors.Is(err, errBoom) {
		t.Fatalf("err = %v, want the handler's error and the publish's", err)
	}
	if strings.Contains(logs.String(), "message sent to the poison topic") {
		t.Errorf("logged as sent although it was not:\n%s", logs.String())
	}
	if err := q.stalls.err(); err != nil {
		t.Errorf("a delivery that ended still reports a stall: %v", err)
	}
}

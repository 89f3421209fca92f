package messaging

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/google/uuid"

	"github.com/example/orders-service/app/bus"
)

func TestShouldPoisonAndRetry(t *testing.T) {
	tests := []struct {
		name          string
		err           error
		poison, retry bool
	}{
		{"plain error", errBoom, true, true},
		{"wrapped plain error", fmt.Errorf("x: %w", errBoom), true, true},
		{"permanent", bus.Permanent(errBoom), true, false},
		{"wrapped permanent", fmt.Errorf("x: %w", bus.Permanent(errBoom)), true, false},
		{"canceled", context.Canceled, false, false},
		{"wrapped canceled", fmt.Errorf("handling: %w", context.Canceled), false, false},
		{"deadline exceeded", context.DeadlineExceeded, true, true},
		{"wrapped deadline exceeded", fmt.Errorf("handling: %w", context.DeadlineExceeded), true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := shouldPoison(tt.err); got != tt.poison {
				t.Errorf("shouldPoison(%v) = %v, want %v", tt.err, got, tt.poison)
			}
			if got := shouldRetry(tt.err); got != tt.retry {
				t.Errorf("shouldRetry(%v) = %v, want %v", tt.err, got, tt.retry)
			}
		})
	}
}

func TestCorrelate(t *testing.T) {
	tests := []struct {
		name       string
		corr       string
		handlerErr error
	}{
		{name: "without correlation id"},
		{name: "with correlation id", corr: "incoming-corr"},
		{name: "handler error passed through", corr: "c2", handlerErr: errBoom},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
			msg := message.NewMessage("msg-uuid-1", []byte(`{}`))
			msg.Metadata.Set(TypeKey, "orders.X.v1")
			msg.Metadata.Set(PartitionKeyKey, "order-1")
			if tt.corr != "" {
				msg.Metadata.Set(CorrelationIDKey, tt.corr)
			}
			var gotCorr, gotCause string
			calls := 0
			h := correlate(logger)(func(m *message.Message) ([]*message.Message, error) {
				calls++
				gotCorr = bus.CorrelationID(m.Context())
				gotCause = bus.CausationID(m.Context())
				loggerFrom(m.Context()).Info("inside handler")
				return nil, tt.handlerErr
			})
			_, err := h(msg)
			if !errors.Is(err, tt.handlerErr) || (tt.handlerErr == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, tt.handlerErr)
			}
			if calls != 1 {
				t.Fatalf("handler called %d times", calls)
			}

			corr := msg.Metadata.Get(CorrelationIDKey)
			if tt.corr != "" {
				if corr != tt.corr {
					t.Errorf("correlation_id = %q, want it kept as %q", corr, tt.corr)
				}
			} else if _, err := uuid.Parse(corr); err != nil {
				t.Errorf("generated correlation_id %q is not a UUID: %v", corr, err)
			}
			if gotCorr != corr {
				t.Errorf("bus.CorrelationID(ctx) = %q, want %q", gotCorr, corr)
			}
			if gotCause != msg.UUID {
				t.Errorf("bus.CausationID(ctx) = %q, want the message UUID %q", gotCause, msg.UUID)
			}
			out := buf.String()
			for _, s := range []string{"inside handler", "correlation_id=" + corr, "message_uuid=msg-uuid-1", "type=orders.X.v1", "key=order-1"} {
				if !strings.Contains(out, s) {
					t.Errorf("log lacks %q:\n%s", s, out)
				}
			}
			if handled := strings.Contains(out, "message handled"); handled != (tt.handlerErr == nil) {
				t.Errorf("debug 'message handled' logged = %v, want %v:\n%s", handled, tt.handlerErr == nil, out)
			}
		})
	}
}

func TestCorrelateGeneratesDistinctIDs(t *testing.T) {
	logger := slog.New(slog.DiscardHandler)
	h := correlate(logger)(func(*message.Message) ([]*message.Message, error) { return nil, nil })
	a, b := message.NewMessage("a", nil), message.NewMessage("b", nil)
	_, _ = h(a)
	_, _ = h(b)
	if a.Metadata.Get(CorrelationIDKey) == b.Metadata.Get(CorrelationIDKey) {
		t.Fatal("two messages without correlation got the same generated ID")
	}
}

func TestCountAttemptsUnderRetry(t *testing.T) {
	tests := []struct {
		name         string
		failures     int // attempts that fail before success; -1 = always
		err          error
		shouldRetry  func(middleware.RetryParams) bool
		wantCalls    int
		wantErr      bool
		wantAttempts string // "" = not poisoned
	}{
		{name: "always failing, retry everything", failures: -1, err: errBoom, shouldRetry: func(middleware.RetryParams) bool { return true }, wantCalls: 3, wantErr: true, wantAttempts: "3"},
		{name: "always failing, service policy", failures: -1, err: errBoom, shouldRetry: func(p middleware.RetryParams) bool { return shouldRetry(p.Err) }, wantCalls: 3, wantErr: true, wantAttempts: "3"},
		{name: "permanent is not retried", failures: -1, err: bus.Permanent(errBoom), shouldRetry: func(p middleware.RetryParams) bool { return shouldRetry(p.Err) }, wantCalls: 1, wantErr: true, wantAttempts: "1"},
		{name: "succeeds on the second attempt", failures: 1, err: errBoom, shouldRetry: func(middleware.RetryParams) bool { return true }, wantCalls: 2},
		{name: "succeeds at once", failures: 0, err: errBoom, shouldRetry: func(middleware.RetryParams) bool { return true }, wantCalls: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			handler := func(*message.Message) ([]*message.Message, error) {
				calls++
				if tt.failures < 0 || calls <= tt.failures {
					return nil, tt.err
				}
				return nil, nil
			}
			retry := middleware.Retry{
				MaxRetries:          2,
				InitialInterval:     time.Millisecond,
				MaxInterval:         time.Millisecond,
				Multiplier:          2,
				ResetContextOnRetry: true,
				ShouldRetry:         tt.shouldRetry,
			}
			pub := &recordingPublisher{}
			h := testPoisonQueue(pub).middleware(retry.Middleware(countAttempts(handler)))
			msg := message.NewMessage("m", nil)
			if _, err := h(msg); err != nil {
				t.Fatalf("err = %v, want it poisoned or handled", err)
			}
			if calls != tt.wantCalls {
				t.Errorf("handler called %d times, want %d", calls, tt.wantCalls)
			}
			got := ""
			if sent := pub.all(); len(sent) == 1 {
				got = sent[0].msg.Metadata.Get(AttemptsPoisonedKey)
			} else if tt.wantErr {
				t.Fatalf("%d messages on the poison topic, want 1", len(sent))
			}
			if got != tt.wantAttempts {
				t.Errorf("attempts_poisoned = %q, want %q", got, tt.wantAttempts)
			}
			if tt.wantAttempts != "" {
				if n, _ := strconv.Atoi(tt.wantAttempts); n != calls {
					t.Errorf("attempts_poisoned %s != handler calls %d", tt.wantAttempts, calls)
				}
			}
		})
	}
}

// The whole chain in router order (correlate, poison queue, retry, countAttempts): the
// causation and correlation survive retries' context resets.
func TestChainKeepsCorrelationAcrossRetries(t *testing.T) {
	logger := slog.New(slog.DiscardHandler)
	var corrs, causes []string
	handler := func(m *message.Message) ([]*message.Message, error) {
		corrs = append(corrs, bus.CorrelationID(m.Context()))
		causes = append(causes, bus.CausationID(m.Context()))
		return nil, errBoom
	}
	retry := middleware.Retry{MaxRetries: 2, InitialInterval: time.Millisecond, MaxInterval: time.Millisecond, Multiplier: 2, ResetContextOnRetry: true}
	pub := &recordingPublisher{}
	h := correlate(logger)(testPoisonQueue(pub).middleware(retry.Middleware(countAttempts(middleware.Timeout(time.Second)(handler)))))
	msg := message.NewMessage("uuid-9", nil)
	msg.Metadata.Set(CorrelationIDKey, "corr-9")
	if _, err := h(msg); err != nil {
		t.Fatalf("err = %v, want the message poisoned", err)
	}
	if len(corrs) != 3 {
		t.Fatalf("handler called %d times, want 3", len(corrs))
	}
	for i := range corrs {
		if corrs[i] != "corr-9" || causes[i] != "uuid-9" {
			t.Errorf("attempt %d: correlation/causation = %q/%q", i+1, corrs[i], causes[i])
		}
	}
	sent := pub.all()
	if len(sent) != 1 {
		t.Fatalf("%d messages on the poison topic, want 1", len(sent))
	}
	if got := sent[0].msg.Metadata.Get(AttemptsPoisonedKey); got != "3" {
		t.Errorf("attempts_poisoned = %q, want 3", got)
	}
	if got := sent[0].msg.Metadata.Get(CorrelationIDKey); got != "corr-9" {
		t.Errorf("poisoned copy's correlation_id = %q, want corr-9", got)
	}
}

package messaging

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/google/uuid"

	"github.com/example/orders-service/app/bus"
)

func newTestBuses(t *testing.T, pub *recordingPublisher, prefix string) *Buses {
	t.Helper()
	b, err := NewBuses(pub, Topics{Prefix: prefix}, watermill.NopLogger{})
	if err != nil {
		t.Fatalf("NewBuses: %v", err)
	}
	return b
}

func TestBusesRouteAndStamp(t *testing.T) {
	for _, prefix := range []string{"", "env-"} {
		for _, withIDs := range []bool{true, false} {
			name := "prefix=" + prefix
			if withIDs {
				name += "/with ids"
			} else {
				name += "/without ids"
			}
			t.Run(name, func(t *testing.T) {
				pub := &recordingPublisher{}
				b := newTestBuses(t, pub, prefix)
				ctx := context.Background()
				if withIDs {
					ctx = bus.WithCorrelationID(ctx, "corr-1")
					ctx = bus.WithCausationID(ctx, "cause-1")
				}

				if err := b.Send(ctx, fakeCmd{ID: "order-7"}); err != nil {
					t.Fatalf("Send: %v", err)
				}
				if err := b.Publish(ctx, fakeEvent{SKU: "sku-1", N: 1}, fakeEvent{SKU: "sku-2", N: 2}); err != nil {
					t.Fatalf("Publish: %v", err)
				}
				if err := b.Publish(ctx); err != nil {
					t.Fatalf("Publish of nothing: %v", err)
				}

				sent := pub.all()
				want := []struct{ topic, typ, key, payload string }{
					{prefix + "orders.commands", "orders.X.v1", "order-7", `{"id":"order-7"}`},
					{prefix + "stock.events", "stock.Y.v1", "sku-1", `{"sku":"sku-1","n":1}`},
					{prefix + "stock.events", "stock.Y.v1", "sku-2", `{"sku":"sku-2","n":2}`},
				}
				if len(sent) != len(want) {
					t.Fatalf("published %d messages, want %d", len(sent), len(want))
				}
				for i, w := range want {
					got := sent[i]
					md := got.msg.Metadata
					if got.topic != w.topic {
						t.Errorf("[%d] topic = %q, want %q", i, got.topic, w.topic)
					}
					if md.Get(TypeKey) != w.typ || md.Get(PartitionKeyKey) != w.key {
						t.Errorf("[%d] type/partition_key = %q/%q, want %q/%q", i, md.Get(TypeKey), md.Get(PartitionKeyKey), w.typ, w.key)
					}
					if string(got.msg.Payload) != w.payload {
						t.Errorf("[%d] payload = %s, want %s", i, got.msg.Payload, w.payload)
					}
					if id, err := uuid.Parse(got.msg.UUID); err != nil || id.Version() != 7 {
						t.Errorf("[%d] UUID %q is not a UUIDv7 (%v)", i, got.msg.UUID, err)
					}
					corr, hasCorr := md[CorrelationIDKey]
					cause, hasCause := md[CausationIDKey]
					if withIDs {
						if corr != "corr-1" || cause != "cause-1" {
							t.Errorf("[%d] correlation/causation = %q/%q, want corr-1/cause-1", i, corr, cause)
						}
					} else if hasCorr || hasCause {
						t.Errorf("[%d] bus invented correlation/causation %q/%q", i, corr, cause)
					}
				}
			})
		}
	}
}

func TestBusesPublisherError(t *testing.T) {
	pub := &recordingPublisher{err: errBoom}
	b := newTestBuses(t, pub, "")
	ctx := context.Background()

	err := b.Send(ctx, fakeCmd{ID: "o"})
	if !errors.Is(err, errBoom) || !strings.Contains(err.Error(), "orders.X.v1") {
		t.Errorf("Send = %v, want errBoom wrapped with the command name", err)
	}
	err = b.Publish(ctx, fakeEvent{SKU: "s"})
	if !errors.Is(err, errBoom) || !strings.Contains(err.Error(), "stock.Y.v1") {
		t.Errorf("Publish = %v, want errBoom wrapped with the event name", err)
	}
}

func TestBusesPublishStopsAtFirstError(t *testing.T) {
	pub := &recordingPublisher{}
	b := newTestBuses(t, pub, "")
	err := b.Publish(context.Background(), fakeEvent{SKU: "a"}, badName{}, fakeEvent{SKU: "c"})
	if err == nil || !strings.Contains(err.Error(), "noDot") {
		t.Fatalf("Publish = %v, want an error naming noDot", err)
	}
	if sent := pub.all(); len(sent) != 1 || sent[0].msg.Metadata.Get(PartitionKeyKey) != "a" {
		t.Fatalf("published %d messages, want only the one before the failure", len(sent))
	}
}

func TestBusesRejectBadMessages(t *testing.T) {
	pub := &recordingPublisher{}
	b := newTestBuses(t, pub, "")
	ctx := context.Background()
	if err := b.Send(ctx, badName{}); err == nil {
		t.Error("Send of a name without context succeeded")
	}
	if err := b.Publish(ctx, badName{}); err == nil {
		t.Error("Publish of a name without context succeeded")
	}
	if err := b.Send(ctx, unencodable{C: make(chan int)}); err == nil {
		t.Error("Send of an unencodable command succeeded")
	}
	if sent := pub.all(); len(sent) != 0 {
		t.Errorf("published %d messages, want none", len(sent))
	}
}

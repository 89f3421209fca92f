package kafka

import (
	"errors"
	"fmt"
	"hash/maphash"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/example/orders-service/app/bus"
)

type fakeProducer struct {
	mu       sync.Mutex
	sent     []*message.Message
	topics   []string
	err      error
	closeErr error
	closed   int
}

func (p *fakeProducer) Publish(topic string, msgs ...*message.Message) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return p.err
	}
	for _, m := range msgs {
		p.sent = append(p.sent, m)
		p.topics = append(p.topics, topic)
	}
	return nil
}

func (p *fakeProducer) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed++
	return p.closeErr
}

func newPool(fakes ...*fakeProducer) *publisherPool {
	p := &publisherPool{key: keyFromMetadata, seed: maphash.MakeSeed()}
	for _, f := range fakes {
		p.producers = append(p.producers, f)
	}
	return p
}

func keyed(key string, i int) *message.Message {
	m := message.NewMessage(fmt.Sprintf("%s-%d", key, i), nil)
	m.Metadata.Set("partition_key", key)
	return m
}

func TestPublisherPoolKeyAffinity(t *testing.T) {
	for _, n := range []int{1, 2, 3} {
		t.Run(fmt.Sprintf("%d producers", n), func(t *testing.T) {
			fakes := make([]*fakeProducer, n)
			for i := range fakes {
				fakes[i] = &fakeProducer{}
			}
			pool := newPool(fakes...)
			const keys, perKey = 60, 5
			// Interleave keys and send some in one Publish call with several messages.
			for i := range perKey {
				var batch []*message.Message
				for k := range keys {
					batch = append(batch, keyed(fmt.Sprintf("order-%d", k), i))
				}
				if err := pool.Publish("topic-x", batch...); err != nil {
					t.Fatal(err)
				}
			}

			owner := map[string]int{}
			total := 0
			for i, f := range fakes {
				for j, m := range f.sent {
					total++
					if f.topics[j] != "topic-x" {
						t.Errorf("producer %d got topic %q", i, f.topics[j])
					}
					k := m.Metadata.Get("partition_key")
					if o, seen := owner[k]; seen && o != i {
						t.Fatalf("key %s went to producers %d and %d", k, o, i)
					}
					owner[k] = i
				}
				// Messages of one key keep their order within the producer.
				last := map[string]string{}
				for _, m := range f.sent {
					k := m.Metadata.Get("partition_key")
					if prev, ok := last[k]; ok && prev >= m.UUID {
						t.Errorf("producer %d: %s after %s", i, m.UUID, prev)
					}
					last[k] = m.UUID
				}
			}
			if total != keys*perKey || len(owner) != keys {
				t.Fatalf("sent %d messages of %d keys, want %d of %d", total, len(owner), keys*perKey, keys)
			}
			// 60 keys over n producers: each gets some (a miss has probability < 1e-10).
			for i, f := range fakes {
				if len(f.sent) == 0 {
					t.Errorf("producer %d got nothing: keys are not spread", i)
				}
			}
		})
	}
}

func TestPublisherPoolSingleProducerIgnoresKey(t *testing.T) {
	f := &fakeProducer{}
	pool := &publisherPool{producers: []message.Publisher{f}} // no key func: must not be needed
	if err := pool.Publish("t", message.NewMessage("a", nil), message.NewMessage("b", nil)); err != nil {
		t.Fatal(err)
	}
	if len(f.sent) != 2 {
		t.Fatalf("sent %d, want 2", len(f.sent))
	}
}

func TestPublisherPoolPublishError(t *testing.T) {
	boom := errors.New("boom")
	f := &fakeProducer{err: boom}
	pool := newPool(f)
	err := pool.Publish("t", keyed("a", 0), keyed("a", 1))
	if !errors.Is(err, boom) {
		t.Fatalf("Publish = %v, want boom", err)
	}
}

func TestPublisherPoolClose(t *testing.T) {
	e0, e2 := errors.New("close-0"), errors.New("close-2")
	tests := []struct {
		name  string
		errs  []error
		want  []error
		isNil bool
	}{
		{name: "all fine", errs: []error{nil, nil, nil}, isNil: true},
		{name: "two fail", errs: []error{e0, nil, e2}, want: []error{e0, e2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var fakes []*fakeProducer
			for _, e := range tt.errs {
				fakes = append(fakes, &fakeProducer{closeErr: e})
			}
			err := newPool(fakes...).Close()
			for i, f := range fakes {
				if f.closed != 1 {
					t.Errorf("producer %d closed %d times, want 1", i, f.closed)
				}
			}
			if tt.isNil {
				if err != nil {
					t.Fatalf("Close = %v, want nil", err)
				}
				return
			}
			for _, w := range tt.want {
				if !errors.Is(err, w) {
					t.Errorf("Close = %v, want it to wrap %v", err, w)
				}
			}
			if !strings.Contains(err.Error(), "producer 0") || !strings.Contains(err.Error(), "producer 2") || strings.Contains(err.Error(), "producer 1") {
				t.Errorf("Close = %q, want it to name producers 0 and 2 only", err)
			}
		})
	}
}

// blockingProducer holds every send until released, and records whether Close came while a
// send was in flight.
type blockingProducer struct {
	started   chan struct{}
	release   chan struct{}
	inFlight  sync.Mutex
	closeRace bool
}

func (p *blockingProducer) Publish(string, ...*message.Message) error {
	p.inFlight.Lock()
	defer p.inFlight.Unlock()
	close(p.started)
	<-p.release
	return nil
}

func (p *blockingProducer) Close() error {
	if !p.inFlight.TryLock() {
		p.closeRace = true
		return nil
	}
	p.inFlight.Unlock()
	return nil
}

// TestPublisherPoolCloseWaitsForSends: at shutdown a relay may still be sending; Close
// waits for it instead of closing the producer under it, and later sends fail.
func TestPublisherPoolCloseWaitsForSends(t *testing.T) {
	b := &blockingProducer{started: make(chan struct{}), release: make(chan struct{})}
	pool := &publisherPool{producers: []message.Publisher{b}, key: keyFromMetadata, seed: maphash.MakeSeed()}
	sent := make(chan error, 1)
	go func() { sent <- pool.Publish("t", keyed("a", 0)) }()
	<-b.started
	closed := make(chan error, 1)
	go func() { closed <- pool.Close() }()
	select {
	case <-closed:
		t.Fatal("Close returned while a send was in flight")
	case <-time.After(50 * time.Millisecond): // Close is blocked, as it should be
	}
	close(b.release)
	if err := <-sent; err != nil {
		t.Fatalf("Publish = %v", err)
	}
	if err := <-closed; err != nil {
		t.Fatalf("Close = %v", err)
	}
	if b.closeRace {
		t.Error("the producer was closed during a send")
	}
	if err := pool.Publish("t", keyed("a", 1)); !errors.Is(err, errPublisherClosed) {
		t.Errorf("Publish after Close = %v, want errPublisherClosed", err)
	}
	if err := pool.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
}

// A produce error the message causes is permanent (sending it again cannot succeed); any
// other is the broker's.
func TestAboutTheMessage(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		permanent bool
	}{
		{"too large for the broker", fmt.Errorf("producing: %w", sarama.ErrMessageSizeTooLarge), true},
		{"too large for the producer", sarama.ConfigurationError("Attempt to produce message larger than configured Producer.MaxMessageBytes"), true},
		{"invalid record", sarama.ErrInvalidMessage, true},
		{"breaker open", errors.New("circuit breaker is open"), false},
		{"broker gone", sarama.ErrOutOfBrokers, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := errors.Is(aboutTheMessage(tt.err), bus.ErrPermanent); got != tt.permanent {
				t.Fatalf("permanent = %v, want %v", got, tt.permanent)
			}
		})
	}
}

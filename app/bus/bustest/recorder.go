// Package bustest is an in-memory bus for testing application code: it records what is sent
// and published and fails on demand, so tests can check what a handler announces and how it
// behaves when messaging is down.
package bustest

import (
	"context"
	"errors"
	"sync"

	"github.com/example/orders-service/app/bus"
)

// ErrDown is what a Recorder told to fail returns.
var ErrDown = errors.New("bus down")

// Recorder implements bus.CommandSender and bus.EventPublisher.
type Recorder struct {
	mu          sync.Mutex
	sent        []bus.Message
	published   []bus.Message
	failSend    int
	failPublish int
}

var (
	_ bus.CommandSender  = (*Recorder)(nil)
	_ bus.EventPublisher = (*Recorder)(nil)
)

func (r *Recorder) Send(_ context.Context, cmd bus.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failSend > 0 {
		r.failSend--
		return ErrDown
	}
	r.sent = append(r.sent, cmd)
	return nil
}

func (r *Recorder) Publish(_ context.Context, events ...bus.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failPublish > 0 {
		r.failPublish--
		return ErrDown
	}
	r.published = append(r.published, events...)
	return nil
}

// FailSend makes the next n sends fail with ErrDown.
func (r *Recorder) FailSend(n int) { r.mu.Lock(); r.failSend = n; r.mu.Unlock() }

// FailPublish makes the next n publishes fail with ErrDown.
func (r *Recorder) FailPublish(n int) { r.mu.Lock(); r.failPublish = n; r.mu.Unlock() }

// Sent returns the commands sent since the last call and forgets them.
func (r *Recorder) Sent() []bus.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.sent
	r.sent = nil
	return out
}

// Published returns the events published since the last call and forgets them.
func (r *Recorder) Published() []bus.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.published
	r.published = nil
	return out
}

package messaging

import (
	"context"
	"errors"
	"sync"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/example/orders-service/app/bus"
)

// fakeCmd is a command of the orders context.
type fakeCmd struct {
	ID   string `json:"id"`
	Note string `json:"note,omitempty"`
}

func (fakeCmd) MessageName() string    { return "orders.X.v1" }
func (c fakeCmd) PartitionKey() string { return c.ID }
func (c fakeCmd) Validate() error {
	if c.Note == "invalid" {
		return errInvalidFake
	}
	return nil
}

// fakeEvent is an event of the stock context.
type fakeEvent struct {
	SKU string `json:"sku"`
	N   int    `json:"n"`
}

func (fakeEvent) MessageName() string    { return "stock.Y.v1" }
func (e fakeEvent) PartitionKey() string { return e.SKU }
func (fakeEvent) Validate() error        { return nil }

// otherCmd is a second orders command, used as "a type the group does not handle".
type otherCmd struct{}

func (otherCmd) MessageName() string  { return "orders.Other.v1" }
func (otherCmd) PartitionKey() string { return "k" }
func (otherCmd) Validate() error      { return nil }

// stockCmd is a command of the stock context.
type stockCmd struct{}

func (stockCmd) MessageName() string  { return "stock.Other.v1" }
func (stockCmd) PartitionKey() string { return "k" }
func (stockCmd) Validate() error      { return nil }

// badName has a wire name without a context.
type badName struct{}

func (badName) MessageName() string  { return "noDot" }
func (badName) PartitionKey() string { return "k" }
func (badName) Validate() error      { return nil }

// unencodable cannot be JSON-encoded.
type unencodable struct {
	C chan int `json:"c"`
}

func (unencodable) MessageName() string  { return "orders.Unencodable.v1" }
func (unencodable) PartitionKey() string { return "k" }
func (unencodable) Validate() error      { return nil }

// nop is a handler of any message type.
func nop[M bus.Message](context.Context, M) error { return nil }

type published struct {
	topic string
	msg   *message.Message
}

// recordingPublisher records what is published; err, when set, is returned instead.
type recordingPublisher struct {
	mu   sync.Mutex
	sent []published
	err  error
}

func (p *recordingPublisher) Publish(topic string, msgs ...*message.Message) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return p.err
	}
	for _, m := range msgs {
		p.sent = append(p.sent, published{topic: topic, msg: m})
	}
	return nil
}

func (p *recordingPublisher) Close() error { return nil }

func (p *recordingPublisher) all() []published {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]published(nil), p.sent...)
}

var (
	errBoom        = errors.New("boom")
	errInvalidFake = errors.New("note must not be \"invalid\"")
)

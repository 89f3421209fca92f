package order

import (
	"errors"
	"fmt"
	"time"
)

// Events are the facts an order publishes. Their wire names are explicit and versioned so a
// refactor of Go names can never break a consumer; change a payload incompatibly only under a
// new version. Every event carries the order's version after the change, which lets read
// models drop stale or repeated events.

// Header is what every order event has.
type Header struct {
	OrderID    string    `json:"order_id"`
	Version    int       `json:"version"`
	OccurredAt time.Time `json:"occurred_at"`
}

// PartitionKey keeps all messages of one order on one partition, in order.
func (h Header) PartitionKey() string { return h.OrderID }

func header(o *Order) Header {
	return Header{OrderID: o.id, Version: o.version, OccurredAt: o.updatedAt}
}

type OrderPlaced struct {
	Header
	CustomerID string `json:"customer_id"`
	Items      []Line `json:"items"`
}

func (OrderPlaced) MessageName() string { return "orders.OrderPlaced.v1" }

type OrderConfirmed struct{ Header }

func (OrderConfirmed) MessageName() string { return "orders.OrderConfirmed.v1" }

type OrderRejected struct {
	Header
	Reason string `json:"reason"`
}

func (OrderRejected) MessageName() string { return "orders.OrderRejected.v1" }

type OrderCancelled struct {
	Header
	Reason string `json:"reason"`
}

func (OrderCancelled) MessageName() string { return "orders.OrderCancelled.v1" }

type OrderShipped struct{ Header }

func (OrderShipped) MessageName() string { return "orders.OrderShipped.v1" }

// OrderCommandRefused records a command that broke a rule (ship a pending order, cancel a
// shipped one). It is an outcome, not an error, so the read model can show it.
type OrderCommandRefused struct {
	OrderID string `json:"order_id"`
	Command string `json:"command"`
	// CommandID is the refused command message's UUID: the same on a redelivery, so the
	// read model records one refusal per command however often it is delivered.
	CommandID  string    `json:"command_id,omitempty"`
	Reason     string    `json:"reason"`
	OccurredAt time.Time `json:"occurred_at"`
}

func (OrderCommandRefused) MessageName() string    { return "orders.OrderCommandRefused.v1" }
func (e OrderCommandRefused) PartitionKey() string { return e.OrderID }

// Event is a fact about one order, as its aggregate announces it.
type Event interface {
	MessageName() string
	PartitionKey() string
	Validate() error
}

// StatusEvent returns the fact that gave the order its current status, used both after a
// change and to re-publish it when a command is redelivered after its state was saved. It
// carries the order's current version, which is the version of that change as long as
// every change of an order changes its status, as all of today's do. A change that does
// not (a note, say) would make the re-published event claim a later version than its
// change had, and the projection, which keeps the highest version it saw, would then drop
// the real change of that version: such a change must announce its own event, from its own
// method, and the order must keep the version of its last status change.
func (o *Order) StatusEvent() Event {
	h := header(o)
	switch o.status {
	case StatusPending:
		return o.placed()
	case StatusConfirmed:
		return OrderConfirmed{Header: h}
	case StatusRejected:
		return OrderRejected{Header: h, Reason: o.reason}
	case StatusShipped:
		return OrderShipped{Header: h}
	default:
		return OrderCancelled{Header: h, Reason: o.reason}
	}
}

func (o *Order) placed() OrderPlaced {
	return OrderPlaced{Header: header(o), CustomerID: o.customerID, Items: o.Lines()}
}

// The checks a consumer applies to an order event before acting on it. An event from a
// foreign or broken producer that fails one is rejected where it arrives, with the reason,
// instead of carrying its fault one hop further (an OrderPlaced without an order ID would
// otherwise reserve stock for nobody).

// Validate checks what every order event carries.
func (h Header) Validate() error {
	if err := ValidateID("order_id", h.OrderID); err != nil {
		return err
	}
	if h.Version < 1 {
		return fmt.Errorf("%w: version %d is below 1", ErrInvalidOrder, h.Version)
	}
	return nil
}

func (e OrderPlaced) Validate() error {
	return errors.Join(e.Header.Validate(), ValidateID("customer_id", e.CustomerID), ValidateLines(e.Items))
}

func (e OrderRejected) Validate() error {
	return errors.Join(e.Header.Validate(), ValidateReason("reason", e.Reason))
}

func (e OrderCancelled) Validate() error {
	return errors.Join(e.Header.Validate(), ValidateReason("reason", e.Reason))
}

func (e OrderCommandRefused) Validate() error {
	return errors.Join(ValidateID("order_id", e.OrderID), ValidateID("command", e.Command), ValidateReason("reason", e.Reason))
}

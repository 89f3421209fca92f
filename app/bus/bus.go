// Package bus is what the application needs from messaging, in plain Go: send a command,
// publish events. ports/messaging and adapters implement it; app code never sees a broker.
package bus

import (
	"context"
	"errors"
)

// Message is a command or an event. Its name is the explicit, versioned wire name
// ("orders.OrderPlaced.v1"); its partition key keeps related messages in order. Validate
// checks what a handler needs of it (required fields, ranges): a message that fails it is
// rejected where it arrives, as a permanent failure, before any handler runs.
type Message interface {
	MessageName() string
	PartitionKey() string
	Validate() error
}

// CommandSender delivers a command to its one handler, asynchronously.
type CommandSender interface {
	Send(ctx context.Context, cmd Message) error
}

// EventPublisher announces facts to whoever listens.
type EventPublisher interface {
	Publish(ctx context.Context, events ...Message) error
}

// ErrPermanent marks an error that no retry can fix (a command that breaks validation that
// the sender should have done). The router sends such a message to the poison topic at once.
var ErrPermanent = errors.New("permanent failure")

// Permanent wraps err so errors.Is(err, ErrPermanent) holds.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err}
}

type permanentError struct{ err error }

func (e permanentError) Error() string   { return e.err.Error() }
func (e permanentError) Unwrap() []error { return []error{e.err, ErrPermanent} }

// ErrUnavailable marks a failure of what the handler depends on, not of the message: the
// broker or the database did not take a write. No number of retries within one delivery
// can be trusted to outlast an outage, and poisoning the message would lose a step of its
// flow, so the router holds it and tries again until the dependency is back.
var ErrUnavailable = errors.New("dependency unavailable")

// Unavailable wraps err so errors.Is(err, ErrUnavailable) holds. A permanent error stays
// permanent: it says the message can never succeed, whatever is available.
func Unavailable(err error) error {
	if err == nil || errors.Is(err, ErrPermanent) {
		return err
	}
	return unavailableError{err}
}

type unavailableError struct{ err error }

func (e unavailableError) Error() string   { return e.err.Error() }
func (e unavailableError) Unwrap() []error { return []error{e.err, ErrUnavailable} }

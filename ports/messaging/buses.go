package messaging

import (
	"context"
	"fmt"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/components/cqrs"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/example/orders-service/app/bus"
)

// Buses implement app/bus with Watermill's CommandBus and EventBus. Their hooks copy the
// correlation ID and the causing message's UUID from ctx onto every message sent, which the
// stock CorrelationID middleware cannot do for messages sent through a bus.
type Buses struct {
	commands *cqrs.CommandBus
	events   *cqrs.EventBus
}

var (
	_ bus.CommandSender  = (*Buses)(nil)
	_ bus.EventPublisher = (*Buses)(nil)
)

// NewBuses builds both buses on one publisher.
func NewBuses(pub message.Publisher, topics Topics, logger watermill.LoggerAdapter) (*Buses, error) {
	commands, err := cqrs.NewCommandBusWithConfig(pub, cqrs.CommandBusConfig{
		GeneratePublishTopic: func(p cqrs.CommandBusGeneratePublishTopicParams) (string, error) {
			ctx, err := bus.ContextOf(p.CommandName)
			return topics.Commands(ctx), bus.Permanent(err)
		},
		OnSend:    func(p cqrs.CommandBusOnSendParams) error { stamp(p.Message); return nil },
		Marshaler: codec{},
		Logger:    logger,
	})
	if err != nil {
		return nil, fmt.Errorf("creating command bus: %w", err)
	}
	events, err := cqrs.NewEventBusWithConfig(pub, cqrs.EventBusConfig{
		GeneratePublishTopic: func(p cqrs.GenerateEventPublishTopicParams) (string, error) {
			ctx, err := bus.ContextOf(p.EventName)
			return topics.Events(ctx), bus.Permanent(err)
		},
		OnPublish: func(p cqrs.OnEventSendParams) error { stamp(p.Message); return nil },
		Marshaler: codec{},
		Logger:    logger,
	})
	if err != nil {
		return nil, fmt.Errorf("creating event bus: %w", err)
	}
	return &Buses{commands: commands, events: events}, nil
}

// stamp copies correlation and causation from the message's context (the cqrs buses set it
// from the ctx passed to Send/Publish) onto its metadata.
func stamp(msg *message.Message) {
	ctx := msg.Context()
	if id := bus.CorrelationID(ctx); id != "" {
		msg.Metadata.Set(CorrelationIDKey, id)
	}
	if id := bus.CausationID(ctx); id != "" {
		msg.Metadata.Set(CausationIDKey, id)
	}
}

// Send returns once the broker has acknowledged the command. A failure is the broker's
// (bus.ErrUnavailable), unless the publisher says the message itself can never be sent.
func (b *Buses) Send(ctx context.Context, cmd bus.Message) error {
	if err := b.commands.Send(ctx, cmd); err != nil {
		return bus.Unavailable(fmt.Errorf("sending %s: %w", cmd.MessageName(), err))
	}
	return nil
}

// Publish returns once the broker has acknowledged every event.
func (b *Buses) Publish(ctx context.Context, events ...bus.Message) error {
	for _, e := range events {
		if err := b.events.Publish(ctx, e); err != nil {
			return bus.Unavailable(fmt.Errorf("publishing %s: %w", e.MessageName(), err))
		}
	}
	return nil
}

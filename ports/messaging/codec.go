package messaging

import (
	"fmt"

	"github.com/ThreeDotsLabs/watermill/components/cqrs"
	"github.com/ThreeDotsLabs/watermill/message"
	jsonv2 "github.com/go-json-experiment/json"
	"github.com/google/uuid"

	"github.com/example/orders-service/app/bus"
)

// codec is the cqrs marshaler: JSON payloads, the explicit wire name in the "type" header
// (never a Go type name, so a refactor cannot break consumers), the partition key in
// metadata, and time-ordered UUIDv7 message IDs.
type codec struct{}

var _ cqrs.CommandEventMarshaler = codec{}

func (codec) Marshal(v any) (*message.Message, error) {
	m, ok := v.(bus.Message)
	if !ok {
		return nil, bus.Permanent(fmt.Errorf("%T is not a bus.Message", v))
	}
	// Encoded by the same JSON implementation that decodes it (decodePayload), so that no
	// value is written in a form the reader refuses.
	payload, err := jsonv2.Marshal(v)
	if err != nil {
		return nil, bus.Permanent(fmt.Errorf("encoding %s: %w", m.MessageName(), err))
	}
	id, err := uuid.NewV7()
	if err != nil {
		return nil, fmt.Errorf("generating message UUID: %w", err)
	}
	msg := message.NewMessage(id.String(), payload)
	msg.Metadata.Set(TypeKey, m.MessageName())
	msg.Metadata.Set(PartitionKeyKey, m.PartitionKey())
	return msg, nil
}

func (codec) Unmarshal(msg *message.Message, v any) error {
	return decodePayload(msg.Payload, v)
}

// decodePayload reads a message's JSON payload into v: the one decoding of incoming
// messages. JSON v2 decodes in one pass with far fewer allocations than encoding/json, and
// each order's messages are decoded several times. It matches field names exactly: the
// wire names are a versioned contract, as on the HTTP API.
func decodePayload(payload []byte, v any) error {
	return jsonv2.Unmarshal(payload, v)
}

func (codec) Name(v any) string {
	if m, ok := v.(bus.Message); ok {
		return m.MessageName()
	}
	return ""
}

func (codec) NameFromMessage(msg *message.Message) string { return msg.Metadata.Get(TypeKey) }

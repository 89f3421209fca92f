package messaging

import (
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
)

// Metadata keys, sent as Kafka headers. The message UUID travels in watermill-kafka's
// "_watermill_message_uuid" header.
const (
	CorrelationIDKey = middleware.CorrelationIDMetadataKey // "correlation_id"
	CausationIDKey   = "causation_id"
	TypeKey          = "type"
	PartitionKeyKey  = "partition_key"

	// Added to a poisoned message next to Watermill's reason/topic/handler/subscriber_poisoned.
	PartitionPoisonedKey = "partition_poisoned"
	OffsetPoisonedKey    = "offset_poisoned"
	AttemptsPoisonedKey  = "attempts_poisoned"
	PoisonedAtKey        = "poisoned_at"
)

// PartitionKey is the Kafka key of an outgoing message: the order ID for everything about an
// order, the SKU for a stock level.
func PartitionKey(msg *message.Message) string {
	return msg.Metadata.Get(PartitionKeyKey)
}

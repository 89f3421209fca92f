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
)

// PartitionKey is the Kafka key of an outgoing message: the order ID for everything about an
// order, the SKU for a stock level.
func PartitionKey(msg *message.Message) string {
	return msg.Metadata.Get(PartitionKeyKey)
}

package messaging

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
)

// PoisonLimits bound the copy of a message sent to the poison topic. A message that could
// not be processed must always leave its partition; the copy carries extra headers, so a
// record near the size limit would no longer fit unchanged, and a hostile header could make
// the copy as large as the record.
type PoisonLimits struct {
	// MaxRecordBytes is the largest record the publisher sends (its producer's
	// MaxMessageBytes): key, headers and payload together stay below it.
	MaxRecordBytes int
	// MaxHeaderValueBytes caps every header value copied from the original message.
	MaxHeaderValueBytes int
	// MaxReasonBytes caps the reason, which repeats parts of the message.
	MaxReasonBytes int
	// MaxHeaderBytes caps the headers copied from the original message, all together;
	// those beyond it are dropped and counted.
	MaxHeaderBytes int
}

// DefaultPoisonLimits fit a producer that sends records of up to maxRecordBytes.
func DefaultPoisonLimits(maxRecordBytes int) PoisonLimits {
	return PoisonLimits{
		MaxRecordBytes:      maxRecordBytes,
		MaxHeaderValueBytes: 1 << 10,
		MaxReasonBytes:      4 << 10,
		MaxHeaderBytes:      32 << 10,
	}
}

// Headers a poisoned copy carries beyond Watermill's reason/topic/handler/subscriber_poisoned.
const (
	PartitionPoisonedKey = "partition_poisoned"
	OffsetPoisonedKey    = "offset_poisoned"
	AttemptsPoisonedKey  = "attempts_poisoned"
	PoisonedAtKey        = "poisoned_at"
	// PayloadBytesPoisonedKey is the original payload's size, always set.
	PayloadBytesPoisonedKey = "payload_bytes_poisoned"
	// PayloadTruncatedPoisonedKey is "true" when the copy holds only the start of the
	// payload; the whole original is still on its topic, at its partition and offset.
	PayloadTruncatedPoisonedKey = "payload_truncated_poisoned"
	// HeadersTruncatedPoisonedKey lists the headers whose value was cut to
	// MaxHeaderValueBytes, comma-separated.
	HeadersTruncatedPoisonedKey = "headers_truncated_poisoned"
	// HeadersDroppedPoisonedKey counts the original headers left out of the copy.
	HeadersDroppedPoisonedKey = "headers_dropped_poisoned"
)

// poisonFacts is what the poison middleware learnt about a message that failed.
type poisonFacts struct {
	reason     string
	topic      string
	handler    string
	subscriber string
	partition  string // "" when not read from Kafka
	offset     string
	attempts   int
	poisonedAt string
}

// Per-record and per-header overhead in a Kafka record batch (varint lengths, attributes,
// timestamp and offset deltas), counted generously; plus the message UUID header the Kafka
// marshaler adds.
const (
	recordOverheadBytes = 64
	headerOverheadBytes = 10
	uuidHeaderBytes     = len("_watermill_message_uuid") + 36 + headerOverheadBytes
)

// keptFirst are the original headers worth keeping before any other when the header budget
// runs out: they tie the poisoned copy to its flow.
var keptFirst = []string{CorrelationIDKey, TypeKey, PartitionKeyKey, CausationIDKey}

// poisonCopy builds the bounded copy of msg for the poison topic: the original's headers
// (each value capped, the most useful first, the rest dropped once their budget is spent),
// the poison headers, and as much of the payload as still fits the record.
func poisonCopy(msg *message.Message, f poisonFacts, lim PoisonLimits) *message.Message {
	meta := message.Metadata{}
	var truncated []string
	size := recordOverheadBytes + uuidHeaderBytes
	add := func(k, v string) {
		meta.Set(k, v)
		size += len(k) + len(v) + headerOverheadBytes
	}

	add(middleware.ReasonForPoisonedKey, capValue(f.reason, lim.MaxReasonBytes))
	add(middleware.PoisonedTopicKey, capValue(f.topic, lim.MaxHeaderValueBytes))
	add(middleware.PoisonedHandlerKey, f.handler)
	add(middleware.PoisonedSubscriberKey, f.subscriber)
	if f.partition != "" {
		add(PartitionPoisonedKey, f.partition)
		add(OffsetPoisonedKey, f.offset)
	}
	add(AttemptsPoisonedKey, strconv.Itoa(f.attempts))
	add(PoisonedAtKey, f.poisonedAt)
	add(PayloadBytesPoisonedKey, strconv.Itoa(len(msg.Payload)))

	headerBytes, dropped := 0, 0
	for _, k := range originalHeaderOrder(msg.Metadata) {
		v := msg.Metadata[k]
		if _, ours := meta[k]; ours {
			continue // a poison header of an earlier poisoning: this one replaces it
		}
		cost := len(k) + min(len(v), lim.MaxHeaderValueBytes) + headerOverheadBytes
		if len(k) > lim.MaxHeaderValueBytes || headerBytes+cost > lim.MaxHeaderBytes {
			dropped++
			continue
		}
		if len(v) > lim.MaxHeaderValueBytes {
			v = capValue(v, lim.MaxHeaderValueBytes)
			truncated = append(truncated, k)
		}
		headerBytes += cost
		add(k, v)
	}
	if len(truncated) > 0 {
		add(HeadersTruncatedPoisonedKey, capValue(strings.Join(truncated, ","), lim.MaxHeaderValueBytes))
	}
	if dropped > 0 {
		add(HeadersDroppedPoisonedKey, strconv.Itoa(dropped))
	}

	payload := msg.Payload
	// The key is the partition_key header's value, sent once more as the record's key.
	size += len(meta.Get(PartitionKeyKey))
	if room := lim.MaxRecordBytes - size - len(PayloadTruncatedPoisonedKey) - len("true") - headerOverheadBytes; len(payload) > room {
		payload = payload[:max(room, 0)]
		add(PayloadTruncatedPoisonedKey, "true")
	}
	out := message.NewMessage(msg.UUID, payload)
	out.Metadata = meta
	return out
}

// originalHeaderOrder lists msg's header names: those that tie the copy to its flow first,
// then the others in name order, so what is dropped under pressure is predictable.
func originalHeaderOrder(md message.Metadata) []string {
	order := make([]string, 0, len(md))
	for _, k := range keptFirst {
		if _, ok := md[k]; ok {
			order = append(order, k)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(md)) {
		if !slices.Contains(keptFirst, k) {
			order = append(order, k)
		}
	}
	return order
}

// capValue cuts s to at most n bytes, at a character boundary when s is text, and says
// how long it was.
func capValue(s string, n int) string {
	if len(s) <= n {
		return s
	}
	marker := "... (" + strconv.Itoa(len(s)) + " bytes)"
	cut := max(n-len(marker), 0)
	if utf8.ValidString(s) {
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
	}
	return s[:cut] + marker
}

package kafka

import (
	"slices"
	"testing"

	"github.com/IBM/sarama"
	wkafka "github.com/ThreeDotsLabs/watermill-kafka/v3/pkg/kafka"
	"github.com/ThreeDotsLabs/watermill/message"
)

func keyFromMetadata(msg *message.Message) string { return msg.Metadata.Get("partition_key") }

func headerMap(t *testing.T, hs []sarama.RecordHeader) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, h := range hs {
		if _, dup := m[string(h.Key)]; dup {
			t.Errorf("header %s twice", h.Key)
		}
		m[string(h.Key)] = string(h.Value)
	}
	return m
}

func TestMarshalerMarshal(t *testing.T) {
	tests := []struct {
		name     string
		metadata map[string]string
		wantKey  []byte // nil: no key
	}{
		{name: "with key", metadata: map[string]string{"partition_key": "order-1", "type": "orders.X.v1", "correlation_id": "c-1"}, wantKey: []byte("order-1")},
		{name: "without key", metadata: map[string]string{"type": "orders.X.v1"}},
		{name: "no metadata", metadata: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := message.NewMessage("uuid-1", []byte(`{"a":1}`))
			for k, v := range tt.metadata {
				msg.Metadata.Set(k, v)
			}
			km, err := marshaler{key: keyFromMetadata}.Marshal("topic-a", msg)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			if km.Topic != "topic-a" {
				t.Errorf("Topic = %q", km.Topic)
			}
			if tt.wantKey == nil {
				if km.Key != nil {
					t.Errorf("Key = %v, want none", km.Key)
				}
			} else {
				if km.Key == nil {
					t.Fatal("Key not set")
				}
				got, _ := km.Key.Encode()
				if string(got) != string(tt.wantKey) {
					t.Errorf("Key = %q, want %q", got, tt.wantKey)
				}
			}
			v, _ := km.Value.Encode()
			if string(v) != `{"a":1}` {
				t.Errorf("Value = %s", v)
			}
			h := headerMap(t, km.Headers)
			if h[wkafka.UUIDHeaderKey] != "uuid-1" {
				t.Errorf("UUID header = %q, want uuid-1", h[wkafka.UUIDHeaderKey])
			}
			for k, v := range tt.metadata {
				if h[k] != v {
					t.Errorf("header %s = %q, want %q", k, h[k], v)
				}
			}
			if len(h) != len(tt.metadata)+1 {
				t.Errorf("headers = %v, want the metadata and the UUID", h)
			}
		})
	}
}

func TestMarshalerMarshalReservedHeader(t *testing.T) {
	msg := message.NewMessage("u", nil)
	msg.Metadata.Set(wkafka.UUIDHeaderKey, "spoof")
	if _, err := (marshaler{key: keyFromMetadata}).Marshal("t", msg); err == nil {
		t.Fatal("Marshal accepted metadata that overwrites the UUID header")
	}
}

func TestMarshalerUnmarshalNeverFails(t *testing.T) {
	tests := []struct {
		name     string
		km       *sarama.ConsumerMessage
		wantUUID string
		wantMD   map[string]string
		wantBody string
	}{
		{
			name: "full",
			km: &sarama.ConsumerMessage{Key: []byte("k"), Value: []byte(`{"x":1}`), Headers: []*sarama.RecordHeader{
				{Key: []byte(wkafka.UUIDHeaderKey), Value: []byte("uuid-7")},
				{Key: []byte("type"), Value: []byte("orders.X.v1")},
				{Key: []byte("correlation_id"), Value: []byte("c")},
			}},
			wantUUID: "uuid-7", wantMD: map[string]string{"type": "orders.X.v1", "correlation_id": "c"}, wantBody: `{"x":1}`,
		},
		{name: "no headers, nil value", km: &sarama.ConsumerMessage{}, wantMD: map[string]string{}},
		{name: "garbage value", km: &sarama.ConsumerMessage{Value: []byte{0xff, 0x00, '{'}}, wantMD: map[string]string{}, wantBody: "\xff\x00{"},
		{
			name:   "header with nil value",
			km:     &sarama.ConsumerMessage{Headers: []*sarama.RecordHeader{{Key: []byte("type")}}},
			wantMD: map[string]string{"type": ""},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg, err := marshaler{key: keyFromMetadata}.Unmarshal(tt.km)
			if err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			if msg == nil {
				t.Fatal("Unmarshal returned a nil message")
			}
			if msg.UUID != tt.wantUUID {
				t.Errorf("UUID = %q, want %q", msg.UUID, tt.wantUUID)
			}
			if string(msg.Payload) != tt.wantBody {
				t.Errorf("Payload = %q, want %q", msg.Payload, tt.wantBody)
			}
			if len(msg.Metadata) != len(tt.wantMD) {
				t.Errorf("Metadata = %v, want %v", msg.Metadata, tt.wantMD)
			}
			for k, v := range tt.wantMD {
				if got, ok := msg.Metadata[k]; !ok || got != v {
					t.Errorf("Metadata[%s] = %q, %v; want %q", k, got, ok, v)
				}
			}
			if _, ok := msg.Metadata[wkafka.UUIDHeaderKey]; ok {
				t.Error("UUID header copied into metadata")
			}
		})
	}
}

func TestMarshalerRoundTrip(t *testing.T) {
	msg := message.NewMessage("uuid-r", []byte("payload"))
	msg.Metadata.Set("partition_key", "k-1")
	msg.Metadata.Set("type", "stock.Y.v1")
	m := marshaler{key: keyFromMetadata}
	km, err := m.Marshal("t", msg)
	if err != nil {
		t.Fatal(err)
	}
	value, _ := km.Value.Encode()
	key, _ := km.Key.Encode()
	cm := &sarama.ConsumerMessage{Key: key, Value: value}
	for i := range km.Headers {
		cm.Headers = append(cm.Headers, &km.Headers[i])
	}
	back, err := m.Unmarshal(cm)
	if err != nil {
		t.Fatal(err)
	}
	if !back.Equals(msg) {
		t.Fatalf("round trip: got %s %v %q, want %s %v %q", back.UUID, back.Metadata, back.Payload, msg.UUID, msg.Metadata, msg.Payload)
	}
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range back.Metadata {
			if !yield(k) {
				return
			}
		}
	})
	if !slices.Equal(keys, []string{"partition_key", "type"}) {
		t.Errorf("metadata keys = %v", keys)
	}
}

package messaging

import (
	"encoding/json"
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"
)

func TestCodecMarshal(t *testing.T) {
	tests := []struct {
		name     string
		in       any
		wantType string
		wantKey  string
	}{
		{name: "command", in: fakeCmd{ID: "order-1", Note: "n"}, wantType: "orders.X.v1", wantKey: "order-1"},
		{name: "event", in: fakeEvent{SKU: "sku-1", N: 3}, wantType: "stock.Y.v1", wantKey: "sku-1"},
		{name: "pointer", in: &fakeEvent{SKU: "sku-2"}, wantType: "stock.Y.v1", wantKey: "sku-2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg, err := codec{}.Marshal(tt.in)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			if got := msg.Metadata.Get(TypeKey); got != tt.wantType {
				t.Errorf("type = %q, want %q", got, tt.wantType)
			}
			if got := msg.Metadata.Get(PartitionKeyKey); got != tt.wantKey {
				t.Errorf("partition_key = %q, want %q", got, tt.wantKey)
			}
			if got := PartitionKey(msg); got != tt.wantKey {
				t.Errorf("PartitionKey(msg) = %q, want %q", got, tt.wantKey)
			}
			id, err := uuid.Parse(msg.UUID)
			if err != nil {
				t.Fatalf("message UUID %q: %v", msg.UUID, err)
			}
			if id.Version() != 7 {
				t.Errorf("message UUID %s is version %d, want 7", id, id.Version())
			}
			want, _ := json.Marshal(tt.in)
			if string(msg.Payload) != string(want) {
				t.Errorf("payload = %s, want %s", msg.Payload, want)
			}
			if got := (codec{}).NameFromMessage(msg); got != tt.wantType {
				t.Errorf("NameFromMessage = %q, want %q", got, tt.wantType)
			}
		})
	}
}

func TestCodecMarshalUniqueUUIDs(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		msg, err := codec{}.Marshal(fakeCmd{ID: "same"})
		if err != nil {
			t.Fatal(err)
		}
		if seen[msg.UUID] {
			t.Fatalf("UUID %s generated twice", msg.UUID)
		}
		seen[msg.UUID] = true
	}
}

func TestCodecMarshalErrors(t *testing.T) {
	tests := []struct {
		name string
		in   any
	}{
		{"nil", nil},
		{"string", "orders.X.v1"},
		{"plain struct", struct{ ID string }{"x"}},
		{"unencodable bus.Message", unencodable{C: make(chan int)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg, err := codec{}.Marshal(tt.in)
			if err == nil {
				t.Fatalf("Marshal(%T) = %v, nil; want an error", tt.in, msg)
			}
		})
	}
}

func TestCodecNames(t *testing.T) {
	tests := []struct {
		in   any
		want string
	}{
		{fakeCmd{}, "orders.X.v1"},
		{&fakeEvent{}, "stock.Y.v1"},
		{struct{}{}, ""},
		{nil, ""},
	}
	for _, tt := range tests {
		if got := (codec{}).Name(tt.in); got != tt.want {
			t.Errorf("Name(%T) = %q, want %q", tt.in, got, tt.want)
		}
	}

	msg := message.NewMessage("id", nil)
	if got := (codec{}).NameFromMessage(msg); got != "" {
		t.Errorf("NameFromMessage without type = %q, want empty", got)
	}
	msg.Metadata.Set(TypeKey, "stock.Z.v2")
	if got := (codec{}).NameFromMessage(msg); got != "stock.Z.v2" {
		t.Errorf("NameFromMessage = %q, want stock.Z.v2", got)
	}
}

func TestCodecRoundTrip(t *testing.T) {
	in := fakeCmd{ID: "o-1", Note: "hello"}
	msg, err := codec{}.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out fakeCmd
	if err := (codec{}).Unmarshal(msg, &out); err != nil {
		t.Fatal(err)
	}
	if out != in {
		t.Fatalf("round trip = %+v, want %+v", out, in)
	}
}

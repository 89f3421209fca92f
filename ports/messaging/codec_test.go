package messaging

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"

	"github.com/example/orders-service/adapters/memory"
	"github.com/example/orders-service/app"
	"github.com/example/orders-service/app/bus"
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
	tests := []struct {
		name string
		in   bus.Message
	}{
		{name: "command", in: fakeCmd{ID: "o-1", Note: "hello"}},
		{name: "command without optional field", in: fakeCmd{ID: "o-2"}},
		{name: "event", in: fakeEvent{SKU: "sku-1", N: -3}},
		{name: "non-ASCII and HTML characters", in: fakeCmd{ID: "o-3", Note: "<ü & \u2028>"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg, err := codec{}.Marshal(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			out := reflect.New(reflect.TypeOf(tt.in))
			if err := (codec{}).Unmarshal(msg, out.Interface()); err != nil {
				t.Fatal(err)
			}
			if got := out.Elem().Interface(); got != tt.in {
				t.Fatalf("round trip = %+v, want %+v", got, tt.in)
			}
		})
	}
}

// TestDecodePayload checks the one decoding of incoming messages (JSON v2, exact field
// names) both where the cqrs codec and where the router's dispatch use it.
func TestDecodePayload(t *testing.T) {
	decoders := map[string]func(t *testing.T, payload string) (fakeCmd, error){
		"codec.Unmarshal": func(t *testing.T, payload string) (fakeCmd, error) {
			var out fakeCmd
			err := codec{}.Unmarshal(message.NewMessage("id", []byte(payload)), &out)
			return out, err
		},
		"dispatch": func(t *testing.T, payload string) (fakeCmd, error) {
			var out fakeCmd
			g := mustGroups(t, Topics{}, bus.Event("g", func(_ context.Context, c fakeCmd) error { out = c; return nil }))[0]
			return out, g.dispatch(newMsg(fakeCmd{}.MessageName(), payload))
		},
	}
	tests := []struct {
		name    string
		payload string
		want    fakeCmd
		wantErr bool
	}{
		{name: "exact field names", payload: `{"id":"o-1","note":"n"}`, want: fakeCmd{ID: "o-1", Note: "n"}},
		{name: "other case is another field", payload: `{"ID":"o-1","Note":"n"}`},
		{name: "unknown fields ignored", payload: `{"id":"o-1","extra":1}`, want: fakeCmd{ID: "o-1"}},
		{name: "wrong type", payload: `{"id":42}`, wantErr: true},
		{name: "duplicate field", payload: `{"id":"a","id":"b"}`, wantErr: true},
		{name: "invalid UTF-8", payload: "{\"id\":\"\xff\"}", wantErr: true},
		{name: "trailing data", payload: `{"id":"o-1"} {}`, wantErr: true},
		{name: "not JSON", payload: `{not json`, wantErr: true},
	}
	for name, decode := range decoders {
		for _, tt := range tests {
			t.Run(name+"/"+tt.name, func(t *testing.T) {
				got, err := decode(t, tt.payload)
				if (err != nil) != tt.wantErr || (err == nil && got != tt.want) {
					t.Fatalf("decoding %s = %+v, %v; want %+v, error %v", tt.payload, got, err, tt.want, tt.wantErr)
				}
			})
		}
	}
}

// Every message type of the application's routing table survives the codec: what the buses
// encode, dispatch decodes into an equal value.
func TestCodecRoundTripsEveryRoutedType(t *testing.T) {
	for _, r := range app.New(memory.NewAdapters()).Routes {
		t.Run(r.Message, func(t *testing.T) {
			sent := reflect.New(r.Type).Elem()
			fillForRoundTrip(sent)
			msg, err := codec{}.Marshal(sent.Interface())
			if err != nil {
				t.Fatal(err)
			}
			got := reflect.New(r.Type)
			if err := decodePayload(msg.Payload, got.Interface()); err != nil {
				t.Fatalf("decoding what was encoded (%s): %v", msg.Payload, err)
			}
			if !reflect.DeepEqual(got.Elem().Interface(), sent.Interface()) {
				t.Fatalf("round trip\n %#v\nwant\n %#v", got.Elem().Interface(), sent.Interface())
			}
		})
	}
}

// fillForRoundTrip gives every exported field of v a value other than its zero, so the
// round trip covers it.
func fillForRoundTrip(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		v.SetString("x")
	case reflect.Int, reflect.Int64, reflect.Int32:
		v.SetInt(7)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Date(2026, 3, 1, 12, 0, 0, 5, time.UTC)))
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fillForRoundTrip(v.Field(i))
			}
		}
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 2, 2)
		for i := range 2 {
			fillForRoundTrip(s.Index(i))
		}
		v.Set(s)
	}
}

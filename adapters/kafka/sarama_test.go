package kafka

import (
	"testing"
	"time"

	"github.com/IBM/sarama"
)

func TestProtocolVersionPinned(t *testing.T) {
	// Kafka 4.x refuses requests older than 2.1; kfake cannot decode what Sarama sends from 2.4.
	if !ProtocolVersion.IsAtLeast(sarama.V2_1_0_0) {
		t.Errorf("ProtocolVersion %s < 2.1.0: Kafka 4.x brokers would refuse it", ProtocolVersion)
	}
	if !sarama.V2_3_0_0.IsAtLeast(ProtocolVersion) {
		t.Errorf("ProtocolVersion %s > 2.3.0: the embedded kfake broker would break", ProtocolVersion)
	}
}

func TestSaramaConfig(t *testing.T) {
	tests := []struct {
		name           string
		s              Settings
		wantIdempotent bool
		wantClientID   string
		wantDial       time.Duration
	}{
		{name: "defaults", s: Settings{}, wantIdempotent: true, wantClientID: "orders-service", wantDial: 3 * time.Second},
		{name: "not idempotent", s: Settings{NotIdempotent: true}, wantIdempotent: false, wantClientID: "orders-service", wantDial: 3 * time.Second},
		{name: "explicit", s: Settings{ClientID: "svc-2", DialTimeout: 500 * time.Millisecond, Producers: 4}, wantIdempotent: true, wantClientID: "svc-2", wantDial: 500 * time.Millisecond},
		{name: "negative dial timeout", s: Settings{DialTimeout: -time.Second}, wantIdempotent: true, wantClientID: "orders-service", wantDial: 3 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := saramaConfig(tt.s)
			if c.Version != ProtocolVersion {
				t.Errorf("Version = %s, want %s", c.Version, ProtocolVersion)
			}
			if c.Producer.RequiredAcks != sarama.WaitForAll {
				t.Errorf("RequiredAcks = %v, want WaitForAll", c.Producer.RequiredAcks)
			}
			if c.Producer.Idempotent != tt.wantIdempotent {
				t.Errorf("Idempotent = %v, want %v", c.Producer.Idempotent, tt.wantIdempotent)
			}
			if c.Net.MaxOpenRequests != 1 {
				t.Errorf("MaxOpenRequests = %d, want 1", c.Net.MaxOpenRequests)
			}
			if c.Consumer.Offsets.Initial != sarama.OffsetOldest {
				t.Errorf("Offsets.Initial = %d, want OffsetOldest", c.Consumer.Offsets.Initial)
			}
			if !c.Consumer.Offsets.AutoCommit.Enable || c.Consumer.Offsets.AutoCommit.Interval <= 0 {
				t.Errorf("AutoCommit = %+v, want enabled with an interval", c.Consumer.Offsets.AutoCommit)
			}
			if !c.Producer.Return.Successes || !c.Producer.Return.Errors {
				t.Errorf("Producer.Return = %+v, want successes and errors (synchronous producer)", c.Producer.Return)
			}
			if !c.Consumer.Return.Errors {
				t.Error("Consumer.Return.Errors = false")
			}
			if c.ClientID != tt.wantClientID {
				t.Errorf("ClientID = %q, want %q", c.ClientID, tt.wantClientID)
			}
			if c.Net.DialTimeout != tt.wantDial {
				t.Errorf("DialTimeout = %v, want %v", c.Net.DialTimeout, tt.wantDial)
			}
			if err := c.Validate(); err != nil {
				t.Errorf("Validate: %v", err)
			}
		})
	}
}

func TestSaramaConfigIsFreshEachTime(t *testing.T) {
	a, b := saramaConfig(Settings{}), saramaConfig(Settings{})
	if a == b {
		t.Fatal("saramaConfig returned a shared *sarama.Config")
	}
	a.ClientID = "changed"
	if b.ClientID == "changed" {
		t.Fatal("configs share state")
	}
}

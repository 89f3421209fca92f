package main

import (
	"context"
	"testing"
	"time"

	"github.com/example/orders-service/adapters/kafka"
)

func TestBaselinePayloadSize(t *testing.T) {
	for _, size := range []int{200, 250, 300, 1000} {
		if got := len(baselinePayload(size)); got != size {
			t.Errorf("baselinePayload(%d) is %d bytes", size, got)
		}
	}
}

// TestBaselineAgainstEmbeddedBroker runs a small baseline on the service's embedded broker.
func TestBaselineAgainstEmbeddedBroker(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a broker and a consumer group")
	}
	broker, err := kafka.StartEmbedded("127.0.0.1:0", 8, "")
	if err != nil {
		t.Fatal(err)
	}
	defer broker.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := runBaseline(ctx, baselineConfig{
		Brokers: []string{broker.Addr()}, Messages: 600, Size: 250, Publishers: 16, Timeout: 20 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Partitions != 8 || res.Messages != 600 || res.MessageBytes != 250 || res.MsgsPerSec <= 0 ||
		res.ElapsedSec < res.PublishSec || res.PublishedPerSec < res.MsgsPerSec {
		t.Errorf("baseline result inconsistent: %+v", res)
	}
}

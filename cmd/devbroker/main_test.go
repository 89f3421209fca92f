package main

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

func TestRunServesKafkaUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	addrs := make(chan string, 1)
	done := make(chan error, 1)
	var log bytes.Buffer
	go func() { done <- run(ctx, []string{"--addr", "127.0.0.1:0"}, &log, func(a string) { addrs <- a }) }()
	var addr string
	select {
	case addr = <-addrs:
	case err := <-done:
		t.Fatalf("run stopped at start: %v", err)
	}

	client, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.AllowAutoTopicCreation(), kgo.DefaultProduceTopic("t"))
	if err != nil {
		t.Fatal(err)
	}
	produceCtx, cancelProduce := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancelProduce()
	if err := client.ProduceSync(produceCtx, &kgo.Record{Value: []byte("hello")}).FirstErr(); err != nil {
		t.Fatalf("producing to the dev broker: %v", err)
	}
	client.Close()

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run after cancel: %v", err)
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	var log bytes.Buffer
	if err := run(context.Background(), []string{"--partitions", "x"}, &log, nil); err == nil {
		t.Fatal("bad flag accepted")
	}
}

package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"
)

// broker is the external embedded broker (cmd/devbroker) with a data directory, so that a
// restart keeps topics, records and committed offsets, as a restarted Kafka broker would.
type broker struct {
	proc *child
	addr string
}

func newBroker(bin, dir, addr string, partitions int) *broker {
	return &broker{
		addr: addr,
		proc: &child{
			name:    "broker",
			path:    bin,
			args:    []string{"--addr", addr, "--data-dir", filepath.Join(dir, "broker-data"), "--partitions", fmt.Sprint(partitions)},
			env:     baseEnv(),
			logPath: filepath.Join(dir, "logs", "broker.log"),
		},
	}
}

// start runs the broker and waits until it answers Kafka requests.
func (b *broker) start(ctx context.Context) error {
	if _, err := b.proc.start(); err != nil {
		return err
	}
	return b.waitReady(ctx, 30*time.Second)
}

// waitReady polls the broker with a Kafka request until it answers or the deadline passes.
func (b *broker) waitReady(ctx context.Context, bound time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, bound)
	defer cancel()
	cl, err := newKafkaClient(b.addr)
	if err != nil {
		return err
	}
	defer cl.Close()
	for {
		pingCtx, cancelPing := context.WithTimeout(ctx, time.Second)
		err := cl.Ping(pingCtx)
		cancelPing()
		if err == nil {
			return nil
		}
		if !b.proc.running() {
			return fmt.Errorf("broker exited while starting (see %s)", b.proc.logPath)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("broker at %s not answering after %s: %w", b.addr, bound, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

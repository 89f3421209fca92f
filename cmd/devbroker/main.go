// Command devbroker runs the embedded Kafka-protocol broker (kfake) on its own, so the
// service can be measured without the broker in its process, or several services can share
// one broker without Docker:
//
//	go run ./cmd/devbroker --addr 127.0.0.1:9092 &
//	KAFKA_BROKERS=127.0.0.1:9092 go run .
//
// It is a development tool: one node, no replication, data in memory unless --data-dir.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/example/orders-service/adapters/kafka"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr, nil); err != nil {
		fmt.Fprintln(os.Stderr, "devbroker:", err)
		os.Exit(1)
	}
}

// run starts the broker, reports its address on ready (when not nil), and serves until ctx
// ends.
func run(ctx context.Context, args []string, log io.Writer, ready func(addr string)) error {
	fs := flag.NewFlagSet("devbroker", flag.ContinueOnError)
	fs.SetOutput(log)
	addr := fs.String("addr", "127.0.0.1:9092", "listen address (port 0: any free port)")
	partitions := fs.Int("partitions", 8, "partitions of auto-created topics")
	dataDir := fs.String("data-dir", "", "keep topics, records and offsets in this directory")
	if err := fs.Parse(args); err != nil {
		return err
	}
	b, err := kafka.StartEmbedded(*addr, *partitions, *dataDir)
	if err != nil {
		return err
	}
	defer b.Close()
	fmt.Fprintf(log, "devbroker: Kafka-protocol broker (kfake) listening on %s\n", b.Addr())
	if ready != nil {
		ready(b.Addr())
	}
	<-ctx.Done()
	return nil
}

// Command devbroker runs the embedded Kafka-protocol broker (kfake) on its own, so the
// service can be measured without the broker in its process, or several services can share
// one broker without Docker:
//
//	go run ./cmd/devbroker --addr 127.0.0.1:9092 &
//	KAFKA_BROKERS=127.0.0.1:9092 go run .
//
// It is a development tool: one node, no replication, data in memory unless --data-dir.
// With --tls-dir and --sasl-mechanism it takes only TLS and SASL connections, like a
// managed cluster; it prints the variables that connect the service to it:
//
//	go run ./cmd/devbroker --tls-dir /tmp/devbroker-tls --sasl-mechanism SCRAM-SHA-512 --sasl-user dev --sasl-password dev-secret
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
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
	var sec securityFlags
	fs.StringVar(&sec.tlsDir, "tls-dir", "", "take TLS connections only, with a certificate for 127.0.0.1, localhost and the --addr host signed by a CA of its own; both are written to this directory the first time ("+caFileName+" is the CA for KAFKA_TLS_CA_FILE) and reused after")
	fs.StringVar(&sec.saslMechanism, "sasl-mechanism", "", "require SASL: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512")
	fs.StringVar(&sec.saslUser, "sasl-user", "dev", "the one SASL user")
	fs.StringVar(&sec.saslPassword, "sasl-password", "", "its password (a development one: it is visible to other local users in the process list)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	secure, clientEnv, err := sec.options(*addr)
	if err != nil {
		return err
	}
	b, err := kafka.StartEmbedded(*addr, *partitions, *dataDir, secure...)
	if err != nil {
		return err
	}
	defer b.Close()
	fmt.Fprintf(log, "devbroker: Kafka-protocol broker (kfake) listening on %s\n", b.Addr())
	if len(clientEnv) > 0 {
		fmt.Fprintf(log, "devbroker: connect with KAFKA_BROKERS=%s %s\n", b.Addr(), strings.Join(clientEnv, " "))
	}
	if ready != nil {
		ready(b.Addr())
	}
	<-ctx.Done()
	return nil
}

// Command orders-service runs the service: HTTP on HTTP_ADDR, Kafka at KAFKA_BROKERS, or an
// embedded Kafka-protocol broker when none is set. `orders-service --help` lists the
// configuration; see README.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/example/orders-service/service"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	exit := service.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(exit)
}

// Command orders-service runs the service: HTTP on HTTP_ADDR, Kafka at KAFKA_BROKERS, or an
// embedded Kafka-protocol broker when none is set. See README.md.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/example/orders-service/service"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := service.Main(ctx, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "orders-service:", err)
		os.Exit(1)
	}
}

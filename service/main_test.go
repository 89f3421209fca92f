package service_test

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"testing"

	"github.com/example/orders-service/service"
)

// childEnv makes the test binary run the service itself, as main.go does, so process-level
// tests (SIGTERM, exit codes) need no separate build.
const childEnv = "ORDERS_SERVICE_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		err := service.Main(ctx, os.Stderr)
		stop()
		if err != nil {
			fmt.Fprintln(os.Stderr, "orders-service:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

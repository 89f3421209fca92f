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
// tests (SIGTERM, exit codes, arguments) need no separate build.
const childEnv = "ORDERS_SERVICE_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		// The same three lines as main.go; the test flags were not parsed, so os.Args[1:]
		// are the command's arguments.
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		exit := service.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
		stop()
		os.Exit(exit)
	}
	exit := m.Run()
	// One line saying what did not run, rather than only a SKIP among the subtests. go test
	// shows a passing package's output with -v, or when run in the package directory
	// without arguments; "go test ./..." shows only its "ok" line, which cannot say more
	// here: most of this package's tests did run.
	if n := postgresSkips.Load(); n > 0 {
		fmt.Printf("PostgreSQL tests skipped: %d tests or subtests need PostgreSQL and did not run; set TEST_DATABASE_URL (e.g. %s) to run them\n", n, exampleDatabaseURL)
	}
	os.Exit(exit)
}

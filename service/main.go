package service

import (
	"context"
	"fmt"
	"io"
	"log/slog"
)

// Main is the orders-service command: args are the command-line arguments after the
// program's name (only -h, -help, --help or help, which print the usage), the configuration
// comes from the environment, logs go to stderr. It runs the service until ctx ends and
// returns the process's exit status (ExitOK, ExitError or ExitUsage).
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if exit, run := parseArgs(args, stdout, stderr); !run {
		return exit
	}
	if err := run(ctx, stderr); err != nil {
		fmt.Fprintln(stderr, "orders-service:", err)
		return ExitError
	}
	return ExitOK
}

func run(ctx context.Context, logOutput io.Writer) error {
	cfg, err := LoadConfig()
	if err != nil {
		return err
	}
	logger := NewLogger(cfg, logOutput)
	// The process's default logger becomes the configured one, so code that logs through
	// slog.Default writes in the same format and level as the rest.
	slog.SetDefault(logger)
	reportTelemetryErrors(logger)
	svc, err := New(ctx, cfg, Options{Logger: logger})
	if err != nil {
		return err
	}
	return svc.Run(ctx)
}

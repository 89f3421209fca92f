package service

import (
	"context"
	"io"
)

// Main loads the configuration from the environment and runs the service until ctx ends.
func Main(ctx context.Context, logOutput io.Writer) error {
	cfg, err := LoadConfig()
	if err != nil {
		return err
	}
	logger := NewLogger(cfg, logOutput)
	svc, err := New(ctx, cfg, Options{Logger: logger})
	if err != nil {
		return err
	}
	return svc.Run(ctx)
}

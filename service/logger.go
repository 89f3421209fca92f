package service

import (
	"io"
	"log/slog"
)

// NewLogger builds the slog logger the configuration asks for.
func NewLogger(c Config, w io.Writer) *slog.Logger {
	level, _ := c.slogLevel() // validated when the configuration was loaded
	opts := &slog.HandlerOptions{Level: level}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

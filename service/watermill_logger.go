package service

import (
	"context"
	"log/slog"

	"github.com/ThreeDotsLabs/watermill"
)

// watermillLogger adapts slog for Watermill and the Kafka adapter. Unlike Watermill's own
// adapter, it checks the level before turning fields into attributes: Watermill and
// watermill-kafka log several trace lines per message, and building them only to drop them
// cost ~4% of CPU in the end-to-end profile.
type watermillLogger struct {
	slog *slog.Logger
}

func newWatermillLogger(l *slog.Logger) watermill.LoggerAdapter { return watermillLogger{slog: l} }

func (w watermillLogger) Error(msg string, err error, fields watermill.LogFields) {
	w.log(slog.LevelError, msg, fields, "err", err)
}
func (w watermillLogger) Info(msg string, fields watermill.LogFields) {
	w.log(slog.LevelInfo, msg, fields)
}
func (w watermillLogger) Debug(msg string, fields watermill.LogFields) {
	w.log(slog.LevelDebug, msg, fields)
}
func (w watermillLogger) Trace(msg string, fields watermill.LogFields) {
	w.log(watermill.LevelTrace, msg, fields)
}

func (w watermillLogger) With(fields watermill.LogFields) watermill.LoggerAdapter {
	return watermillLogger{slog: w.slog.With(attrs(fields)...)}
}

func (w watermillLogger) log(level slog.Level, msg string, fields watermill.LogFields, extra ...any) {
	ctx := context.Background()
	if !w.slog.Enabled(ctx, level) {
		return
	}
	w.slog.Log(ctx, level, msg, append(attrs(fields), extra...)...)
}

func attrs(fields watermill.LogFields) []any {
	out := make([]any, 0, 2*len(fields))
	for k, v := range fields {
		out = append(out, k, v)
	}
	return out
}

package devtemporal

import (
	"context"
	"log/slog"

	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/log/tag"
)

// slogAdapter lets the embedded server log through the process's slog
// logger. The server is chatty at info level, so its info lines go to debug.
type slogAdapter struct{ log *slog.Logger }

var _ log.Logger = slogAdapter{}

func (s slogAdapter) Debug(msg string, tags ...tag.Tag)  { s.emit(slog.LevelDebug, msg, tags) }
func (s slogAdapter) Info(msg string, tags ...tag.Tag)   { s.emit(slog.LevelDebug, msg, tags) }
func (s slogAdapter) Warn(msg string, tags ...tag.Tag)   { s.emit(slog.LevelWarn, msg, tags) }
func (s slogAdapter) Error(msg string, tags ...tag.Tag)  { s.emit(slog.LevelError, msg, tags) }
func (s slogAdapter) DPanic(msg string, tags ...tag.Tag) { s.emit(slog.LevelError, msg, tags) }
func (s slogAdapter) Panic(msg string, tags ...tag.Tag)  { s.emit(slog.LevelError, msg, tags) }
func (s slogAdapter) Fatal(msg string, tags ...tag.Tag)  { s.emit(slog.LevelError, msg, tags) }

func (s slogAdapter) With(tags ...tag.Tag) log.Logger {
	return slogAdapter{log: s.log.With(toArgs(tags)...)}
}

func (s slogAdapter) emit(level slog.Level, msg string, tags []tag.Tag) {
	if !s.log.Enabled(context.Background(), level) {
		return
	}
	s.log.Log(context.Background(), level, msg, toArgs(tags)...)
}

func toArgs(tags []tag.Tag) []any {
	args := make([]any, 0, len(tags))
	for _, t := range tags {
		args = append(args, slog.Any(t.Key(), t.Value()))
	}
	return args
}

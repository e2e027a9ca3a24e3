package devtemporal

import (
	"context"
	"log/slog"
	"slices"

	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/log/tag"
)

// slogAdapter lets the embedded server log through the process's slog
// logger. The server is chatty at info level, so its info lines go to debug.
//
// With only keeps its tags: the server makes a tagged logger for every task
// and request, and most of them never log a line at an enabled level.
// Handing the tags to slog at once (which formats them) was 1 % of the dev
// stack's CPU under load.
type slogAdapter struct {
	log  *slog.Logger
	tags []tag.Tag // from With, oldest first
}

var _ log.Logger = slogAdapter{}

func (s slogAdapter) Debug(msg string, tags ...tag.Tag)  { s.emit(slog.LevelDebug, msg, tags) }
func (s slogAdapter) Info(msg string, tags ...tag.Tag)   { s.emit(slog.LevelDebug, msg, tags) }
func (s slogAdapter) Warn(msg string, tags ...tag.Tag)   { s.emit(slog.LevelWarn, msg, tags) }
func (s slogAdapter) Error(msg string, tags ...tag.Tag)  { s.emit(slog.LevelError, msg, tags) }
func (s slogAdapter) DPanic(msg string, tags ...tag.Tag) { s.emit(slog.LevelError, msg, tags) }
func (s slogAdapter) Panic(msg string, tags ...tag.Tag)  { s.emit(slog.LevelError, msg, tags) }
func (s slogAdapter) Fatal(msg string, tags ...tag.Tag)  { s.emit(slog.LevelError, msg, tags) }

func (s slogAdapter) With(tags ...tag.Tag) log.Logger {
	return slogAdapter{log: s.log, tags: append(slices.Clip(s.tags), tags...)}
}

func (s slogAdapter) emit(level slog.Level, msg string, tags []tag.Tag) {
	if !s.log.Enabled(context.Background(), level) {
		return
	}
	args := make([]any, 0, len(s.tags)+len(tags))
	for _, t := range slices.Concat(s.tags, tags) {
		args = append(args, slog.Any(t.Key(), t.Value()))
	}
	s.log.Log(context.Background(), level, msg, args...)
}

// Package logging builds the one slog logger every process uses; the
// Temporal SDK and the embedded server log through it too.
package logging

import (
	"io"
	"log/slog"
	"os"

	sdklog "go.temporal.io/sdk/log"
)

// New returns a logger writing JSON (production) or text (make dev) to w.
func New(w io.Writer, format string, level slog.Leveler) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// Stderr is New on os.Stderr.
func Stderr(format string, level slog.Leveler) *slog.Logger { return New(os.Stderr, format, level) }

// SDK adapts a slog logger for the Temporal SDK client and worker.
func SDK(l *slog.Logger) sdklog.Logger { return sdklog.NewStructuredLogger(l) }

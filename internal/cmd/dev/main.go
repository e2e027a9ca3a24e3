// Command dev runs the whole of Gatehouse in one foreground process for
// `make dev`: embedded Temporal server and Web UI, mail sink, migrations,
// worker and gateway.
package main

import (
	"context"
	"log/slog"
	"os"

	"gatehouse/internal/boot"
	"gatehouse/internal/config"
	"gatehouse/internal/devstack"
)

func main() {
	// Readable logs on a terminal unless the operator chose otherwise.
	if _, set := os.LookupEnv("GATEHOUSE_LOG_FORMAT"); !set {
		os.Setenv("GATEHOUSE_LOG_FORMAT", "text")
	}
	// Operators find a person by email in the dev UI; production opts in.
	if _, set := os.LookupEnv("GATEHOUSE_INDEX_EMAIL"); !set {
		os.Setenv("GATEHOUSE_INDEX_EMAIL", "true")
	}
	boot.Main("dev", nil, func(ctx context.Context, cfg config.Config, log *slog.Logger) error {
		return devstack.Run(ctx, cfg, log, devstack.SettingsFromEnv(), os.Stdout)
	})
}

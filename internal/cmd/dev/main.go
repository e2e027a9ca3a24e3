// Command dev runs the whole of Gatehouse in one foreground process for
// `make dev`: embedded Temporal server and Web UI, mail sink, migrations,
// worker and gateway.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"gatehouse/internal/config"
	"gatehouse/internal/devstack"
)

func main() {
	// Readable logs on a terminal unless the operator chose otherwise.
	if _, set := os.LookupEnv("GATEHOUSE_LOG_FORMAT"); !set {
		os.Setenv("GATEHOUSE_LOG_FORMAT", "text")
	}
	cfg, err := config.FromEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, "dev:", err)
		os.Exit(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := devstack.Run(ctx, cfg, devstack.SettingsFromEnv(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "dev:", err)
		os.Exit(1)
	}
}

// Command migrate applies Gatehouse's schema migrations to
// GATEHOUSE_MYSQL_DSN, creating the database if needed (make migrate).
package main

import (
	"context"
	"fmt"
	"os"

	"gatehouse/internal/config"
	"gatehouse/internal/logging"
	"gatehouse/internal/store"
)

func main() {
	cfg, err := config.FromEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, "migrate:", err)
		os.Exit(1)
	}
	log := logging.Stderr("text", cfg.LogLevel)
	if err := store.Migrate(context.Background(), cfg.MySQLDSN, log); err != nil {
		fmt.Fprintln(os.Stderr, "migrate:", err)
		os.Exit(1)
	}
	log.Info("schema up to date")
}

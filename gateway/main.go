// Command gateway serves Gatehouse's HTTP API: webhooks in, admin API,
// pages. It is stateless: run as many as you like behind a load balancer.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"go.temporal.io/sdk/client"

	"gatehouse/gateway/router"
	"gatehouse/gateway/web"
	"gatehouse/internal/config"
	"gatehouse/internal/logging"
	"gatehouse/internal/store"
	"gatehouse/internal/temporalconn"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "gateway:", err)
		os.Exit(1)
	}
}

func run() error {
	cfg, err := config.FromEnv()
	if err != nil {
		return err
	}
	if err := cfg.RequireAdminToken(); err != nil {
		return err
	}
	log := logging.Stderr(cfg.LogFormat, cfg.LogLevel).With("process", "gateway")
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	db, err := store.Open(ctx, cfg.MySQLDSN)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := store.CheckSchema(ctx, db); err != nil {
		return err
	}
	tc, err := temporalconn.Dial(ctx, cfg.Temporal, log, client.Options{})
	if err != nil {
		return err
	}
	defer tc.Close()

	handler, err := router.New(router.Options{Config: cfg, Store: db, Temporal: tc, Logger: log})
	if err != nil {
		return err
	}
	return web.Serve(ctx, cfg.HTTPAddr, handler, cfg.ShutdownTimeout, log)
}

// Command gateway serves Gatehouse's HTTP API: webhooks in, admin API,
// pages. It is stateless: run as many as you like behind a load balancer.
package main

import (
	"context"
	"log/slog"

	"gatehouse/gateway/router"
	"gatehouse/gateway/web"
	"gatehouse/internal/boot"
	"gatehouse/internal/config"
)

func main() { boot.Main("gateway", config.Config.RequireGateway, run) }

func run(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	c, err := boot.Connect(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer c.Close()

	handler, err := router.New(router.Options{Config: cfg, Store: c.Store, Temporal: c.Temporal, Logger: log, Priority: c.Priority})
	if err != nil {
		return err
	}
	return web.Serve(ctx, cfg.HTTPAddr, handler, cfg.ShutdownTimeout, log)
}

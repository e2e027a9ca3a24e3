// Command worker runs Gatehouse's Temporal workflows and activities. It is
// stateless: run several against the same task queue to scale out.
package main

import (
	"context"
	"errors"
	"log/slog"

	"gatehouse/internal/boot"
	"gatehouse/internal/config"
)

func main() { boot.Main("worker", requireWorker, run) }

func requireWorker(cfg config.Config) error {
	if cfg.SMTPURL == "" {
		return errors.New("GATEHOUSE_SMTP_URL: must be set for the worker (e.g. smtp://user:pass@relay:587)")
	}
	return cfg.RequirePayloadKeys()
}

func run(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	c, err := boot.Connect(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer c.Close()
	w, err := boot.Worker(cfg, log, c)
	if err != nil {
		return err
	}
	log.Info("worker polling", "taskQueue", cfg.Temporal.TaskQueue, "namespace", cfg.Temporal.Namespace)
	return w.Run(ctx)
}

// Command worker runs Gatehouse's Temporal workflows and activities. It is
// stateless: run several against the same task queue to scale out.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"gatehouse/internal/config"
	"gatehouse/internal/dispatch"
	"gatehouse/internal/logging"
	"gatehouse/internal/mail"
	"gatehouse/internal/store"
	"gatehouse/internal/temporalconn"
	"gatehouse/worker/wiring"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		os.Exit(1)
	}
}

func run() error {
	cfg, err := config.FromEnv()
	if err != nil {
		return err
	}
	if cfg.SMTPURL == "" {
		return fmt.Errorf("GATEHOUSE_SMTP_URL: must be set for the worker (e.g. smtp://user:pass@relay:587)")
	}
	log := logging.Stderr(cfg.LogFormat, cfg.LogLevel).With("process", "worker")
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
	mailer, err := mail.NewSender(cfg.SMTPURL, cfg.MailFrom)
	if err != nil {
		return fmt.Errorf("GATEHOUSE_SMTP_URL: %w", err)
	}
	tc, err := temporalconn.Dial(ctx, cfg.Temporal, log, client.Options{})
	if err != nil {
		return err
	}
	defer tc.Close()

	w := worker.New(tc, cfg.Temporal.TaskQueue, wiring.Options(cfg))
	wiring.Register(w, wiring.Deps{Config: cfg, Store: db, Mailer: mailer, Log: log})
	if cfg.SigningSecret == "" {
		log.Warn("GATEHOUSE_SIGNING_SECRET is unset: HTTP templates without their own signSecret are sent unsigned")
	}
	d := &dispatch.Dispatcher{Store: db, Temporal: tc, TaskQueue: cfg.Temporal.TaskQueue, Log: log}
	go d.Relay(ctx, wiring.RelayEvery, wiring.RelayGrace)
	log.Info("worker polling", "taskQueue", cfg.Temporal.TaskQueue, "namespace", cfg.Temporal.Namespace)
	// Stop lets in-flight activities finish for GATEHOUSE_SHUTDOWN_TIMEOUT;
	// anything still running is retried by Temporal on another worker.
	return w.Run(stopOn(ctx))
}

func stopOn(ctx context.Context) <-chan any {
	ch := make(chan any)
	go func() { <-ctx.Done(); close(ch) }()
	return ch
}

// Package boot is how every Gatehouse process starts. The gateway and worker
// binaries and the dev stack (which the tests run) all go through it, so a
// test starts its store, Temporal client and worker the way production does.
// It must not import internal/devtemporal: the binaries link it.
package boot

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"go.temporal.io/sdk/client"

	"gatehouse/internal/config"
	"gatehouse/internal/dispatch"
	"gatehouse/internal/logging"
	"gatehouse/internal/mail"
	"gatehouse/internal/store"
	"gatehouse/internal/temporalconn"
	"gatehouse/worker/wiring"
)

// Main runs the command called name: it reads the configuration from the
// environment, checks it with check (nil: no check), makes the logger and a
// context that ends on Ctrl-C or SIGTERM, and calls run. An error is printed
// as "name: error" and the process exits with status 1.
func Main(name string, check func(config.Config) error, run func(context.Context, config.Config, *slog.Logger) error) {
	if err := start(name, check, run); err != nil {
		fmt.Fprintln(os.Stderr, name+":", err)
		os.Exit(1)
	}
}

func start(name string, check func(config.Config) error, run func(context.Context, config.Config, *slog.Logger) error) error {
	cfg, err := config.FromEnv()
	if err != nil {
		return err
	}
	if check != nil {
		if err := check(cfg); err != nil {
			return err
		}
	}
	log := logging.Stderr(cfg.LogFormat, cfg.LogLevel).With("process", name)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return run(ctx, cfg, log)
}

// Conns are the clients every process holds, and its Priority: the
// process's accepts go before its dispatch rounds (gateway and relay).
type Conns struct {
	Store    *store.Store
	Temporal client.Client
	Priority *dispatch.Priority
}

// Connect opens the store, checks its schema is the one this code expects,
// and dials Temporal.
func Connect(ctx context.Context, cfg config.Config, log *slog.Logger) (Conns, error) {
	c := Conns{Priority: dispatch.NewPriority()}
	var err error
	if c.Store, err = store.Open(ctx, cfg.MySQLDSN); err != nil {
		return Conns{}, err
	}
	if err = store.CheckSchema(ctx, c.Store); err == nil {
		c.Temporal, err = temporalconn.Dial(ctx, cfg.Temporal, log, client.Options{})
	}
	if err != nil {
		c.Close()
		return Conns{}, err
	}
	return c, nil
}

// Close closes what Connect opened.
func (c Conns) Close() {
	if c.Temporal != nil {
		c.Temporal.Close()
	}
	if c.Store != nil {
		c.Store.Close()
	}
}

// Worker builds the worker, with its event relay, on c: see wiring.New.
func Worker(cfg config.Config, log *slog.Logger, c Conns) (*wiring.Worker, error) {
	mailer, err := mail.NewSender(cfg.SMTPURL, cfg.MailFrom)
	if err != nil {
		return nil, fmt.Errorf("GATEHOUSE_SMTP_URL: %w", err)
	}
	if cfg.SigningSecret == "" {
		log.Warn("GATEHOUSE_SIGNING_SECRET is unset: HTTP templates without their own signSecret are sent unsigned")
	}
	return wiring.New(wiring.Deps{Config: cfg, Store: c.Store, Temporal: c.Temporal, Mailer: mailer, Log: log, Priority: c.Priority}), nil
}

// Package devstack composes Gatehouse in one process: the pieces the gateway
// and worker binaries run separately (App), plus the embedded Temporal
// server, its Web UI and the mail sink for `make dev` (Run). The test kit
// builds its stack with App too, so tests run the same wiring.
package devstack

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"gatehouse/gateway/router"
	"gatehouse/internal/config"
	"gatehouse/internal/dispatch"
	"gatehouse/internal/mail"
	"gatehouse/internal/store"
	"gatehouse/internal/temporalconn"
	"gatehouse/worker/wiring"
)

// App is one gateway plus one worker sharing a store and a Temporal client.
type App struct {
	Config   config.Config
	Store    *store.Store
	Temporal client.Client
	Mailer   *mail.Sender
	Worker   worker.Worker
	Handler  http.Handler

	stopRelay context.CancelFunc
	relayDone chan struct{}
}

// StartApp connects to MySQL and Temporal (already migrated and running),
// starts the worker and builds the gateway handler. extra mounts dev-only
// routes.
func StartApp(ctx context.Context, cfg config.Config, log *slog.Logger, extra func(*gin.Engine)) (*App, error) {
	a := &App{Config: cfg}
	var err error
	defer func() {
		if err != nil {
			a.Stop()
		}
	}()
	if a.Store, err = store.Open(ctx, cfg.MySQLDSN); err != nil {
		return nil, err
	}
	if err = store.CheckSchema(ctx, a.Store); err != nil {
		return nil, err
	}
	if a.Mailer, err = mail.NewSender(cfg.SMTPURL, cfg.MailFrom); err != nil {
		return nil, fmt.Errorf("GATEHOUSE_SMTP_URL: %w", err)
	}
	if a.Temporal, err = temporalconn.Dial(ctx, cfg.Temporal, log, client.Options{}); err != nil {
		return nil, err
	}
	a.Worker = worker.New(a.Temporal, cfg.Temporal.TaskQueue, wiring.Options(cfg))
	wiring.Register(a.Worker, wiring.Deps{Config: cfg, Store: a.Store, Mailer: a.Mailer, Log: log})
	if err = a.Worker.Start(); err != nil {
		a.Worker = nil
		return nil, fmt.Errorf("start worker: %w", err)
	}
	a.Handler, err = router.New(router.Options{Config: cfg, Store: a.Store, Temporal: a.Temporal, Logger: log, Extra: extra})
	if err != nil {
		return nil, err
	}
	relayCtx, stopRelay := context.WithCancel(context.WithoutCancel(ctx))
	a.stopRelay = stopRelay
	d := &dispatch.Dispatcher{Store: a.Store, Temporal: a.Temporal, TaskQueue: cfg.Temporal.TaskQueue, Log: log}
	a.relayDone = make(chan struct{})
	go func() { defer close(a.relayDone); d.Relay(relayCtx, wiring.RelayEvery, wiring.RelayGrace) }()
	return a, nil
}

// Stop stops the worker (in-flight activities finish within the shutdown
// timeout) and closes the clients.
func (a *App) Stop() {
	if a.stopRelay != nil {
		a.stopRelay()
		<-a.relayDone
	}
	if a.Worker != nil {
		a.Worker.Stop()
	}
	if a.Temporal != nil {
		a.Temporal.Close()
	}
	if a.Store != nil {
		a.Store.Close()
	}
}

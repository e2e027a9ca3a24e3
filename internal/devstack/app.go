// Package devstack composes Gatehouse in one process: the pieces the gateway
// and worker binaries run separately (App), plus the embedded Temporal
// server, its Web UI and the mail sink for `make dev` (Run). App starts them
// through internal/boot like the binaries do, and the test kit builds its
// stack with App, so tests run the production start-up.
package devstack

import (
	"context"
	"log/slog"
	"net/http"
	"sync"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/client"

	"gatehouse/gateway/router"
	"gatehouse/internal/boot"
	"gatehouse/internal/config"
	"gatehouse/internal/store"
	"gatehouse/worker/wiring"
)

// App is one gateway plus one worker sharing a store and a Temporal client.
type App struct {
	Config   config.Config
	Store    *store.Store
	Temporal client.Client
	Worker   *wiring.Worker // running, with its event relay
	Handler  http.Handler

	conns    boot.Conns
	stopOnce sync.Once
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
	if a.conns, err = boot.Connect(ctx, cfg, log); err != nil {
		return nil, err
	}
	a.Store, a.Temporal = a.conns.Store, a.conns.Temporal
	w, err := boot.Worker(cfg, log, a.conns)
	if err != nil {
		return nil, err
	}
	if err = w.Start(); err != nil {
		return nil, err
	}
	a.Worker = w
	a.Handler, err = router.New(router.Options{Config: cfg, Store: a.Store, Temporal: a.Temporal, Logger: log, Priority: a.conns.Priority, Extra: extra})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// Stop stops the worker and its relay (in-flight activities finish within
// the shutdown timeout) and closes the clients.
// A test may stop an app early (a worker restart); its cleanup stops it again.
func (a *App) Stop() {
	a.stopOnce.Do(func() {
		if a.Worker != nil {
			a.Worker.Stop()
		}
		a.conns.Close()
	})
}

// Package wiring builds a Gatehouse worker: every workflow and activity
// registered, and the event relay that runs beside it. The worker binary and
// the dev stack (so the tests) both build their worker with New, so the two
// register the same code and run the relay the same way.
package wiring

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"gatehouse/activities"
	"gatehouse/internal/config"
	"gatehouse/internal/dispatch"
	"gatehouse/internal/mail"
	"gatehouse/internal/notify"
	"gatehouse/internal/outbound"
	"gatehouse/internal/store"
	"gatehouse/workflows"
)

// Deps are the clients the activities and the relay hold.
type Deps struct {
	Config   config.Config
	Store    *store.Store
	Temporal client.Client
	Mailer   *mail.Sender
	Log      *slog.Logger
}

// register adds all workflows and activities to r.
func register(r worker.Registry, d Deps) {
	workflows.RegisterAll(r)
	r.RegisterActivity(&activities.Store{DB: d.Store})
	r.RegisterActivity(&activities.Mailer{DB: d.Store, Sender: d.Mailer, PublicURL: d.Config.PublicURL, From: d.Config.MailFrom})
	out := outbound.Options{Allow: d.Config.OutboundAllowCIDRs, UserAgent: notify.UserAgent, RootCAs: d.Config.OutboundRootCAs}
	r.RegisterActivity(&activities.Approvals{DB: d.Store, Mail: d.Mailer, HTTP: outbound.NewClient(out),
		PublicURL: d.Config.PublicURL, From: d.Config.MailFrom})
	r.RegisterActivity(&activities.Deliverer{
		DB:            d.Store,
		HTTP:          outbound.NewClient(out),
		Outbound:      out,
		Mail:          d.Mailer,
		DefaultSecret: d.Config.SigningSecret,
		DisableAfter:  d.Config.DisableAfter,
		Log:           d.Log,
	})
}

// options are the worker settings every Gatehouse worker uses.
func options(cfg config.Config) worker.Options {
	return worker.Options{
		WorkerStopTimeout: cfg.ShutdownTimeout,
		// A panic in workflow code fails the task, and Temporal retries it
		// after a fix is deployed, instead of failing the workflow.
		WorkflowPanicPolicy: worker.BlockWorkflow,
	}
}

// The event relay's poll interval, and how old an event must be before the
// relay takes it (younger ones are usually being dispatched by the request
// that stored them).
const (
	relayEvery = 500 * time.Millisecond
	relayGrace = time.Second
)

// Worker is a Temporal worker on the configured task queue with everything
// registered. Run or Start also start its event relay: one per worker.
type Worker struct {
	w         worker.Worker
	relay     *dispatch.Dispatcher
	stopRelay func()
}

// New builds the worker; nothing runs until Run or Start.
func New(d Deps) *Worker {
	w := worker.New(d.Temporal, d.Config.Temporal.TaskQueue, options(d.Config))
	register(w, d)
	return &Worker{
		w:     w,
		relay: &dispatch.Dispatcher{Store: d.Store, Temporal: d.Temporal, TaskQueue: d.Config.Temporal.TaskQueue, Log: d.Log},
	}
}

// Run polls and relays until ctx ends, or returns the worker's fatal error.
// Stopping lets in-flight activities finish for the shutdown timeout;
// anything still running is retried by Temporal on another worker.
func (w *Worker) Run(ctx context.Context) error {
	w.startRelay(ctx)
	defer w.stopRelay()
	return w.w.Run(stopOn(ctx))
}

// Start polls and relays in the background until Stop.
func (w *Worker) Start() error {
	if err := w.w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	w.startRelay(context.Background())
	return nil
}

// Stop stops the relay, then the worker (in-flight activities finish within
// the shutdown timeout).
func (w *Worker) Stop() {
	w.stopRelay()
	w.w.Stop()
}

func (w *Worker) startRelay(ctx context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); w.relay.Relay(ctx, relayEvery, relayGrace) }()
	w.stopRelay = func() { cancel(); <-done }
}

func stopOn(ctx context.Context) <-chan any {
	ch := make(chan any)
	go func() { <-ctx.Done(); close(ch) }()
	return ch
}

// Package wiring builds a Gatehouse worker: every workflow and activity
// registered, and the event relay that runs beside it. The worker binary and
// the dev stack (so the tests) both build their worker with New, so the two
// register the same code and run the relay the same way.
package wiring

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"gatehouse/activities"
	"gatehouse/internal/config"
	"gatehouse/internal/dispatch"
	"gatehouse/internal/mail"
	"gatehouse/internal/metrics"
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
	// Priority is the process's (see dispatch.Priority): the relay waits
	// behind a gateway's accepts in the same process. nil: it never waits.
	Priority *dispatch.Priority
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
		PublicURL:     d.Config.PublicURL,
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

// The event relay's poll interval. How long after storing an event the
// relay may take it (younger ones are usually being dispatched by the
// request that stored them) is GATEHOUSE_RELAY_GRACE.
const relayEvery = 500 * time.Millisecond

// Worker is a Temporal worker on the configured task queue with everything
// registered. Run or Start also start its event relay: one per worker.
type Worker struct {
	w         worker.Worker
	relay     *dispatch.Dispatcher
	grace     time.Duration
	metrics   *metrics.Registry
	addr      string // GATEHOUSE_METRICS_ADDR; empty: /metrics is not served
	log       *slog.Logger
	stopRelay func()
}

// SetWorkflowCache sizes the process's workflow cache
// (GATEHOUSE_WORKFLOW_CACHE). The SDK shares one cache per process and
// sizes it when the process's first worker is made, so a process that makes
// other workers first calls this before them: make dev's embedded server
// runs its own system workers.
func SetWorkflowCache(cfg config.Config) { worker.SetStickyWorkflowCacheSize(cfg.WorkflowCache) }

// New builds the worker; nothing runs until Run or Start.
func New(d Deps) *Worker {
	SetWorkflowCache(d.Config)
	w := worker.New(d.Temporal, d.Config.Temporal.TaskQueue, options(d.Config))
	register(w, d)
	reg := metrics.New()
	if p := d.Priority; p != nil {
		reg.Priority(func() float64 {
			if p.Busy(time.Now()) {
				return 1
			}
			return 0
		}, func() float64 { return float64(p.Held()) })
	}
	return &Worker{
		w: w,
		// The relay starts eagerly: this process's worker runs the first
		// workflow task from the start's answer.
		relay: &dispatch.Dispatcher{Store: d.Store, Temporal: d.Temporal, TaskQueue: d.Config.Temporal.TaskQueue, Log: d.Log,
			Metrics: reg.Relay, EagerStart: true, Priority: d.Priority},
		grace:   d.Config.RelayGrace,
		metrics: reg,
		addr:    d.Config.MetricsAddr,
		log:     d.Log,
	}
}

// Metrics serves the worker's metrics (also on GATEHOUSE_METRICS_ADDR).
func (w *Worker) Metrics() http.Handler { return w.metrics.Handler() }

// Run polls and relays until ctx ends, or returns the worker's fatal error.
// Stopping lets in-flight activities finish for the shutdown timeout;
// anything still running is retried by Temporal on another worker.
func (w *Worker) Run(ctx context.Context) error {
	if err := w.startRelay(ctx); err != nil {
		return err
	}
	defer w.stopRelay()
	return w.w.Run(stopOn(ctx))
}

// Start polls and relays in the background until Stop.
func (w *Worker) Start() error {
	if err := w.w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	if err := w.startRelay(context.Background()); err != nil {
		w.w.Stop()
		return err
	}
	return nil
}

// Stop stops the relay, then the worker (in-flight activities finish within
// the shutdown timeout).
func (w *Worker) Stop() {
	w.stopRelay()
	w.w.Stop()
}

// startRelay starts the relay and, when GATEHOUSE_METRICS_ADDR is set,
// the /metrics listener; stopRelay stops both.
func (w *Worker) startRelay(ctx context.Context) error {
	var srv *http.Server
	if w.addr != "" {
		l, err := net.Listen("tcp", w.addr)
		if err != nil {
			return fmt.Errorf("GATEHOUSE_METRICS_ADDR: %w", err)
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", w.Metrics())
		srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
			WriteTimeout: 30 * time.Second, IdleTimeout: time.Minute}
		go func() {
			if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
				w.log.Error("metrics listener", "err", err)
			}
		}()
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); w.relay.Relay(ctx, relayEvery, w.grace) }()
	w.stopRelay = func() {
		cancel()
		<-done
		if srv != nil {
			srv.Close()
		}
	}
	return nil
}

func stopOn(ctx context.Context) <-chan any {
	ch := make(chan any)
	go func() { <-ctx.Done(); close(ch) }()
	return ch
}

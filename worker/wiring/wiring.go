// Package wiring registers every workflow and activity on a Temporal worker.
// The worker binary and the dev stack both call it, so they cannot drift.
package wiring

import (
	"log/slog"
	"time"

	"go.temporal.io/sdk/worker"

	"gatehouse/activities"
	"gatehouse/internal/config"
	"gatehouse/internal/mail"
	"gatehouse/internal/notify"
	"gatehouse/internal/outbound"
	"gatehouse/internal/store"
	"gatehouse/workflows"
)

// Deps are the clients the activities hold.
type Deps struct {
	Config config.Config
	Store  *store.Store
	Mailer *mail.Sender
	Log    *slog.Logger
}

// Register adds all workflows and activities to r.
func Register(r worker.Registry, d Deps) {
	workflows.RegisterAll(r)
	r.RegisterActivity(&activities.Store{DB: d.Store})
	r.RegisterActivity(&activities.Mailer{DB: d.Store, Sender: d.Mailer, PublicURL: d.Config.PublicURL, From: d.Config.MailFrom})
	out := outbound.Options{Allow: d.Config.OutboundAllowCIDRs, UserAgent: notify.UserAgent, RootCAs: d.Config.OutboundRootCAs}
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

// Options are the worker settings every Gatehouse worker uses.
func Options(cfg config.Config) worker.Options {
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
	RelayEvery = 500 * time.Millisecond
	RelayGrace = time.Second
)

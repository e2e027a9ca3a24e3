// Package wiring registers every workflow and activity on a Temporal worker.
// The worker binary and the dev stack both call it, so they cannot drift.
package wiring

import (
	"go.temporal.io/sdk/worker"

	"gatehouse/activities"
	"gatehouse/internal/config"
	"gatehouse/internal/mail"
	"gatehouse/internal/store"
	"gatehouse/workflows"
)

// Deps are the clients the activities hold.
type Deps struct {
	Store     *store.Store
	Mailer    *mail.Sender
	PublicURL string
	MailFrom  string
}

// Register adds all workflows and activities to r.
func Register(r worker.Registry, d Deps) {
	workflows.RegisterAll(r)
	r.RegisterActivity(&activities.Store{DB: d.Store})
	r.RegisterActivity(&activities.Mailer{DB: d.Store, Sender: d.Mailer, PublicURL: d.PublicURL, From: d.MailFrom})
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

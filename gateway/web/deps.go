// Package web is what the gateway's protocol packages share: their
// dependencies (Deps), the JSON error body of Gatehouse's own APIs, admin
// authentication, the middleware every request passes, the health probes
// and the HTTP server. It speaks no protocol of its own; gateway/router
// mounts the protocol packages on one engine.
package web

import (
	"context"
	"crypto/rand"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/client"

	"gatehouse/internal/config"
	"gatehouse/internal/dispatch"
	"gatehouse/internal/idtoken"
	"gatehouse/internal/store"
	"gatehouse/workflows"
)

// Deps are what the handlers share.
type Deps struct {
	Config     config.Config
	Store      *store.Store
	Temporal   client.Client
	Log        *slog.Logger
	Dispatcher *dispatch.Dispatcher
	IDTokens   *idtoken.Issuer // signs sign-in assertions for portals
}

// Unavailable answers 503 for a failed dependency: nothing was changed.
func (d *Deps) Unavailable(c *gin.Context, err error) {
	d.Log.Warn("dependency unavailable", "path", c.Request.URL.Path, "error", err)
	Abort(c, http.StatusServiceUnavailable, "unavailable", "a dependency is unavailable; nothing was changed, retry later")
}

// SignalRegistration delivers a signal to the person's registration
// workflow, starting it if none runs. Returns once Temporal has it durably.
func (d *Deps) SignalRegistration(ctx context.Context, siteID, userID, email, signal string, arg any) (string, error) {
	in := workflows.RegistrationInput{SiteID: siteID, UserID: userID, Email: email}
	opts := workflows.RegistrationStartOptions(d.Config.Temporal.TaskQueue, in, d.Config.IndexEmail)
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, err := d.Temporal.SignalWithStartWorkflow(ctx, opts.ID, signal, arg, opts, workflows.Registration, in)
	return opts.ID, err
}

// RequestID names one request to a workflow, so a repeated signal is
// recognised.
func RequestID() string { return "req_" + rand.Text()[:16] }

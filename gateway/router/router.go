// Package router assembles the gateway: one gin engine with the shared
// middleware and health probes of gateway/web, on which each protocol
// package (admin, kaltura, portal, registration) mounts its routes. External
// systems only ever talk to Gatehouse through these routes.
package router

import (
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/client"

	"gatehouse/gateway/admin"
	"gatehouse/gateway/approval"
	"gatehouse/gateway/codec"
	"gatehouse/gateway/kaltura"
	"gatehouse/gateway/portal"
	"gatehouse/gateway/registration"
	"gatehouse/gateway/web"
	"gatehouse/internal/config"
	"gatehouse/internal/dispatch"
	"gatehouse/internal/idtoken"
	"gatehouse/internal/store"
)

// Options are the gateway's dependencies.
type Options struct {
	Config   config.Config
	Store    *store.Store
	Temporal client.Client
	Logger   *slog.Logger
	// Priority is the process's (see dispatch.Priority): shared with a
	// worker's relay in the same process. nil: a Priority of its own.
	Priority *dispatch.Priority
	// Extra mounts routes that only some processes serve (the dev mailbox).
	Extra func(*gin.Engine)
}

// New builds the router.
func New(o Options) (*gin.Engine, error) {
	gin.SetMode(gin.ReleaseMode)
	if o.Priority == nil {
		o.Priority = dispatch.NewPriority()
	}
	d := &web.Deps{Config: o.Config, Store: o.Store, Temporal: o.Temporal, Log: o.Logger,
		Dispatcher: &dispatch.Dispatcher{Store: o.Store, Temporal: o.Temporal, TaskQueue: o.Config.Temporal.TaskQueue, Log: o.Logger,
			Workers: o.Config.DispatchWorkers, Grace: o.Config.RelayGrace,
			// Where the gateway shares its process and client with a worker
			// (make dev, the tests, the bench), a delivery's first workflow
			// task comes back in the start's answer; a gateway of its own
			// starts as usual.
			EagerStart: true, Priority: o.Priority},
		IDTokens: &idtoken.Issuer{Store: o.Store, Ring: o.Config.Temporal.PayloadKeys, URL: o.Config.PublicURL,
			Rotation: o.Config.SigningKeyRotation}}
	r := gin.New()
	// gin would also believe X-Real-IP (and fall back to it): its
	// c.ClientIP() is the connection's peer only, and web.ClientIP(c) the
	// client internal/clientip finds in the one configured header.
	if err := r.SetTrustedProxies(nil); err != nil {
		return nil, err
	}
	r.ForwardedByClientIP = false
	r.RemoteIPHeaders = nil
	r.HandleMethodNotAllowed = true
	r.Use(d.Recoverer(), d.ResolveClientIP(), d.AccessLog(), web.LimitBody(web.MaxBody))
	r.NoRoute(func(c *gin.Context) {
		web.Abort(c, http.StatusNotFound, "not_found", "no route for "+c.Request.Method+" "+c.Request.URL.Path)
	})
	r.NoMethod(func(c *gin.Context) {
		web.Abort(c, http.StatusMethodNotAllowed, "method_not_allowed", c.Request.Method+" is not allowed on "+c.Request.URL.Path)
	})

	r.GET("/healthz", d.Healthz)
	r.GET("/readyz", d.Readyz)

	admin.Mount(r, d)
	kaltura.Mount(r, d)
	registration.Mount(r, d)
	portal.Mount(r, d)
	if err := codec.Mount(r, d); err != nil {
		return nil, err
	}
	approval.Mount(r, d)

	if o.Extra != nil {
		o.Extra(r)
	}
	return r, nil
}

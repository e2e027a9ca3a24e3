// Package router assembles the gateway: one gin engine with the shared
// middleware and health probes of gateway/web, on which each protocol
// package (admin, kaltura, registration) mounts its routes. External
// systems only ever talk to Gatehouse through these routes.
package router

import (
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/client"

	"gatehouse/gateway/admin"
	"gatehouse/gateway/approval"
	"gatehouse/gateway/kaltura"
	"gatehouse/gateway/registration"
	"gatehouse/gateway/web"
	"gatehouse/internal/config"
	"gatehouse/internal/dispatch"
	"gatehouse/internal/store"
)

// Options are the gateway's dependencies.
type Options struct {
	Config   config.Config
	Store    *store.Store
	Temporal client.Client
	Logger   *slog.Logger
	// Extra mounts routes that only some processes serve (the dev mailbox).
	Extra func(*gin.Engine)
}

// New builds the router.
func New(o Options) (*gin.Engine, error) {
	gin.SetMode(gin.ReleaseMode)
	d := &web.Deps{Config: o.Config, Store: o.Store, Temporal: o.Temporal, Log: o.Logger,
		Dispatcher: &dispatch.Dispatcher{Store: o.Store, Temporal: o.Temporal, TaskQueue: o.Config.Temporal.TaskQueue, Log: o.Logger}}
	r := gin.New()
	// gin trusts every proxy unless told otherwise: trust only the listed ones.
	proxies := make([]string, 0, len(o.Config.TrustedProxies))
	for _, p := range o.Config.TrustedProxies {
		proxies = append(proxies, p.String())
	}
	if err := r.SetTrustedProxies(proxies); err != nil {
		return nil, err
	}
	r.ForwardedByClientIP = len(proxies) > 0
	r.RemoteIPHeaders = []string{"X-Forwarded-For", "X-Real-IP"}
	r.HandleMethodNotAllowed = true
	r.Use(d.Recoverer(), d.AccessLog())
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
	approval.Mount(r, d)

	if o.Extra != nil {
		o.Extra(r)
	}
	return r, nil
}

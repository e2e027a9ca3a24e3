// Package api is the gateway's HTTP surface, one file per area. External
// systems only ever talk to Gatehouse through these routes.
package api

import (
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/client"

	"gatehouse/gateway/kaltura"
	"gatehouse/gateway/registration"
	"gatehouse/gateway/web"
	"gatehouse/internal/config"
	"gatehouse/internal/dispatch"
	"gatehouse/internal/site"
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

// Server holds what the handlers share.
type Server struct{ *web.Deps }

// New builds the router.
func New(o Options) (*gin.Engine, error) {
	gin.SetMode(gin.ReleaseMode)
	s := &Server{&web.Deps{Config: o.Config, Store: o.Store, Temporal: o.Temporal, Log: o.Logger,
		Dispatcher: &dispatch.Dispatcher{Store: o.Store, Temporal: o.Temporal, TaskQueue: o.Config.Temporal.TaskQueue, Log: o.Logger}}}
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
	r.Use(s.Recoverer(), s.AccessLog())
	r.NoRoute(func(c *gin.Context) {
		web.Abort(c, http.StatusNotFound, "not_found", "no route for "+c.Request.Method+" "+c.Request.URL.Path)
	})
	r.NoMethod(func(c *gin.Context) {
		web.Abort(c, http.StatusMethodNotAllowed, "method_not_allowed", c.Request.Method+" is not allowed on "+c.Request.URL.Path)
	})

	r.GET("/healthz", s.Healthz)
	r.GET("/readyz", s.Readyz)

	v1 := r.Group("/api/v1", s.RequireAdmin())
	v1.POST("/selfcheck", s.selfCheck)
	sites := v1.Group("/sites/:siteId", s.validSiteID)
	sites.PUT("", s.putSite)
	sites.GET("", s.getSite)
	sites.DELETE("", s.deleteSite)
	sites.POST("/registration-key", s.generateKey)
	sites.GET("/email-templates", s.listTemplates)
	sites.PUT("/email-templates/:templateId", s.putTemplate)
	sites.GET("/email-templates/:templateId", s.getTemplate)
	sites.DELETE("/email-templates/:templateId", s.deleteTemplate)
	sites.GET("/users", s.listUsers)
	sites.GET("/users/:userId", s.getUser)
	sites.DELETE("/users/:userId", s.deleteUser)
	sites.POST("/users/:userId/resend", s.resendLink)
	v1.POST("/events", s.postEvent)
	v1.GET("/events/:eventId", s.getEvent)
	v1.GET("/channels", s.listChannels)
	v1.POST("/channels", s.createChannel)
	v1.GET("/channels/:channelId", s.getChannel)
	v1.PUT("/channels/:channelId", s.putChannel)
	v1.DELETE("/channels/:channelId", s.deleteChannel)
	v1.POST("/channels/:channelId/test-connection", s.testChannel)
	v1.POST("/channels/:channelId/rotate-secret", s.rotateChannelSecret)
	v1.GET("/deliveries", s.listDeliveries)
	v1.POST("/deliveries/recover", s.recoverDeliveries)
	v1.GET("/deliveries/:deliveryId", s.getDelivery)
	v1.POST("/deliveries/:deliveryId/retry", s.retryDelivery)
	v1.POST("/deliveries/:deliveryId/cancel", s.cancelDelivery)
	v1.PUT("/categories/:categoryId", s.putCategory)

	kaltura.Mount(r, s.Deps)

	registration.Mount(r, s.Deps)

	if o.Extra != nil {
		o.Extra(r)
	}
	return r, nil
}

func (s *Server) validSiteID(c *gin.Context) {
	if !site.ValidID(c.Param("siteId")) {
		web.AbortFields(c, http.StatusBadRequest, "invalid_site_id", []web.FieldError{{Field: "siteId", Message: "must be 1-64 letters, digits, '.', '_' or '-'"}})
	}
}

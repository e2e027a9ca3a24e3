// Package admin is Gatehouse's own REST API under /api/v1, documented in
// README.md: sites with their email templates and users (the admin side of
// gateway/registration), events and the channels and deliveries they
// start, categories, the Tyk portals gateway/portal takes events from, and
// a self-check. JSON in and out, Authorization:
// Bearer $GATEHOUSE_ADMIN_TOKEN, errors as web.Error.
package admin

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"gatehouse/gateway/web"
	"gatehouse/internal/domain"
	"gatehouse/internal/portal"
	"gatehouse/internal/site"
)

type server struct{ *web.Deps }

// Mount adds /api/v1 to r.
func Mount(r *gin.Engine, d *web.Deps) {
	s := &server{d}
	v1 := r.Group("/api/v1", d.RequireAdmin())
	v1.POST("/selfcheck", s.selfCheck)
	sites := v1.Group("/sites/:siteId", s.validSiteID)
	sites.PUT("", s.putSite)
	sites.GET("", s.getSite)
	sites.DELETE("", s.deleteSite)
	sites.POST("/registration-key", s.generateKey)
	sites.GET("/email-templates", s.listTemplates)
	sites.PUT("/email-templates/:templateId", s.putEmailTemplate)
	sites.GET("/email-templates/:templateId", s.getEmailTemplate)
	sites.DELETE("/email-templates/:templateId", s.deleteEmailTemplate)
	sites.GET("/users", s.listUsers)
	sites.GET("/users/:userId", s.getUser)
	sites.DELETE("/users/:userId", s.deleteUser)
	sites.POST("/users/:userId/resend", s.resendLink)
	s.mountUserAccess(sites)
	v1.POST("/events", s.postEvent)
	v1.GET("/events", s.listEvents)
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
	v1.GET("/portals", s.listPortals)
	portals := v1.Group("/portals/:portalId", s.validPortalID)
	portals.PUT("", s.putPortal)
	portals.GET("", s.getPortal)
	portals.DELETE("", s.deletePortal)
	portals.POST("/inbound-secret", s.generateInboundSecret)
	v1.GET("/approvals", s.listApprovals)
	v1.GET("/approvals/:approvalId", s.getApproval)
	v1.POST("/approvals/:approvalId/approve", s.decideApproval(portal.Approved))
	v1.POST("/approvals/:approvalId/reject", s.decideApproval(portal.Rejected))
}

func (s *server) validSiteID(c *gin.Context) {
	if !site.ValidID(c.Param("siteId")) {
		web.AbortFields(c, http.StatusBadRequest, "invalid_site_id", []domain.FieldError{{Field: "siteId", Message: "must be 1-64 letters, digits, '.', '_' or '-'"}})
	}
}

// Package registration speaks the registration protocols: Kaltura's
// Webhooksiteregistration webhook (POST and GET /webhooks/registration/{siteId},
// specified by ../shared/seeds/000_*.txt), WP Fusion's webhook API as Kartra
// and other CRMs call it (/webhooks/wpf/{siteId}, specified by
// ../shared/seeds/003_*.txt), and the pages the registration emails link to
// (/set-password, /magic-link). The sites these serve are managed through
// gateway/admin.
package registration

import (
	"github.com/gin-gonic/gin"

	"gatehouse/gateway/web"
)

type server struct{ *web.Deps }

// Mount adds the webhook and page routes to r.
func Mount(r *gin.Engine, d *web.Deps) {
	s := &server{d}
	r.POST("/webhooks/registration/:siteId", s.registrationWebhook)
	r.GET("/webhooks/registration/:siteId", s.registrationStatus)
	r.GET("/webhooks/wpf/:siteId", s.wpfWebhook)
	r.POST("/webhooks/wpf/:siteId", s.wpfWebhook)

	r.GET("/set-password", s.setPasswordForm)
	r.POST("/set-password", s.setPassword)
	r.GET("/magic-link", s.magicLink)
	r.HEAD("/magic-link", s.magicLink)
}

// Package registration speaks the registration protocols: Kaltura's
// Webhooksiteregistration webhook (POST and GET /webhooks/registration/{siteId},
// specified by ../shared/seeds/000_*.txt), WP Fusion's webhook API as Kartra
// and other CRMs call it (/webhooks/wpf/{siteId}, specified by
// ../shared/seeds/003_*.txt), and the pages the registration emails link to
// (/set-password, /magic-link). The sites these serve are managed through
// gateway/admin.
package registration

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"gatehouse/gateway/web"
	"gatehouse/internal/outbound"
	"gatehouse/internal/ratelimit"
)

type server struct {
	*web.Deps
	webhookLimit *ratelimit.Limiter // per site and client address; nil: off
	kartraClient *http.Client       // Kartra's API (WP Fusion updates)
}

// Mount adds the webhook and page routes to r.
func Mount(r *gin.Engine, d *web.Deps) {
	s := &server{Deps: d, webhookLimit: web.NewLimiter(d.Config.RateWebhook),
		// SSRF-guarded like every outbound call: apiUrl is an admin's setting.
		kartraClient: outbound.NewClient(outbound.Options{Allow: d.Config.OutboundAllowCIDRs, RootCAs: d.Config.OutboundRootCAs})}
	r.POST("/webhooks/registration/:siteId", s.registrationWebhook)
	r.GET("/webhooks/registration/:siteId", s.registrationStatus)
	r.GET("/webhooks/wpf/:siteId", s.wpfWebhook)
	r.POST("/webhooks/wpf/:siteId", s.wpfWebhook)

	// Pages: small urlencoded forms only. Links in emails are opened by
	// scanners, so GET and HEAD only show a page; POST uses the token.
	// Only the posts are rate-limited: they hash a password or spend a
	// token, while a GET reads one row (and monitors open many links).
	page := web.PageForm()
	post := web.LimitPages(web.NewLimiter(d.Config.RatePages))
	r.GET("/set-password", page, s.setPasswordForm)
	r.POST("/set-password", post, page, s.setPassword)
	r.GET("/magic-link", page, s.magicLinkForm)
	r.HEAD("/magic-link", page, s.magicLinkForm)
	r.POST("/magic-link", post, page, s.magicLink)
}

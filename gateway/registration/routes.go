// Package registration speaks the registration protocols: Kaltura's
// Webhooksiteregistration webhook (POST and GET /webhooks/registration/{siteId},
// specified by ../shared/seeds/000_*.txt), WP Fusion's webhook API as Kartra
// and other CRMs call it (/webhooks/wpf/{siteId}, specified by
// ../shared/seeds/003_*.txt), the pages the registration emails link to
// (/set-password, /magic-link), and sign-in: the /sign-in and
// /reset-password pages, the password check for portals, and the keys
// that verify the ID tokens portals receive (/.well-known). The sites
// these serve are managed through gateway/admin.
package registration

import (
	"net/http"
	"slices"

	"github.com/gin-gonic/gin"

	"gatehouse/gateway/web"
	"gatehouse/internal/outbound"
	"gatehouse/internal/ratelimit"
)

type server struct {
	*web.Deps
	webhookLimit *ratelimit.Limiter // per site and client address; nil: off
	signIn       signIn
	kartraClient *http.Client // Kartra's API (WP Fusion updates)
}

// Mount adds the webhook and page routes to r.
func Mount(r *gin.Engine, d *web.Deps) {
	s := &server{Deps: d, webhookLimit: web.NewLimiter(d.Config.RateWebhook),
		signIn: signIn{account: web.NewLimiter(d.Config.RateSignInAccount), address: web.NewLimiter(d.Config.RateSignInAddress)},
		// SSRF-guarded like every outbound call: apiUrl is an admin's setting.
		kartraClient: outbound.NewClient(outbound.Options{Allow: d.Config.OutboundAllowCIDRs, RootCAs: d.Config.OutboundRootCAs})}
	r.POST("/webhooks/registration/:siteId", s.registrationWebhook)
	r.GET("/webhooks/registration/:siteId", s.registrationStatus)
	r.POST("/webhooks/registration/:siteId/password-reset", s.resetWebhook)
	r.GET("/webhooks/wpf/:siteId", s.wpfWebhook)
	r.POST("/webhooks/wpf/:siteId", s.wpfWebhook)

	// Pages: small urlencoded forms only. Links in emails are opened by
	// scanners, so GET and HEAD only show a page; POST uses the token.
	// Only the posts are rate-limited: they hash a password or spend a
	// token, while a GET reads one row (and monitors open many links).
	// Every page sends web.PageHeaders and carries a CSRF token (web.CSRF).
	page := []gin.HandlerFunc{web.PageHeaders(), web.PageForm(), d.CSRF()}
	post := slices.Concat([]gin.HandlerFunc{web.LimitPages(web.NewLimiter(d.Config.RatePages))}, page)
	pages := map[string][2]gin.HandlerFunc{ // path: GET/HEAD, POST
		"/set-password":   {s.setPasswordForm, s.setPassword},
		"/magic-link":     {s.magicLinkForm, s.magicLink},
		"/sign-in":        {s.signInForm, s.signInPost},
		"/reset-password": {s.resetForm, s.resetPassword},
	}
	for path, h := range pages {
		r.GET(path, slices.Concat(page, []gin.HandlerFunc{h[0]})...)
		r.HEAD(path, slices.Concat(page, []gin.HandlerFunc{h[0]})...)
		r.POST(path, slices.Concat(post, []gin.HandlerFunc{h[1]})...)
	}

	// Sign-in for portals: the keys that verify ID tokens, what they hold,
	// and the password check for portals with their own login form.
	r.GET("/.well-known/jwks.json", s.jwks)
	r.GET("/.well-known/openid-configuration", s.discovery)
	r.POST("/api/v1/sites/:siteId/auth/password", d.RequireAdmin(), s.passwordAPI)
}

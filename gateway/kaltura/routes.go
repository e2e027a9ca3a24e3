// Package kaltura speaks Kaltura's API v3 for event notification templates:
// the eventnotification_eventnotificationtemplate service under /api_v3,
// form-encoded with PHP brackets, ks = GATEHOUSE_KALTURA_KS (or the admin
// token) in the POST body, format=1 (JSON),
// errors as KalturaAPIException. The protocol is specified by
// ../shared/seeds/001_*.txt (Kaltura Webhooks & Event Notifications API),
// whose curl commands run as tests (testdata/). Templates fire on the events
// posted to gateway/admin's /api/v1/events.
package kaltura

import (
	"github.com/gin-gonic/gin"

	"gatehouse/gateway/web"
)

type server struct{ *web.Deps }

// Mount adds the template service to r.
func Mount(r *gin.Engine, d *web.Deps) {
	s := &server{d}
	// GET is routed only to answer INVALID_KS in Kaltura's format: a ks in a
	// URL is refused.
	r.POST("/api_v3/service/eventnotification_eventnotificationtemplate/action/:action", s.kaltura)
	r.GET("/api_v3/service/eventnotification_eventnotificationtemplate/action/:action", s.kaltura)
}

package registration

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"gatehouse/internal/pagetext"
)

// blockedPage answers a link of a blocked user (GET or POST): 403 and a
// page that says so. The link is not spent, so it works again if the user
// is unblocked before it expires. Only someone holding a live link of the
// user sees this, so it tells a guesser nothing.
func blockedPage(c *gin.Context, lang, eventName string) {
	renderPage(c, http.StatusForbidden, "blocked.html", pageData{Lang: lang, Title: pagetext.T(lang, pagetext.BlockedTitle), EventName: eventName})
}

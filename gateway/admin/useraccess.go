package admin

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"gatehouse/gateway/web"
	"gatehouse/internal/domain"
	"gatehouse/internal/site"
	"gatehouse/internal/store"
)

// mountUserAccess adds the routes that decide whether a user may sign in:
// a fresh magic link for a CRM to send, and blocking.
func (s *server) mountUserAccess(sites *gin.RouterGroup) {
	sites.POST("/users/:userId/magic-link", s.mintMagicLink)
	sites.POST("/users/:userId/block", s.setBlocked(true))
	sites.POST("/users/:userId/unblock", s.setBlocked(false))
}

// mintMagicLink is POST /api/v1/sites/{siteId}/users/{userId}/magic-link:
// a fresh sign-in link for the no-email flow, answered as
// {"magicLink", "expiresAt"}. The user's older unused links are revoked:
// only the newest link works, as with every link Gatehouse issues.
func (s *server) mintMagicLink(c *gin.Context) {
	st, _, err := s.Store.GetSite(c, c.Param("siteId"))
	if s.storeError(c, err, "site") {
		return
	}
	if st.Registration.AuthMethod != site.AuthMagicLink {
		web.Abort(c, http.StatusConflict, "not_magic_link_site",
			"the site signs in with passwords (webhooksiteregistration.authMethod is "+st.Registration.AuthMethod+"); magic links need authMethod magicLink")
		return
	}
	link, expiresAt, err := s.MintLink(c, &st, c.Param("userId"), domain.PurposeMagicLink, false)
	if errors.Is(err, store.ErrUserBlocked) {
		web.Abort(c, http.StatusConflict, "user_blocked", "the user is blocked: unblock them first")
		return
	}
	if s.storeError(c, err, "user") {
		return
	}
	c.JSON(http.StatusOK, gin.H{"magicLink": link, "expiresAt": expiresAt})
}

// setBlocked is POST …/block and …/unblock: the user's status becomes
// blocked (links and sign-in refused, UserAccountDeactivated) or returns
// to active or pending (UserAccountActivated). Repeating it changes
// nothing and records no second event. Answers the user.
func (s *server) setBlocked(blocked bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		u, _, err := s.Store.SetBlocked(c, c.Param("siteId"), c.Param("userId"), store.BlockChange{Blocked: blocked, Source: "api"})
		if s.storeError(c, err, "user") {
			return
		}
		c.JSON(http.StatusOK, u)
	}
}

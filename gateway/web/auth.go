package web

import (
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// RequireAdmin checks Authorization: Bearer $GATEHOUSE_ADMIN_TOKEN.
func (d *Deps) RequireAdmin() gin.HandlerFunc {
	return func(c *gin.Context) {
		if !d.IsAdmin(Bearer(c.GetHeader("Authorization"))) {
			c.Header("WWW-Authenticate", `Bearer realm="gatehouse"`)
			Abort(c, http.StatusUnauthorized, "unauthorized", "Authorization: Bearer <GATEHOUSE_ADMIN_TOKEN> is missing or wrong")
			return
		}
		c.Next()
	}
}

// IsAdmin reports whether token is the admin token.
func (d *Deps) IsAdmin(token string) bool {
	return d.Config.AdminToken != "" && token != "" &&
		subtle.ConstantTimeCompare([]byte(token), []byte(d.Config.AdminToken)) == 1
}

// Bearer returns the token of an Authorization: Bearer header, or "".
func Bearer(h string) string {
	scheme, token, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

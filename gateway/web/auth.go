package api

import (
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// requireAdmin checks Authorization: Bearer $GATEHOUSE_ADMIN_TOKEN.
func (s *Server) requireAdmin() gin.HandlerFunc {
	return func(c *gin.Context) {
		if !s.isAdmin(bearer(c.GetHeader("Authorization"))) {
			c.Header("WWW-Authenticate", `Bearer realm="gatehouse"`)
			abort(c, http.StatusUnauthorized, "unauthorized", "Authorization: Bearer <GATEHOUSE_ADMIN_TOKEN> is missing or wrong")
			return
		}
		c.Next()
	}
}

func (s *Server) isAdmin(token string) bool {
	return s.cfg.AdminToken != "" && token != "" &&
		subtle.ConstantTimeCompare([]byte(token), []byte(s.cfg.AdminToken)) == 1
}

func bearer(h string) string {
	scheme, token, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

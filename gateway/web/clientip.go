package web

import (
	"github.com/gin-gonic/gin"

	"gatehouse/internal/clientip"
)

const clientIPKey = "gatehouse.clientIP"

// ResolveClientIP stores the client's address as internal/clientip finds
// it (one configured header, every line, right-most untrusted hop). gin's
// own c.ClientIP() is configured to answer the connection's peer only.
func (d *Deps) ResolveClientIP() gin.HandlerFunc {
	r := clientip.Resolver{Header: d.Config.ClientIPHeader, Trusted: d.Config.TrustedProxies}
	return func(c *gin.Context) {
		if a := r.ClientIP(c.Request.RemoteAddr, c.Request.Header); a.IsValid() {
			c.Set(clientIPKey, a.String())
		}
		c.Next()
	}
}

// ClientIP is the client's address for allowlists, rate limits and logs;
// "" when the peer's address cannot be parsed.
func ClientIP(c *gin.Context) string { return c.GetString(clientIPKey) }

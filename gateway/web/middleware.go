package web

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
)

// AccessLog logs one line per request. It logs the path without the query:
// webhook senders put keys in query strings.
func (d *Deps) AccessLog() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		level := slog.LevelDebug
		if c.Writer.Status() >= 500 {
			level = slog.LevelWarn
		}
		d.Log.Log(c.Request.Context(), level, "http request",
			"method", c.Request.Method, "path", c.Request.URL.Path, "status", c.Writer.Status(),
			"took", time.Since(start), "client", ClientIP(c))
	}
}

// Recoverer turns a handler panic into a logged 500.
func (d *Deps) Recoverer() gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if p := recover(); p != nil {
				d.Log.Error("handler panic", "path", c.Request.URL.Path, "panic", p)
				Abort(c, http.StatusInternalServerError, "internal", "internal error")
			}
		}()
		c.Next()
	}
}

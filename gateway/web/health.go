package web

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/api/workflowservice/v1"
)

// Healthz answers 200 while the process runs.
func (d *Deps) Healthz(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

// Readyz checks both dependencies and names the one that fails, so a load
// balancer only sends traffic to a gateway that can accept it durably. The
// answer says only which failed: driver errors name addresses and users,
// so they go to the log.
func (d *Deps) Readyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 3*time.Second)
	defer cancel()
	checks := gin.H{}
	ok := true
	if err := d.Store.Ping(ctx); err != nil {
		d.Log.Warn("readyz: mysql unreachable", "error", err)
		checks["mysql"], ok = "unreachable", false
	} else {
		checks["mysql"] = "ok"
	}
	_, err := d.Temporal.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: d.Config.Temporal.Namespace})
	if err != nil {
		d.Log.Warn("readyz: temporal unreachable", "error", err)
		checks["temporal"], ok = "unreachable", false
	} else {
		checks["temporal"] = "ok"
	}
	if !ok {
		c.JSON(http.StatusServiceUnavailable, gin.H{"status": "unavailable", "checks": checks})
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready", "checks": checks})
}

package admin

import (
	"context"
	"crypto/rand"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/client"

	"gatehouse/gateway/web"
	"gatehouse/workflows"
)

// selfCheck runs the SelfCheck workflow and waits for it: a 200 proves the
// gateway, Temporal, a worker and MySQL all work together.
func (s *server) selfCheck(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 15*time.Second)
	defer cancel()
	id := workflows.SelfCheckID(rand.Text())
	run, err := s.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       id,
		TaskQueue:                s.Config.Temporal.TaskQueue,
		WorkflowExecutionTimeout: time.Minute,
	}, workflows.SelfCheck, workflows.SelfCheckInput{})
	if err != nil {
		web.Abort(c, http.StatusServiceUnavailable, "temporal_unavailable", "could not start the self-check: "+err.Error())
		return
	}
	var res workflows.SelfCheckResult
	if err := run.Get(ctx, &res); err != nil {
		c.JSON(http.StatusGatewayTimeout, gin.H{"status": "failed", "workflowId": id, "error": err.Error(),
			"hint": "is a worker polling task queue " + s.Config.Temporal.TaskQueue + "?"})
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ok", "workflowId": id, "result": res})
}

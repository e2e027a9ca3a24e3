// Package workflows holds Gatehouse's Temporal workflows, one file each.
// Workflow code is deterministic: time comes from workflow.Now, waits are
// timers, and step changes of running workflows go through versions.go.
package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"gatehouse/activities"
)

// SelfCheckID is the workflow id of one self-check.
func SelfCheckID(id string) string { return "SelfCheck:" + id }

// SelfCheckInput is empty today; a struct keeps the signature stable.
type SelfCheckInput struct{}

// SelfCheckResult proves the worker ran and reached MySQL.
type SelfCheckResult struct {
	TaskQueue string    `json:"taskQueue"`
	DBVersion string    `json:"dbVersion"`
	CheckedAt time.Time `json:"checkedAt"`
}

// SelfCheck runs one store activity. The gateway starts it for
// POST /api/v1/selfcheck, so operators (and the smoke test) can see the whole
// path gateway → Temporal → worker → MySQL work.
func SelfCheck(ctx workflow.Context, _ SelfCheckInput) (SelfCheckResult, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 3},
	})
	var res activities.RecordSelfCheckResult
	info := workflow.GetInfo(ctx)
	err := workflow.ExecuteActivity(ctx, storeActs.RecordSelfCheck, activities.RecordSelfCheckInput{
		WorkflowID: info.WorkflowExecution.ID,
	}).Get(ctx, &res)
	if err != nil {
		return SelfCheckResult{}, err
	}
	return SelfCheckResult{TaskQueue: info.TaskQueueName, DBVersion: res.DBVersion, CheckedAt: workflow.Now(ctx)}, nil
}

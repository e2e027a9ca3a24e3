package workflows

import (
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"gatehouse/activities"
)

// AccountEmailID is one workflow id per kind and person: requests that
// arrive while one runs join it (one email for a burst of clicks).
func AccountEmailID(in activities.AccountEmailInput) string {
	return "AccountEmail:" + in.Kind + ":" + in.SiteID + ":" + in.UserID
}

// AccountEmailStartOptions start an AccountEmail, or join the running one.
func AccountEmailStartOptions(taskQueue string, in activities.AccountEmailInput) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		ID:                       AccountEmailID(in),
		TaskQueue:                taskQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowExecutionTimeout: time.Hour,
	}
}

// AccountEmail sends one sign-in link, reset link or password-change
// notice. Its links expire within the hour, so retrying longer is no use.
func AccountEmail(ctx workflow.Context, in activities.AccountEmailInput) (activities.AccountEmailResult, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		ScheduleToCloseTimeout: 30 * time.Minute,
		StartToCloseTimeout:    time.Minute,
		RetryPolicy:            &temporal.RetryPolicy{InitialInterval: 2 * time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute},
	})
	var res activities.AccountEmailResult
	err := workflow.ExecuteActivity(ctx, mailerActs.SendAccountEmail, in).Get(ctx, &res)
	return res, err
}

package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"gatehouse/activities"
)

// Activity handles: workflows name every activity by a method of these
// (nil receivers are enough), so go-to-definition leads to the activity, and
// the name in history is the method's, as the worker registers it.
var (
	storeActs     *activities.Store
	mailerActs    *activities.Mailer
	delivererActs *activities.Deliverer
	approvalActs  *activities.Approvals
)

// storeCtx: MySQL writes retry until MySQL is back, for as long as the
// local activities do (localRetryFor, a week): an outage longer than that
// needs an operator, and the failed workflow shows it.
func storeCtx(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		ScheduleToCloseTimeout: localRetryFor,
		StartToCloseTimeout:    15 * time.Second,
		RetryPolicy:            &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute},
	})
}

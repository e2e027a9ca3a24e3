package workflows

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/testsuite"

	"gatehouse/activities"
)

// AccountEmail runs its one activity with the input as given and retries
// a failing send, within its time bound.
func TestAccountEmail(t *testing.T) {
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	in := activities.AccountEmailInput{Kind: activities.AccountPasswordReset, SiteID: "s1", UserID: "u1"}
	calls := 0
	env.OnActivity(mailerActs.SendAccountEmail, mock.Anything, mock.Anything).Return(func(_ context.Context, got activities.AccountEmailInput) (activities.AccountEmailResult, error) {
		calls++
		if got != in {
			t.Errorf("input %+v", got)
		}
		if calls == 1 {
			return activities.AccountEmailResult{}, errors.New("smtp down")
		}
		return activities.AccountEmailResult{Sent: true}, nil
	})
	env.ExecuteWorkflow(AccountEmail, in)
	var res activities.AccountEmailResult
	if err := env.GetWorkflowResult(&res); err != nil || !res.Sent || calls != 2 {
		t.Fatalf("result %+v, %v after %d calls", res, err, calls)
	}
	if id := AccountEmailID(in); id != "AccountEmail:password-reset:s1:u1" {
		t.Fatalf("id %s", id)
	}
}

package workflows

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/testsuite"

	"gatehouse/activities"
)

func TestSelfCheckReportsTheDatabase(t *testing.T) {
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	var store *activities.Store
	env.OnActivity(store.RecordSelfCheck, mock.Anything, mock.Anything).
		Return(activities.RecordSelfCheckResult{DBVersion: "10.11"}, nil)
	env.ExecuteWorkflow(SelfCheck, SelfCheckInput{})
	var res SelfCheckResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if res.DBVersion != "10.11" {
		t.Fatalf("result %+v", res)
	}
}

func TestSelfCheckFailsAfterThreeAttempts(t *testing.T) {
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	var store *activities.Store
	calls := 0
	env.OnActivity(store.RecordSelfCheck, mock.Anything, mock.Anything).
		Return(func(_ context.Context, _ activities.RecordSelfCheckInput) (activities.RecordSelfCheckResult, error) {
			calls++
			return activities.RecordSelfCheckResult{}, errors.New("mysql down")
		})
	env.ExecuteWorkflow(SelfCheck, SelfCheckInput{})
	if env.GetWorkflowError() == nil || calls != 3 {
		t.Fatalf("want failure after 3 attempts, got err=%v calls=%d", env.GetWorkflowError(), calls)
	}
}

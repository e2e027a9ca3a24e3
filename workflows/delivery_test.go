package workflows

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"gatehouse/activities"
	"gatehouse/internal/domain"
	"gatehouse/internal/notify"
)

// attemptLog records when each attempt ran, in workflow time.
type attemptLog struct {
	mu    sync.Mutex
	times []time.Time
	in    []activities.AttemptInput
	local []bool // ran as a local activity
}

func deliveryEnv(t *testing.T, log *attemptLog, outcome func(n int, in activities.AttemptInput) activities.AttemptResult) *testsuite.TestWorkflowEnvironment {
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	start := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	env.SetStartTime(start)
	env.OnActivity(delivererActs.Attempt, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, in activities.AttemptInput) (activities.AttemptResult, error) {
			log.mu.Lock()
			defer log.mu.Unlock()
			log.times = append(log.times, env.Now())
			log.in = append(log.in, in)
			log.local = append(log.local, activity.GetInfo(ctx).IsLocalActivity)
			return outcome(len(log.times), in), nil
		})
	env.OnActivity(delivererActs.MarkDelivery, mock.Anything, mock.Anything).Return(nil)
	return env
}

func retryAlways(_ int, in activities.AttemptInput) activities.AttemptResult {
	return activities.AttemptResult{Outcome: notify.Retry, HTTPStatus: 503, Wait: in.NextWait}
}

// TestDeliveryFullSchedule runs the whole default schedule in skipped time:
// ten attempts over about 22 hours, each wait within ±10% of the schedule.
func TestDeliveryFullSchedule(t *testing.T) {
	log := &attemptLog{}
	env := deliveryEnv(t, log, retryAlways)
	env.ExecuteWorkflow(Delivery, DeliveryInput{DeliveryID: "Delivery:e:channel:c", EventID: "e", TargetKind: domain.TargetChannel,
		TargetID: "c", Schedule: notify.DefaultSchedule, FirstAttempt: 1})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var res DeliveryResult
	env.GetWorkflowResult(&res)
	if res.Status != domain.DeliveryFailed || res.Attempts != 10 || len(log.times) != 10 {
		t.Fatalf("result %+v after %d attempts, want failed after 10", res, len(log.times))
	}
	for i := 1; i < len(log.times); i++ {
		gap, want := log.times[i].Sub(log.times[i-1]), notify.DefaultSchedule[i-1]
		if gap < want*9/10 || gap > want*11/10 {
			t.Fatalf("wait before attempt %d: %s, want %s ±10%%", i+1, gap, want)
		}
	}
	total := log.times[9].Sub(log.times[0])
	if total < 20*time.Hour || total > 24*time.Hour {
		t.Fatalf("schedule spans %s, want about 22h", total)
	}
	if last := log.in[9]; last.NextWait != 0 || last.Attempt != 10 {
		t.Fatalf("last attempt input %+v: want NextWait 0 (final)", last)
	}
}

// TestDeliveryRetryAfterAndSuccess: the wait the activity returns (after
// Retry-After) is the one the timer uses; success ends the workflow.
func TestDeliveryRetryAfterAndSuccess(t *testing.T) {
	log := &attemptLog{}
	env := deliveryEnv(t, log, func(n int, in activities.AttemptInput) activities.AttemptResult {
		if n == 1 {
			return activities.AttemptResult{Outcome: notify.Retry, HTTPStatus: 429, Wait: 2 * time.Hour}
		}
		return activities.AttemptResult{Outcome: notify.Delivered, HTTPStatus: 200}
	})
	env.ExecuteWorkflow(Delivery, DeliveryInput{DeliveryID: "d", Schedule: notify.DefaultSchedule, FirstAttempt: 1})
	var res DeliveryResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if res.Status != domain.DeliveryDelivered || len(log.times) != 2 || log.times[1].Sub(log.times[0]) != 2*time.Hour {
		t.Fatalf("result %+v, attempts at %v", res, log.times)
	}
}

// TestDeliverySignals: retry-now cuts a wait short, cancel stops.
func TestDeliverySignals(t *testing.T) {
	log := &attemptLog{}
	env := deliveryEnv(t, log, retryAlways)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(DeliveryRetryNowSignal, nil) }, time.Second)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(DeliveryCancelSignal, nil) }, time.Minute)
	env.ExecuteWorkflow(Delivery, DeliveryInput{DeliveryID: "d", Schedule: []time.Duration{time.Hour, time.Hour, time.Hour}, FirstAttempt: 4})
	var res DeliveryResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if res.Status != domain.DeliveryCancelled || len(log.times) != 2 || log.times[1].Sub(log.times[0]) != time.Second || log.in[0].Attempt != 4 {
		t.Fatalf("result %+v, attempts %v %+v", res, log.times, log.in)
	}
}

// TestDeliveryPermanentFailure: a 4xx ends it after one attempt.
func TestDeliveryPermanentFailure(t *testing.T) {
	log := &attemptLog{}
	env := deliveryEnv(t, log, func(int, activities.AttemptInput) activities.AttemptResult {
		return activities.AttemptResult{Outcome: notify.Failed, HTTPStatus: 400}
	})
	env.ExecuteWorkflow(Delivery, DeliveryInput{DeliveryID: "d", Schedule: notify.DefaultSchedule, FirstAttempt: 1})
	var res DeliveryResult
	if err := env.GetWorkflowResult(&res); err != nil || res.Status != domain.DeliveryFailed || len(log.times) != 1 {
		t.Fatalf("result %+v err %v attempts %d", res, err, len(log.times))
	}
}

// TestDeliveryErrorLeavesRowFailed: an attempt that fails for good (here a
// value MySQL refuses) ends the workflow in that error, after recording the
// delivery as failed so recover finds it.
func TestDeliveryErrorLeavesRowFailed(t *testing.T) {
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	env.OnActivity(delivererActs.Attempt, mock.Anything, mock.Anything).Return(activities.AttemptResult{},
		temporal.NewNonRetryableApplicationError("incorrect string value", activities.ErrTypeBadData, nil))
	marked := recordMarks(env)
	env.ExecuteWorkflow(Delivery, DeliveryInput{DeliveryID: "d", Schedule: notify.DefaultSchedule, FirstAttempt: 1})
	if err := env.GetWorkflowError(); err == nil || !strings.Contains(err.Error(), "incorrect string value") {
		t.Fatalf("workflow error %v", err)
	}
	if len(*marked) != 1 || (*marked)[0].Status != domain.DeliveryFailed || !strings.Contains((*marked)[0].Reason, "incorrect string value") {
		t.Fatalf("marked %+v", *marked)
	}
}

// TestDeliveryAttemptRetriesAreBounded: an attempt whose activity keeps
// failing (MySQL down) is retried for ScheduleToClose, not for ever; then
// the delivery is recorded failed.
func TestDeliveryAttemptRetriesAreBounded(t *testing.T) {
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	start := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	env.SetStartTime(start)
	var runs int
	env.OnActivity(delivererActs.Attempt, mock.Anything, mock.Anything).Return(
		func(context.Context, activities.AttemptInput) (activities.AttemptResult, error) {
			runs++
			return activities.AttemptResult{}, errors.New("mysql: connection refused")
		})
	marked := recordMarks(env)
	env.ExecuteWorkflow(Delivery, DeliveryInput{DeliveryID: "d", Schedule: notify.DefaultSchedule, FirstAttempt: 1})
	if err := env.GetWorkflowError(); err == nil {
		t.Fatal("the workflow succeeded")
	}
	if took := env.Now().Sub(start); took > 13*time.Hour || runs < 10 {
		t.Fatalf("gave up after %s and %d runs", took, runs)
	}
	if len(*marked) != 1 || (*marked)[0].Status != domain.DeliveryFailed {
		t.Fatalf("marked %+v", *marked)
	}
}

// recordMarks records the statuses the workflow sets with MarkDelivery.
func recordMarks(env *testsuite.TestWorkflowEnvironment) *[]activities.MarkDeliveryInput {
	var marked []activities.MarkDeliveryInput
	env.OnActivity(delivererActs.MarkDelivery, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.MarkDeliveryInput) error {
			marked = append(marked, in)
			return nil
		})
	return &marked
}

// TestDeliveryFirstAttemptLocal: a callback's first attempt runs as a local
// activity (inside the first workflow task) and a success ends the delivery
// there.
func TestDeliveryFirstAttemptLocal(t *testing.T) {
	log := &attemptLog{}
	env := deliveryEnv(t, log, func(int, activities.AttemptInput) activities.AttemptResult {
		return activities.AttemptResult{Outcome: notify.Delivered, HTTPStatus: 200}
	})
	env.ExecuteWorkflow(Delivery, DeliveryInput{DeliveryID: "d", TargetKind: domain.TargetChannel, Schedule: notify.DefaultSchedule,
		FirstAttempt: 1, FirstAttemptLocal: true})
	var res DeliveryResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if res.Status != domain.DeliveryDelivered || res.Attempts != 1 || len(log.local) != 1 || !log.local[0] {
		t.Fatalf("result %+v, local %v", res, log.local)
	}
}

// TestDeliveryFirstAttemptLocalThenRetries: after a failed local first
// attempt the following ones are ordinary activities after durable timers
// of the schedule.
func TestDeliveryFirstAttemptLocalThenRetries(t *testing.T) {
	log := &attemptLog{}
	env := deliveryEnv(t, log, func(n int, in activities.AttemptInput) activities.AttemptResult {
		if n < 3 {
			return activities.AttemptResult{Outcome: notify.Retry, HTTPStatus: 503, Wait: in.NextWait}
		}
		return activities.AttemptResult{Outcome: notify.Delivered, HTTPStatus: 200}
	})
	env.ExecuteWorkflow(Delivery, DeliveryInput{DeliveryID: "d", TargetKind: domain.TargetChannel,
		Schedule: []time.Duration{time.Minute, time.Hour, time.Hour}, FirstAttempt: 1, FirstAttemptLocal: true})
	var res DeliveryResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if res.Status != domain.DeliveryDelivered || res.Attempts != 3 || len(log.local) != 3 {
		t.Fatalf("result %+v, local %v", res, log.local)
	}
	if !log.local[0] || log.local[1] || log.local[2] {
		t.Fatalf("local %v, want only the first attempt local", log.local)
	}
	for i, want := range []time.Duration{time.Minute, time.Hour} {
		if gap := log.times[i+1].Sub(log.times[i]); gap < want*9/10 || gap > want*11/10 {
			t.Fatalf("wait before attempt %d: %s, want %s ±10%%", i+2, gap, want)
		}
	}
	for i, in := range log.in {
		if in.Attempt != i+1 {
			t.Fatalf("attempt inputs %+v", log.in)
		}
	}
}

// TestDeliveryLocalAttemptErrorContinuesAsActivity: a local first attempt
// that keeps failing (MySQL down) goes on as an ordinary activity for the
// same attempt number, which answers from the attempt's row.
func TestDeliveryLocalAttemptErrorContinuesAsActivity(t *testing.T) {
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	var local, ordinary []int
	env.OnActivity(delivererActs.Attempt, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, in activities.AttemptInput) (activities.AttemptResult, error) {
			if activity.GetInfo(ctx).IsLocalActivity {
				local = append(local, in.Attempt)
				return activities.AttemptResult{}, errors.New("mysql: connection refused")
			}
			ordinary = append(ordinary, in.Attempt)
			return activities.AttemptResult{Outcome: notify.Delivered, HTTPStatus: 200}, nil
		})
	env.ExecuteWorkflow(Delivery, DeliveryInput{DeliveryID: "d", TargetKind: domain.TargetChannel, Schedule: notify.DefaultSchedule,
		FirstAttempt: 1, FirstAttemptLocal: true})
	var res DeliveryResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if res.Status != domain.DeliveryDelivered || res.Attempts != 1 || len(local) != 3 || len(ordinary) != 1 || ordinary[0] != 1 {
		t.Fatalf("result %+v, local runs %v, activity runs %v", res, local, ordinary)
	}
}

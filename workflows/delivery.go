package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"gatehouse/activities"
	"gatehouse/internal/domain"
	"gatehouse/internal/notify"
	"gatehouse/internal/searchattr"
)

// Signal and query names of the Delivery workflow.
const (
	DeliveryRetryNowSignal = "retry-now"
	DeliveryCancelSignal   = "cancel"
	DeliveryStateQuery     = "state"
)

// DeliveryID is the workflow id of one (event, target) delivery: the same
// event matched again can never start a second one.
func DeliveryID(eventID, targetKind, targetID string) string {
	return "Delivery:" + eventID + ":" + targetKind + ":" + targetID
}

// Bounds of the wait for an object to become READY (eventDelayedCondition).
const (
	ReadyPollFirst = time.Minute
	ReadyPollMax   = 15 * time.Minute
	ReadyWaitMax   = 24 * time.Hour
)

// DeliveryInput starts a delivery. Bodies are never in it: the attempt
// activity renders them from MySQL, so payloads stay out of history.
type DeliveryInput struct {
	DeliveryID   string
	EventID      string
	EventType    string
	TargetKind   string // domain.TargetTemplate | domain.TargetChannel
	TargetID     string
	Schedule     []time.Duration // waits before retries; the first attempt is immediate
	FirstAttempt int             // 1, or after a manual retry the next number
	WaitForReady bool            // eventDelayedCondition=1
}

// DeliveryResult is how the delivery ended.
type DeliveryResult struct {
	Status   string
	Attempts int
}

// DeliveryState answers the query.
type DeliveryState struct {
	Status        string
	Attempt       int
	NextAttemptAt *time.Time
	LastHTTP      int
	LastError     string
}

// Delivery makes attempts until one succeeds, one fails for good, the
// schedule runs out or an operator cancels. Waits are timers, so the
// schedule is visible in the Web UI.
func Delivery(ctx workflow.Context, in DeliveryInput) (DeliveryResult, error) {
	st := &DeliveryState{Status: domain.DeliveryPending, Attempt: in.FirstAttempt - 1}
	if err := workflow.SetQueryHandler(ctx, DeliveryStateQuery, func() (DeliveryState, error) { return *st, nil }); err != nil {
		return DeliveryResult{}, err
	}
	retryNow := workflow.GetSignalChannel(ctx, DeliveryRetryNowSignal)
	cancel := workflow.GetSignalChannel(ctx, DeliveryCancelSignal)
	cancelled := false
	w := waiter{retryNow: retryNow, cancel: cancel, cancelled: &cancelled}

	finish := func(status string) (DeliveryResult, error) {
		st.Status = status
		st.NextAttemptAt = nil
		if status == domain.DeliveryCancelled {
			if err := workflow.ExecuteActivity(storeCtx(ctx), delivererActs.MarkDelivery, activities.MarkDeliveryInput{
				DeliveryID: in.DeliveryID, Status: status, Reason: "cancelled by an operator"}).Get(ctx, nil); err != nil {
				return DeliveryResult{}, err
			}
		}
		upsertStatus(ctx, status)
		return DeliveryResult{Status: status, Attempts: st.Attempt}, nil
	}

	if in.WaitForReady {
		ready, err := waitForReady(ctx, in, st, w)
		if err != nil {
			return DeliveryResult{}, err
		}
		if cancelled {
			return finish(domain.DeliveryCancelled)
		}
		if !ready {
			return finish(domain.DeliveryFailed)
		}
	}

	for i := 0; ; i++ {
		if cancel.ReceiveAsync(nil) {
			cancelled = true
		}
		if cancelled {
			return finish(domain.DeliveryCancelled)
		}
		st.Attempt = in.FirstAttempt + i
		var wait time.Duration
		if i < len(in.Schedule) {
			wait = notify.Jitter(in.DeliveryID, st.Attempt, in.Schedule[i])
		}
		var res activities.AttemptResult
		err := workflow.ExecuteActivity(attemptCtx(ctx), delivererActs.Attempt, activities.AttemptInput{
			DeliveryID: in.DeliveryID, Attempt: st.Attempt, NextWait: wait,
		}).Get(ctx, &res)
		if err != nil {
			return DeliveryResult{}, err
		}
		st.LastHTTP, st.LastError = res.HTTPStatus, res.Error
		switch res.Outcome {
		case notify.Delivered:
			return finish(domain.DeliveryDelivered)
		case notify.Gone:
			return finish(domain.DeliveryTargetGone)
		case notify.Failed:
			return finish(domain.DeliveryFailed)
		}
		if res.Wait == 0 { // schedule exhausted; the activity recorded "failed"
			return finish(domain.DeliveryFailed)
		}
		if i == 0 {
			upsertStatus(ctx, domain.DeliveryRetrying)
		}
		next := workflow.Now(ctx).Add(res.Wait)
		st.Status, st.NextAttemptAt = domain.DeliveryRetrying, &next
		w.sleep(ctx, res.Wait)
	}
}

// waiter sleeps until a timer fires, retry-now arrives or the delivery is
// cancelled.
type waiter struct {
	retryNow, cancel workflow.ReceiveChannel
	cancelled        *bool
}

func (w waiter) sleep(ctx workflow.Context, d time.Duration) {
	tctx, stop := workflow.WithCancel(ctx)
	defer stop()
	sel := workflow.NewSelector(ctx)
	sel.AddFuture(workflow.NewTimer(tctx, d), func(workflow.Future) {})
	sel.AddReceive(w.retryNow, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, nil) })
	sel.AddReceive(w.cancel, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, nil); *w.cancelled = true })
	sel.Select(ctx)
}

// waitForReady holds the delivery until the object's snapshot has status 2
// (READY), polling with growing intervals; gives up after ReadyWaitMax.
func waitForReady(ctx workflow.Context, in DeliveryInput, st *DeliveryState, w waiter) (bool, error) {
	started := workflow.Now(ctx)
	poll := ReadyPollFirst
	for {
		var res activities.ObjectReadyResult
		err := workflow.ExecuteActivity(storeCtx(ctx), delivererActs.ObjectReady, activities.ObjectReadyInput{
			DeliveryID: in.DeliveryID, EventID: in.EventID}).Get(ctx, &res)
		if err != nil {
			return false, err
		}
		if res.Ready {
			return true, nil
		}
		if workflow.Now(ctx).Sub(started) >= ReadyWaitMax {
			err := workflow.ExecuteActivity(storeCtx(ctx), delivererActs.MarkDelivery, activities.MarkDeliveryInput{
				DeliveryID: in.DeliveryID, Status: domain.DeliveryFailed,
				Reason: fmt.Sprintf("the object did not become READY within %s", ReadyWaitMax)}).Get(ctx, nil)
			return false, err
		}
		st.Status = domain.DeliveryWaiting
		w.sleep(ctx, poll)
		if *w.cancelled {
			return false, nil
		}
		poll = min(poll*2, ReadyPollMax)
	}
}

func upsertStatus(ctx workflow.Context, status string) {
	// Best effort: a failed upsert must not fail the delivery.
	_ = workflow.UpsertTypedSearchAttributes(ctx, searchattr.Status.ValueSet(status))
}

// attemptCtx: the activity handles HTTP failures itself and returns an
// outcome; an activity error means MySQL or the worker failed, which is
// worth retrying quickly and indefinitely.
func attemptCtx(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 3 * time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute,
		},
	})
}

package workflows

import (
	"errors"
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
	TargetKind   string // domain.TargetTemplate | domain.TargetChannel | domain.TargetPortal
	TargetID     string
	Schedule     []time.Duration // waits before retries; the first attempt is immediate
	FirstAttempt int             // 1, or after a manual retry the next number
	WaitForReady bool            // eventDelayedCondition=1
	// FirstAttemptLocal: the first attempt runs as a local activity inside
	// the first workflow task (callbacks; emails fan out for too long).
	FirstAttemptLocal bool
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
// schedule is visible in the Web UI. A delivery that ends in an error
// leaves its row failed, so recover finds it.
func Delivery(ctx workflow.Context, in DeliveryInput) (DeliveryResult, error) {
	st := &DeliveryState{Status: domain.DeliveryPending, Attempt: in.FirstAttempt - 1}
	if err := workflow.SetQueryHandler(ctx, DeliveryStateQuery, func() (DeliveryState, error) { return *st, nil }); err != nil {
		return DeliveryResult{}, err
	}
	res, err := deliver(ctx, in, st)
	if err != nil {
		return res, markStopped(ctx, in, st, err)
	}
	return res, nil
}

// markStopped records the status of a delivery that ends in an error
// (failed; cancelled when the workflow was cancelled) and returns the error.
func markStopped(ctx workflow.Context, in DeliveryInput, st *DeliveryState, cause error) error {
	if workflow.GetVersion(ctx, changeDeliveryMarkStopped, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return cause
	}
	status, reason := domain.DeliveryFailed, "the delivery stopped on an error: "+cause.Error()
	if temporal.IsCanceledError(cause) {
		status, reason = domain.DeliveryCancelled, "the workflow was cancelled"
	}
	// Disconnected: a cancelled workflow still records why it stopped.
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	err := workflow.ExecuteActivity(markCtx(dctx), delivererActs.MarkDelivery, activities.MarkDeliveryInput{
		DeliveryID: in.DeliveryID, Status: status, Reason: reason}).Get(dctx, nil)
	if err != nil {
		workflow.GetLogger(ctx).Error("delivery: could not record its status", "status", status, "error", err)
		return cause
	}
	st.Status, st.NextAttemptAt = status, nil
	upsertStatus(dctx, status)
	return cause
}

func deliver(ctx workflow.Context, in DeliveryInput, st *DeliveryState) (DeliveryResult, error) {
	retryNow := workflow.GetSignalChannel(ctx, DeliveryRetryNowSignal)
	cancel := workflow.GetSignalChannel(ctx, DeliveryCancelSignal)
	cancelled := false
	firstTask := workflow.GetVersion(ctx, changeDeliveryFirstTask, workflow.DefaultVersion, 1) == 1
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
		ain := activities.AttemptInput{DeliveryID: in.DeliveryID, Attempt: st.Attempt, NextWait: wait}
		var res activities.AttemptResult
		var err error
		if i == 0 && firstTask && in.FirstAttemptLocal {
			res, err = attemptLocal(ctx, ain)
		} else {
			err = workflow.ExecuteActivity(attemptCtx(ctx), delivererActs.Attempt, ain).Get(ctx, &res)
		}
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

// upsertStatus sets GatehouseStatus. Only an upsert on a running workflow
// costs a visibility write: the server skips the upsert's visibility task
// when the workflow has closed by then (the close record carries the final
// attributes), so the final status, set in the closing workflow task, is
// free; "retrying" is the one that costs, and operators filter on it.
func upsertStatus(ctx workflow.Context, status string) {
	// Best effort: a failed upsert must not fail the delivery.
	_ = workflow.UpsertTypedSearchAttributes(ctx, searchattr.Status.ValueSet(status))
}

// attemptLocal makes a callback's first attempt as a local activity, in
// the workflow task that starts the delivery: no activity task, no second
// workflow task. The attempt is claimed in MySQL before it is sent, so a
// local activity run again (its worker died before the task completed)
// answers from the stored row instead of sending again. When the local
// activity fails (MySQL down beyond its short retries) the same attempt
// goes on as an ordinary activity, which answers from the row the same way.
func attemptLocal(ctx workflow.Context, in activities.AttemptInput) (activities.AttemptResult, error) {
	var res activities.AttemptResult
	lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		// The longest request (notify.MaxTimeoutSeconds) plus the bookkeeping.
		StartToCloseTimeout:    150 * time.Second,
		ScheduleToCloseTimeout: 5 * time.Minute,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2,
			MaximumInterval: 10 * time.Second, MaximumAttempts: 3},
	})
	err := workflow.ExecuteLocalActivity(lctx, delivererActs.Attempt, in).Get(ctx, &res)
	var appErr *temporal.ApplicationError
	if err == nil || temporal.IsCanceledError(err) || (errors.As(err, &appErr) && appErr.NonRetryable()) {
		return res, err // an activity would fail the same way
	}
	workflow.GetLogger(ctx).Warn("delivery: local first attempt failed, continuing as an activity", "error", err)
	res = activities.AttemptResult{}
	err = workflow.ExecuteActivity(attemptCtx(ctx), delivererActs.Attempt, in).Get(ctx, &res)
	return res, err
}

// attemptCtx: the activity handles HTTP and SMTP failures itself and
// returns an outcome; an activity error means MySQL or the worker failed,
// which is worth retrying quickly: a retry never sends an attempt twice.
//   - HeartbeatTimeout: the activity heartbeats every few seconds during a
//     request and per recipient, so a dead worker is noticed in 20 s.
//   - StartToClose 3 h: an email fan-out to a group of 10,000, one SMTP
//     transaction each; a retry resumes where a run stopped.
//   - ScheduleToClose 12 h: a MySQL outage that long makes the schedule
//     (about 22 h in all) meaningless; the delivery ends failed, its row says
//     so (markStopped) and recover re-drives it.
func attemptCtx(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		ScheduleToCloseTimeout: 12 * time.Hour,
		StartToCloseTimeout:    3 * time.Hour,
		HeartbeatTimeout:       20 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute,
		},
	})
}

// markCtx: recording how a delivery ended outlasts the outage that ended
// it (a week, as localRetryFor), so the row is failed when MySQL is back.
func markCtx(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		ScheduleToCloseTimeout: localRetryFor,
		StartToCloseTimeout:    15 * time.Second,
		RetryPolicy:            &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 5 * time.Minute},
	})
}

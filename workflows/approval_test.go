package workflows

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"gatehouse/activities"
	"gatehouse/internal/domain"
	"gatehouse/internal/notify"
	"gatehouse/internal/portal"
)

// approvalWorld stands in for MySQL, SMTP and the portal.
type approvalWorld struct {
	mu       sync.Mutex
	steps    []activities.ApprovalStepInput
	notified []activities.NotifyApproverInput
	// started are the portal callbacks handed to a Delivery; calls are
	// that delivery's attempts and results what they answered.
	started []activities.StartPortalCallbackInput
	calls   []activities.AttemptInput
	results []activities.AttemptResult
	// portal answers the attempts with these outcomes in turn, then 200.
	portal  []activities.AttemptResult
	resolve activities.ResolveAccessRequestResult
	// recordedAfter delays RecordApprovalRequested's result (workflow time).
	recordedAfter time.Duration
	// audit is every entry by seq, like approval_audit's key: a second,
	// different entry under a seq is refused as the store refuses it.
	audit map[int]string
}

// write records one audit entry as the store does.
func (w *approvalWorld) write(seq int, action string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.audit == nil {
		w.audit = map[int]string{}
	}
	if had, ok := w.audit[seq]; ok && had != action {
		return temporal.NewNonRetryableApplicationError(fmt.Sprintf("seq %d holds %s, not %s", seq, had, action), activities.ErrTypeStepConflict, nil)
	}
	w.audit[seq] = action
	return nil
}

// trail is the audit in seq order.
func (w *approvalWorld) trail() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	seqs := slices.Sorted(maps.Keys(w.audit))
	out := make([]string, 0, len(seqs))
	for _, q := range seqs {
		out = append(out, w.audit[q])
	}
	return strings.Join(out, ",")
}

// decisions are the decisions handed to the portal callback.
func (w *approvalWorld) decisions() []portal.Decision {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []portal.Decision
	for _, s := range w.started {
		out = append(out, s.Step.Change.Decision)
	}
	return out
}

func (w *approvalWorld) actions() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, s := range w.steps {
		out = append(out, s.Action)
	}
	return out
}

func (w *approvalWorld) events() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, s := range w.steps {
		if s.Event != "" {
			out = append(out, s.Event)
		}
	}
	return out
}

func newApprovalEnv(t *testing.T, w *approvalWorld) *testsuite.TestWorkflowEnvironment {
	t.Helper()
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	env.SetStartTime(testStart)
	env.RegisterWorkflow(Approval)
	env.OnActivity(approvalActs.RecordApprovalRequested, mock.Anything, mock.Anything).Return(
		func(_ context.Context, _ activities.RecordApprovalRequestedInput) (activities.RecordApprovalRequestedResult, error) {
			return activities.RecordApprovalRequestedResult{Seq: 1}, w.write(1, "requested")
		}).AfterFn(func() time.Duration {
		// The entry commits when the activity starts; its result reaches
		// the workflow recordedAfter later.
		_ = w.write(1, "requested")
		return w.recordedAfter
	})
	env.OnActivity(approvalActs.RecordApprovalStep, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.ApprovalStepInput) error {
			if err := w.write(in.Seq, in.Action); err != nil {
				return err
			}
			w.mu.Lock()
			defer w.mu.Unlock()
			w.steps = append(w.steps, in)
			return nil
		})
	env.OnActivity(approvalActs.NotifyApprover, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.NotifyApproverInput) error {
			w.mu.Lock()
			defer w.mu.Unlock()
			w.notified = append(w.notified, in)
			return nil
		})
	env.OnActivity(approvalActs.ResolveAccessRequest, mock.Anything, mock.Anything).Return(
		func(_ context.Context, _ activities.ResolveAccessRequestInput) (activities.ResolveAccessRequestResult, error) {
			return w.resolve, nil
		})
	env.RegisterWorkflow(Delivery)
	env.OnActivity(approvalActs.StartPortalCallback, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.StartPortalCallbackInput) error {
			if err := w.write(in.Step.Seq, in.Step.Action); err != nil {
				return err
			}
			w.mu.Lock()
			defer w.mu.Unlock()
			w.started = append(w.started, in)
			return nil
		})
	env.OnActivity(delivererActs.Attempt, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.AttemptInput) (activities.AttemptResult, error) {
			w.mu.Lock()
			defer w.mu.Unlock()
			w.calls = append(w.calls, in)
			r := activities.AttemptResult{Outcome: notify.Delivered, HTTPStatus: 200}
			if len(w.portal) > 0 {
				r = w.portal[0]
				w.portal = w.portal[1:]
			}
			if r.Outcome == notify.Retry {
				r.Wait = in.NextWait // 0: the schedule is exhausted
			}
			w.results = append(w.results, r)
			return r, nil
		})
	env.OnActivity(approvalActs.PortalCallbackOutcome, mock.Anything, mock.Anything).Return(
		func(_ context.Context, _ string) (activities.PortalCallbackOutcomeResult, error) {
			w.mu.Lock()
			defer w.mu.Unlock()
			out := activities.PortalCallbackOutcomeResult{Status: domain.DeliveryFailed}
			for i, r := range w.results {
				out.Attempts = append(out.Attempts, activities.PortalCallbackAttempt{Attempt: i + 1, Outcome: string(r.Outcome),
					HTTPStatus: r.HTTPStatus, Detail: r.Error})
				out.Message = r.Error
				if r.Outcome == notify.Delivered {
					out.Status = domain.DeliveryDelivered
				}
			}
			return out, nil
		})
	return env
}

func approvalInput(kind portal.Kind, pol portal.Policy) ApprovalInput {
	p := &portal.Portal{Approvals: map[portal.Kind]*portal.Policy{kind: &pol}}
	p.ApplyDefaults()
	return ApprovalInput{PortalID: "p1", Kind: kind, EntityID: "29", EventID: "ev_1", Message: []byte(`{"ID":29}`),
		Policy: *p.Approvals[kind], ObjectID: 29}
}

type updateResult struct {
	state ApprovalState
	err   error
}

// vote sends the decide Update after d of workflow time.
func vote(env *testsuite.TestWorkflowEnvironment, d time.Duration, in DecideInput, out *updateResult) {
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(ApprovalDecideUpdate, in.DecisionID, &testsuite.TestUpdateCallback{
			OnReject: func(err error) { out.err = err },
			OnAccept: func() {},
			OnComplete: func(v any, err error) {
				if err != nil {
					out.err = err
					return
				}
				if st, ok := v.(ApprovalState); ok {
					out.state = st
				}
			},
		}, in)
	}, d)
}

func result(t *testing.T, env *testsuite.TestWorkflowEnvironment) ApprovalState {
	t.Helper()
	if !env.IsWorkflowCompleted() {
		t.Fatal("workflow did not complete")
	}
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var st ApprovalState
	if err := env.GetWorkflowResult(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

func errType(err error) string {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return app.Type()
	}
	return ""
}

func TestApprovalApprovedAndRejected(t *testing.T) {
	for _, kind := range portal.Kinds() {
		for _, d := range []portal.Decision{portal.Approved, portal.Rejected} {
			t.Run(fmt.Sprintf("%s/%s", kind, d), func(t *testing.T) {
				w := &approvalWorld{}
				env := newApprovalEnv(t, w)
				var r updateResult
				vote(env, time.Minute, DecideInput{DecisionID: "d1", Approver: "Boss@Example.com", Decision: d, Reason: "ok", Via: domain.ViaAPI}, &r)
				env.ExecuteWorkflow(Approval, approvalInput(kind, portal.Policy{Approvers: portal.Approvers{Emails: []string{"boss@example.com"}}}))
				st := result(t, env)
				if r.err != nil || r.state.Decision != d {
					t.Fatalf("update: %+v %v", r.state, r.err)
				}
				if st.Decision != d || st.DecidedBy != "boss@example.com" || st.Via != domain.ViaAPI {
					t.Fatalf("state %+v", st)
				}
				wantCall := kind == portal.KindAccessRequest || (kind == portal.KindUserRegistration && d == portal.Approved)
				if got := len(w.calls) == 1; got != wantCall {
					t.Fatalf("callbacks %+v, want one: %v", w.calls, wantCall)
				}
				if st.Status != string(d) {
					t.Fatalf("status %s", st.Status)
				}
				if ev := w.events(); len(ev) != 1 || ev[0] != domain.EventApprovalDecided {
					t.Fatalf("events %v", ev)
				}
				if len(w.notified) != 1 || w.notified[0].Approver != "boss@example.com" {
					t.Fatalf("notified %+v", w.notified)
				}
			})
		}
	}
}

func TestApprovalRefusesBadVotes(t *testing.T) {
	// The first callback fails, so the workflow is still open for the late vote.
	w := &approvalWorld{portal: []activities.AttemptResult{{Outcome: notify.Retry, HTTPStatus: 503}}}
	env := newApprovalEnv(t, w)
	pol := portal.Policy{Approvers: portal.Approvers{Emails: []string{"a@x.io", "b@x.io", "c@x.io"}}, RequiredApprovals: 2}
	var stranger, first, again, bad, second, late updateResult
	vote(env, time.Minute, DecideInput{DecisionID: "s", Approver: "eve@x.io", Decision: portal.Approved, Via: domain.ViaAPI}, &stranger)
	vote(env, 2*time.Minute, DecideInput{DecisionID: "a1", Approver: "a@x.io", Decision: portal.Approved, Via: domain.ViaAPI}, &first)
	vote(env, 3*time.Minute, DecideInput{DecisionID: "a2", Approver: "a@x.io", Decision: portal.Rejected, Via: domain.ViaAPI}, &again)
	vote(env, 4*time.Minute, DecideInput{DecisionID: "b0", Approver: "b@x.io", Decision: "maybe", Via: domain.ViaAPI}, &bad)
	vote(env, 5*time.Minute, DecideInput{DecisionID: "b1", Approver: "b@x.io", Decision: portal.Approved, Via: domain.ViaAPI}, &second)
	vote(env, 5*time.Minute+time.Second, DecideInput{DecisionID: "c1", Approver: "c@x.io", Decision: portal.Rejected, Via: domain.ViaAPI}, &late)
	env.ExecuteWorkflow(Approval, approvalInput(portal.KindAccessRequest, pol))
	st := result(t, env)
	if errType(stranger.err) != ErrTypeNotAnApprover || errType(again.err) != ErrTypeAlreadyVoted || errType(bad.err) != ErrTypeBadDecision {
		t.Fatalf("stranger %v, again %v, bad %v", stranger.err, again.err, bad.err)
	}
	if first.err != nil || first.state.Decided() {
		t.Fatalf("first vote: %+v %v", first.state, first.err)
	}
	if second.err != nil || second.state.Decision != portal.Approved {
		t.Fatalf("second vote: %+v %v", second.state, second.err)
	}
	if errType(late.err) != ErrTypeAlreadyDecided || !strings.Contains(late.err.Error(), "already approved by b@x.io at ") {
		t.Fatalf("late vote: %v", late.err)
	}
	if st.Status != domain.ApprovalApproved || len(st.Votes) != 2 || st.DecidedBy != "b@x.io" {
		t.Fatalf("state %+v", st)
	}
}

func TestApprovalConcurrentVotesOneWins(t *testing.T) {
	w := &approvalWorld{}
	env := newApprovalEnv(t, w)
	pol := portal.Policy{Approvers: portal.Approvers{Emails: []string{"a@x.io", "b@x.io"}}}
	var a, b updateResult
	// Same instant: both Updates land in one workflow task.
	vote(env, time.Minute, DecideInput{DecisionID: "a", Approver: "a@x.io", Decision: portal.Approved, Via: domain.ViaAPI}, &a)
	vote(env, time.Minute, DecideInput{DecisionID: "b", Approver: "b@x.io", Decision: portal.Rejected, Via: domain.ViaAPI}, &b)
	env.ExecuteWorkflow(Approval, approvalInput(portal.KindAccessRequest, pol))
	st := result(t, env)
	if (a.err == nil) == (b.err == nil) {
		t.Fatalf("want exactly one winner: a %v, b %v", a.err, b.err)
	}
	loser := a.err
	if loser == nil {
		loser = b.err
	}
	if errType(loser) != ErrTypeAlreadyDecided {
		t.Fatalf("loser: %v", loser)
	}
	if len(st.Votes) != 1 || len(w.calls) != 1 {
		t.Fatalf("votes %+v calls %+v", st.Votes, w.calls)
	}
}

func TestApprovalRemindersThenExpiry(t *testing.T) {
	for _, onExpiry := range []string{portal.OnExpiryReject, portal.OnExpiryApprove} {
		t.Run(onExpiry, func(t *testing.T) {
			w := &approvalWorld{}
			env := newApprovalEnv(t, w)
			pol := portal.Policy{Approvers: portal.Approvers{Emails: []string{"a@x.io"}}, RemindEvery: "1h", MaxReminders: 2,
				ExpireAfter: "1d", OnExpiry: onExpiry}
			env.ExecuteWorkflow(Approval, approvalInput(portal.KindAccessRequest, pol))
			st := result(t, env)
			want := domain.ApprovalExpired
			wantDecision := portal.Rejected
			if onExpiry == portal.OnExpiryApprove {
				want, wantDecision = domain.ApprovalApproved, portal.Approved
			}
			if st.Status != want || st.Decision != wantDecision || st.Via != domain.ViaExpiry || st.Reminders != 2 {
				t.Fatalf("state %+v", st)
			}
			if len(w.notified) != 3 {
				t.Fatalf("notified %d times, want 1 + 2 reminders", len(w.notified))
			}
			ev := w.events()
			if fmt.Sprint(ev) != fmt.Sprint([]string{domain.EventApprovalReminded, domain.EventApprovalReminded, domain.EventApprovalExpired, domain.EventApprovalDecided}) {
				t.Fatalf("events %v", ev)
			}
			if len(w.calls) != 1 || fmt.Sprint(w.decisions()) != fmt.Sprint([]portal.Decision{wantDecision}) {
				t.Fatalf("calls %+v decisions %v", w.calls, w.decisions())
			}
		})
	}
}

func TestApprovalEscalation(t *testing.T) {
	pol := portal.Policy{Approvers: portal.Approvers{Emails: []string{"a@x.io"}}, ExpireAfter: "2h",
		OnExpiry: portal.OnExpiryEscalate, EscalateTo: portal.Escalation{Emails: []string{"chief@x.io"}}}

	t.Run("escalated approver decides", func(t *testing.T) {
		w := &approvalWorld{}
		env := newApprovalEnv(t, w)
		var early, r updateResult
		vote(env, time.Hour, DecideInput{DecisionID: "c0", Approver: "chief@x.io", Decision: portal.Approved, Via: domain.ViaAPI}, &early)
		vote(env, 3*time.Hour, DecideInput{DecisionID: "c1", Approver: "chief@x.io", Decision: portal.Approved, Via: domain.ViaAPI}, &r)
		env.ExecuteWorkflow(Approval, approvalInput(portal.KindAccessRequest, pol))
		st := result(t, env)
		if errType(early.err) != ErrTypeNotAnApprover || r.err != nil {
			t.Fatalf("early %v, after escalation %v", early.err, r.err)
		}
		if st.Status != domain.ApprovalApproved || !st.Escalated || st.DecidedBy != "chief@x.io" {
			t.Fatalf("state %+v", st)
		}
		if len(w.notified) != 2 || w.notified[1].Approver != "chief@x.io" || w.notified[1].Notice != activities.NoticeEscalated {
			t.Fatalf("notified %+v", w.notified)
		}
	})
	t.Run("second expiry rejects", func(t *testing.T) {
		w := &approvalWorld{}
		env := newApprovalEnv(t, w)
		env.ExecuteWorkflow(Approval, approvalInput(portal.KindAccessRequest, pol))
		st := result(t, env)
		if st.Status != domain.ApprovalExpired || st.Decision != portal.Rejected || !st.Escalated {
			t.Fatalf("state %+v", st)
		}
		if got := fmt.Sprint(w.events()); got != fmt.Sprint([]string{domain.EventApprovalEscalated, domain.EventApprovalExpired, domain.EventApprovalDecided}) {
			t.Fatalf("events %s", got)
		}
		if st.DecidedAt.Sub(testStart) != 4*time.Hour {
			t.Fatalf("decided at %v", st.DecidedAt)
		}
	})
}

func TestApprovalDecidedInPortal(t *testing.T) {
	w := &approvalWorld{}
	env := newApprovalEnv(t, w)
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(ApprovalPortalDecidedSignal, PortalDecidedInput{Decision: portal.Rejected, EventID: "ev_9"})
	}, time.Hour)
	var late updateResult
	env.ExecuteWorkflow(Approval, approvalInput(portal.KindAccessRequest, portal.Policy{Approvers: portal.Approvers{Emails: []string{"a@x.io"}}}))
	st := result(t, env)
	_ = late
	if st.Status != domain.ApprovalRejected || st.Via != domain.ViaPortal || len(w.calls) != 0 {
		t.Fatalf("state %+v calls %+v", st, w.calls)
	}
}

func TestApprovalCallbackRetriesThenFails(t *testing.T) {
	pol := portal.Policy{Approvers: portal.Approvers{Emails: []string{"a@x.io"}}}
	run := func(pol portal.Policy, answers ...activities.AttemptResult) (*approvalWorld, ApprovalState) {
		t.Helper()
		w := &approvalWorld{portal: answers}
		env := newApprovalEnv(t, w)
		var r updateResult
		vote(env, time.Minute, DecideInput{DecisionID: "a", Approver: "a@x.io", Decision: portal.Approved, Via: domain.ViaAPI}, &r)
		env.ExecuteWorkflow(Approval, approvalInput(portal.KindAccessRequest, pol))
		return w, result(t, env)
	}
	w, st := run(pol, activities.AttemptResult{Outcome: notify.Retry, HTTPStatus: 500, Error: "boom"})
	if st.Status != domain.ApprovalApproved || st.Callback != domain.CallbackDone || len(w.calls) != 2 {
		t.Fatalf("500 then 200: %+v calls %d", st, len(w.calls))
	}
	if st.CallbackDelivery != "Delivery:ev_1:portal:p1" || len(w.started) != 1 || w.started[0].DeliveryID != st.CallbackDelivery {
		t.Fatalf("delivery %q started %+v", st.CallbackDelivery, w.started)
	}
	// callbackStarted is written with the delivery row (StartPortalCallback).
	if got := fmt.Sprint(w.actions()); got != "[voted callback callback decided]" {
		t.Fatalf("audit %s", got)
	}

	w, st = run(pol, activities.AttemptResult{Outcome: notify.Failed, HTTPStatus: 422, Error: "Access request is already rejected"})
	if st.Status != domain.ApprovalPortalError || st.CallbackMessage != "Access request is already rejected" || len(w.calls) != 1 {
		t.Fatalf("422: %+v calls %d", st, len(w.calls))
	}
	if ev := w.events(); fmt.Sprint(ev) != fmt.Sprint([]string{domain.EventApprovalDecided}) {
		t.Fatalf("events %v", ev)
	}

	// The schedule: 5 attempts, then portal-error; onPortalError retry: 10.
	fail := activities.AttemptResult{Outcome: notify.Retry, HTTPStatus: 503, Error: "down"}
	w, st = run(pol, slices.Repeat([]activities.AttemptResult{fail}, 20)...)
	if st.Status != domain.ApprovalPortalError || len(w.calls) != 5 {
		t.Fatalf("fail: %+v calls %d", st, len(w.calls))
	}
	pol.OnPortalError = portal.OnPortalErrorRetry
	w, st = run(pol, slices.Repeat([]activities.AttemptResult{fail}, 20)...)
	if st.Status != domain.ApprovalPortalError || len(w.calls) != 10 {
		t.Fatalf("retry: %+v calls %d", st, len(w.calls))
	}
}

func TestApprovalUnresolvedAccessRequest(t *testing.T) {
	w := &approvalWorld{resolve: activities.ResolveAccessRequestResult{Missing: "app 3 has 2 pending access requests"}}
	env := newApprovalEnv(t, w)
	in := approvalInput(portal.KindAccessRequest, portal.Policy{Approvers: portal.Approvers{Emails: []string{"a@x.io"}}, ExpireAfter: "1h"})
	in.ObjectID = 0
	var r updateResult
	vote(env, time.Minute, DecideInput{DecisionID: "a", Approver: "a@x.io", Decision: portal.Approved, Via: domain.ViaAPI}, &r)
	env.ExecuteWorkflow(Approval, in)
	st := result(t, env)
	if errType(r.err) != ErrTypeUnresolved {
		t.Fatalf("vote on unresolved: %v", r.err)
	}
	if st.Unresolved == "" || st.Status != domain.ApprovalPortalError || len(w.calls) != 0 || len(w.notified) != 0 {
		t.Fatalf("state %+v", st)
	}
}

func TestApprovalAutoApproved(t *testing.T) {
	w := &approvalWorld{}
	env := newApprovalEnv(t, w)
	in := approvalInput(portal.KindAccessRequest, portal.Policy{AutoApprove: "{Message.PlanID} == 3"})
	in.AutoApproved = true
	env.ExecuteWorkflow(Approval, in)
	st := result(t, env)
	if st.Status != domain.ApprovalApproved || st.Via != domain.ViaAuto || len(w.calls) != 1 || len(w.notified) != 0 {
		t.Fatalf("state %+v", st)
	}
}

func TestApprovalCreateOrganisation(t *testing.T) {
	for _, d := range []portal.Decision{portal.Approved, portal.Rejected} {
		t.Run(string(d), func(t *testing.T) {
			w := &approvalWorld{}
			env := newApprovalEnv(t, w)
			var r updateResult
			vote(env, time.Minute, DecideInput{DecisionID: "a", Approver: "a@x.io", Decision: d, Via: domain.ViaAPI}, &r)
			in := approvalInput(portal.KindOrganisationRequest, portal.Policy{Approvers: portal.Approvers{Emails: []string{"a@x.io"}},
				OrganisationApproval: portal.OrganisationCreate})
			in.ObjectID, in.RequesterID = 0, 7 // organisation requests have no id: AdminID
			env.ExecuteWorkflow(Approval, in)
			st := result(t, env)
			if d == portal.Rejected {
				if len(w.started) != 0 || st.Status != domain.ApprovalRejected || st.Callback != domain.CallbackNone {
					t.Fatalf("rejected: %+v started %+v", st, w.started)
				}
				return
			}
			if len(w.calls) != 1 || st.Status != domain.ApprovalApproved || st.Callback != domain.CallbackDone {
				t.Fatalf("approved: %+v calls %+v", st, w.calls)
			}
		})
	}
}

// escalateTo's own expireAfter: the escalation waits 48h, not the
// policy's 2h; without one it waits the policy's (TestApprovalEscalation).
func TestApprovalEscalationOwnExpiry(t *testing.T) {
	pol := portal.Policy{Approvers: portal.Approvers{Emails: []string{"a@x.io"}}, ExpireAfter: "2h", OnExpiry: portal.OnExpiryEscalate,
		EscalateTo: portal.Escalation{Emails: []string{"chief@x.io"}, ExpireAfter: "48h"}}
	w := &approvalWorld{}
	env := newApprovalEnv(t, w)
	var r updateResult
	vote(env, 40*time.Hour, DecideInput{DecisionID: "c1", Approver: "chief@x.io", Decision: portal.Rejected, Via: domain.ViaAPI}, &r)
	env.ExecuteWorkflow(Approval, approvalInput(portal.KindAccessRequest, pol))
	st := result(t, env)
	if r.err != nil || st.Status != domain.ApprovalRejected || st.DecidedBy != "chief@x.io" || !st.Escalated {
		t.Fatalf("vote at 40h: %v, state %+v", r.err, st)
	}

	w = &approvalWorld{}
	env = newApprovalEnv(t, w)
	env.ExecuteWorkflow(Approval, approvalInput(portal.KindAccessRequest, pol))
	st = result(t, env)
	if st.Status != domain.ApprovalExpired || st.DecidedAt.Sub(testStart) != 50*time.Hour {
		t.Fatalf("state %+v, decided after %v", st, st.DecidedAt.Sub(testStart))
	}
}

// The approval's row is visible, and votable, as soon as the requested
// entry commits, before that activity's result reaches the workflow. A
// vote in that gap once took the requested entry's seq, the store dropped
// it as a retry, and the audit and votes lost it.
func TestApprovalVoteBeforeRequestedRecorded(t *testing.T) {
	w := &approvalWorld{recordedAfter: time.Minute}
	env := newApprovalEnv(t, w)
	var r updateResult
	vote(env, 10*time.Second, DecideInput{DecisionID: "a", Approver: "a@x.io", Decision: portal.Approved, Via: domain.ViaAPI}, &r)
	env.ExecuteWorkflow(Approval, approvalInput(portal.KindAccessRequest, portal.Policy{Approvers: portal.Approvers{Emails: []string{"a@x.io"}}}))
	st := result(t, env)
	if r.err != nil || r.state.Decision != portal.Approved {
		t.Fatalf("vote: %+v %v", r.state, r.err)
	}
	if got := w.trail(); got != "requested,voted,callbackStarted,callback,decided" {
		t.Fatalf("audit %s", got)
	}
	if st.Status != domain.ApprovalApproved || len(st.Votes) != 1 {
		t.Fatalf("state %+v", st)
	}
}

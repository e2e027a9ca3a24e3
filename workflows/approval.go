package workflows

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"gatehouse/activities"
	"gatehouse/internal/domain"
	"gatehouse/internal/portal"
	"gatehouse/internal/searchattr"
)

// Update, signal and query names of the Approval workflow.
const (
	// ApprovalDecideUpdate carries one approver's vote. It is an Update, not
	// a signal: the caller needs the answer (counted, refused, already
	// decided by whom) and a validator refuses bad votes before they enter
	// history.
	ApprovalDecideUpdate = "decide"
	// ApprovalPortalDecidedSignal says the portal decided itself (its own
	// AccessRequestApproved/... event arrived): nobody waits for an answer.
	ApprovalPortalDecidedSignal = "portalDecided"
	ApprovalStateQuery          = "state"
)

// Error types of refused decisions (the gateway maps them to HTTP).
const (
	ErrTypeAlreadyDecided = "AlreadyDecided" // 409
	ErrTypeAlreadyVoted   = "AlreadyVoted"   // 409
	ErrTypeNotAnApprover  = "NotAnApprover"  // 403
	ErrTypeBadDecision    = "BadDecision"    // 400
	ErrTypeUnresolved     = "Unresolved"     // 409: the portal's object is not known yet
)

// Callback attempts: rounds of attempts with growing waits; under
// onPortalError retry a second round follows after approvalRetryRoundWait.
const (
	approvalCallbackAttempts = 5
	approvalCallbackFirst    = 5 * time.Second
	approvalRetryRoundWait   = 10 * time.Minute
)

// Waits between the attempts of the portal callback's Delivery: the same
// budget as the rounds above (5 attempts; onPortalError retry: 10, with a
// 10-minute pause in the middle, and a portal refusal is retried too).
var (
	portalCallbackSchedule      = []time.Duration{5 * time.Second, 10 * time.Second, 20 * time.Second, 40 * time.Second}
	portalCallbackRetrySchedule = []time.Duration{5 * time.Second, 10 * time.Second, 20 * time.Second, 40 * time.Second,
		approvalRetryRoundWait, 5 * time.Second, 10 * time.Second, 20 * time.Second, 40 * time.Second}
)

// ApprovalID is the workflow id of the approval of one portal entity.
func ApprovalID(portalID string, kind portal.Kind, entityID string) string {
	return "Approval:" + portalID + ":" + string(kind) + ":" + entityID
}

// ApprovalInput starts an approval. The policy is the one in force when the
// request arrived: editing the portal changes only later approvals. For
// KindSiteRegistration PortalID is the site's id (the Registration
// workflow starts it as a child and acts on its result).
type ApprovalInput struct {
	PortalID    string
	Kind        portal.Kind
	EntityID    string
	EventID     string
	Message     json.RawMessage
	Policy      portal.Policy
	ObjectID    int64 // the access request / user id; 0 when the portal sent ID 0
	RequesterID int64
	// AutoApproved: the policy's autoApprove held; the approval starts
	// decided, with the same audit and callback.
	AutoApproved bool
}

// DecideInput is one vote. DecisionID is also the Update id, so a retried
// HTTP call or link is the same Update and does not vote twice.
type DecideInput struct {
	DecisionID string
	Approver   string
	Decision   portal.Decision
	Reason     string
	Via        string // domain.ViaAPI | domain.ViaLink
	// LinkHash is the link's token hash when the vote came through one;
	// the link is spent in the vote's transaction.
	LinkHash []byte `json:",omitempty"`
}

// PortalDecidedInput is the portal's own decision.
type PortalDecidedInput struct {
	Decision portal.Decision
	EventID  string
}

// ApprovalVote is one counted vote.
type ApprovalVote struct {
	Approver   string
	Decision   portal.Decision
	Reason     string
	At         time.Time
	Via        string
	DecisionID string
}

// ApprovalState answers the query and the decide Update.
type ApprovalState struct {
	ID              string
	Status          string
	Kind            portal.Kind
	Required        int
	Approvers       []string
	Votes           []ApprovalVote
	Reminders       int
	Escalated       bool
	ExpiresAt       *time.Time
	Unresolved      string // what was missing to identify the portal's object
	Decision        portal.Decision
	DecidedBy       string
	DecidedAt       *time.Time
	Via             string
	Reason          string
	Callback        string // domain.Callback*; "" while pending
	CallbackMessage string
	// CallbackDelivery is the portal callback's Delivery (workflow and
	// GET /api/v1/deliveries/{id}); "" on the old path or without a callback.
	CallbackDelivery string `json:",omitempty"`
}

// Decided reports whether a decision has been taken.
func (s *ApprovalState) Decided() bool { return s.Decision != "" }

type approval struct {
	in     ApprovalInput
	st     ApprovalState
	seq    int
	portal *PortalDecidedInput
	// recorded: the requested entry is written and seq numbers from it.
	// Steps of votes wait for it (votesWait), or they would take seqs the
	// requested entry's result then reuses.
	recorded  bool
	votesWait bool
}

// Approval holds one portal request until approvers decide, it expires or
// the portal decides itself; then it calls the portal back and records the
// outcome.
func Approval(ctx workflow.Context, in ApprovalInput) (ApprovalState, error) {
	id := workflow.GetInfo(ctx).WorkflowExecution.ID
	a := &approval{in: in, st: ApprovalState{ID: id, Status: domain.ApprovalPending, Kind: in.Kind,
		Required: max(in.Policy.RequiredApprovals, 1), Approvers: approverList(in.Policy.Approvers.Emails)}}
	// Asked here, in the main coroutine before any handler runs, rather
	// than in the handler: one marker per approval at a fixed place.
	a.votesWait = workflow.GetVersion(ctx, changeVoteAfterRequested, workflow.DefaultVersion, 1) == 1
	if err := workflow.SetQueryHandler(ctx, ApprovalStateQuery, func() (ApprovalState, error) { return a.st, nil }); err != nil {
		return ApprovalState{}, err
	}
	if len(in.Policy.Approvers.Channels) > 0 && workflow.GetVersion(ctx, changeApprovalChannels, workflow.DefaultVersion, 1) == 1 {
		a.st.Approvers = append(a.st.Approvers, channelApprovers(in.Policy.Approvers.Channels)...)
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, ApprovalDecideUpdate, a.decide,
		workflow.UpdateHandlerOptions{Validator: a.validate}); err != nil {
		return ApprovalState{}, err
	}
	sig := workflow.GetSignalChannel(ctx, ApprovalPortalDecidedSignal)
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var s PortalDecidedInput
			sig.Receive(ctx, &s)
			if a.portal == nil {
				a.portal = &s
			}
		}
	})

	start := workflow.Now(ctx)
	expiry := in.Policy.Expiry()
	if expiry > 0 {
		at := start.Add(expiry)
		a.st.ExpiresAt = &at
	}
	var req activities.RecordApprovalRequestedResult
	err := workflow.ExecuteActivity(storeCtx(ctx), approvalActs.RecordApprovalRequested, activities.RecordApprovalRequestedInput{
		ApprovalID: id, PortalID: in.PortalID, Kind: in.Kind, EntityID: in.EntityID, EventID: in.EventID,
		ObjectID: in.ObjectID, RequesterID: in.RequesterID, Required: a.st.Required, Policy: in.Policy,
		Summary: in.Message, ExpiresAt: a.st.ExpiresAt, At: start, Approvers: a.st.Approvers,
	}).Get(ctx, &req)
	if err != nil {
		return a.st, err
	}
	a.seq, a.recorded = req.Seq, true // the requested entry
	a.upsertSearch(ctx)

	if in.Kind == portal.KindAccessRequest && in.ObjectID == 0 {
		var res activities.ResolveAccessRequestResult
		err := workflow.ExecuteActivity(portalCtx(ctx), approvalActs.ResolveAccessRequest, activities.ResolveAccessRequestInput{
			PortalID: in.PortalID, Message: in.Message}).Get(ctx, &res)
		if err != nil {
			res.Missing = "the portal could not be asked: " + errText(err)
		}
		a.in.ObjectID = res.ObjectID
		row := &portal.ApprovalChange{ObjectID: res.ObjectID}
		action, detail := "resolved", fmt.Sprintf("access request %d", res.ObjectID)
		if res.ObjectID == 0 {
			a.st.Status, a.st.Unresolved = domain.ApprovalUnresolved, res.Missing
			row = &portal.ApprovalChange{Status: domain.ApprovalUnresolved}
			action, detail = "unresolved", res.Missing
		}
		if err := a.step(ctx, action, "system", detail, "", row, nil); err != nil {
			return a.st, err
		}
		a.upsertSearch(ctx)
	}

	if in.AutoApproved {
		a.setDecision(ctx, portal.Approved, "system", domain.ViaAuto, "autoApprove held")
	} else if a.st.Status != domain.ApprovalUnresolved {
		if err := a.notify(ctx, a.st.Approvers, activities.NoticeRequested); err != nil {
			return a.st, err
		}
	}

	if err := a.wait(ctx); err != nil {
		return a.st, err
	}
	// The deciding vote is recorded (and its link spent) before the
	// callback: the audit reads in order and the row never runs ahead.
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return a.st, err
	}
	if err := a.finish(ctx); err != nil {
		return a.st, err
	}
	return a.st, nil
}

// wait runs reminders and expiry until a decision (vote, expiry, portal).
func (a *approval) wait(ctx workflow.Context) error {
	pol := a.in.Policy
	remind := pol.Remind()
	nextRemind := workflow.Now(ctx).Add(remind)
	for !a.st.Decided() && a.portal == nil {
		now := workflow.Now(ctx)
		var next time.Time
		remindDue := remind > 0 && a.st.Reminders < pol.MaxReminders && a.st.Status != domain.ApprovalUnresolved
		if remindDue {
			next = nextRemind
		}
		if a.st.ExpiresAt != nil && (next.IsZero() || a.st.ExpiresAt.Before(next)) {
			next = *a.st.ExpiresAt
		}
		done := func() bool { return a.st.Decided() || a.portal != nil }
		if next.IsZero() {
			if err := workflow.Await(ctx, done); err != nil {
				return err
			}
			continue
		}
		if d := next.Sub(now); d > 0 {
			ok, err := workflow.AwaitWithTimeout(ctx, d, done)
			if err != nil || ok {
				return err
			}
		}
		now = workflow.Now(ctx)
		switch {
		case a.st.ExpiresAt != nil && !now.Before(*a.st.ExpiresAt):
			if err := a.expire(ctx); err != nil {
				return err
			}
		case remindDue && !now.Before(nextRemind):
			a.st.Reminders++
			nextRemind = now.Add(remind)
			if err := a.step(ctx, "reminded", "system", fmt.Sprintf("reminder %d of %d", a.st.Reminders, pol.MaxReminders),
				domain.EventApprovalReminded, nil, nil); err != nil {
				return err
			}
			if err := a.notify(ctx, a.waitingFor(), activities.NoticeReminder); err != nil {
				return err
			}
		}
	}
	if a.portal != nil && !a.st.Decided() {
		a.setDecision(ctx, a.portal.Decision, "portal", domain.ViaPortal, "decided in the portal (event "+a.portal.EventID+")")
	}
	return nil
}

// expire applies onExpiry; an escalation restarts the expiry once and a
// second expiry rejects.
func (a *approval) expire(ctx workflow.Context) error {
	pol := a.in.Policy
	if pol.OnExpiry == portal.OnExpiryEscalate && !a.st.Escalated {
		a.st.Escalated = true
		a.st.Status = domain.ApprovalEscalated
		wait := pol.Expiry()
		if workflow.GetVersion(ctx, changeEscalationExpiry, workflow.DefaultVersion, 1) == 1 {
			wait = pol.EscalationExpiry()
		}
		at := workflow.Now(ctx).Add(wait)
		a.st.ExpiresAt = &at
		added := approverList(pol.EscalateTo.Emails)
		if len(pol.EscalateTo.Channels) > 0 && workflow.GetVersion(ctx, changeApprovalChannels, workflow.DefaultVersion, 1) == 1 {
			added = append(added, channelApprovers(pol.EscalateTo.Channels)...)
		}
		for _, e := range added {
			if !slices.Contains(a.st.Approvers, e) {
				a.st.Approvers = append(a.st.Approvers, e)
			}
		}
		if err := a.step(ctx, "escalated", "system", fmt.Sprintf("%d escalation approvers asked", len(added)),
			domain.EventApprovalEscalated, &portal.ApprovalChange{Status: domain.ApprovalEscalated, ExpiresAt: &at}, nil); err != nil {
			return err
		}
		a.upsertSearch(ctx)
		return a.notify(ctx, added, activities.NoticeEscalated)
	}
	decision := portal.Rejected
	if pol.OnExpiry == portal.OnExpiryApprove {
		decision = portal.Approved
	}
	if err := a.step(ctx, "expired", "system", "onExpiry "+pol.OnExpiry, domain.EventApprovalExpired, nil, nil); err != nil {
		return err
	}
	a.setDecision(ctx, decision, "system", domain.ViaExpiry, "expired")
	return nil
}

// finish calls the portal back (unless the portal decided) and records the
// outcome with the ApprovalDecided event.
func (a *approval) finish(ctx workflow.Context) error {
	a.st.Callback = domain.CallbackNone
	asDelivery := workflow.GetVersion(ctx, changeCallbackDelivery, workflow.DefaultVersion, 1) == 1
	if a.needsCallback(asDelivery) {
		call := a.callback
		if asDelivery {
			call = a.callbackDelivery
		}
		if err := call(ctx); err != nil {
			return err
		}
	}
	switch {
	case a.st.Callback == domain.CallbackFailed:
		a.st.Status = domain.ApprovalPortalError
	case a.st.Via == domain.ViaExpiry && a.st.Decision == portal.Rejected:
		a.st.Status = domain.ApprovalExpired
	default:
		a.st.Status = string(a.st.Decision)
	}
	a.upsertSearch(ctx)
	return a.step(ctx, "decided", a.st.DecidedBy, a.st.Reason, domain.EventApprovalDecided, &portal.ApprovalChange{
		Status: a.st.Status, Decision: a.st.Decision, DecidedBy: a.st.DecidedBy, Via: a.st.Via, Reason: a.st.Reason,
		DecidedAt: a.st.DecidedAt, Callback: a.st.Callback, CallbackMessage: a.st.CallbackMessage,
	}, nil)
}

func (a *approval) needsCallback(asDelivery bool) bool {
	switch {
	case a.st.Via == domain.ViaPortal:
		return false
	case a.in.Kind == portal.KindOrganisationRequest:
		// record: the portal has no endpoint to approve the request.
		return asDelivery && a.in.Policy.OrganisationApproval == portal.OrganisationCreate && a.st.Decision == portal.Approved
	case a.in.Kind == portal.KindUserRegistration:
		return a.st.Decision == portal.Approved
	case a.in.Kind == portal.KindSiteRegistration:
		return false // the parent Registration acts on the result
	}
	return true
}

// callback makes bounded attempts, each one activity with no retry of its
// own, so every attempt reaches the audit trail and none repeats unseen.
func (a *approval) callback(ctx workflow.Context) error {
	if a.in.ObjectID == 0 {
		a.st.Callback, a.st.CallbackMessage = domain.CallbackFailed, "the portal's object is unknown ("+a.st.Unresolved+"); decide it in the portal"
		return a.step(ctx, "callbackFailed", "system", a.st.CallbackMessage, "", nil, nil)
	}
	rounds := 1
	if a.in.Policy.OnPortalError == portal.OnPortalErrorRetry {
		rounds = 2
	}
	attempt := 0
	for round := 0; round < rounds; round++ {
		if round > 0 {
			if err := workflow.Sleep(ctx, approvalRetryRoundWait); err != nil {
				return err
			}
		}
		wait := approvalCallbackFirst
		for i := 0; i < approvalCallbackAttempts; i++ {
			attempt++
			var res activities.CallPortalResult
			err := workflow.ExecuteActivity(callbackCtx(ctx), approvalActs.CallPortal, activities.CallPortalInput{
				ApprovalID: a.st.ID, PortalID: a.in.PortalID, Kind: a.in.Kind, ObjectID: a.in.ObjectID,
				Decision: a.st.Decision, Attempt: attempt,
			}).Get(ctx, &res)
			if err != nil {
				res = activities.CallPortalResult{Outcome: activities.CallbackRetry, Message: errText(err)}
			}
			detail := fmt.Sprintf("attempt %d: %s", attempt, res.Outcome)
			if res.HTTPStatus != 0 {
				detail += fmt.Sprintf(" (HTTP %d)", res.HTTPStatus)
			}
			if res.Message != "" {
				detail += ": " + res.Message
			}
			if err := a.step(ctx, "callback", "system", detail, "", nil, nil); err != nil {
				return err
			}
			switch res.Outcome {
			case activities.CallbackDone, activities.CallbackAlready:
				a.st.Callback, a.st.CallbackMessage = domain.CallbackDone, res.Message
				return nil
			case activities.CallbackFailed:
				a.st.Callback, a.st.CallbackMessage = domain.CallbackFailed, res.Message
				if a.in.Policy.OnPortalError != portal.OnPortalErrorRetry {
					return nil
				}
				i = approvalCallbackAttempts // next round
				continue
			}
			a.st.CallbackMessage = res.Message
			if i < approvalCallbackAttempts-1 {
				if err := workflow.Sleep(ctx, wait); err != nil {
					return err
				}
				wait *= 2
			}
		}
	}
	a.st.Callback = domain.CallbackFailed
	return nil
}

// callbackDelivery calls the portal back through a Delivery of the engine
// (child workflow Delivery:{requestEventId}:portal:{portalId}): sent with
// the portal's admin token, retried on its schedule, each attempt claimed
// once and recorded, listed in GET /api/v1/deliveries. The approval waits for it and copies its
// attempts into the audit.
func (a *approval) callbackDelivery(ctx workflow.Context) error {
	if a.in.Kind != portal.KindOrganisationRequest && a.in.ObjectID == 0 {
		a.st.Callback, a.st.CallbackMessage = domain.CallbackFailed, "the portal's object is unknown ("+a.st.Unresolved+"); decide it in the portal"
		return a.step(ctx, "callbackFailed", "system", a.st.CallbackMessage, "", nil, nil)
	}
	id := DeliveryID(a.in.EventID, domain.TargetPortal, a.in.PortalID)
	a.seq++
	err := workflow.ExecuteActivity(storeCtx(ctx), approvalActs.StartPortalCallback, activities.StartPortalCallbackInput{
		Step: activities.ApprovalStepInput{ApprovalID: a.st.ID, Seq: a.seq, At: workflow.Now(ctx), Action: "callbackStarted",
			Actor: "system", Detail: "delivery " + id, Change: &portal.ApprovalChange{Decision: a.st.Decision, DecidedBy: a.st.DecidedBy,
				Via: a.st.Via, Reason: a.st.Reason, DecidedAt: a.st.DecidedAt, Callback: domain.CallbackPending, CallbackDelivery: id}},
		DeliveryID: id, EventID: a.in.EventID, PortalID: a.in.PortalID,
	}).Get(ctx, nil)
	if err != nil {
		return err
	}
	a.st.Callback, a.st.CallbackDelivery = domain.CallbackPending, id
	schedule := portalCallbackSchedule
	if a.in.Policy.OnPortalError == portal.OnPortalErrorRetry {
		schedule = portalCallbackRetrySchedule
	}
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID: id,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			searchattr.Target.ValueSet(domain.TargetPortal+":"+a.in.PortalID),
			searchattr.EventType.ValueSet(domain.EventApprovalDecided),
			searchattr.Status.ValueSet(domain.DeliveryPending),
		),
	})
	var res DeliveryResult
	childErr := workflow.ExecuteChildWorkflow(cctx, Delivery, DeliveryInput{DeliveryID: id, EventID: a.in.EventID,
		EventType: domain.EventApprovalDecided, TargetKind: domain.TargetPortal, TargetID: a.in.PortalID,
		Schedule: schedule, FirstAttempt: 1}).Get(ctx, &res)
	var out activities.PortalCallbackOutcomeResult
	if err := workflow.ExecuteActivity(storeCtx(ctx), approvalActs.PortalCallbackOutcome, id).Get(ctx, &out); err != nil {
		return err
	}
	for _, at := range out.Attempts {
		detail := fmt.Sprintf("attempt %d: %s", at.Attempt, at.Outcome)
		if at.HTTPStatus != 0 {
			detail += fmt.Sprintf(" (HTTP %d)", at.HTTPStatus)
		}
		if at.Detail != "" {
			detail += ": " + at.Detail
		}
		if err := a.step(ctx, "callback", "system", detail, "", nil, nil); err != nil {
			return err
		}
	}
	a.st.Callback, a.st.CallbackMessage = domain.CallbackFailed, out.Message
	switch {
	case childErr != nil:
		a.st.CallbackMessage = "the delivery stopped: " + errText(childErr)
	case res.Status == domain.DeliveryDelivered:
		a.st.Callback = domain.CallbackDone
	case out.Message == "":
		a.st.CallbackMessage = "the delivery ended " + res.Status
	}
	return nil
}

// validate refuses a vote without IO; decide checks again, because two
// votes accepted in one workflow task are validated before either runs.
func (a *approval) validate(in DecideInput) error {
	if in.Decision != portal.Approved && in.Decision != portal.Rejected {
		return temporal.NewApplicationError(fmt.Sprintf("decision must be approved or rejected, not %q", in.Decision), ErrTypeBadDecision)
	}
	if strings.TrimSpace(in.DecisionID) == "" {
		return temporal.NewApplicationError("a decision id is required", ErrTypeBadDecision)
	}
	return a.check(in)
}

func (a *approval) check(in DecideInput) error {
	if a.st.Decided() {
		return temporal.NewApplicationError(a.decidedText(), ErrTypeAlreadyDecided)
	}
	if a.portal != nil {
		return temporal.NewApplicationError(string(a.portal.Decision)+" in the portal", ErrTypeAlreadyDecided)
	}
	if a.st.Status == domain.ApprovalUnresolved {
		return temporal.NewApplicationError("the request could not be identified in the portal ("+a.st.Unresolved+"); decide it in the portal", ErrTypeUnresolved)
	}
	who := approverName(in.Approver)
	if !slices.Contains(a.st.Approvers, who) {
		return temporal.NewApplicationError(fmt.Sprintf("%q is not an approver of this request", clampText(in.Approver, 254)), ErrTypeNotAnApprover)
	}
	for _, v := range a.st.Votes {
		if v.Approver == who {
			return temporal.NewApplicationError(fmt.Sprintf("%s already voted %s at %s", who, v.Decision, v.At.UTC().Format(time.RFC3339)), ErrTypeAlreadyVoted)
		}
	}
	return nil
}

func (a *approval) decidedText() string {
	at := ""
	if a.st.DecidedAt != nil {
		at = " at " + a.st.DecidedAt.UTC().Format(time.RFC3339)
	}
	return fmt.Sprintf("already %s by %s%s via %s", a.st.Decision, a.st.DecidedBy, at, a.st.Via)
}

// decide counts one vote: any rejection rejects, Required approvals approve.
func (a *approval) decide(ctx workflow.Context, in DecideInput) (ApprovalState, error) {
	// The row is visible (and votable) as soon as the requested entry
	// commits, before its seq reaches the workflow: wait for it, then check.
	if a.votesWait {
		if err := workflow.Await(ctx, func() bool { return a.recorded }); err != nil {
			return a.st, err
		}
	}
	if err := a.check(in); err != nil {
		return a.st, err
	}
	v := ApprovalVote{Approver: approverName(in.Approver), Decision: in.Decision,
		Reason: clampText(in.Reason, 1000), At: workflow.Now(ctx), Via: in.Via, DecisionID: in.DecisionID}
	a.st.Votes = append(a.st.Votes, v)
	approvals := 0
	for _, x := range a.st.Votes {
		if x.Decision == portal.Approved {
			approvals++
		}
	}
	// Decided before the activity yields: a concurrent vote sees it.
	if v.Decision == portal.Rejected || approvals >= a.st.Required {
		a.setDecision(ctx, v.Decision, v.Approver, v.Via, v.Reason)
	}
	st := a.st
	vote := &portal.ApprovalVote{Approver: v.Approver, Decision: string(v.Decision), DecisionID: v.DecisionID, VotedAt: v.At}
	if v.Reason != "" {
		vote.Reason = &v.Reason
	}
	vote.LinkHash = in.LinkHash
	if err := a.step(ctx, "voted", v.Approver, string(v.Decision)+" via "+v.Via+reasonSuffix(v.Reason), "", nil, vote); err != nil {
		return a.st, err
	}
	return st, nil
}

func (a *approval) setDecision(ctx workflow.Context, d portal.Decision, by, via, reason string) {
	at := workflow.Now(ctx)
	a.st.Decision, a.st.DecidedBy, a.st.Via, a.st.Reason, a.st.DecidedAt = d, by, via, reason, &at
}

// waitingFor are the approvers who have not voted.
func (a *approval) waitingFor() []string {
	var out []string
	for _, e := range a.st.Approvers {
		if !slices.ContainsFunc(a.st.Votes, func(v ApprovalVote) bool { return v.Approver == e }) {
			out = append(out, e)
		}
	}
	return out
}

// step writes one audit entry (numbered here, so a retried activity writes
// it once), optionally an outbox event, a row change and a vote.
func (a *approval) step(ctx workflow.Context, action, actor, detail, event string, row *portal.ApprovalChange, vote *portal.ApprovalVote) error {
	a.seq++
	in := activities.ApprovalStepInput{ApprovalID: a.st.ID, Seq: a.seq, At: workflow.Now(ctx), Action: action, Actor: actor,
		Detail: detail, Event: event, Change: row, Vote: vote}
	if event != "" {
		in.Object = a.eventObject()
	}
	return workflow.ExecuteActivity(storeCtx(ctx), approvalActs.RecordApprovalStep, in).Get(ctx, nil)
}

func (a *approval) eventObject() *portal.ApprovalEventObject {
	o := &portal.ApprovalEventObject{ApprovalID: a.st.ID, PortalID: a.in.PortalID, Kind: string(a.in.Kind), EntityID: a.in.EntityID,
		Status: a.st.Status, Approvers: a.st.Approvers, Reminder: a.st.Reminders, ExpiresAt: a.st.ExpiresAt}
	if a.st.Decided() {
		o.Decision = &portal.ApprovalDecisionObject{Decision: string(a.st.Decision), By: a.st.DecidedBy, Via: a.st.Via,
			Reason: a.st.Reason, At: a.st.DecidedAt}
		if a.st.Callback != "" {
			o.Callback = &portal.ApprovalCallbackObject{Status: a.st.Callback, Message: a.st.CallbackMessage}
		}
	}
	return o
}

func (a *approval) notify(ctx workflow.Context, to []string, notice string) error {
	for _, e := range to {
		if ch, ok := strings.CutPrefix(e, portal.ChannelApproverPrefix); ok {
			if err := a.requestChannel(ctx, ch, notice); err != nil {
				if err := a.step(ctx, "notifyFailed", e, errText(err), "", nil, nil); err != nil {
					return err
				}
			}
			continue
		}
		err := workflow.ExecuteActivity(approvalMailCtx(ctx), approvalActs.NotifyApprover, activities.NotifyApproverInput{
			ApprovalID: a.st.ID, Approver: e, Notice: notice, ExpiresAt: a.st.ExpiresAt, Kind: a.in.Kind,
			PortalID: a.in.PortalID, Summary: a.in.Message,
		}).Get(ctx, nil)
		if err != nil {
			// One refused address must not hold the request: say so and go on.
			if err := a.step(ctx, "notifyFailed", e, errText(err), "", nil, nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// requestChannel sends a channel approver the request through the channel
// delivery machinery: an event for that channel only and its Delivery
// (signed, retried on the channel's schedule, attempts recorded), which
// adds single-use decision links when it sends. The Delivery outlives the
// approval if it must (ParentClosePolicy abandon); the approval waits only
// for it to start.
func (a *approval) requestChannel(ctx workflow.Context, channelID, notice string) error {
	eventID, err := newEventID(ctx)
	if err != nil {
		return err
	}
	eventType := domain.EventApprovalRequested
	switch notice {
	case activities.NoticeReminder:
		eventType = domain.EventApprovalReminded
	case activities.NoticeEscalated:
		eventType = domain.EventApprovalEscalated
	}
	deliveryID := DeliveryID(eventID, domain.TargetChannel, channelID)
	obj := a.eventObject()
	obj.Request = a.in.Message
	var res activities.RequestChannelApprovalResult
	err = workflow.ExecuteActivity(storeCtx(ctx), approvalActs.RequestChannelApproval, activities.RequestChannelApprovalInput{
		ChannelID: channelID, EventID: eventID, EventType: eventType, DeliveryID: deliveryID, Object: *obj, At: workflow.Now(ctx),
	}).Get(ctx, &res)
	if err != nil {
		return err
	}
	child := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:        deliveryID,
		ParentClosePolicy: enumspb.PARENT_CLOSE_POLICY_ABANDON,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			searchattr.Target.ValueSet(domain.TargetChannel+":"+channelID),
			searchattr.EventType.ValueSet(eventType),
			searchattr.Status.ValueSet(domain.DeliveryPending),
		),
	})
	return workflow.ExecuteChildWorkflow(child, Delivery, DeliveryInput{DeliveryID: deliveryID, EventID: eventID, EventType: eventType,
		TargetKind: domain.TargetChannel, TargetID: channelID, Schedule: res.Schedule, FirstAttempt: 1,
	}).GetChildWorkflowExecution().Get(ctx, nil)
}

func (a *approval) upsertSearch(ctx workflow.Context) {
	owner := searchattr.Portal.ValueSet(a.in.PortalID)
	if a.in.Kind == portal.KindSiteRegistration {
		owner = searchattr.Site.ValueSet(a.in.PortalID)
	}
	upd := []temporal.SearchAttributeUpdate{
		searchattr.Status.ValueSet(a.st.Status),
		owner,
		searchattr.ApprovalKind.ValueSet(string(a.in.Kind)),
	}
	if a.st.ExpiresAt != nil && !a.st.Decided() {
		upd = append(upd, searchattr.Deadline.ValueSet(*a.st.ExpiresAt))
	} else {
		upd = append(upd, searchattr.Deadline.ValueUnset())
	}
	_ = workflow.UpsertTypedSearchAttributes(ctx, upd...) // best effort, like the delivery's status
}

func approverList(emails []string) []string {
	out := make([]string, 0, len(emails))
	for _, e := range emails {
		e = strings.ToLower(strings.TrimSpace(e))
		if e != "" && !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	return out
}

// channelApprovers are a policy's channels as approvers, ids as configured.
func channelApprovers(ids []string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if n := portal.ChannelApprover(strings.TrimSpace(id)); id != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// approverName is how an approver is compared and recorded: an email in
// lower case, a channel ("channel:{id}") as its id is spelled.
func approverName(s string) string {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, portal.ChannelApproverPrefix) {
		return s
	}
	return strings.ToLower(s)
}

func reasonSuffix(r string) string {
	if r == "" {
		return ""
	}
	return ": " + r
}

func clampText(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	for len(s) > n {
		_, size := lastRune(s)
		s = s[:len(s)-size]
	}
	return s
}

func lastRune(s string) (rune, int) {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i]&0xC0 != 0x80 {
			return rune(s[i]), len(s) - i
		}
	}
	return 0, 1
}

func errText(err error) string {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return app.Message()
	}
	return err.Error()
}

// portalCtx: a read from the portal, bounded.
func portalCtx(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 2 * time.Second, BackoffCoefficient: 2, MaximumAttempts: 5},
	})
}

// callbackCtx: one attempt per activity; the workflow retries and audits.
func callbackCtx(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 1},
	})
}

// approvalMailCtx: an email; a retry may send it again, so few.
func approvalMailCtx(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 5 * time.Second, BackoffCoefficient: 2, MaximumAttempts: 3},
	})
}

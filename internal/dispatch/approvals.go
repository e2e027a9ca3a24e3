package dispatch

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"gatehouse/internal/domain"
	"gatehouse/internal/notify"
	"gatehouse/internal/portal"
	"gatehouse/internal/searchattr"
	"gatehouse/internal/store"
	"gatehouse/workflows"
)

// approvals starts or closes the approval a portal event asks for. It runs
// where deliveries start (the request path and the relay), so it must be
// idempotent: a start reuses the workflow id with REJECT_DUPLICATE (an
// event seen again starts nothing), and a close signals only an open one.
// An error leaves the event undispatched for the next round.
func (d *Dispatcher) approvals(ctx context.Context, se domain.StoredEvent) error {
	if se.EventObjectType != domain.ObjectTypePortalEvent {
		return nil
	}
	portalID, ok := strings.CutPrefix(se.Source, "portal:")
	if !ok {
		return nil
	}
	ts := se.SentTimestamp
	if ts == "" {
		ts = se.OccurredAt.UTC().Format(time.RFC3339Nano)
	}
	env, _ := json.Marshal(map[string]any{"Event": se.EventType, "Message": se.Object, "Timestamp": ts})
	ev, err := portal.Decode(env)
	if err != nil {
		// Ingest decoded it already: this is a bug, and must not block the queue.
		d.Log.Error("portal event does not decode", "event", se.ID, "err", err)
		return nil
	}
	if s, ok := ev.StartsApproval(); ok {
		return d.startApproval(ctx, se, portalID, ev, s)
	}
	if cl, ok := ev.ClosesApproval(); ok {
		return d.closeApproval(ctx, se, portalID, cl)
	}
	return nil
}

// StartApproval starts the approval a portal event asks for, if its
// portal holds that kind; other events start nothing. Ingest calls it
// inside the event's transaction (an approval is answered 202 only once
// its workflow exists); dispatching the event later finds it started.
func (d *Dispatcher) StartApproval(ctx context.Context, se domain.StoredEvent) error {
	return d.approvals(ctx, se)
}

func (d *Dispatcher) startApproval(ctx context.Context, se domain.StoredEvent, portalID string, ev *portal.Event, s portal.Start) error {
	p, _, err := d.Store.GetPortal(ctx, portalID)
	if errors.Is(err, store.ErrNotFound) {
		d.Log.Warn("portal event of a deleted portal: no approval", "event", se.ID, "portal", portalID)
		return nil
	}
	if err != nil {
		return err
	}
	pol := p.Approvals[s.Kind]
	if pol == nil {
		return nil // this kind is not held: the event is only forwarded
	}
	in := workflows.ApprovalInput{PortalID: portalID, Kind: s.Kind, EntityID: s.EntityID, EventID: se.ID,
		Message: ev.Message, Policy: *pol}
	switch m := ev.Payload.(type) {
	case *portal.AccessRequestMessage:
		in.ObjectID, in.RequesterID = m.ID, m.ByUser
	case *portal.UserMessage:
		in.ObjectID, in.RequesterID = m.ID, m.ID
	case *portal.OrganisationRequestMessage:
		in.RequesterID = m.AdminID
	}
	if code := strings.TrimSpace(pol.AutoApprove); code != "" {
		prog, err := portal.CompileAutoApprove(code)
		if err == nil {
			in.AutoApproved, err = prog.Bool(notify.EventFrom(se).Env(nil))
		}
		if err != nil {
			// A condition that fails to run holds the request for people.
			d.Log.Warn("autoApprove not evaluated", "event", se.ID, "portal", portalID, "err", err)
			in.AutoApproved = false
		}
	}
	id := workflows.ApprovalID(portalID, s.Kind, s.EntityID)
	_, err = d.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                                       id,
		TaskQueue:                                d.TaskQueue,
		WorkflowIDReusePolicy:                    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			searchattr.Status.ValueSet(domain.ApprovalPending),
			searchattr.Portal.ValueSet(portalID),
			searchattr.ApprovalKind.ValueSet(string(s.Kind)),
		),
	}, workflows.Approval, in)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) {
		return nil // seen before
	}
	return err
}

func (d *Dispatcher) closeApproval(ctx context.Context, se domain.StoredEvent, portalID string, cl portal.Close) error {
	id := ""
	if cl.EntityID != "" {
		id = workflows.ApprovalID(portalID, cl.Kind, cl.EntityID)
	} else {
		found, err := d.Store.OpenApprovalByRequester(ctx, portalID, string(cl.Kind), cl.RequesterID)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		id = found
	}
	err := d.Temporal.SignalWorkflow(ctx, id, "", workflows.ApprovalPortalDecidedSignal,
		workflows.PortalDecidedInput{Decision: cl.Decision, EventID: se.ID})
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return nil // closed already (our own callback's echo) or never held
	}
	return err
}

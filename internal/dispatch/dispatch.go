// Package dispatch turns stored events into delivery workflows: it matches
// an event against the active templates and channels, records one delivery
// per match and starts its workflow under a deterministic id. Events are
// an outbox: whatever the fast path misses, the relay picks up.
package dispatch

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"gatehouse/internal/domain"
	"gatehouse/internal/metrics"
	"gatehouse/internal/notify"
	"gatehouse/internal/searchattr"
	"gatehouse/internal/store"
	"gatehouse/workflows"
)

// Dispatcher matches and starts deliveries. The gateway and the worker's
// relay both use it; starting twice is harmless.
type Dispatcher struct {
	Store     *store.Store
	Temporal  client.Client
	TaskQueue string
	Log       *slog.Logger
	Metrics   *metrics.Relay // the relay's counters; nil: not counted
	// Workers is the fast path's concurrency (see Behind); 0: Record leaves
	// every event to the relay. Grace is the relay's: the fast path drops
	// an event it could not start within it, the relay has it by then.
	Workers int
	Grace   time.Duration
	// EagerStart asks Temporal to hand a delivery's first workflow task
	// straight back to this process's worker in the start's answer
	// (client.StartWorkflowOptions.EnableEagerStart): no matching round trip.
	// Without a worker on the task queue in this process the start is
	// ordinary.
	EagerStart bool
	// Priority is shared by the process's accepts and dispatch rounds
	// (see Priority); nil: dispatch never waits.
	Priority *Priority

	fast fastPath
}

// Target is one matched template or channel.
type Target struct {
	Kind         string
	ID           string
	URL          string
	Schedule     []time.Duration
	WaitForReady bool
	HTTP         bool // a callback (not an email): its first attempt may run in the workflow task
}

// matcher finds the active templates and channels events select. It reads
// them once per matcher: the relay uses one for a batch of events, nearly
// all of one kind; a request uses one for its event.
type matcher struct {
	d         *Dispatcher
	templates map[string][]notify.NotificationTemplate // by object type and event names
	channels  []notify.Channel
	loaded    bool
	booleans  map[int64]notify.NotificationTemplate
}

func newMatcher(d *Dispatcher) *matcher {
	return &matcher{d: d, templates: map[string][]notify.NotificationTemplate{}, booleans: map[int64]notify.NotificationTemplate{}}
}

func (m *matcher) match(ctx context.Context, ev *notify.Event) ([]Target, error) {
	names := []string{ev.EventType}
	if alias := notify.KalturaAlias(ev.EventType); alias != "" {
		names = append(names, alias)
	}
	key := ev.EventObjectType + "\x00" + strings.Join(names, "\x00")
	templates, ok := m.templates[key]
	if !ok {
		var err error
		if templates, err = m.d.Store.MatchCandidates(ctx, ev.EventObjectType, names); err != nil {
			return nil, err
		}
		m.templates[key] = templates
	}
	// A boolean template that is missing is the template's fault (its
	// condition fails, the template is skipped); failing to read one is not:
	// the error stops the match, so the event stays undispatched.
	var lookupErr error
	lookup := func(id int64) *notify.NotificationTemplate {
		if t, ok := m.booleans[id]; ok {
			return &t
		}
		found, err := m.d.Store.NotificationTemplatesByID(ctx, []int64{id})
		if err != nil {
			lookupErr = cmp.Or(lookupErr, fmt.Errorf("boolean template %d: %w", id, err))
			return nil
		}
		t, ok := found[id]
		if !ok {
			return nil
		}
		m.booleans[id] = t
		return &t
	}
	var out []Target
	for i := range templates {
		t := &templates[i]
		ok, err := t.Matches(ev, lookup)
		if lookupErr != nil {
			return nil, lookupErr
		}
		if err != nil {
			// A condition that fails to evaluate is the template's fault:
			// skip it and say so, other targets still get the event.
			m.d.Log.Warn("template condition failed", "template_id", t.ID, "event_id", ev.ID, "err", err)
			continue
		}
		if ok {
			out = append(out, templateTarget(t, ev))
		}
	}
	if !m.loaded {
		channels, err := m.d.Store.ActiveChannels(ctx)
		if err != nil {
			return nil, err
		}
		m.channels, m.loaded = channels, true
	}
	for i := range m.channels {
		if c := &m.channels[i]; c.Matches(ev) {
			out = append(out, Target{Kind: domain.TargetChannel, ID: c.ID, URL: c.TargetURL, Schedule: c.Schedule(), HTTP: true})
		}
	}
	return out, nil
}

func templateTarget(t *notify.NotificationTemplate, ev *notify.Event) Target {
	url := notify.Substitute(t.URL, notify.UserParams(t), nil)
	if t.Type == notify.TypeEmail {
		url = "email:" + t.Name
	}
	return Target{Kind: domain.TargetTemplate, ID: t.TargetID(), URL: url, Schedule: t.Schedule(),
		WaitForReady: t.EventDelayedCondition == 1, HTTP: t.Type != notify.TypeEmail}
}

// Dispatch starts the deliveries of a stored event and marks it
// dispatched. It returns the delivery ids.
func (d *Dispatcher) Dispatch(ctx context.Context, se domain.StoredEvent) ([]string, error) {
	ids, err := d.startMatches(ctx, newMatcher(d), se)
	if err != nil {
		return nil, err
	}
	return ids, d.Store.MarkDispatched(ctx, se.ID)
}

// startMatches starts the deliveries of the targets an event matches,
// without marking it dispatched.
func (d *Dispatcher) startMatches(ctx context.Context, m *matcher, se domain.StoredEvent) (ids []string, err error) {
	// A panic while matching an event is that event's problem (plan
	// recovers it): the relay counts it against the event instead of dying
	// with every other one.
	rows, ins, err := d.plan(ctx, m, se)
	if err != nil {
		return nil, err
	}
	return d.startAll(ctx, rows, ins)
}

// plan matches an event (starting the approvals it opens) and returns the
// deliveries to record and the workflows to start, without doing either.
func (d *Dispatcher) plan(ctx context.Context, m *matcher, se domain.StoredEvent) (rows []store.Delivery, ins []workflows.DeliveryInput, err error) {
	defer func() {
		if p := recover(); p != nil {
			rows, ins, err = nil, nil, poison(fmt.Errorf("panic while matching: %v", p))
		}
	}()
	if err := checkPayload(se); err != nil {
		return nil, nil, err
	}
	if err := d.approvals(ctx, se); err != nil {
		return nil, nil, err
	}
	ev := notify.EventFrom(se)
	targets, err := m.match(ctx, ev)
	if err != nil {
		return nil, nil, err
	}
	rows, ins = deliveriesFor(ev, targets, false)
	return rows, ins, nil
}

// DispatchTemplate is Kaltura's manual dispatch: one template, one object,
// no conditions. It returns the delivery (its job id answers the call).
func (d *Dispatcher) DispatchTemplate(ctx context.Context, se domain.StoredEvent, t *notify.NotificationTemplate) (store.Delivery, error) {
	ev := notify.EventFrom(se)
	target := templateTarget(t, ev)
	target.WaitForReady = false
	ids, err := d.start(ctx, ev, []Target{target}, true)
	if err != nil {
		return store.Delivery{}, err
	}
	return d.Store.GetDelivery(ctx, ids[0])
}

func (d *Dispatcher) start(ctx context.Context, ev *notify.Event, targets []Target, manual bool) ([]string, error) {
	rows, ins := deliveriesFor(ev, targets, manual)
	return d.startAll(ctx, rows, ins)
}

// deliveriesFor is one delivery row and one workflow input per target.
func deliveriesFor(ev *notify.Event, targets []Target, manual bool) ([]store.Delivery, []workflows.DeliveryInput) {
	rows := make([]store.Delivery, len(targets))
	ins := make([]workflows.DeliveryInput, len(targets))
	for i, t := range targets {
		id := workflows.DeliveryID(ev.ID, t.Kind, t.ID)
		rows[i] = store.Delivery{ID: id, EventID: ev.ID, EventType: ev.EventType, TargetKind: t.Kind, TargetID: t.ID,
			URL: store.ClampChars(t.URL, 2048), Manual: manual}
		ins[i] = workflows.DeliveryInput{DeliveryID: id, EventID: ev.ID, EventType: ev.EventType, TargetKind: t.Kind,
			TargetID: t.ID, Schedule: t.Schedule, FirstAttempt: 1, WaitForReady: t.WaitForReady, FirstAttemptLocal: t.HTTP}
	}
	return rows, ins
}

// startAll records deliveries (one INSERT) and starts their workflows.
func (d *Dispatcher) startAll(ctx context.Context, rows []store.Delivery, ins []workflows.DeliveryInput) ([]string, error) {
	if err := d.Store.CreateDeliveries(ctx, rows); err != nil {
		return nil, err
	}
	ids := make([]string, len(ins))
	for i, in := range ins {
		if err := d.startWorkflow(ctx, in, enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE); err != nil {
			return nil, err
		}
		ids[i] = in.DeliveryID
	}
	return ids, nil
}

func (d *Dispatcher) startWorkflow(ctx context.Context, in workflows.DeliveryInput, reuse enumspb.WorkflowIdReusePolicy) error {
	_, err := d.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                                       in.DeliveryID,
		TaskQueue:                                d.TaskQueue,
		WorkflowIDReusePolicy:                    reuse,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		EnableEagerStart:                         d.EagerStart,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			searchattr.Target.ValueSet(in.TargetKind+":"+in.TargetID),
			searchattr.EventType.ValueSet(in.EventType),
			searchattr.Status.ValueSet(domain.DeliveryPending),
		),
	}, workflows.Delivery, in)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) || temporal.IsWorkflowExecutionAlreadyStartedError(err) {
		return nil // this event already reached this target: never twice
	}
	var invalid *serviceerror.InvalidArgument
	if errors.As(err, &invalid) {
		return poison(fmt.Errorf("start %s: %w", in.DeliveryID, err)) // Temporal refuses this input, now and later
	}
	if err != nil {
		return fmt.Errorf("start %s: %w", in.DeliveryID, err)
	}
	return nil
}

// ErrRunning: a retry was asked of a delivery still in progress; it was
// told to retry now instead.
var ErrRunning = errors.New("delivery is running")

// ErrApprovalCallback: a finished portal callback cannot be started again
// on its own; its approval recorded the outcome (decide again in the portal).
var ErrApprovalCallback = errors.New("a finished portal callback belongs to its approval and is not restarted")

// Retry starts a finished delivery again (attempt numbers continue) or,
// when it is still running, signals it to retry now.
func (d *Dispatcher) Retry(ctx context.Context, id string) (store.Delivery, error) {
	del, err := d.Store.GetDelivery(ctx, id)
	if err != nil {
		return del, err
	}
	if del.TargetKind == domain.TargetPortal && domain.Finished(del.Status) {
		return del, ErrApprovalCallback
	}
	if !domain.Finished(del.Status) {
		err := d.Temporal.SignalWorkflow(ctx, id, "", workflows.DeliveryRetryNowSignal, nil)
		var nf *serviceerror.NotFound
		if err == nil {
			return del, ErrRunning
		}
		if !errors.As(err, &nf) {
			return del, err
		}
		// The row says running but the workflow is gone (closed between
		// reads, or its start was lost): start it again below.
	}
	schedule, err := d.schedule(ctx, del)
	if err != nil {
		return del, err
	}
	in := workflows.DeliveryInput{DeliveryID: id, EventID: del.EventID, EventType: del.EventType, TargetKind: del.TargetKind,
		TargetID: del.TargetID, Schedule: schedule, FirstAttempt: del.Attempts + 1}
	// Only an explicit retry may reuse a closed delivery's id. The row
	// becomes pending only once the new run is known to exist: a failed
	// start leaves it as it was.
	if err := d.startWorkflow(ctx, in, enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE); err != nil {
		return del, err
	}
	if err := d.Store.MarkRestarted(ctx, del); err != nil {
		return del, err
	}
	return d.Store.GetDelivery(ctx, id)
}

// schedule is a delivery's retry schedule: its target's, or the default
// when the target is gone (the run then ends as targetGone).
func (d *Dispatcher) schedule(ctx context.Context, del store.Delivery) ([]time.Duration, error) {
	var err error
	switch del.TargetKind {
	case domain.TargetTemplate:
		tid, perr := strconv.ParseInt(del.TargetID, 10, 64)
		if perr != nil {
			return notify.DefaultSchedule, nil
		}
		var t notify.NotificationTemplate
		if t, _, err = d.Store.GetNotificationTemplate(ctx, tid); err == nil {
			return t.Schedule(), nil
		}
	case domain.TargetChannel:
		var c notify.Channel
		if c, _, err = d.Store.GetChannel(ctx, del.TargetID); err == nil {
			return c.Schedule(), nil
		}
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	return notify.DefaultSchedule, nil
}

// Cancel signals a running delivery to stop.
func (d *Dispatcher) Cancel(ctx context.Context, id string) error {
	return d.Temporal.SignalWorkflow(ctx, id, "", workflows.DeliveryCancelSignal, nil)
}

// RecoverResult counts what a recover run did.
type RecoverResult struct {
	Restarted int      `json:"restarted"`
	Failed    []string `json:"failed,omitempty"`
}

// Recover re-drives every failed delivery created since a time, for one
// target or all, in batches.
func (d *Dispatcher) Recover(ctx context.Context, targetKind, targetID string, since time.Time, batch int) (RecoverResult, error) {
	var res RecoverResult
	after := ""
	for {
		page, err := d.Store.ListDeliveries(ctx, store.DeliveryFilter{Status: domain.DeliveryFailed, TargetKind: targetKind,
			TargetID: targetID, Since: &since, AfterID: after, ByID: true, Limit: batch})
		if err != nil {
			return res, err
		}
		for _, del := range page {
			if del.TargetKind == domain.TargetPortal {
				continue // its approval ended portal-error; see ErrApprovalCallback
			}
			if _, err := d.Retry(ctx, del.ID); err != nil && !errors.Is(err, ErrRunning) {
				res.Failed = append(res.Failed, del.ID)
				continue
			}
			res.Restarted++
		}
		if len(page) < batch {
			return res, nil
		}
		after = page[len(page)-1].ID
	}
}

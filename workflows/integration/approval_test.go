package integration_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/dispatch"
	"gatehouse/internal/domain"
	"gatehouse/internal/notify"
	"gatehouse/internal/portal"
	"gatehouse/internal/signing"
	"gatehouse/internal/store"
	"gatehouse/internal/testkit"
	"gatehouse/internal/testkit/fakeportal"
	"gatehouse/workflows"
)

// TestIntegrationApproval: an access request held for two of three
// approvers, started by the dispatch hook (twice: idempotent), a retried
// vote counted once, the callback failing with 500 once; its history is
// the replay test's input.
func TestIntegrationApproval(t *testing.T) {
	app := testkit.Get(t).StartApp(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	fp := fakeportal.New(t, "tok")
	p := portal.Portal{ID: "p_replay", Name: "Replay", BaseURL: fp.BaseURL(), Approvals: map[portal.Kind]*portal.Policy{
		portal.KindAccessRequest: {Approvers: portal.Approvers{Emails: []string{"a@example.test", "b@example.test", "c@example.test"}},
			RequiredApprovals: 2, RemindEvery: "1h", MaxReminders: 1, ExpireAfter: "1d"}}}
	p.ApplyDefaults()
	tok := "tok"
	if _, _, err := app.Store.PutPortal(ctx, p, store.PortalSecretsChange{AdminToken: &tok}); err != nil {
		t.Fatal(err)
	}
	arID := fp.AddAccessRequest(fakeportal.AccessRequest{AppID: 4})
	msg, _ := json.Marshal(map[string]any{"ID": arID, "AppID": 4, "ByUser": 3, "Status": "pending", "PlanID": 1})
	now := time.Now().UTC()
	ev := domain.Event{ID: domain.NewEventID(now), EventType: portal.EventAccessRequestCreated, EventObjectType: domain.ObjectTypePortalEvent,
		ObjectID: fmt.Sprint(arID), Object: msg, Source: "portal:" + p.ID, OccurredAt: now}
	if err := app.Store.RecordEvent(ctx, ev); err != nil {
		t.Fatal(err)
	}
	se, err := app.Store.GetEvent(ctx, ev.ID)
	if err != nil {
		t.Fatal(err)
	}
	d := &dispatch.Dispatcher{Store: app.Store, Temporal: app.Temporal, TaskQueue: app.Config.Temporal.TaskQueue, Log: testkit.Get(t).Log}
	for range 2 {
		if _, err := d.Dispatch(ctx, se); err != nil {
			t.Fatalf("dispatch: %v", err)
		}
	}
	id := workflows.ApprovalID(p.ID, portal.KindAccessRequest, fmt.Sprint(arID))
	fp.FailNext(1, 500)
	vote := func(who, decisionID string) workflows.ApprovalState {
		st, err := workflows.DecideApproval(ctx, app.Temporal, id, workflows.DecideInput{DecisionID: decisionID, Approver: who,
			Decision: portal.Approved, Via: domain.ViaAPI})
		if err != nil {
			t.Fatalf("vote %s: %v", who, err)
		}
		return st
	}
	if st := vote("a@example.test", "d-a"); st.Decided() {
		t.Fatalf("decided after one vote: %+v", st)
	}
	if st := vote("a@example.test", "d-a"); len(st.Votes) != 1 { // the same Update again
		t.Fatalf("retried vote counted: %+v", st)
	}
	if st := vote("b@example.test", "d-b"); st.Decision != portal.Approved {
		t.Fatalf("two of three: %+v", st)
	}
	var res workflows.ApprovalState
	if err := app.Temporal.GetWorkflow(ctx, id, "").Get(ctx, &res); err != nil {
		t.Fatal(err)
	}
	if res.Status != domain.ApprovalApproved || res.Callback != domain.CallbackDone || len(res.Votes) != 2 {
		t.Fatalf("result %+v", res)
	}
	if ar, _ := fp.AccessRequest(arID); ar.Status != "approved" {
		t.Fatalf("portal %+v", ar)
	}
	saveHistory(t, app.Temporal, id, "", "approval_two_of_three.json")
}

// TestIntegrationApprovalChannel: a channel approver is sent the request as
// a Delivery (child workflow) and votes; its history is a replay input.
func TestIntegrationApprovalChannel(t *testing.T) {
	app := testkit.Get(t).StartApp(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rc := testkit.NewReceiver(t)
	ch := &notify.Channel{ID: "ch_approver", Name: "approver", TargetURL: rc.URL, Method: "POST", TimeoutSeconds: 5,
		Events: []string{"ReplayEvent"}, RetrySchedule: "1s", Status: notify.ChannelActive}
	if _, err := app.Store.PutChannel(ctx, ch, signing.NewSecret()); err != nil {
		t.Fatal(err)
	}
	fp := fakeportal.New(t, "tok")
	p := portal.Portal{ID: "p_replay_ch", Name: "Replay", BaseURL: fp.BaseURL(), Approvals: map[portal.Kind]*portal.Policy{
		portal.KindAccessRequest: {Approvers: portal.Approvers{Channels: []string{ch.ID}}}}}
	p.ApplyDefaults()
	tok := "tok"
	if _, _, err := app.Store.PutPortal(ctx, p, store.PortalSecretsChange{AdminToken: &tok}); err != nil {
		t.Fatal(err)
	}
	arID := fp.AddAccessRequest(fakeportal.AccessRequest{AppID: 6})
	msg, _ := json.Marshal(map[string]any{"ID": arID, "AppID": 6, "ByUser": 3, "Status": "pending", "PlanID": 1})
	now := time.Now().UTC()
	ev := domain.Event{ID: domain.NewEventID(now), EventType: portal.EventAccessRequestCreated, EventObjectType: domain.ObjectTypePortalEvent,
		ObjectID: fmt.Sprint(arID), Object: msg, Source: "portal:" + p.ID, OccurredAt: now}
	if err := app.Store.RecordEvent(ctx, ev); err != nil {
		t.Fatal(err)
	}
	se, err := app.Store.GetEvent(ctx, ev.ID)
	if err != nil {
		t.Fatal(err)
	}
	d := &dispatch.Dispatcher{Store: app.Store, Temporal: app.Temporal, TaskQueue: app.Config.Temporal.TaskQueue, Log: testkit.Get(t).Log}
	if err := d.StartApproval(ctx, se); err != nil {
		t.Fatal(err)
	}
	reqs, err := rc.WaitFor(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(reqs[0].Body), `"approver":"channel:ch_approver"`) || !strings.Contains(string(reqs[0].Body), "/approvals/links/") {
		t.Fatalf("callback %s", reqs[0].Body)
	}
	id := workflows.ApprovalID(p.ID, portal.KindAccessRequest, fmt.Sprint(arID))
	st, err := workflows.DecideApproval(ctx, app.Temporal, id, workflows.DecideInput{DecisionID: "d-ch", Approver: "channel:ch_approver",
		Decision: portal.Approved, Via: domain.ViaLink})
	if err != nil || st.Decision != portal.Approved {
		t.Fatalf("vote: %+v %v", st, err)
	}
	var res workflows.ApprovalState
	if err := app.Temporal.GetWorkflow(ctx, id, "").Get(ctx, &res); err != nil {
		t.Fatal(err)
	}
	if res.Status != domain.ApprovalApproved || res.DecidedBy != "channel:ch_approver" {
		t.Fatalf("result %+v", res)
	}
	saveHistory(t, app.Temporal, id, "", "approval_channel_approver.json")
}

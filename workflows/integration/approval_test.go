package integration_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
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

// approvalPortal stores portal id on fp with the given policies.
func approvalPortal(ctx context.Context, t *testing.T, app *testkit.App, fp *fakeportal.Portal, id string, pols map[portal.Kind]*portal.Policy) portal.Portal {
	t.Helper()
	p := portal.Portal{ID: id, Name: id, BaseURL: fp.BaseURL(), Approvals: pols}
	p.ApplyDefaults()
	tok := fp.Token
	if _, _, err := app.Store.PutPortal(ctx, p, store.PortalSecretsChange{AdminToken: &tok}); err != nil {
		t.Fatal(err)
	}
	return p
}

// portalEvent records a portal event and dispatches it (twice: starting
// an approval is idempotent); it returns the event's id.
func portalEvent(ctx context.Context, t *testing.T, app *testkit.App, portalID, name, objectID string, msg any) string {
	t.Helper()
	raw, _ := json.Marshal(msg)
	now := time.Now().UTC()
	ev := domain.Event{ID: domain.NewEventID(now), EventType: name, EventObjectType: domain.ObjectTypePortalEvent,
		ObjectID: objectID, Object: raw, Source: "portal:" + portalID, OccurredAt: now}
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
	return ev.ID
}

// api calls the admin API and decodes the JSON answer.
func api(t *testing.T, app *testkit.App, method, path string, body any, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, app.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testkit.AdminToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %d %s: %v", method, path, resp.StatusCode, raw, err)
		}
	}
	return resp.StatusCode
}

// approvalView is GET /api/v1/approvals/{id}.
type approvalView struct {
	Approval store.Approval        `json:"approval"`
	Audit    []store.ApprovalAudit `json:"audit"`
	State    map[string]any        `json:"state"` // the API's view of the live state
}

// deliveryView is GET /api/v1/deliveries/{id}.
type deliveryView struct {
	Delivery store.Delivery  `json:"delivery"`
	Attempts []store.Attempt `json:"attempts"`
}

// decideAndWait approves (or rejects) through the API and waits for the
// approval's workflow to end.
func decideAndWait(ctx context.Context, t *testing.T, app *testkit.App, id, verb, who string) workflows.ApprovalState {
	t.Helper()
	var st struct {
		State map[string]any `json:"state"`
	}
	if code := api(t, app, http.MethodPost, "/api/v1/approvals/"+id+"/"+verb, map[string]string{"byUser": who, "reason": "checked"}, &st); code != http.StatusOK {
		t.Fatalf("%s: HTTP %d %+v", verb, code, st)
	}
	var res workflows.ApprovalState
	if err := app.Temporal.GetWorkflow(ctx, id, "").Get(ctx, &res); err != nil {
		t.Fatal(err)
	}
	return res
}

func auditDetails(v approvalView, action string) []string {
	var out []string
	for _, a := range v.Audit {
		if a.Action == action && a.Detail != nil {
			out = append(out, *a.Detail)
		}
	}
	return out
}

// TestIntegrationApproval: an access request held for two of three
// approvers, started by the dispatch hook (twice: idempotent), a retried
// vote counted once, the callback failing with 500 twice: a Delivery of
// target kind portal whose three attempts are listed in the deliveries API
// and the approval's audit. Its history is the replay test's input.
func TestIntegrationApproval(t *testing.T) {
	app := testkit.Get(t).StartApp(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	fp := fakeportal.New(t, "tok")
	p := approvalPortal(ctx, t, app, fp, "p_replay", map[portal.Kind]*portal.Policy{
		portal.KindAccessRequest: {Approvers: portal.Approvers{Emails: []string{"a@example.test", "b@example.test", "c@example.test"}},
			RequiredApprovals: 2, RemindEvery: "1h", MaxReminders: 1, ExpireAfter: "1d"}})
	arID := fp.AddAccessRequest(fakeportal.AccessRequest{AppID: 4})
	evID := portalEvent(ctx, t, app, p.ID, portal.EventAccessRequestCreated, fmt.Sprint(arID),
		map[string]any{"ID": arID, "AppID": 4, "ByUser": 3, "Status": "pending", "PlanID": 1})
	id := workflows.ApprovalID(p.ID, portal.KindAccessRequest, fmt.Sprint(arID))
	fp.FailNext(2, 500)
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
	wantDelivery := workflows.DeliveryID(evID, domain.TargetPortal, p.ID)
	if res.Status != domain.ApprovalApproved || res.Callback != domain.CallbackDone || len(res.Votes) != 2 || res.CallbackDelivery != wantDelivery {
		t.Fatalf("result %+v", res)
	}
	if ar, _ := fp.AccessRequest(arID); ar.Status != "approved" {
		t.Fatalf("portal %+v", ar)
	}

	// The callback is a delivery like any other: listed, with its attempts.
	var list struct {
		Deliveries []store.Delivery `json:"deliveries"`
	}
	if code := api(t, app, http.MethodGet, "/api/v1/deliveries?target=portal:"+p.ID, nil, &list); code != 200 ||
		len(list.Deliveries) != 1 || list.Deliveries[0].ID != wantDelivery || list.Deliveries[0].Status != domain.DeliveryDelivered ||
		list.Deliveries[0].EventID != evID || list.Deliveries[0].Attempts != 3 {
		t.Fatalf("deliveries: %d %+v", code, list)
	}
	var dv deliveryView
	if code := api(t, app, http.MethodGet, "/api/v1/deliveries/"+wantDelivery, nil, &dv); code != 200 || len(dv.Attempts) != 3 {
		t.Fatalf("delivery: %d %+v", code, dv)
	}
	wantURL := fp.BaseURL() + "/portal-api/access_requests/" + fmt.Sprint(arID) + "/approve"
	for i, a := range dv.Attempts {
		wantStatus, wantOutcome := 500, "retry"
		if i == 2 {
			wantStatus, wantOutcome = 200, "delivered"
		}
		if a.Method != http.MethodPut || a.URL != wantURL || a.ResponseStatus == nil || *a.ResponseStatus != wantStatus || a.Outcome != wantOutcome {
			t.Errorf("attempt %d: %+v", i+1, a)
		}
	}
	var av approvalView
	if code := api(t, app, http.MethodGet, "/api/v1/approvals/"+id, nil, &av); code != 200 {
		t.Fatalf("approval: %d", code)
	}
	if cb := auditDetails(av, "callback"); len(cb) != 3 || !strings.Contains(cb[0], "attempt 1: retry (HTTP 500)") ||
		!strings.Contains(cb[2], "attempt 3: delivered (HTTP 200)") {
		t.Fatalf("audit callbacks %q", cb)
	}
	if av.Approval.CallbackDelivery == nil || *av.Approval.CallbackDelivery != wantDelivery {
		t.Fatalf("approval row %+v", av.Approval)
	}
	// A finished portal callback belongs to its approval: no manual retry.
	if code := api(t, app, http.MethodPost, "/api/v1/deliveries/"+wantDelivery+"/retry", nil, nil); code != http.StatusConflict {
		t.Fatalf("retry of a portal callback: %d", code)
	}
	saveHistory(t, app.Temporal, id, "", "approval_callback_delivery.json")
	saveHistory(t, app.Temporal, wantDelivery, "", "delivery_portal_callback.json")
}

// TestIntegrationApprovalPortal422: a 422 is read back; already in the
// wanted state counts as done, anything else ends portal-error with the
// portal's message and an ApprovalDecided event saying so.
func TestIntegrationApprovalPortal422(t *testing.T) {
	app := testkit.Get(t).StartApp(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	fp := fakeportal.New(t, "tok-422")
	p := approvalPortal(ctx, t, app, fp, "p_422", map[portal.Kind]*portal.Policy{
		portal.KindAccessRequest: {Approvers: portal.Approvers{Emails: []string{"a@example.test"}}}})
	start := func(ar fakeportal.AccessRequest) (int64, string) {
		arID := fp.AddAccessRequest(ar)
		portalEvent(ctx, t, app, p.ID, portal.EventAccessRequestCreated, fmt.Sprint(arID),
			map[string]any{"ID": arID, "AppID": 5, "ByUser": 3, "Status": "pending", "PlanID": 1})
		return arID, workflows.ApprovalID(p.ID, portal.KindAccessRequest, fmt.Sprint(arID))
	}

	// Approved in the portal meanwhile (its event not seen): 422, GET says approved.
	_, already := start(fakeportal.AccessRequest{AppID: 5, Status: "approved"})
	res := decideAndWait(ctx, t, app, already, "approve", "a@example.test")
	if res.Status != domain.ApprovalApproved || res.Callback != domain.CallbackDone || !strings.Contains(res.CallbackMessage, "already approved") {
		t.Fatalf("already approved: %+v", res)
	}

	// The identity provider fails: 422, GET says pending.
	arID, failing := start(fakeportal.AccessRequest{AppID: 5})
	fp.FailApprove(arID, "identity provider: connection refused")
	res = decideAndWait(ctx, t, app, failing, "approve", "a@example.test")
	if res.Status != domain.ApprovalPortalError || res.Callback != domain.CallbackFailed ||
		!strings.Contains(res.CallbackMessage, "identity provider: connection refused") {
		t.Fatalf("failed approve: %+v", res)
	}
	var dv deliveryView
	if code := api(t, app, http.MethodGet, "/api/v1/deliveries/"+res.CallbackDelivery, nil, &dv); code != 200 ||
		dv.Delivery.Status != domain.DeliveryFailed || len(dv.Attempts) != 1 {
		t.Fatalf("delivery: %d %+v", code, dv)
	}
	var av approvalView
	api(t, app, http.MethodGet, "/api/v1/approvals/"+failing, nil, &av)
	if av.Approval.Status != domain.ApprovalPortalError || av.Approval.CallbackMessage == nil ||
		!strings.Contains(*av.Approval.CallbackMessage, "identity provider") {
		t.Fatalf("row %+v", av.Approval)
	}
	events, err := app.Store.ListEvents(ctx, store.EventFilter{EventType: domain.EventApprovalDecided, Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range events {
		var o struct {
			ApprovalID string `json:"approvalId"`
			Status     string `json:"status"`
			Callback   struct {
				Status, Message string
			} `json:"callback"`
		}
		if json.Unmarshal(e.Object, &o) == nil && o.ApprovalID == failing {
			found = o.Status == domain.ApprovalPortalError && o.Callback.Status == domain.CallbackFailed &&
				strings.Contains(o.Callback.Message, "identity provider")
		}
	}
	if !found {
		t.Fatalf("no ApprovalDecided event with portal-error for %s", failing)
	}
}

// TestIntegrationApprovalCreateOrganisation: organisationApproval
// create-organisation creates the organisation and moves the requester
// into it, through the portal's Delivery; record calls nothing.
func TestIntegrationApprovalCreateOrganisation(t *testing.T) {
	app := testkit.Get(t).StartApp(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	fp := fakeportal.New(t, "tok-org")
	for _, mode := range []string{portal.OrganisationCreate, portal.OrganisationRecord} {
		t.Run(mode, func(t *testing.T) {
			p := approvalPortal(ctx, t, app, fp, "p_org_"+strings.Split(mode, "-")[0], map[portal.Kind]*portal.Policy{
				portal.KindOrganisationRequest: {Approvers: portal.Approvers{Emails: []string{"a@example.test"}}, OrganisationApproval: mode}})
			admin := fp.AddUser(fakeportal.User{Email: "lead-" + mode + "@acme.test", First: "Lead", Last: "Dev", Role: "consumer-team-member",
				Provider: "password", Active: true, Teams: []fakeportal.Team{{ID: 1, Name: "Default Organisation All users"}}})
			name := "Acme " + mode
			portalEvent(ctx, t, app, p.ID, portal.EventOrganisationRequestCreated, "",
				map[string]any{"Name": name, "AdminEmail": "lead-" + mode + "@acme.test", "AdminID": admin, "ByUser": admin, "TeamIDs": []int{}, "Status": "pending"})
			var list []store.Approval
			for deadline := time.Now().Add(10 * time.Second); len(list) == 0 && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
				var err error
				if list, err = app.Store.ListApprovals(ctx, store.ApprovalFilter{PortalID: p.ID}); err != nil {
					t.Fatal(err)
				}
			}
			if len(list) != 1 {
				t.Fatalf("approvals %+v", list)
			}
			before := len(fp.Organisations())
			res := decideAndWait(ctx, t, app, list[0].ID, "approve", "a@example.test")
			if mode == portal.OrganisationRecord {
				if res.Status != domain.ApprovalApproved || res.Callback != domain.CallbackNone || len(fp.Organisations()) != before {
					t.Fatalf("record: %+v", res)
				}
				return
			}
			if res.Status != domain.ApprovalApproved || res.Callback != domain.CallbackDone {
				t.Fatalf("create: %+v", res)
			}
			orgs := fp.Organisations()
			org := orgs[len(orgs)-1]
			u, _ := fp.User(admin)
			if len(orgs) != before+1 || org.Name != name || u.OrganisationID != org.ID || u.Email != "lead-"+mode+"@acme.test" || !u.Active {
				t.Fatalf("portal: orgs %+v user %+v", orgs, u)
			}
			var dv deliveryView
			if code := api(t, app, http.MethodGet, "/api/v1/deliveries/"+res.CallbackDelivery, nil, &dv); code != 200 ||
				dv.Delivery.Status != domain.DeliveryDelivered || len(dv.Attempts) != 1 || dv.Attempts[0].Method != http.MethodPost {
				t.Fatalf("delivery: %d %+v", code, dv)
			}
			var posts int
			for _, r := range fp.Requests() {
				if r.Method == http.MethodPost && r.Path == "/portal-api/organisations" {
					posts++
				}
			}
			if posts != 1 {
				t.Fatalf("%d POST /organisations", posts)
			}
		})
	}
}

// TestIntegrationApprovalChannel: a channel approver is sent the request as
// a Delivery (child workflow) and votes; its history is a replay input.
func TestIntegrationApprovalChannel(t *testing.T) {
	app := testkit.Get(t).StartApp(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rc := testkit.NewReceiver(t)
	// Subscribed to nothing the other tests emit: it is asked as an approver only.
	ch := &notify.Channel{ID: "ch_approver", Name: "approver", TargetURL: rc.URL, Method: "POST", TimeoutSeconds: 5,
		Events: []string{"ApproverOnlyEvent"}, RetrySchedule: "1s", Status: notify.ChannelActive}
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

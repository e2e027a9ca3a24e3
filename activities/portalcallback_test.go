package activities_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"gatehouse/activities"
	"gatehouse/internal/domain"
	"gatehouse/internal/notify"
	"gatehouse/internal/portal"
	"gatehouse/internal/store"
	"gatehouse/internal/testkit/fakeportal"
)

// portalCallback stores a portal on fp, an approval decided d under pol,
// and its callback delivery, as the Approval workflow does.
func portalCallback(t *testing.T, db *store.Store, fp *fakeportal.Portal, kind portal.Kind, objectID, requesterID int64,
	summary any, d portal.Decision, pol portal.Policy) store.Delivery {
	t.Helper()
	ctx := context.Background()
	pid := fmt.Sprintf("pc%d_%d", time.Now().UnixNano()%1e9, portalSeq.Add(1))
	p := portal.Portal{ID: pid, Name: pid, BaseURL: fp.BaseURL(), Approvals: map[portal.Kind]*portal.Policy{kind: &pol}}
	p.ApplyDefaults()
	tok := fp.Token
	if _, _, err := db.PutPortal(ctx, p, store.PortalSecretsChange{AdminToken: &tok}); err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(summary)
	id := fmt.Sprintf("Approval:%s:%s:%d", pid, kind, objectID)
	evID := domain.NewEventID(time.Now())
	now := time.Now().UTC()
	if _, err := db.CreateApproval(ctx, store.NewApproval{ID: id, PortalID: pid, Kind: string(kind), EntityID: fmt.Sprint(objectID),
		EventID: evID, ObjectID: objectID, RequesterID: requesterID, Required: 1, Policy: *p.Approvals[kind], Summary: raw, At: now,
		Object: portal.ApprovalEventObject{ApprovalID: id, PortalID: pid, Kind: string(kind)}}); err != nil {
		t.Fatal(err)
	}
	del := store.Delivery{ID: "Delivery:" + evID + ":portal:" + pid, EventID: evID, EventType: domain.EventApprovalDecided,
		TargetKind: domain.TargetPortal, TargetID: pid, URL: fp.BaseURL() + "/portal-api"}
	err := db.StartApprovalCallback(ctx, portal.ApprovalStep{ApprovalID: id, Seq: 2, At: now, Action: "callbackStarted", Actor: "system",
		Change: &portal.ApprovalChange{Decision: d, DecidedBy: "a@x.io", Via: domain.ViaAPI, DecidedAt: &now, Callback: domain.CallbackPending,
			CallbackDelivery: del.ID}}, del)
	if err != nil {
		t.Fatal(err)
	}
	return del
}

var portalSeq atomic.Int64

func (r *attemptRunner) mustRun(id string, attempt int, next time.Duration) activities.AttemptResult {
	r.t.Helper()
	res, err := r.run(activities.AttemptInput{DeliveryID: id, Attempt: attempt, NextWait: next})
	if err != nil {
		r.t.Fatalf("attempt %d: %v", attempt, err)
	}
	return res
}

func posts(fp *fakeportal.Portal) int {
	n := 0
	for _, r := range fp.Requests() {
		if r.Method == "POST" && r.Path == "/portal-api/organisations" {
			n++
		}
	}
	return n
}

// An organisation is created at most once: an error answer releases the
// claim (the next attempt POSTs again), a lost answer does not.
func TestPortalCallbackCreatesOrganisationOnce(t *testing.T) {
	d := newDeliverer(t)
	fp := fakeportal.New(t, "tok-once")
	pol := portal.Policy{Approvers: portal.Approvers{Emails: []string{"a@x.io"}}, OrganisationApproval: portal.OrganisationCreate}
	admin := fp.AddUser(fakeportal.User{Email: "lead@acme.test", Active: true, Role: "consumer-team-admin", Provider: "password"})
	msg := map[string]any{"Name": "Acme", "AdminEmail": "lead@acme.test", "AdminID": admin}
	del := portalCallback(t, d.DB, fp, portal.KindOrganisationRequest, 0, admin, msg, portal.Approved, pol)
	r := &attemptRunner{t: t, d: d}

	fp.FailNext(1, 503)
	if res := r.mustRun(del.ID, 1, time.Second); res.Outcome != notify.Retry || res.HTTPStatus != 503 {
		t.Fatalf("attempt 1: %+v", res)
	}
	if res := r.mustRun(del.ID, 2, time.Second); res.Outcome != notify.Delivered {
		t.Fatalf("attempt 2: %+v", res)
	}
	orgs := fp.Organisations()
	u, _ := fp.User(admin)
	if posts(fp) != 2 || len(orgs) != 2 || orgs[1].Name != "Acme" || u.OrganisationID != orgs[1].ID || u.Email != "lead@acme.test" {
		t.Fatalf("posts %d orgs %+v user %+v", posts(fp), orgs, u)
	}
	// The same attempt again (a retried activity) answers from its row.
	if res := r.mustRun(del.ID, 2, time.Second); res.Outcome != notify.Delivered || posts(fp) != 2 {
		t.Fatalf("retried attempt 2: %+v, %d posts", res, posts(fp))
	}

	// A POST whose answer was lost (claimed, no organisation recorded):
	// never sent again; the callback ends with a message to check the portal.
	other := fp.AddUser(fakeportal.User{Email: "b@acme.test"})
	del = portalCallback(t, d.DB, fp, portal.KindOrganisationRequest, 0, other, map[string]any{"Name": "Beta", "AdminID": other}, portal.Approved, pol)
	ap, err := d.DB.ApprovalByCallback(context.Background(), del.ID)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := d.DB.ClaimOrganisationCreate(context.Background(), ap.ID, time.Now()); !ok || err != nil {
		t.Fatalf("claim: %v %v", ok, err)
	}
	before := posts(fp)
	if res := r.mustRun(del.ID, 1, time.Second); res.Outcome != notify.Failed || !strings.Contains(res.Error, "may exist") || posts(fp) != before {
		t.Fatalf("lost answer: %+v, %d posts", res, posts(fp)-before)
	}
}

// A 422 is read back: the wanted state is done, another is failed with the
// portal's message, or retried under onPortalError retry.
func TestPortalCallbackReads422Back(t *testing.T) {
	d := newDeliverer(t)
	fp := fakeportal.New(t, "tok-422")
	pol := portal.Policy{Approvers: portal.Approvers{Emails: []string{"a@x.io"}}}
	r := &attemptRunner{t: t, d: d}

	done := fp.AddAccessRequest(fakeportal.AccessRequest{Status: "rejected"})
	del := portalCallback(t, d.DB, fp, portal.KindAccessRequest, done, 3, map[string]any{"ID": done}, portal.Rejected, pol)
	if res := r.mustRun(del.ID, 1, time.Second); res.Outcome != notify.Delivered || res.HTTPStatus != 422 {
		t.Fatalf("already rejected: %+v", res)
	}

	for _, onErr := range []string{portal.OnPortalErrorFail, portal.OnPortalErrorRetry} {
		pol.OnPortalError = onErr
		id := fp.AddAccessRequest(fakeportal.AccessRequest{})
		fp.FailApprove(id, "identity provider: timeout")
		del := portalCallback(t, d.DB, fp, portal.KindAccessRequest, id, 3, map[string]any{"ID": id}, portal.Approved, pol)
		res := r.mustRun(del.ID, 1, time.Second)
		want := notify.Failed
		if onErr == portal.OnPortalErrorRetry {
			want = notify.Retry
		}
		if res.Outcome != want || res.HTTPStatus != 422 || !strings.Contains(res.Error, "identity provider: timeout") {
			t.Fatalf("%s: %+v", onErr, res)
		}
		atts, _ := d.DB.Attempts(context.Background(), del.ID)
		if len(atts) != 1 || atts[0].Method != "PUT" || !strings.HasSuffix(atts[0].URL, fmt.Sprintf("/portal-api/access_requests/%d/approve", id)) ||
			atts[0].RequestHeaders["Authorization"] != notify.Masked {
			t.Fatalf("attempt rows %+v", atts)
		}
	}
}

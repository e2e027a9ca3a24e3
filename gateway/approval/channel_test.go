package approval_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/portal"
	"gatehouse/internal/signing"
	"gatehouse/internal/testkit"
	"gatehouse/internal/testkit/fakeportal"
	"gatehouse/internal/testkit/gatewaytest"
)

// TestChannelApprover: a channel named as an approver gets a signed
// callback (a Delivery to the channel, attempts recorded) carrying the
// request and single-use approve/reject URLs; a vote through one is the
// approver channel:{id} in the audit. A portal PUT naming a channel that
// does not exist is a 400 naming the field.
func TestChannelApprover(t *testing.T) {
	app := testkit.Get(t).StartApp(t)
	rc := testkit.NewReceiver(t)
	r := gatewaytest.Admin(t, app, "POST", "/api/v1/channels", map[string]any{"name": "crm", "targetUrl": rc.URL + "/crm",
		"events": []string{gatewaytest.Unique("Evt")}})
	if r.Status != 201 {
		t.Fatalf("channel: %d %s", r.Status, r.Body)
	}
	created := r.JSON(t)
	secret := created["secret"].(string)
	chID := created["channel"].(map[string]any)["id"].(string)

	bad := gatewaytest.Admin(t, app, "PUT", "/api/v1/portals/"+gatewaytest.Unique("p"), map[string]any{"name": "P", "baseUrl": "https://portal.example.com",
		"adminToken": "tok", "approvals": map[string]any{"accessRequest": map[string]any{"approvers": map[string]any{"channels": []string{chID, "nope"}}}}})
	if bad.Status != 400 || !strings.Contains(bad.Body, "approvals.accessRequest.approvers.channels[1]") || strings.Contains(bad.Body, "channels[0]") {
		t.Fatalf("unknown channel: %d %s", bad.Status, bad.Body)
	}

	pid, fp := gatewaytest.ApprovalPortal(t, app, map[portal.Kind]*portal.Policy{
		portal.KindAccessRequest: {Approvers: portal.Approvers{Channels: []string{chID}}}})
	arID := fp.AddAccessRequest(fakeportal.AccessRequest{AppID: 5})
	gatewaytest.IngestPortalEvent(t, app, pid, portal.EventAccessRequestCreated, map[string]any{"ID": arID, "AppID": 5, "ByUser": 3, "Status": "pending", "PlanID": 2})
	id := fmt.Sprintf("Approval:%s:accessRequest:%d", pid, arID)

	req := gatewaytest.WaitRequests(t, rc, 1)[0]
	if err := signing.VerifyStandard(secret, req.Header, req.Body, time.Now()); err != nil {
		t.Fatalf("signature: %v", err)
	}
	var body struct {
		Event   string
		Message struct {
			ApprovalID string          `json:"approvalId"`
			Approver   string          `json:"approver"`
			Request    json.RawMessage `json:"request"`
			Links      struct {
				Approve, Reject string
			} `json:"links"`
		}
	}
	if err := json.Unmarshal(req.Body, &body); err != nil {
		t.Fatal(err)
	}
	if body.Event != "ApprovalRequested" || body.Message.ApprovalID != id || body.Message.Approver != "channel:"+chID ||
		!strings.Contains(string(body.Message.Request), `"AppID":5`) || body.Message.Links.Approve == "" || body.Message.Links.Reject == "" {
		t.Fatalf("callback %s", req.Body)
	}
	gatewaytest.WaitDelivery(t, app, req.Header.Get("webhook-id"), "delivered")

	reject := strings.Replace(body.Message.Links.Reject, app.Config.PublicURL, app.URL, 1)
	if g := gatewaytest.Send(t, "GET", reject, "", nil); g.Status != 200 || !strings.Contains(g.Body, `id="confirm"`) {
		t.Fatalf("GET: %d %s", g.Status, g.Body)
	}
	gatewaytest.WaitApproval(t, app, id, "pending")
	path := strings.TrimPrefix(reject, app.URL)
	if p := gatewaytest.PostPage(t, app, path); p.Status != 200 || !strings.Contains(p.Body, "rejected") {
		t.Fatalf("POST: %d %s", p.Status, p.Body)
	}
	a := gatewaytest.WaitApproval(t, app, id, "rejected")
	if by := a["approval"].(map[string]any)["decidedBy"]; by != "channel:"+chID {
		t.Fatalf("decided by %v", by)
	}
	votes, _ := a["votes"].([]any)
	if len(votes) != 1 || votes[0].(map[string]any)["approver"] != "channel:"+chID {
		t.Fatalf("votes %v", votes)
	}
	if ar, _ := fp.AccessRequest(arID); ar.Status != "rejected" {
		t.Fatalf("portal: %+v", ar)
	}
	if p := gatewaytest.PostPage(t, app, path); p.Status != http.StatusGone {
		t.Fatalf("spent link: %d", p.Status)
	}
}

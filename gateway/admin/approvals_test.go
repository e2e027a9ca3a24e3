package admin_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"

	"gatehouse/internal/portal"
	"gatehouse/internal/testkit"
	"gatehouse/internal/testkit/fakeportal"
	"gatehouse/internal/testkit/gatewaytest"
)

func decide(t *testing.T, app *testkit.App, id, decision, by string) gatewaytest.Resp {
	t.Helper()
	verb := map[string]string{"approved": "approve", "rejected": "reject"}[decision]
	return gatewaytest.Admin(t, app, "POST", "/api/v1/approvals/"+url.PathEscape(id)+"/"+verb, map[string]any{"byUser": by, "reason": "checked"})
}

func onePolicy(emails ...string) *portal.Policy {
	return &portal.Policy{Approvers: portal.Approvers{Emails: emails}}
}

func audit(m map[string]any) string {
	var out []string
	for _, a := range m["audit"].([]any) {
		out = append(out, fmt.Sprint(a.(map[string]any)["action"]))
	}
	return strings.Join(out, ",")
}

// TestApprovalEachKindApprovedAndRejected: a request of each kind held,
// decided through the API and called back where the kind has a callback.
func TestApprovalEachKindApprovedAndRejected(t *testing.T) {
	app := testkit.Get(t).StartApp(t)
	boss := gatewaytest.Email("boss")
	pols := map[portal.Kind]*portal.Policy{}
	for _, k := range portal.Kinds() {
		pols[k] = onePolicy(boss)
	}
	pid, fp := gatewaytest.ApprovalPortal(t, app, pols)
	for _, d := range []string{"approved", "rejected"} {
		t.Run("accessRequest/"+d, func(t *testing.T) {
			arID := fp.AddAccessRequest(fakeportal.AccessRequest{AppID: 7})
			gatewaytest.IngestPortalEvent(t, app, pid, portal.EventAccessRequestCreated, map[string]any{"ID": arID, "AppID": 7, "ByUser": 3, "Status": "pending", "ProductIDs": []int{1}, "PlanID": 2})
			id := fmt.Sprintf("Approval:%s:accessRequest:%d", pid, arID)
			gatewaytest.WaitApproval(t, app, id, "pending")
			r := decide(t, app, id, d, strings.ToUpper(boss))
			if r.Status != 200 {
				t.Fatalf("decide: %d %s", r.Status, r.Body)
			}
			// The answer is the live state, in the row's names (camelCase).
			st, _ := r.JSON(t)["state"].(map[string]any)
			if st == nil || st["id"] != id || st["decision"] != d || st["decidedVia"] != "api" || st["requiredApprovals"] != 1.0 ||
				len(st["votes"].([]any)) != 1 || strings.Contains(string(r.Body), `"Decision"`) {
				t.Fatalf("decide answer: %s", r.Body)
			}
			m := gatewaytest.WaitApproval(t, app, id, d)
			if st := m["state"].(map[string]any); st["status"] != d || st["callbackStatus"] != m["approval"].(map[string]any)["callbackStatus"] ||
				st["callbackDeliveryId"] != m["approval"].(map[string]any)["callbackDeliveryId"] {
				t.Fatalf("GET state %v, row %v", st, m["approval"])
			}
			if ar, _ := fp.AccessRequest(arID); ar.Status != d {
				t.Fatalf("portal access request: %+v", ar)
			}
			if got := audit(m); got != "requested,voted,callbackStarted,callback,decided" {
				t.Fatalf("audit %s\n%+v", got, m)
			}
			// The same POST again is the same Update (its id is derived from
			// approval, approver and decision): the first answer, one vote.
			if r := decide(t, app, id, d, boss); r.Status != 200 || strings.Count(string(r.Body), `"decisionId"`) != 1 {
				t.Fatalf("retried POST: %d %s", r.Status, r.Body)
			}
			if v := gatewaytest.WaitApproval(t, app, id, d)["votes"].([]any); len(v) != 1 {
				t.Fatalf("votes %v", v)
			}
			// The other decision is a new vote: refused, naming who decided.
			other := map[string]string{"approved": "rejected", "rejected": "approved"}[d]
			if r := decide(t, app, id, other, boss); r.Status != 409 || !strings.Contains(string(r.Body), "by "+boss) {
				t.Fatalf("other decision: %d %s", r.Status, r.Body)
			}
		})
		t.Run("userRegistration/"+d, func(t *testing.T) {
			uid := fp.AddUser(fakeportal.User{Email: gatewaytest.Email("dev"), First: "D", Last: "V", Role: "consumer-admin"})
			gatewaytest.IngestPortalEvent(t, app, pid, portal.EventUserRegistered, map[string]any{"ID": uid, "Email": "dev@example.test", "First": "D", "Last": "V",
				"OrgID": 1, "Status": "inactive"})
			id := fmt.Sprintf("Approval:%s:userRegistration:%d", pid, uid)
			gatewaytest.WaitApproval(t, app, id, "pending")
			if r := decide(t, app, id, d, boss); r.Status != 200 {
				t.Fatalf("decide: %d %s", r.Status, r.Body)
			}
			gatewaytest.WaitApproval(t, app, id, d)
			if u, _ := fp.User(uid); u.Active != (d == "approved") {
				t.Fatalf("portal user: %+v", u)
			}
		})
		t.Run("organisationRequest/"+d, func(t *testing.T) {
			name := gatewaytest.Unique("Org")
			gatewaytest.IngestPortalEvent(t, app, pid, portal.EventOrganisationRequestCreated, map[string]any{"Name": name, "AdminEmail": "a@example.test", "AdminID": 12,
				"Status": "pending"})
			id := fmt.Sprintf("Approval:%s:organisationRequest:%s", pid, portal.OrganisationRequestID(12, name))
			gatewaytest.WaitApproval(t, app, id, "pending")
			if r := decide(t, app, id, d, boss); r.Status != 200 {
				t.Fatalf("decide: %d %s", r.Status, r.Body)
			}
			m := gatewaytest.WaitApproval(t, app, id, d)
			if cb := m["approval"].(map[string]any)["callbackStatus"]; cb != "none" {
				t.Fatalf("callback %v", cb)
			}
		})
	}
	r := gatewaytest.Admin(t, app, "GET", "/api/v1/approvals?status=approved&portal="+pid, nil)
	if list := r.JSON(t)["approvals"].([]any); r.Status != 200 || len(list) != 3 {
		t.Fatalf("list approved: %d %s", r.Status, r.Body)
	}
	if r := gatewaytest.Admin(t, app, "GET", "/api/v1/approvals?status=maybe", nil); r.Status != 400 {
		t.Fatalf("bad status filter: %d", r.Status)
	}
	if r := decide(t, app, "Approval:nope:accessRequest:1", "approved", boss); r.Status != 404 {
		t.Fatalf("unknown approval: %d %s", r.Status, r.Body)
	}
}

// TestApprovalConcurrentDecisions: two approvers decide at once; exactly
// one wins, the other gets 409. A stranger gets 403.
func TestApprovalConcurrentDecisions(t *testing.T) {
	app := testkit.Get(t).StartApp(t)
	a, b := gatewaytest.Email("a"), gatewaytest.Email("b")
	pid, fp := gatewaytest.ApprovalPortal(t, app, map[portal.Kind]*portal.Policy{portal.KindAccessRequest: onePolicy(a, b)})
	arID := fp.AddAccessRequest(fakeportal.AccessRequest{AppID: 7})
	gatewaytest.IngestPortalEvent(t, app, pid, portal.EventAccessRequestCreated, map[string]any{"ID": arID, "AppID": 7, "ByUser": 3, "Status": "pending", "PlanID": 2})
	id := fmt.Sprintf("Approval:%s:accessRequest:%d", pid, arID)
	gatewaytest.WaitApproval(t, app, id, "pending")
	if r := decide(t, app, id, "approved", "eve@example.test"); r.Status != 403 {
		t.Fatalf("stranger: %d %s", r.Status, r.Body)
	}
	var wg sync.WaitGroup
	codes := make([]int, 2)
	for i, who := range []string{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i] = decide(t, app, id, []string{"approved", "rejected"}[i], who).Status
		}()
	}
	wg.Wait()
	if !(codes[0] == 200 && codes[1] == 409 || codes[0] == 409 && codes[1] == 200) {
		t.Fatalf("codes %v", codes)
	}
	m := gatewaytest.WaitApproval(t, app, id, map[bool]string{true: "approved", false: "rejected"}[codes[0] == 200])
	if v := m["votes"].([]any); len(v) != 1 {
		t.Fatalf("votes %v", v)
	}
}

// TestApprovalPortalFailures: a 500 then 200 callback; a 422 whose
// read-back shows the wanted state; a 422 that is a real refusal.
func TestApprovalPortalFailures(t *testing.T) {
	app := testkit.Get(t).StartApp(t)
	boss := gatewaytest.Email("boss")
	pid, fp := gatewaytest.ApprovalPortal(t, app, map[portal.Kind]*portal.Policy{portal.KindAccessRequest: onePolicy(boss)})
	start := func(ar fakeportal.AccessRequest) string {
		arID := fp.AddAccessRequest(ar)
		gatewaytest.IngestPortalEvent(t, app, pid, portal.EventAccessRequestCreated, map[string]any{"ID": arID, "AppID": 7, "ByUser": 3, "Status": "pending", "PlanID": 2})
		id := fmt.Sprintf("Approval:%s:accessRequest:%d", pid, arID)
		gatewaytest.WaitApproval(t, app, id, "pending")
		return id
	}

	id := start(fakeportal.AccessRequest{AppID: 7})
	fp.FailNext(1, 500)
	if r := decide(t, app, id, "approved", boss); r.Status != 200 {
		t.Fatalf("decide: %d %s", r.Status, r.Body)
	}
	m := gatewaytest.WaitApproval(t, app, id, "approved")
	if got := audit(m); got != "requested,voted,callbackStarted,callback,callback,decided" || !strings.Contains(string(mustJSON(m["audit"])), "HTTP 500") {
		t.Fatalf("500 then 200: %s", mustJSON(m["audit"]))
	}

	id = start(fakeportal.AccessRequest{AppID: 7, Status: "approved"}) // approved in the portal meanwhile
	if r := decide(t, app, id, "approved", boss); r.Status != 200 {
		t.Fatalf("decide: %d %s", r.Status, r.Body)
	}
	m = gatewaytest.WaitApproval(t, app, id, "approved")
	if cb := m["approval"].(map[string]any)["callbackStatus"]; cb != "done" {
		t.Fatalf("422 already approved: %v", m["approval"])
	}

	id = start(fakeportal.AccessRequest{AppID: 7, Status: "rejected"}) // rejected in the portal meanwhile
	if r := decide(t, app, id, "approved", boss); r.Status != 200 {
		t.Fatalf("decide: %d %s", r.Status, r.Body)
	}
	m = gatewaytest.WaitApproval(t, app, id, "portal-error")
	if msg := m["approval"].(map[string]any)["callbackMessage"]; !strings.Contains(fmt.Sprint(msg), "already rejected") {
		t.Fatalf("422 refusal: %v", m["approval"])
	}
}

// TestApprovalDecidedInPortal: the portal's own AccessRequestApproved
// closes the waiting approval without a callback.
func TestApprovalDecidedInPortal(t *testing.T) {
	app := testkit.Get(t).StartApp(t)
	boss := gatewaytest.Email("boss")
	pid, fp := gatewaytest.ApprovalPortal(t, app, map[portal.Kind]*portal.Policy{portal.KindAccessRequest: onePolicy(boss)})
	arID := fp.AddAccessRequest(fakeportal.AccessRequest{AppID: 7})
	msg := map[string]any{"ID": arID, "AppID": 7, "ByUser": 3, "Status": "pending", "PlanID": 2}
	gatewaytest.IngestPortalEvent(t, app, pid, portal.EventAccessRequestCreated, msg)
	id := fmt.Sprintf("Approval:%s:accessRequest:%d", pid, arID)
	gatewaytest.WaitApproval(t, app, id, "pending")
	msg["Status"], msg["ByUser"] = "approved", 1
	gatewaytest.IngestPortalEvent(t, app, pid, portal.EventAccessRequestApproved, msg)
	m := gatewaytest.WaitApproval(t, app, id, "approved")
	a := m["approval"].(map[string]any)
	if a["decidedVia"] != "portal" || a["callbackStatus"] != "none" {
		t.Fatalf("approval %v", a)
	}
	for _, rq := range fp.Requests() {
		if strings.Contains(rq.Path, "/approve") {
			t.Fatalf("the portal was called back: %+v", rq)
		}
	}
	if r := decide(t, app, id, "rejected", boss); r.Status != 409 || !strings.Contains(string(r.Body), "via portal") {
		t.Fatalf("late vote: %d %s", r.Status, r.Body)
	}
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

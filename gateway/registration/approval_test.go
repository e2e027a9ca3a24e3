package registration_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"gatehouse/internal/domain"
	"gatehouse/internal/mailsink"
	"gatehouse/internal/mapping"
	"gatehouse/internal/testkit"
	"gatehouse/internal/testkit/gatewaytest"
	"gatehouse/workflows"
)

// TestRequireApproval: on a site with requireApproval a registration sends
// the user nothing until an approver decides. Approved through the API, the
// set-password email follows; rejected, the user is blocked and gets the
// site's webhookRejectedEmailTemplate.
func TestRequireApproval(t *testing.T) {
	app := testkit.Get(t).StartApp(t)
	boss := gatewaytest.Email("gate")
	siteID := gatewaytest.NewSite(t, app, map[string]any{"requireApproval": true,
		"approval": map[string]any{"approvers": map[string]any{"emails": []string{boss}}}}, nil)
	tmpl := map[string]any{"subject": "Sorry {FIRSTNAME}", "text": "Your registration for {EVENT_NAME} was declined.", "html": "<p>Declined</p>"}
	if r := gatewaytest.Admin(t, app, "PUT", "/api/v1/sites/"+siteID+"/email-templates/declined", tmpl); r.Status != 201 {
		t.Fatalf("template: %d %s", r.Status, r.Body)
	}
	st := gatewaytest.Admin(t, app, "GET", "/api/v1/sites/"+siteID, nil).JSON(t)
	reg := st["webhooksiteregistration"].(map[string]any)
	reg["webhookRejectedEmailTemplate"] = "declined"
	delete(reg, "registrationKeySet")
	if r := gatewaytest.Admin(t, app, "PUT", "/api/v1/sites/"+siteID, st); r.Status != 200 {
		t.Fatalf("site: %d %s", r.Status, r.Body)
	}

	held := func(name string) (addr, userID, approvalID, workflowID string) {
		t.Helper()
		addr = gatewaytest.Email(name)
		r := gatewaytest.Register(t, app, siteID, "email", addr, "firstName", "Hel", "lastName", "D")
		if r.Status != 202 {
			t.Fatalf("register: %d %s", r.Status, r.Body)
		}
		userID = mapping.UserID(siteID, addr)
		approvalID = workflows.ApprovalID(siteID, "siteRegistration", userID)
		// The approver's email comes after the registration decided to
		// hold: by then a set-password email would have been sent.
		gatewaytest.WaitMail(t, boss, func(m mailsink.Message) bool { return strings.Contains(m.Text, userID) })
		gatewaytest.WaitApproval(t, app, approvalID, "pending")
		gatewaytest.WaitState(t, app, r.JSON(t)["workflowId"].(string), gatewaytest.Status(workflows.StatusHeld))
		if n := len(gatewaytest.MailsTo(t, addr)); n != 0 {
			t.Fatalf("%d emails to a held user", n)
		}
		return addr, userID, approvalID, r.JSON(t)["workflowId"].(string)
	}

	t.Run("approved", func(t *testing.T) {
		addr, _, approvalID, wf := held("ok")
		r := gatewaytest.Admin(t, app, "POST", "/api/v1/approvals/"+url.PathEscape(approvalID)+"/approve", map[string]any{"byUser": boss})
		if r.Status != 200 {
			t.Fatalf("approve: %d %s", r.Status, r.Body)
		}
		link := gatewaytest.LinkIn(t, gatewaytest.WaitMail(t, addr, gatewaytest.Subject("Set your password")))
		if !strings.Contains(link, "token=") {
			t.Fatalf("link %q", link)
		}
		gatewaytest.WaitState(t, app, wf, gatewaytest.Status(workflows.StatusWaiting))
		gatewaytest.WaitApproval(t, app, approvalID, "approved")
	})
	t.Run("rejected", func(t *testing.T) {
		addr, userID, approvalID, wf := held("no")
		r := gatewaytest.Admin(t, app, "POST", "/api/v1/approvals/"+url.PathEscape(approvalID)+"/reject", map[string]any{"byUser": boss, "reason": "not invited"})
		if r.Status != 200 {
			t.Fatalf("reject: %d %s", r.Status, r.Body)
		}
		m := gatewaytest.WaitMail(t, addr, gatewaytest.Subject("Sorry Hel"))
		if !strings.Contains(m.Text, "declined") {
			t.Fatalf("rejection email %q", m.Text)
		}
		if st := gatewaytest.FinalState(t, app, wf); st.Status != workflows.StatusRejected {
			t.Fatalf("state %+v", st)
		}
		u, err := app.Store.GetUser(context.Background(), siteID, userID)
		if err != nil || u.Status != domain.UserBlocked {
			t.Fatalf("user %+v %v", u, err)
		}
		if n := len(gatewaytest.MailsTo(t, addr)); n != 1 {
			t.Fatalf("%d emails to a rejected user, want the rejection only", n)
		}
		// Blocked as an admin's block does: the same event, its source the approval.
		events, err := app.Store.EventsFor(context.Background(), domain.ObjectTypeUser, userID)
		if err != nil {
			t.Fatal(err)
		}
		var blocks []string
		for _, e := range events {
			if e.EventType == domain.EventUserAccountDeactivated {
				blocks = append(blocks, e.Source)
			}
		}
		if strings.Join(blocks, ",") != "approval" {
			t.Fatalf("UserAccountDeactivated events with sources %v, want one from the approval (all: %v)", blocks, eventTypes(t, app, userID))
		}
		// The admin routes see the same state: unblocking works as for any block.
		if r := gatewaytest.Admin(t, app, "POST", "/api/v1/sites/"+siteID+"/users/"+userID+"/unblock", nil); r.Status != 200 || r.JSON(t)["status"] != "pending" {
			t.Fatalf("unblock a rejected user: %d %s", r.Status, r.Body)
		}
	})
}

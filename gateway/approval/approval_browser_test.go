package approval_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"gatehouse/internal/portal"
	"gatehouse/internal/testkit"
	"gatehouse/internal/testkit/fakeportal"
	"gatehouse/internal/testkit/gatewaytest"
)

// TestEmailedLinkInBrowser: the approver opens the emailed approve link in
// headless Chromium, sees the confirmation page (nothing is decided by
// opening it), confirms, and the request is approved and the portal
// called back.
func TestEmailedLinkInBrowser(t *testing.T) {
	app := testkit.Get(t).StartApp(t)
	boss := gatewaytest.Email("browser-boss")
	pid, fp := gatewaytest.ApprovalPortal(t, app, map[portal.Kind]*portal.Policy{
		portal.KindAccessRequest: {Approvers: portal.Approvers{Emails: []string{boss}}}})
	arID := fp.AddAccessRequest(fakeportal.AccessRequest{AppID: 9})
	gatewaytest.IngestPortalEvent(t, app, pid, portal.EventAccessRequestCreated, map[string]any{"ID": arID, "AppID": 9, "ByUser": 3, "Status": "pending", "PlanID": 2})
	id := fmt.Sprintf("Approval:%s:accessRequest:%d", pid, arID)
	m := gatewaytest.WaitMail(t, boss, gatewaytest.Subject("Approval requested"))
	approve := ""
	for _, l := range linkRE.FindAllStringSubmatch(m.Text, -1) {
		if l[1] == "Approve" {
			approve = strings.Replace(l[2], app.Config.PublicURL, app.URL, 1)
		}
	}
	if approve == "" {
		t.Fatalf("no approve link in %q", m.Text)
	}

	ctx := testkit.Browser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(approve), chromedp.WaitVisible("#confirm")); err != nil {
		t.Fatal(err)
	}
	if title, button := text(t, ctx, "h1"), text(t, ctx, "#confirm"); !strings.Contains(title, "Approve") || button != "Approve" {
		t.Fatalf("confirmation page: title %q, button %q", title, button)
	}
	// Opening the page decided nothing.
	if votes, _ := gatewaytest.WaitApproval(t, app, id, "pending")["votes"].([]any); len(votes) != 0 {
		t.Fatalf("votes after a GET: %v", votes)
	}
	if ar, _ := fp.AccessRequest(arID); ar.Status != "pending" {
		t.Fatalf("the portal was called on GET: %+v", ar)
	}
	if err := chromedp.Do(ctx, chromedp.Click("#confirm"), chromedp.WaitVisible("#message")); err != nil {
		t.Fatal(err)
	}
	msg := text(t, ctx, "#message")
	if !strings.Contains(msg, "approved") {
		t.Fatalf("after confirming: %q", msg)
	}
	a := gatewaytest.WaitApproval(t, app, id, "approved")
	if got := a["approval"].(map[string]any)["decidedBy"]; got != boss {
		t.Fatalf("decided by %v", got)
	}
	if ar, _ := fp.AccessRequest(arID); ar.Status != "approved" {
		t.Fatalf("portal not called back: %+v", ar)
	}
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(sel))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

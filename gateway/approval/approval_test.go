package approval_test

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"gatehouse/internal/portal"
	"gatehouse/internal/testkit"
	"gatehouse/internal/testkit/fakeportal"
	"gatehouse/internal/testkit/gatewaytest"
)

var linkRE = regexp.MustCompile(`(Approve|Reject): (https?://\S+/approvals/links/[A-Za-z0-9_-]+)`)

// TestEmailedLinks: GET shows a page and decides nothing; POST approves;
// the link is then spent, and the reject link answers who decided.
func TestEmailedLinks(t *testing.T) {
	app := testkit.Get(t).StartApp(t)
	boss := gatewaytest.Email("boss")
	pid, fp := gatewaytest.ApprovalPortal(t, app, map[portal.Kind]*portal.Policy{
		portal.KindAccessRequest: {Approvers: portal.Approvers{Emails: []string{boss}}}})
	arID := fp.AddAccessRequest(fakeportal.AccessRequest{AppID: 7})
	gatewaytest.IngestPortalEvent(t, app, pid, portal.EventAccessRequestCreated, map[string]any{"ID": arID, "AppID": 7, "ByUser": 3, "Status": "pending", "PlanID": 2})
	id := fmt.Sprintf("Approval:%s:accessRequest:%d", pid, arID)
	m := gatewaytest.WaitMail(t, boss, gatewaytest.Subject("Approval requested"))
	links := map[string]string{}
	for _, l := range linkRE.FindAllStringSubmatch(m.Text, -1) {
		links[l[1]] = strings.Replace(l[2], app.Config.PublicURL, app.URL, 1)
	}
	if len(links) != 2 {
		t.Fatalf("links in %q", m.Text)
	}
	for range 2 { // a scanner opening the link decides nothing
		r := gatewaytest.Send(t, "GET", links["Approve"], "", nil)
		if r.Status != 200 || !strings.Contains(string(r.Body), `<form method="post">`) || !strings.Contains(string(r.Body), "Approve") {
			t.Fatalf("GET: %d %s", r.Status, r.Body)
		}
	}
	if ar, _ := fp.AccessRequest(arID); ar.Status != "pending" {
		t.Fatalf("a GET decided: %+v", ar)
	}
	r := gatewaytest.PostPage(t, app, strings.TrimPrefix(links["Approve"], app.URL))
	if r.Status != 200 || !strings.Contains(string(r.Body), "approved") {
		t.Fatalf("POST: %d %s", r.Status, r.Body)
	}
	a := gatewaytest.WaitApproval(t, app, id, "approved")
	if got := a["approval"].(map[string]any)["decidedVia"]; got != "link" {
		t.Fatalf("via %v", got)
	}
	if ar, _ := fp.AccessRequest(arID); ar.Status != "approved" {
		t.Fatalf("portal: %+v", ar)
	}
	if r := gatewaytest.PostPage(t, app, strings.TrimPrefix(links["Approve"], app.URL)); r.Status != http.StatusGone {
		t.Fatalf("spent link: %d %s", r.Status, r.Body)
	}
	if r := gatewaytest.PostPage(t, app, strings.TrimPrefix(links["Reject"], app.URL)); r.Status != http.StatusConflict || !strings.Contains(string(r.Body), "by "+boss) {
		t.Fatalf("reject after approve: %d %s", r.Status, r.Body)
	}
	if r := gatewaytest.Send(t, "GET", app.URL+"/approvals/links/"+strings.Repeat("A", 43), "", nil); r.Status != http.StatusGone {
		t.Fatalf("unknown link: %d", r.Status)
	}
}

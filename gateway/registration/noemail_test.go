package registration_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/domain"
	"gatehouse/internal/testkit"
	"gatehouse/internal/testkit/gatewaytest"
	"gatehouse/workflows"
)

func useMagicLink(t *testing.T, app *testkit.App, link string) gatewaytest.Resp {
	t.Helper()
	return gatewaytest.PostPage(t, app, "/magic-link", "token", gatewaytest.Token(link))
}

func eventTypes(t *testing.T, app *testkit.App, userID string) []string {
	t.Helper()
	events, err := app.Store.EventsFor(context.Background(), domain.ObjectTypeUser, userID)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range events {
		out = append(out, e.EventType)
	}
	return out
}

// The seed's flow "where no emails are involved": a magic-link site with
// sendEmail off answers the webhook with the person's sign-in link.
func TestNoEmailFlowAnswersTheMagicLink(t *testing.T) {
	app := testkit.Get(t).StartApp(t)
	siteID := gatewaytest.NewSite(t, app, map[string]any{"authMethod": "magicLink", "sendEmail": false,
		"completeButtonUrl": "https://portal.example/home", "sendErrorResponseAsJson": true}, nil)
	addr := gatewaytest.Email("noemail")
	before := time.Now()
	r := gatewaytest.Register(t, app, siteID, "email", addr, "firstName", "No", "lastName", "Mail")
	if r.Status != http.StatusAccepted {
		t.Fatalf("webhook: %d %s", r.Status, r.Body)
	}
	body := r.JSON(t)
	link, _ := body["magicLink"].(string)
	userID := body["userId"].(string)
	if !strings.HasPrefix(link, app.Config.PublicURL+"/magic-link?token=") || body["success"] != true {
		t.Fatalf("202 body %v", body)
	}
	exp, err := time.Parse(time.RFC3339, body["magicLinkExpiresAt"].(string))
	if err != nil || exp.Before(before.Add(86399*time.Second)) || exp.After(time.Now().Add(86401*time.Second)) {
		t.Fatalf("expiry %v %v", body["magicLinkExpiresAt"], err)
	}
	if st := gatewaytest.FinalState(t, app, body["workflowId"].(string)); st.Status != workflows.StatusCreated {
		t.Fatalf("state %+v", st)
	}
	// The link works before anyone emailed anything.
	if p := useMagicLink(t, app, link); p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Header.Get("Location"), "https://portal.example/home?id_token=") {
		t.Fatalf("magic link: %d %v", p.Status, p.Header)
	}
	gatewaytest.WaitState(t, app, body["workflowId"].(string), gatewaytest.Status(workflows.StatusActive))
	if st := gatewaytest.FinalState(t, app, body["workflowId"].(string)); st.Status != workflows.StatusActive {
		t.Fatalf("state after the link %+v", st)
	}
	if n := len(gatewaytest.MailsTo(t, addr)); n != 0 {
		t.Fatalf("%d emails sent in the no-email flow", n)
	}
	if got := strings.Join(eventTypes(t, app, userID), ","); got != "UserRegistered,UserAccountActivated,RegistrationConfirmed" {
		t.Fatalf("events %s", got)
	}

	// A fresh link on demand; it revokes the older unused one.
	path := "/api/v1/sites/" + siteID + "/users/" + userID + "/magic-link"
	first := gatewaytest.Admin(t, app, "POST", path, nil)
	second := gatewaytest.Admin(t, app, "POST", path, nil)
	if first.Status != 200 || second.Status != 200 {
		t.Fatalf("mint: %d %s / %d %s", first.Status, first.Body, second.Status, second.Body)
	}
	l1, l2 := first.JSON(t)["magicLink"].(string), second.JSON(t)["magicLink"].(string)
	if l1 == l2 || !strings.HasPrefix(l2, app.Config.PublicURL+"/magic-link?token=") || second.JSON(t)["expiresAt"] == nil {
		t.Fatalf("links %s %s", l1, l2)
	}
	if p := useMagicLink(t, app, l1); p.Status != http.StatusGone {
		t.Fatalf("older link: %d", p.Status)
	}
	if p := useMagicLink(t, app, l2); p.Status != http.StatusSeeOther {
		t.Fatalf("newest link: %d", p.Status)
	}
	if p := useMagicLink(t, app, l2); p.Status != http.StatusGone {
		t.Fatalf("a link works once: %d", p.Status)
	}
	if r := gatewaytest.Admin(t, app, "POST", "/api/v1/sites/"+siteID+"/users/unone/magic-link", nil); r.Status != 404 {
		t.Fatalf("unknown user: %d %s", r.Status, r.Body)
	}
	pwSite := gatewaytest.NewSite(t, app, nil, nil)
	if r := gatewaytest.Admin(t, app, "POST", "/api/v1/sites/"+pwSite+"/users/"+userID+"/magic-link", nil); r.Status != 409 || r.JSON(t)["code"] != "not_magic_link_site" {
		t.Fatalf("password site: %d %s", r.Status, r.Body)
	}
	// A magic-link site that emails answers without a link.
	mailing := gatewaytest.NewSite(t, app, map[string]any{"authMethod": "magicLink"}, nil)
	if r := gatewaytest.Register(t, app, mailing, "email", gatewaytest.Email("mailing"), "firstName", "M", "lastName", "L"); r.Status != 202 || r.JSON(t)["magicLink"] != nil {
		t.Fatalf("emailing site: %d %s", r.Status, r.Body)
	}
}

// Blocking refuses links with a page that says so, survives
// re-registration, and emits the Tyk user events.
func TestBlockAndUnblock(t *testing.T) {
	app := testkit.Get(t).StartApp(t)
	rc := testkit.NewReceiver(t)
	if r := gatewaytest.Admin(t, app, "POST", "/api/v1/channels", map[string]any{"name": "portal", "targetUrl": rc.URL + "/users",
		"events": []string{"UserAccountDeactivated", "UserAccountActivated"}}); r.Status != 201 {
		t.Fatalf("channel: %d %s", r.Status, r.Body)
	}
	siteID := gatewaytest.NewSite(t, app, map[string]any{"authMethod": "magicLink", "sendEmail": false}, nil)
	addr := gatewaytest.Email("blocked")
	r := gatewaytest.Register(t, app, siteID, "email", addr, "firstName", "Bo", "lastName", "Cked")
	link, userID := r.JSON(t)["magicLink"].(string), r.JSON(t)["userId"].(string)
	gatewaytest.FinalState(t, app, r.JSON(t)["workflowId"].(string))
	users := "/api/v1/sites/" + siteID + "/users/" + userID

	b := gatewaytest.Admin(t, app, "POST", users+"/block", nil)
	if b.Status != 200 || b.JSON(t)["status"] != "blocked" {
		t.Fatalf("block: %d %s", b.Status, b.Body)
	}
	if b := gatewaytest.Admin(t, app, "POST", users+"/block", nil); b.Status != 200 || b.JSON(t)["status"] != "blocked" {
		t.Fatalf("block again: %d %s", b.Status, b.Body)
	}
	for _, p := range []gatewaytest.Resp{gatewaytest.Send(t, "GET", link, "", nil), useMagicLink(t, app, link)} {
		if p.Status != http.StatusForbidden || !strings.Contains(p.Body, "This account is blocked") {
			t.Fatalf("blocked user's link: %d %s", p.Status, p.Body)
		}
	}
	if m := gatewaytest.Admin(t, app, "POST", users+"/magic-link", nil); m.Status != 409 || m.JSON(t)["code"] != "user_blocked" {
		t.Fatalf("mint for a blocked user: %d %s", m.Status, m.Body)
	}
	// Registering again updates the data but never unblocks, and mints no link.
	again := gatewaytest.Register(t, app, siteID, "email", addr, "firstName", "Bob", "lastName", "Cked")
	if again.Status != 202 || again.JSON(t)["magicLink"] != nil || again.JSON(t)["userStatus"] != "blocked" {
		t.Fatalf("re-registration: %d %s", again.Status, again.Body)
	}
	if st := gatewaytest.FinalState(t, app, again.JSON(t)["workflowId"].(string)); st.Status != workflows.StatusBlocked {
		t.Fatalf("state %+v", st)
	}
	if u := gatewaytest.Admin(t, app, "GET", users, nil).JSON(t); u["status"] != "blocked" || u["firstName"] != "Bob" {
		t.Fatalf("user after re-registration %v", u)
	}

	u := gatewaytest.Admin(t, app, "POST", users+"/unblock", nil)
	if u.Status != 200 || u.JSON(t)["status"] != "pending" {
		t.Fatalf("unblock: %d %s", u.Status, u.Body)
	}
	// The link was not spent while refused: it works again.
	if p := useMagicLink(t, app, link); p.Status != http.StatusSeeOther {
		t.Fatalf("link after unblock: %d %s", p.Status, p.Body)
	}
	if got := strings.Join(eventTypes(t, app, userID), ","); !strings.HasPrefix(got, "UserRegistered,UserAccountDeactivated,UserUpdated,UserAccountActivated,UserAccountActivated") {
		t.Fatalf("events %s", got)
	}
	// Blocking an active user and unblocking returns them to active.
	gatewaytest.Admin(t, app, "POST", users+"/block", nil)
	if u := gatewaytest.Admin(t, app, "POST", users+"/unblock", nil); u.JSON(t)["status"] != "active" {
		t.Fatalf("unblock an activated user: %s", u.Body)
	}
	if r := gatewaytest.Admin(t, app, "POST", "/api/v1/sites/"+siteID+"/users/unone/block", nil); r.Status != 404 {
		t.Fatalf("unknown user: %d", r.Status)
	}

	// The channel receives both events in the Tyk portal's user shape.
	want := map[string]string{"UserAccountDeactivated": "inactive", "UserAccountActivated": "active"}
	deadline := time.Now().Add(30 * time.Second)
	for len(want) > 0 {
		for _, q := range rc.Requests() {
			var p struct {
				Event   string
				Message map[string]any
			}
			if json.Unmarshal(q.Body, &p) != nil || p.Message["Email"] != addr {
				continue
			}
			if status, ok := want[p.Event]; ok && p.Message["Status"] == status && p.Message["ID"] == userID && p.Message["OrgID"] == siteID {
				delete(want, p.Event)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("missing deliveries %v; got %d requests", want, len(rc.Requests()))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// A blocked user's set-password link shows the blocked page and the POST
// is refused without hashing.
func TestBlockedSetPassword(t *testing.T) {
	app := testkit.Get(t).StartApp(t)
	siteID := gatewaytest.NewSite(t, app, nil, nil)
	addr := gatewaytest.Email("blockedpw")
	r := gatewaytest.Register(t, app, siteID, "email", addr, "firstName", "P", "lastName", "W")
	link := gatewaytest.LinkIn(t, gatewaytest.WaitMail(t, addr, gatewaytest.Subject("Set your password")))
	userID := r.JSON(t)["userId"].(string)
	if b := gatewaytest.Admin(t, app, "POST", "/api/v1/sites/"+siteID+"/users/"+userID+"/block", nil); b.Status != 200 {
		t.Fatalf("block: %d", b.Status)
	}
	if g := gatewaytest.Send(t, "GET", link, "", nil); g.Status != http.StatusForbidden || !strings.Contains(g.Body, "blocked") {
		t.Fatalf("GET: %d", g.Status)
	}
	p := gatewaytest.PostPage(t, app, "/set-password", "token", gatewaytest.Token(link), "password", "correct horse battery", "confirm", "correct horse battery")
	if p.Status != http.StatusForbidden || !strings.Contains(p.Body, "This account is blocked") {
		t.Fatalf("POST: %d %s", p.Status, p.Body)
	}
	if h, err := app.Store.PasswordHash(context.Background(), userID); h != "" || err != nil {
		t.Fatalf("password stored for a blocked user: %q %v", h, err)
	}
}

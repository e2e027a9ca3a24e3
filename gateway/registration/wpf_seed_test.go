package registration_test

import (
	"net/url"
	"strings"
	"testing"

	"gatehouse/internal/testkit"
	"gatehouse/internal/testkit/gatewaytest"
)

// Seed 003 details: Kartra's field names map without configuration, an
// email alone creates a user, and new users get the "subscriber" role.
func TestWPFusionSeedDefaults(t *testing.T) {
	app := testkit.Get(t).StartApp(t)
	// Default mandatory keys (email, firstName, lastName): nothing Kartra-specific.
	siteID := gatewaytest.NewSite(t, app, nil, map[string]any{"roles": []string{"viewerRole", "subscriber", "customer"}})
	key := "access_key=" + url.QueryEscape(gatewaytest.SiteKey)

	addr := gatewaytest.Email("kartra")
	r := wpf(t, app, siteID, "wpf_action=add&"+key, lead(addr, "company", "ACME")...)
	if r.Status != 200 {
		t.Fatalf("add: %d %s", r.Status, r.Body)
	}
	gatewaytest.FinalState(t, app, r.JSON(t)["workflowId"].(string))
	u := user(t, app, siteID, addr)
	info := u["registrationInfo"].(map[string]any)
	if u["firstName"] != "Kara" || u["lastName"] != "Tra" || u["role"] != "subscriber" || info["company"] != "ACME" ||
		info["first_name"] != nil || info["last_name"] != nil {
		t.Fatalf("user %v", u)
	}

	// An email alone is enough.
	only := gatewaytest.Email("onlyemail")
	r = wpf(t, app, siteID, "wpf_action=add&"+key, "lead[email]", only)
	if r.Status != 200 {
		t.Fatalf("email alone: %d %s", r.Status, r.Body)
	}
	gatewaytest.FinalState(t, app, r.JSON(t)["workflowId"].(string))
	if u := user(t, app, siteID, only); u == nil || u["firstName"] != "" || u["role"] != "subscriber" {
		t.Fatalf("user %v", u)
	}
	// An explicit role still wins; the email must still be valid.
	cust := gatewaytest.Email("customer")
	r = wpf(t, app, siteID, "wpf_action=add&role=customer&"+key, "lead[email]", cust)
	gatewaytest.FinalState(t, app, r.JSON(t)["workflowId"].(string))
	if u := user(t, app, siteID, cust); u["role"] != "customer" {
		t.Fatalf("role %v", u["role"])
	}
	if r := wpf(t, app, siteID, "wpf_action=add&"+key, "lead[first_name]", "No email"); r.Status != 400 {
		t.Fatalf("no email: %d %s", r.Status, r.Body)
	}
	// "Return password": a set-password link in the answer, never a
	// password, and no email from Gatehouse.
	rp := gatewaytest.Email("returnpw")
	r = wpf(t, app, siteID, "wpf_action=add&return_password=true&send_notification=true&"+key, "lead[email]", rp)
	link, _ := r.JSON(t)["passwordLink"].(string)
	if r.Status != 200 || !strings.HasPrefix(link, app.Config.PublicURL+"/set-password?token=") || strings.Contains(r.Body, "password\":") {
		t.Fatalf("return_password: %d %s", r.Status, r.Body)
	}
	gatewaytest.FinalState(t, app, r.JSON(t)["workflowId"].(string))
	if g := gatewaytest.Send(t, "GET", link, "", nil); g.Status != 200 || len(gatewaytest.MailsTo(t, rp)) != 0 {
		t.Fatalf("returned link: %d, %d emails", g.Status, len(gatewaytest.MailsTo(t, rp)))
	}
	if info := user(t, app, siteID, rp)["registrationInfo"].(map[string]any); info["return_password"] != nil {
		t.Fatalf("control parameter stored: %v", info)
	}
	gatewaytest.PostPage(t, app, "/set-password", "token", gatewaytest.Token(link), "password", "correct horse battery", "confirm", "correct horse battery")
	// An active user gets no link: it would replace their password.
	r = wpf(t, app, siteID, "wpf_action=add&return_password=true&"+key, "lead[email]", rp)
	if r.JSON(t)["passwordLink"] != nil || r.JSON(t)["userStatus"] != "active" {
		t.Fatalf("active user: %s", r.Body)
	}

	// A site without a subscriber role keeps its defaultRole.
	plain := gatewaytest.NewSite(t, app, nil, nil)
	p := gatewaytest.Email("plainrole")
	r = wpf(t, app, plain, "wpf_action=add&"+key, "lead[email]", p)
	gatewaytest.FinalState(t, app, r.JSON(t)["workflowId"].(string))
	if u := user(t, app, plain, p); u["role"] != "viewerRole" {
		t.Fatalf("role %v", u["role"])
	}
}

package registration_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/mapping"
	"gatehouse/internal/testkit"
	"gatehouse/internal/testkit/gatewaytest"
	"gatehouse/workflows"
)

// A site fed by Kartra maps Kartra's field names.
func kartraSite(t *testing.T, app *testkit.App) string {
	return gatewaytest.NewSite(t, app, map[string]any{
		"mandatoryFieldsMapping": map[string]string{"emailWebhookKey": "email", "firstNameWebhookKey": "first_name", "lastNameWebhookKey": "last_name"},
		"fieldsMapping":          []map[string]string{{"webhookKey": "company", "userObjectKey": "company"}},
	}, map[string]any{"roles": []string{"viewerRole", "customer", "adminRole"}})
}

func wpf(t *testing.T, app *testkit.App, siteID, query string, kv ...string) gatewaytest.Resp {
	t.Helper()
	return gatewaytest.Send(t, "POST", app.URL+"/webhooks/wpf/"+siteID+"?"+query, "application/x-www-form-urlencoded", gatewaytest.Form(kv...))
}

func lead(addr string, kv ...string) []string {
	out := []string{"lead[email]", addr, "lead[first_name]", "Kara", "lead[last_name]", "Tra"}
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, "lead["+kv[i]+"]", kv[i+1])
	}
	return out
}

func user(t *testing.T, app *testkit.App, siteID, addr string) map[string]any {
	t.Helper()
	r := gatewaytest.Admin(t, app, "GET", "/api/v1/sites/"+siteID+"/users/"+mapping.UserID(siteID, addr), nil)
	if r.Status != 200 {
		return nil
	}
	return r.JSON(t)
}

func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestWPFusionKartra(t *testing.T) {
	app := testkit.Get(t).StartApp(t)
	siteID := kartraSite(t, app)
	key := "access_key=" + url.QueryEscape(gatewaytest.SiteKey)

	if r := wpf(t, app, siteID, "wpf_action=test&"+key); r.Status != 200 || r.JSON(t)["success"] != true {
		t.Fatalf("test: %d %s", r.Status, r.Body)
	}
	if r := wpf(t, app, siteID, "wpf_action=add&access_key=wrong"); r.Status != 403 || r.JSON(t)["message"] != "Invalid Access Key" {
		t.Fatalf("wrong key: %d %s", r.Status, r.Body)
	}
	if r := gatewaytest.Send(t, "GET", app.URL+"/webhooks/wpf/"+siteID+"?wpf_action=test&"+key, "", nil); r.Status != 200 {
		t.Fatalf("GET test: %d", r.Status)
	}

	// add without send_notification: created, no email; role chosen by the CRM.
	quiet := gatewaytest.Email("kq")
	r := wpf(t, app, siteID, "wpf_action=add&role=customer&"+key, lead(quiet, "company", "ACME")...)
	if r.Status != 200 || r.JSON(t)["status"] != "accepted" {
		t.Fatalf("add: %d %s", r.Status, r.Body)
	}
	if st := gatewaytest.FinalState(t, app, r.JSON(t)["workflowId"].(string)); st.Status != workflows.StatusCreated {
		t.Fatalf("add without notification: %+v", st)
	}
	u := user(t, app, siteID, quiet)
	if u["firstName"] != "Kara" || u["role"] != "customer" || u["userObject"].(map[string]any)["company"] != "ACME" || len(gatewaytest.MailsTo(t, quiet)) != 0 {
		t.Fatalf("user %v", u)
	}

	// add with send_notification: the set-password email; admin role refused.
	loud := gatewaytest.Email("kl")
	r = wpf(t, app, siteID, "wpf_action=add&send_notification=true&role=adminRole&"+key, lead(loud)...)
	gatewaytest.WaitMail(t, loud, gatewaytest.Subject("Set your password"))
	st := gatewaytest.WaitState(t, app, r.JSON(t)["workflowId"].(string), gatewaytest.Status(workflows.StatusWaiting))
	if u := user(t, app, siteID, loud); u["role"] != "viewerRole" || !strings.Contains(strings.Join(st.Notes, " "), "refused") {
		t.Fatalf("admin role: %v %v", u["role"], st.Notes)
	}
	// Unknown role: default, noted.
	odd := gatewaytest.Email("ko")
	r = wpf(t, app, siteID, "wpf_action=add&role=wizard&"+key, lead(odd)...)
	gatewaytest.FinalState(t, app, r.JSON(t)["workflowId"].(string))
	if u := user(t, app, siteID, odd); u["role"] != "viewerRole" {
		t.Fatalf("unknown role: %v", u["role"])
	}

	// add again: the same user, updated, never a duplicate.
	wpf(t, app, siteID, "wpf_action=add&"+key, "lead[email]", strings.ToUpper(quiet), "lead[first_name]", "Karla", "lead[last_name]", "Tra")
	eventually(t, "update by add", func() bool { return user(t, app, siteID, quiet)["firstName"] == "Karla" })

	// update: existing user changes; a missing one answers 200 with a message.
	wpf(t, app, siteID, "wpf_action=update&"+key, "lead[email]", quiet, "lead[last_name]", "Trax")
	eventually(t, "update", func() bool { return user(t, app, siteID, quiet)["lastName"] == "Trax" })
	if u := user(t, app, siteID, quiet); u["firstName"] != "Karla" {
		t.Fatalf("update dropped the first name: %v", u)
	}
	nobody := gatewaytest.Email("none")
	if r := wpf(t, app, siteID, "wpf_action=update&"+key, lead(nobody)...); r.Status != 200 || r.JSON(t)["status"] != "ignored" {
		t.Fatalf("update missing: %d %s", r.Status, r.Body)
	}
	if user(t, app, siteID, nobody) != nil {
		t.Fatal("update created a user")
	}

	// update_tags: only tags change.
	wpf(t, app, siteID, "wpf_action=update_tags&"+key, "lead[email]", quiet, "lead[tags]", "vip, Import to WordPress", "lead[first_name]", "Ignored")
	eventually(t, "tags", func() bool {
		tags, _ := user(t, app, siteID, quiet)["tags"].([]any)
		return len(tags) == 2 && tags[0] == "vip" && tags[1] == "Import to WordPress"
	})
	if u := user(t, app, siteID, quiet); u["firstName"] != "Karla" {
		t.Fatalf("update_tags changed other fields: %v", u)
	}
	if r := wpf(t, app, siteID, "wpf_action=update_tags&"+key, "lead[email]", quiet); r.Status != 400 {
		t.Fatalf("update_tags without tags: %d", r.Status)
	}
	if r := wpf(t, app, siteID, "wpf_action=add&"+key, "lead[email]", "bad"); r.Status != 400 || !strings.Contains(r.Body, "email") {
		t.Fatalf("invalid add: %d %s", r.Status, r.Body)
	}
	if r := wpf(t, app, siteID, "wpf_action=explode&"+key); r.Status != 400 {
		t.Fatalf("unknown action: %d", r.Status)
	}
	// JSON bodies work too.
	js := gatewaytest.Email("kj")
	jr := gatewaytest.Send(t, "POST", app.URL+"/webhooks/wpf/"+siteID+"?wpf_action=add&"+key, "application/json",
		[]byte(`{"lead":{"email":"`+js+`","first_name":"J","last_name":"S"}}`))
	if jr.Status != http.StatusOK {
		t.Fatalf("json add: %d %s", jr.Status, jr.Body)
	}
}

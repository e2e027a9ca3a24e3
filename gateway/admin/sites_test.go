package admin_test

import (
	"net/http"
	"strings"
	"testing"

	"gatehouse/internal/testkit"
	"gatehouse/internal/testkit/gatewaytest"
	"gatehouse/workflows"
)

func fieldsOf(t *testing.T, r gatewaytest.Resp) map[string]string {
	t.Helper()
	out := map[string]string{}
	fs, _ := r.JSON(t)["fields"].([]any)
	for _, f := range fs {
		m := f.(map[string]any)
		out[m["field"].(string)] = m["message"].(string)
	}
	return out
}

// Saving names every bad field at once.
func TestSiteValidationNamesEachField(t *testing.T) {
	app := testkit.Get(t).StartApp(t)
	r := gatewaytest.Admin(t, app, "PUT", "/api/v1/sites/bad", map[string]any{
		"languages": []string{"en"},
		"webhooksiteregistration": map[string]any{
			"defaultGroupId":    "ep attendees",
			"defaultRole":       "superRole",
			"webhookEmailType":  "calendar",
			"allowedAddresses":  []string{"10.0.0.0/8", "192.168.1.300"},
			"languageMapping":   []map[string]string{{"externalLanguageCode": "de_DE", "kmsLanguage": "de"}},
			"iCalEmailTemplate": "no-such-template",
		},
	})
	if r.Status != http.StatusBadRequest {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	got := fieldsOf(t, r)
	for _, f := range []string{
		"webhooksiteregistration.defaultGroupId", "webhooksiteregistration.defaultRole", "webhooksiteregistration.webhookEmailType",
		"webhooksiteregistration.allowedAddresses[1]", "webhooksiteregistration.languageMapping[0].kmsLanguage",
		"webhooksiteregistration.iCalEmailTemplate",
	} {
		if got[f] == "" {
			t.Errorf("no error for %s in %v", f, got)
		}
	}
	if len(got) != 6 {
		t.Errorf("unexpected errors %v", got)
	}
	// A misspelt setting is not silently ignored.
	r = gatewaytest.Admin(t, app, "PUT", "/api/v1/sites/bad", `{"webhooksiteregistration":{"sendEmails":true}}`)
	if r.Status != 400 || fieldsOf(t, r)["sendEmails"] == "" {
		t.Fatalf("unknown field: %d %s", r.Status, r.Body)
	}
	r = gatewaytest.Admin(t, app, "PUT", "/api/v1/sites/bad", `{"loginLogFrom":"tomorrow"}`)
	if r.Status != 400 || !strings.Contains(r.Body, "RFC 3339") {
		t.Fatalf("bad time: %d %s", r.Status, r.Body)
	}
	if r := gatewaytest.Admin(t, app, "PUT", "/api/v1/sites/has%20space", `{}`); r.Status != 400 {
		t.Fatalf("bad site id: %d", r.Status)
	}
}

func TestSiteCRUDAndWriteOnlyKey(t *testing.T) {
	app := testkit.Get(t).StartApp(t)
	id := gatewaytest.NewSite(t, app, map[string]any{"printToLog": true}, map[string]any{"languages": []string{"en", "de"}})
	got := gatewaytest.Admin(t, app, "GET", "/api/v1/sites/"+id, nil)
	if strings.Contains(got.Body, gatewaytest.SiteKey) || !strings.Contains(got.Body, `"registrationKeySet":true`) {
		t.Fatalf("GET leaks or hides the key state: %s", got.Body)
	}
	site := got.JSON(t)
	reg := site["webhooksiteregistration"].(map[string]any)
	// The seed's defaults.
	for k, want := range map[string]any{"postContentType": "Form Data", "defaultRole": "viewerRole", "sendEmail": true,
		"webhookEmailType": "email", "completeTitle": "Password has been set.", "linkExpirySeconds": float64(86400),
		"authMethod": "password", "webhookSetPassEmailTemplate": "default_set_password"} {
		if reg[k] != want {
			t.Errorf("default %s = %v, want %v", k, reg[k], want)
		}
	}
	if roles := site["roles"].([]any); len(roles) != 4 {
		t.Errorf("roles %v", roles)
	}
	// Replacing without a key keeps the key.
	reg["completeTitle"] = "Welcome aboard"
	delete(reg, "registrationKeySet")
	site["webhooksiteregistration"] = reg
	for _, k := range []string{"createdAt", "updatedAt"} {
		delete(site, k)
	}
	if r := gatewaytest.Admin(t, app, "PUT", "/api/v1/sites/"+id, site); r.Status != 200 || !strings.Contains(r.Body, `"registrationKeySet":true`) {
		t.Fatalf("replace: %d %s", r.Status, r.Body)
	}
	if r := gatewaytest.Register(t, app, id, "email", gatewaytest.Email("keep"), "firstName", "K", "lastName", "K"); r.Status != 202 {
		t.Fatalf("key lost on replace: %d", r.Status)
	}
	if r := gatewaytest.Admin(t, app, "DELETE", "/api/v1/sites/"+id, nil); r.Status != 200 {
		t.Fatalf("delete: %d", r.Status)
	}
	if r := gatewaytest.Admin(t, app, "GET", "/api/v1/sites/"+id, nil); r.Status != 404 {
		t.Fatalf("after delete: %d", r.Status)
	}
}

func TestDeleteSiteKeepsOrPurgesUsers(t *testing.T) {
	app := testkit.Get(t).StartApp(t)
	keep := gatewaytest.NewSite(t, app, map[string]any{"sendEmail": false}, nil)
	purge := gatewaytest.NewSite(t, app, nil, nil)
	rk := gatewaytest.Register(t, app, keep, "email", gatewaytest.Email("stay"), "firstName", "S", "lastName", "T")
	rp := gatewaytest.Register(t, app, purge, "email", gatewaytest.Email("go"), "firstName", "G", "lastName", "O")
	gatewaytest.FinalState(t, app, rk.JSON(t)["workflowId"].(string))
	gatewaytest.WaitState(t, app, rp.JSON(t)["workflowId"].(string), gatewaytest.Status(workflows.StatusWaiting))
	gatewaytest.Admin(t, app, "DELETE", "/api/v1/sites/"+keep, nil)
	if n := count(t, app, "SELECT COUNT(*) FROM users WHERE site_id = ?", keep); n != 1 {
		t.Fatalf("users after delete without purge: %d", n)
	}
	if r := gatewaytest.Admin(t, app, "DELETE", "/api/v1/sites/"+purge+"?purge=true", nil); r.JSON(t)["usersDeleted"] != float64(1) {
		t.Fatalf("purge: %s", r.Body)
	}
	if n := count(t, app, "SELECT COUNT(*) FROM users WHERE site_id = ?", purge); n != 0 {
		t.Fatalf("users after purge: %d", n)
	}
	// The waiting registration was cancelled.
	err := app.Temporal.GetWorkflow(t.Context(), rp.JSON(t)["workflowId"].(string), "").Get(t.Context(), nil)
	if err == nil || !strings.Contains(err.Error(), "canceled") {
		t.Fatalf("registration after purge: %v", err)
	}
}

func count(t *testing.T, app *testkit.App, q string, args ...any) int {
	t.Helper()
	var n int
	if err := app.Store.DB().Get(&n, q, args...); err != nil {
		t.Fatal(err)
	}
	return n
}

// Templates: per-language variants with fallback, tokens, escaping.
func TestEmailTemplates(t *testing.T) {
	app := testkit.Get(t).StartApp(t)
	id := gatewaytest.NewSite(t, app, map[string]any{
		"languageMapping": []map[string]string{{"externalLanguageCode": "de_DE", "kmsLanguage": "de", "groupId": "german"}},
		"fieldsMapping":   []map[string]string{{"webhookKey": "company", "userObjectKey": "company"}},
		"optionalFields":  []string{"company"}, // the German registration leaves it out
	}, map[string]any{"languages": []string{"en", "de"}, "defaultLanguage": "en"})
	tmpl := map[string]any{
		"subject": "Welcome {FIRSTNAME} to {EVENT_NAME}",
		"html":    "<p>Hi {FIRSTNAME} from {FIELD:company}: <a href=\"{URL}\">go</a></p>",
		"text":    "Hi {FIRSTNAME} from {FIELD:company}: {URL}",
		"translations": map[string]any{"de": map[string]string{"subject": "Willkommen {FIRSTNAME}",
			"html": "<p>Hallo {FIRSTNAME}</p>", "text": "Hallo {FIRSTNAME}: {URL}"}},
	}
	if r := gatewaytest.Admin(t, app, "PUT", "/api/v1/sites/"+id+"/email-templates/welcome", tmpl); r.Status != 201 {
		t.Fatalf("put template: %d %s", r.Status, r.Body)
	}
	bad := map[string]any{"subject": "Hi {FIRST_NAME}", "text": "x", "translations": map[string]any{"fr": map[string]string{"subject": "Salut"}}}
	r := gatewaytest.Admin(t, app, "PUT", "/api/v1/sites/"+id+"/email-templates/broken", bad)
	if got := fieldsOf(t, r); r.Status != 400 || got["subject"] == "" || got["translations.fr"] == "" {
		t.Fatalf("bad template: %d %s", r.Status, r.Body)
	}
	site := gatewaytest.Admin(t, app, "GET", "/api/v1/sites/"+id, nil).JSON(t)
	site["webhooksiteregistration"].(map[string]any)["webhookSetPassEmailTemplate"] = "welcome"
	delete(site["webhooksiteregistration"].(map[string]any), "registrationKeySet")
	if r := gatewaytest.Admin(t, app, "PUT", "/api/v1/sites/"+id, site); r.Status != 200 {
		t.Fatalf("use template: %d %s", r.Status, r.Body)
	}
	if r := gatewaytest.Admin(t, app, "DELETE", "/api/v1/sites/"+id+"/email-templates/welcome", nil); r.Status != 409 {
		t.Fatalf("delete a template in use: %d", r.Status)
	}

	en, de := gatewaytest.Email("en"), gatewaytest.Email("de")
	gatewaytest.Register(t, app, id, "email", en, "firstName", "<script>alert(1)</script>", "lastName", "E", "company", "A&B")
	gatewaytest.Register(t, app, id, "email", de, "firstName", "Dora", "lastName", "D", "language", "de_DE")
	me := gatewaytest.WaitMail(t, en, nil)
	if !strings.HasPrefix(me.Subject, "Welcome <script>") || !strings.Contains(me.HTML, "Hi &lt;script&gt;alert(1)&lt;/script&gt; from A&amp;B") ||
		!strings.Contains(me.Text, "from A&B: http") {
		t.Fatalf("en mail: %q %q %q", me.Subject, me.HTML, me.Text)
	}
	md := gatewaytest.WaitMail(t, de, nil)
	if md.Subject != "Willkommen Dora" || !strings.Contains(md.Text, "Hallo Dora: http") {
		t.Fatalf("de mail: %q %q", md.Subject, md.Text)
	}
	list := gatewaytest.Admin(t, app, "GET", "/api/v1/sites/"+id+"/email-templates", nil).JSON(t)
	if list["totalCount"].(float64) != 8 { // seven built-in + ours
		t.Fatalf("templates %v", list["totalCount"])
	}
}

// requireApproval needs an approval policy; its channels must exist, its
// rejection template too, and autoApprove is a portal-only setting.
func TestSiteApprovalSettings(t *testing.T) {
	app := testkit.Get(t).StartApp(t)
	id := gatewaytest.Unique("site")
	put := func(reg map[string]any) gatewaytest.Resp {
		reg["enabled"] = true
		return gatewaytest.Admin(t, app, "PUT", "/api/v1/sites/"+id, map[string]any{"webhooksiteregistration": reg})
	}
	const p = "webhooksiteregistration."
	r := put(map[string]any{"requireApproval": true, "webhookRejectedEmailTemplate": "nope"})
	if got := fieldsOf(t, r); r.Status != 400 || got[p+"approval"] == "" || got[p+"webhookRejectedEmailTemplate"] == "" {
		t.Fatalf("no policy: %d %s", r.Status, r.Body)
	}
	r = put(map[string]any{"requireApproval": true, "approval": map[string]any{"autoApprove": "{Message.PlanID} == 3",
		"approvers": map[string]any{"emails": []string{"x@example.test"}}}})
	if got := fieldsOf(t, r); r.Status != 400 || got[p+"approval.autoApprove"] == "" {
		t.Fatalf("autoApprove: %d %s", r.Status, r.Body)
	}
	r = put(map[string]any{"requireApproval": true, "approval": map[string]any{"approvers": map[string]any{"channels": []string{"no-such-channel"}}}})
	if got := fieldsOf(t, r); r.Status != 400 || !strings.Contains(got[p+"approval.approvers.channels[0]"], "no-such-channel") {
		t.Fatalf("unknown channel: %d %s", r.Status, r.Body)
	}
	r = put(map[string]any{"requireApproval": true, "approval": map[string]any{"approvers": map[string]any{"emails": []string{"x@example.test"}}}})
	if r.Status != 201 {
		t.Fatalf("valid: %d %s", r.Status, r.Body)
	}
	reg := r.JSON(t)["webhooksiteregistration"].(map[string]any)
	if pol := reg["approval"].(map[string]any); reg["requireApproval"] != true || pol["requiredApprovals"] != float64(1) || pol["onExpiry"] != "reject" {
		t.Fatalf("saved %v", reg)
	}
}

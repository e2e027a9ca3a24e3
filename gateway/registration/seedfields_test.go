package registration_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"gatehouse/internal/testkit"
	"gatehouse/internal/testkit/gatewaytest"
	"gatehouse/workflows"
)

// Seed 000's field rules: every fieldsMapping key must be in the payload
// (optionalFields excepted), postContentJsonRegInfoKeys picks the keys that
// hold the registration info, and languageMapping takes formkmsLanguage.
func TestSeedFieldRules(t *testing.T) {
	app := testkit.Get(t).StartApp(t)
	siteID := gatewaytest.NewSite(t, app, map[string]any{
		"sendErrorResponseAsJson": true,
		"fieldsMapping": []map[string]string{
			{"webhookKey": "company", "userObjectKey": "company", "registrationFormKey": "company"},
			{"webhookKey": "title", "userObjectKey": "title", "registrationFormKey": "title"},
			{"webhookKey": "Industry"},
			{"webhookKey": "companySize", "registrationFormKey": "companySize"},
		},
		"optionalFields":  []string{"companySize"},
		"languageMapping": []map[string]string{{"externalLanguageCode": "Deutsch", "formkmsLanguage": "de", "groupId": "german"}},
	}, map[string]any{"languages": []string{"en", "de"}})

	r := gatewaytest.Register(t, app, siteID, "email", gatewaytest.Email("miss"), "firstName", "M", "lastName", "S", "title", "CTO")
	if r.Status != http.StatusBadRequest || r.JSON(t)["code"] != "missing_fields" ||
		!strings.HasSuffix(r.JSON(t)["message"].(string), ": company, Industry") {
		t.Fatalf("missing fields: %d %s", r.Status, r.Body)
	}
	// Optional fields may be left out; empty values count as sent.
	addr := gatewaytest.Email("all")
	r = gatewaytest.Register(t, app, siteID, "email", addr, "firstName", "A", "lastName", "L", "company", "ACME", "title", "",
		"Industry", "Media", "language", "Deutsch")
	if r.Status != http.StatusAccepted {
		t.Fatalf("complete payload: %d %s", r.Status, r.Body)
	}
	gatewaytest.WaitState(t, app, r.JSON(t)["workflowId"].(string), gatewaytest.Status(workflows.StatusWaiting))
	u := gatewaytest.Admin(t, app, "GET", "/api/v1/sites/"+siteID+"/users/"+r.JSON(t)["userId"].(string), nil).JSON(t)
	if u["language"] != "de" || fmt.Sprint(u["groups"]) != "[german]" || u["userObject"].(map[string]any)["company"] != "ACME" {
		t.Fatalf("user %v", u)
	}
	// The settings answer both names; a language not on the site is named
	// under the name it was sent as.
	got := gatewaytest.Admin(t, app, "GET", "/api/v1/sites/"+siteID, nil).JSON(t)
	lm := got["webhooksiteregistration"].(map[string]any)["languageMapping"].([]any)[0].(map[string]any)
	if lm["formkmsLanguage"] != "de" {
		t.Fatalf("languageMapping %v", lm)
	}
	bad := gatewaytest.Admin(t, app, "PUT", "/api/v1/sites/"+gatewaytest.Unique("bad"), map[string]any{"webhooksiteregistration": map[string]any{
		"languageMapping": []map[string]string{{"externalLanguageCode": "x", "formkmsLanguage": "fr"}},
		"fieldsMapping":   []map[string]string{{"webhookKey": "a"}}, "optionalFields": []string{"b"}}})
	if bad.Status != 400 || !strings.Contains(bad.Body, "languageMapping[0].formkmsLanguage") || !strings.Contains(bad.Body, "optionalFields[0]") {
		t.Fatalf("bad settings: %d %s", bad.Status, bad.Body)
	}

	// postContentJsonRegInfoKeys: the seed's example list.
	jsonSite := gatewaytest.NewSite(t, app, map[string]any{"postContentType": "JSON", "postContentJsonKey": "lead",
		"postContentJsonRegInfoKeys": "firstName, lastName, email, company, jobTitle"}, nil)
	addr = gatewaytest.Email("jsonkeys")
	body := fmt.Sprintf(`{"registrationKey":%q,"campaign":"fb-42","lead":{"email":%q,"firstName":"J","lastName":"S","company":"ACME","jobTitle":"CTO","score":7,"utm":"x"}}`,
		gatewaytest.SiteKey, addr)
	r = gatewaytest.Send(t, "POST", app.URL+"/webhooks/registration/"+jsonSite, "application/json", []byte(body))
	if r.Status != 202 {
		t.Fatalf("json: %d %s", r.Status, r.Body)
	}
	uid := r.JSON(t)["userId"].(string)
	gatewaytest.WaitState(t, app, workflows.RegistrationID(jsonSite, uid), gatewaytest.Status(workflows.StatusWaiting))
	u = gatewaytest.Admin(t, app, "GET", "/api/v1/sites/"+jsonSite+"/users/"+uid, nil).JSON(t)
	info := u["registrationInfo"].(map[string]any)
	if u["firstName"] != "J" || info["company"] != "ACME" || info["jobTitle"] != "CTO" || len(info) != 2 {
		t.Fatalf("registration info %v (user %v)", info, u)
	}
}

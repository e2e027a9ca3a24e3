package admin_test

import (
	"strings"
	"testing"

	"gatehouse/internal/testkit"
	"gatehouse/internal/testkit/gatewaytest"
)

// TestPortalCRUD: write-only values are never answered; a bad PUT names
// every bad field.
func TestPortalCRUD(t *testing.T) {
	app := testkit.Get(t).StartApp(t)
	id := gatewaytest.Unique("portal")
	path := "/api/v1/portals/" + id

	bad := gatewaytest.Admin(t, app, "PUT", path, map[string]any{"name": "", "baseUrl": "portal", "inboundHeader": "a b",
		"allowedAddresses": []string{"300.1.1.1"}, "approvals": map[string]any{"acessRequest": map[string]any{},
			"organisationRequest": map[string]any{"approvers": map[string]any{"emails": []string{"x"}}, "onExpiry": "later",
				"organisationApproval": "merge"}}})
	if bad.Status != 400 {
		t.Fatalf("bad portal: %d %s", bad.Status, bad.Body)
	}
	for _, field := range []string{`"name"`, `"baseUrl"`, `"inboundHeader"`, `"allowedAddresses[0]"`, `"approvals.acessRequest"`,
		`did you mean \"accessRequest\"`, `"approvals.organisationRequest.approvers.emails[0]"`, `"approvals.organisationRequest.onExpiry"`,
		`"approvals.organisationRequest.organisationApproval"`, `"adminToken"`} {
		if !strings.Contains(bad.Body, field) {
			t.Errorf("400 does not name %s: %s", field, bad.Body)
		}
	}
	if r := gatewaytest.Admin(t, app, "PUT", path, map[string]any{"name": "P", "baseUrl": "https://p.example.com", "colour": "red"}); r.Status != 400 ||
		!strings.Contains(r.Body, "colour") {
		t.Fatalf("unknown setting: %d %s", r.Status, r.Body)
	}

	token, whsec := "portal-admin-token-secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	policy := map[string]any{"approvers": map[string]any{"emails": []string{"ops@example.test"}}, "expireAfter": "2d"}
	r := gatewaytest.Admin(t, app, "PUT", path, map[string]any{"name": "Dev portal", "baseUrl": "https://p.example.com",
		"adminToken": token, "standardWebhooksSecret": whsec, "allowedAddresses": []string{"10.0.0.0/8"},
		"approvals": map[string]any{"accessRequest": policy}})
	if r.Status != 201 {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	m := r.JSON(t)
	if m["inboundHeader"] != "X-Gatehouse-Secret" || m["adminTokenSet"] != true || m["inboundSecretSet"] != false || m["standardWebhooksSecretSet"] != true {
		t.Fatalf("created: %s", r.Body)
	}
	pol := m["approvals"].(map[string]any)["accessRequest"].(map[string]any)
	if pol["requiredApprovals"] != float64(1) || pol["onExpiry"] != "reject" || pol["expireAfter"] != "2d" {
		t.Fatalf("policy defaults: %v", pol)
	}
	gen := gatewaytest.Admin(t, app, "POST", path+"/inbound-secret", nil)
	secret, _ := gen.JSON(t)["inboundSecret"].(string)
	if gen.Status != 200 || len(secret) < 24 {
		t.Fatalf("inbound secret: %d %s", gen.Status, gen.Body)
	}
	// A replace without the write-only values keeps them.
	if r := gatewaytest.Admin(t, app, "PUT", path, map[string]any{"name": "Renamed", "baseUrl": "https://p.example.com",
		"approvals": map[string]any{"accessRequest": policy}}); r.Status != 200 {
		t.Fatalf("replace: %d %s", r.Status, r.Body)
	}
	for _, res := range []gatewaytest.Resp{gatewaytest.Admin(t, app, "GET", path, nil), gatewaytest.Admin(t, app, "GET", "/api/v1/portals", nil)} {
		if res.Status != 200 || !strings.Contains(res.Body, `"Renamed"`) || !strings.Contains(res.Body, `"inboundSecretSet":true`) ||
			!strings.Contains(res.Body, `"adminTokenSet":true`) || !strings.Contains(res.Body, `"standardWebhooksSecretSet":true`) {
			t.Fatalf("read: %d %s", res.Status, res.Body)
		}
		for _, s := range []string{token, whsec[6:], secret} {
			if strings.Contains(res.Body, s) {
				t.Fatalf("write-only value readable: %s", res.Body)
			}
		}
	}
	// "standardWebhooksSecret": "" removes the signature check.
	if r := gatewaytest.Admin(t, app, "PUT", path, map[string]any{"name": "Renamed", "baseUrl": "https://p.example.com", "standardWebhooksSecret": ""}); r.Status != 200 ||
		!strings.Contains(r.Body, `"standardWebhooksSecretSet":false`) {
		t.Fatalf("remove signature secret: %d %s", r.Status, r.Body)
	}
	if r := gatewaytest.Admin(t, app, "GET", "/api/v1/portals/bad%20id", nil); r.Status != 400 {
		t.Fatalf("bad id: %d %s", r.Status, r.Body)
	}
	if r := gatewaytest.Admin(t, app, "DELETE", path, nil); r.Status != 200 {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	for _, r := range []gatewaytest.Resp{gatewaytest.Admin(t, app, "GET", path, nil), gatewaytest.Admin(t, app, "POST", path+"/inbound-secret", nil)} {
		if r.Status != 404 {
			t.Fatalf("after delete: %d %s", r.Status, r.Body)
		}
	}
}

// A misspelt channel event is a 400 naming the closest catalogue name.
func TestChannelEventsAreCheckedAgainstTheCatalogue(t *testing.T) {
	app := testkit.Get(t).StartApp(t)
	r := gatewaytest.Admin(t, app, "POST", "/api/v1/channels", map[string]any{"name": "c", "targetUrl": "http://127.0.0.1:9/x",
		"events": []string{"AccessRequestCreated", "AccesRequestApproved", "OrganizationRegistered"}})
	if r.Status != 400 || !strings.Contains(r.Body, `"events[1]"`) || !strings.Contains(r.Body, `did you mean \"AccessRequestApproved\"`) ||
		!strings.Contains(r.Body, `"events[2]"`) || !strings.Contains(r.Body, `did you mean \"OrganisationRegistered\"`) || strings.Contains(r.Body, `"events[0]"`) {
		t.Fatalf("misspelt events: %d %s", r.Status, r.Body)
	}
}

// TestPortalEscalateTo: escalateTo is a list of emails or an object with
// its own expireAfter; it is answered as the object; bad parts are named.
func TestPortalEscalateTo(t *testing.T) {
	app := testkit.Get(t).StartApp(t)
	path := "/api/v1/portals/" + gatewaytest.Unique("portal")
	put := func(escalateTo any) gatewaytest.Resp {
		return gatewaytest.Admin(t, app, "PUT", path, map[string]any{"name": "P", "baseUrl": "https://p.example.com", "adminToken": "tok",
			"approvals": map[string]any{"accessRequest": map[string]any{"approvers": map[string]any{"emails": []string{"ops@example.test"}},
				"expireAfter": "2h", "onExpiry": "escalate", "escalateTo": escalateTo}}})
	}
	bad := put(map[string]any{"emails": []string{"nope"}, "channels": []string{"bad id"}, "expireAfter": "later"})
	for _, field := range []string{`"approvals.accessRequest.escalateTo.emails[0]"`, `"approvals.accessRequest.escalateTo.channels[0]"`,
		`"approvals.accessRequest.escalateTo.expireAfter"`} {
		if bad.Status != 400 || !strings.Contains(bad.Body, field) {
			t.Errorf("400 does not name %s: %d %s", field, bad.Status, bad.Body)
		}
	}
	if r := put(map[string]any{"emails": []string{"chief@example.test"}, "deadline": "1h"}); r.Status != 400 || !strings.Contains(r.Body, "escalateTo") {
		t.Errorf("unknown escalateTo field: %d %s", r.Status, r.Body)
	}
	for _, form := range []any{[]string{"chief@example.test"}, map[string]any{"emails": []string{"chief@example.test"}, "expireAfter": "48h"}} {
		r := put(form)
		if r.Status != 200 && r.Status != 201 {
			t.Fatalf("%v: %d %s", form, r.Status, r.Body)
		}
		esc := r.JSON(t)["approvals"].(map[string]any)["accessRequest"].(map[string]any)["escalateTo"].(map[string]any)
		if esc["emails"].([]any)[0] != "chief@example.test" {
			t.Fatalf("answered %v", esc)
		}
	}
}

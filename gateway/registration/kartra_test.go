package registration_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"gatehouse/internal/testkit"
	"gatehouse/internal/testkit/gatewaytest"
)

// fakeKartra answers Kartra's get_lead for the leads it holds, as
// Kartra's inbound API documents it: every answer is HTTP 200 with
// {"status","message","type"}; an unknown contact is type 234 "No lead
// found", a deleted one 245 "Lead is deleted"; lead_details is a
// JSON-encoded object (a string), or an object when plain is set.
type fakeKartra struct {
	mu      sync.Mutex
	leads   map[string]map[string]any
	deleted map[string]bool
	calls   atomic.Int64
	down    atomic.Bool
	plain   atomic.Bool
}

func (f *fakeKartra) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.calls.Add(1)
	if f.down.Load() {
		http.Error(w, "maintenance", http.StatusInternalServerError)
		return
	}
	r.ParseForm()                                                     //nolint:errcheck
	answer := func(v map[string]any) { json.NewEncoder(w).Encode(v) } //nolint:errcheck
	if r.Method != http.MethodPost || r.PostForm.Get("app_id") != "app-1" {
		answer(map[string]any{"status": "Error", "message": "App Id is not valid. The app does not exists or is inactive", "type": "239"})
		return
	}
	if r.PostForm.Get("api_key") != "kartra-key" || r.PostForm.Get("api_password") != "kartra-pass" {
		answer(map[string]any{"status": "Error", "message": "API key not valid. Please get an API key first", "type": "203"})
		return
	}
	email := r.PostForm.Get("get_lead[email]")
	f.mu.Lock()
	lead, ok := f.leads[email]
	deleted := f.deleted[email]
	var details any = lead
	if ok && !f.plain.Load() {
		b, _ := json.Marshal(lead)
		details = string(b)
	}
	f.mu.Unlock()
	switch {
	case deleted:
		answer(map[string]any{"status": "Error", "message": "Lead is deleted", "type": "245"})
	case !ok:
		answer(map[string]any{"status": "Error", "message": "No lead found", "type": "234"})
	default:
		answer(map[string]any{"status": "Success", "lead_details": details})
	}
}

// WP Fusion's update and update_tags pull the contact from Kartra when the
// site has Kartra credentials (write-only), and use the request otherwise.
func TestWPFusionPullsFromKartra(t *testing.T) {
	app := testkit.Get(t).StartApp(t)
	known := gatewaytest.Email("kartralead")
	fk := &fakeKartra{leads: map[string]map[string]any{known: {
		"id": 7, "email": known, "first_name": "Kim", "last_name": "Kart", "phone": "555", "password": "never",
		"tags": []map[string]any{{"tag_name": "vip"}, {"tag_name": "Import to WordPress"}},
		"custom_fields": []map[string]any{
			{"field_id": 1, "field_identifier": "company", "field_type": "input_field", "field_value": "ACME"},
			{"field_id": 2, "field_identifier": "track", "field_type": "drop_down", "field_value": []map[string]any{{"option_id": 4, "option_value": "Security"}}},
		},
	}}}
	srv := httptest.NewServer(fk)
	defer srv.Close()
	kartra := map[string]any{"app_id": "app-1", "api_key": "kartra-key", "api_password": "kartra-pass", "apiUrl": srv.URL}
	siteID := gatewaytest.NewSite(t, app, nil, map[string]any{"kartra": kartra})

	// The credentials are write-only, and kept when an update leaves them out.
	got := gatewaytest.Admin(t, app, "GET", "/api/v1/sites/"+siteID, nil)
	if strings.Contains(got.Body, "kartra-key") || strings.Contains(got.Body, "kartra-pass") ||
		got.JSON(t)["kartra"].(map[string]any)["credentialsSet"] != true {
		t.Fatalf("site answer: %s", got.Body)
	}
	body := got.JSON(t)
	delete(body["webhooksiteregistration"].(map[string]any), "registrationKeySet")
	if r := gatewaytest.Admin(t, app, "PUT", "/api/v1/sites/"+siteID, body); r.Status != 200 || strings.Contains(r.Body, "kartra-key") ||
		r.JSON(t)["kartra"].(map[string]any)["credentialsSet"] != true {
		t.Fatalf("update without credentials: %d %s", r.Status, r.Body)
	}

	key := "access_key=" + url.QueryEscape(gatewaytest.SiteKey)
	r := wpf(t, app, siteID, "wpf_action=add&"+key, "lead[email]", known)
	gatewaytest.FinalState(t, app, r.JSON(t)["workflowId"].(string))
	// Kartra's outbound API sends little more than the email.
	if r := wpf(t, app, siteID, "wpf_action=update&"+key, "lead[email]", known); r.Status != 200 {
		t.Fatalf("update: %d %s", r.Status, r.Body)
	}
	eventually(t, "the pulled data", func() bool { return user(t, app, siteID, known)["firstName"] == "Kim" })
	u := user(t, app, siteID, known)
	info := u["registrationInfo"].(map[string]any)
	tags, _ := u["tags"].([]any)
	if u["lastName"] != "Kart" || info["phone"] != "555" || info["custom_fields[company]"] != "ACME" ||
		info["custom_fields[track]"] != "Security" || info["password"] != nil ||
		len(tags) != 2 || tags[0] != "vip" || u["email"] != known {
		t.Fatalf("user %v", u)
	}
	// update_tags pulls the tags (lead_details as an object this time).
	fk.plain.Store(true)
	fk.mu.Lock()
	fk.leads[known]["tags"] = []map[string]any{{"tag_name": "alumni"}}
	fk.mu.Unlock()
	wpf(t, app, siteID, "wpf_action=update_tags&"+key, "lead[email]", known)
	eventually(t, "pulled tags", func() bool {
		tags, _ := user(t, app, siteID, known)["tags"].([]any)
		return len(tags) == 1 && tags[0] == "alumni"
	})

	// A contact Kartra does not know: the request's own fields.
	other := gatewaytest.Email("notinkartra")
	r = wpf(t, app, siteID, "wpf_action=add&"+key, "lead[email]", other)
	gatewaytest.FinalState(t, app, r.JSON(t)["workflowId"].(string))
	wpf(t, app, siteID, "wpf_action=update&"+key, "lead[email]", other, "lead[last_name]", "Own")
	eventually(t, "the request's fields", func() bool { return user(t, app, siteID, other)["lastName"] == "Own" })

	// A contact deleted in Kartra (type 245) is one it does not know.
	gone := gatewaytest.Email("deletedinkartra")
	fk.mu.Lock()
	fk.deleted = map[string]bool{gone: true}
	fk.mu.Unlock()
	r = wpf(t, app, siteID, "wpf_action=add&"+key, "lead[email]", gone)
	gatewaytest.FinalState(t, app, r.JSON(t)["workflowId"].(string))
	if r := wpf(t, app, siteID, "wpf_action=update&"+key, "lead[email]", gone, "lead[last_name]", "Gone"); r.Status != 200 {
		t.Fatalf("update of a deleted lead: %d %s", r.Status, r.Body)
	}
	eventually(t, "the deleted lead's request fields", func() bool { return user(t, app, siteID, gone)["lastName"] == "Gone" })

	// Kartra failing: 503, nothing accepted.
	fk.down.Store(true)
	if r := wpf(t, app, siteID, "wpf_action=update&"+key, "lead[email]", known); r.Status != 503 || r.JSON(t)["code"] != "kartra_unavailable" {
		t.Fatalf("kartra down: %d %s", r.Status, r.Body)
	}
	// add never asks Kartra (the request carries the contact).
	before := fk.calls.Load()
	wpf(t, app, siteID, "wpf_action=add&"+key, "lead[email]", gatewaytest.Email("addonly"))
	if fk.calls.Load() != before {
		t.Fatal("add called Kartra")
	}
}

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

// fakeKartra answers Kartra's get_lead for the leads it holds.
type fakeKartra struct {
	mu    sync.Mutex
	leads map[string]map[string]any
	calls atomic.Int64
	down  atomic.Bool
}

func (f *fakeKartra) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.calls.Add(1)
	if f.down.Load() {
		http.Error(w, "maintenance", http.StatusInternalServerError)
		return
	}
	r.ParseForm() //nolint:errcheck
	if r.Method != http.MethodPost || r.PostForm.Get("app_id") != "app-1" || r.PostForm.Get("api_key") != "kartra-key" || r.PostForm.Get("api_password") != "kartra-pass" {
		json.NewEncoder(w).Encode(map[string]any{"status": "Error", "message": "Invalid credentials"}) //nolint:errcheck
		return
	}
	f.mu.Lock()
	lead, ok := f.leads[r.PostForm.Get("get_lead[email]")]
	f.mu.Unlock()
	if !ok {
		json.NewEncoder(w).Encode(map[string]any{"status": "Error", "message": "Lead not found"}) //nolint:errcheck
		return
	}
	json.NewEncoder(w).Encode(map[string]any{"status": "Success", "lead_details": lead}) //nolint:errcheck
}

// WP Fusion's update and update_tags pull the contact from Kartra when the
// site has Kartra credentials (write-only), and use the request otherwise.
func TestWPFusionPullsFromKartra(t *testing.T) {
	app := testkit.Get(t).StartApp(t)
	known := gatewaytest.Email("kartralead")
	fk := &fakeKartra{leads: map[string]map[string]any{known: {
		"id": 7, "email": known, "first_name": "Kim", "last_name": "Kart", "phone": "555", "password": "never",
		"tags":          []map[string]any{{"tag_name": "vip"}, {"tag_name": "Import to WordPress"}},
		"custom_fields": []map[string]any{{"field_identifier": "company", "field_value": "ACME"}},
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
	if u["lastName"] != "Kart" || info["phone"] != "555" || info["custom_fields[company]"] != "ACME" || info["password"] != nil ||
		len(tags) != 2 || tags[0] != "vip" || u["email"] != known {
		t.Fatalf("user %v", u)
	}
	// update_tags pulls the tags.
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

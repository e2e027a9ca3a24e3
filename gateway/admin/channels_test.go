package admin_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"gatehouse/internal/testkit"
	"gatehouse/internal/testkit/gatewaytest"
)

// TestChannelStandardWebhooks: Tyk payload, verified with the official
// Standard Webhooks library, including during a secret rotation.
func TestChannelStandardWebhooks(t *testing.T) {
	app := testkit.Get(t).StartApp(t)
	rc := testkit.NewReceiver(t)
	event := gatewaytest.Unique("Evt")
	r := gatewaytest.Admin(t, app, "POST", "/api/v1/channels", map[string]any{"name": "crm", "targetUrl": rc.URL + "/tyk",
		"events": []string{event}, "headers": []map[string]string{{"name": "X-Api-Key", "value": "k"}}})
	if r.Status != 201 {
		t.Fatalf("create channel: %d %s", r.Status, r.Body)
	}
	created := r.JSON(t)
	secret := created["secret"].(string)
	chID := created["channel"].(map[string]any)["id"].(string)
	if g := gatewaytest.Admin(t, app, "GET", "/api/v1/channels/"+chID, nil); strings.Contains(g.Body, secret[6:]) || !strings.Contains(g.Body, `"value":"***"`) {
		t.Fatalf("secret or credential header readable: %s", g.Body)
	}
	// Sending the mask back keeps the stored header value.
	if r := gatewaytest.Admin(t, app, "PUT", "/api/v1/channels/"+chID, map[string]any{"name": "crm", "targetUrl": rc.URL + "/tyk",
		"events": []string{event}, "headers": []map[string]string{{"name": "X-Api-Key", "value": "***"}}}); r.Status != 200 {
		t.Fatalf("put channel: %d %s", r.Status, r.Body)
	}
	if r := gatewaytest.Admin(t, app, "POST", "/api/v1/channels", map[string]any{"name": "x", "targetUrl": "ftp://x", "events": []string{}}); r.Status != 400 ||
		!strings.Contains(r.Body, "targetUrl") || !strings.Contains(r.Body, "events") {
		t.Fatalf("bad channel: %d %s", r.Status, r.Body)
	}
	// A type error names the JSON expected, not a Go type.
	if r := gatewaytest.Admin(t, app, "POST", "/api/v1/channels", map[string]any{"name": "x", "targetUrl": rc.URL,
		"events": []string{event}, "headers": map[string]string{"X-Api-Key": "k"}}); r.Status != 400 ||
		!strings.Contains(r.Body, `"headers"`) || !strings.Contains(r.Body, "must be a list of objects, not an object") || strings.Contains(r.Body, "notify.") {
		t.Fatalf("headers as an object: %d %s", r.Status, r.Body)
	}

	gatewaytest.PostEvent(t, app, map[string]any{"eventType": event, "eventObjectType": "8", "objectId": "u1", "object": map[string]any{"email": "a@b.c"}})
	q := gatewaytest.WaitRequests(t, rc, 1)[0]
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := wh.Verify(q.Body, q.Header); err != nil {
		t.Fatalf("standard webhooks verify: %v (%v)", err, q.Header)
	}
	var p map[string]any
	json.Unmarshal(q.Body, &p)
	if p["Event"] != event || p["Message"].(map[string]any)["email"] != "a@b.c" || q.Header.Get("X-Api-Key") != "k" {
		t.Fatalf("payload: %s", q.Body)
	}
	if _, err := time.Parse(time.RFC3339, p["Timestamp"].(string)); err != nil {
		t.Fatalf("timestamp: %v", err)
	}

	// Rotation: both secrets sign for 24 h.
	r = gatewaytest.Admin(t, app, "POST", "/api/v1/channels/"+chID+"/rotate-secret", nil)
	newSecret := r.JSON(t)["secret"].(string)
	gatewaytest.PostEvent(t, app, map[string]any{"eventType": event, "eventObjectType": "8", "objectId": "u2", "object": map[string]any{"email": "b@b.c"}})
	q = gatewaytest.WaitRequests(t, rc, 2)[1]
	for _, s := range []string{secret, newSecret} {
		wh, _ := standardwebhooks.NewWebhook(s)
		if err := wh.Verify(q.Body, q.Header); err != nil {
			t.Fatalf("rotation verify with %s: %v", s[:10], err)
		}
	}

	// test-connection sends a HEAD without the channel's headers.
	r = gatewaytest.Admin(t, app, "POST", "/api/v1/channels/"+chID+"/test-connection", nil)
	last := rc.Requests()[len(rc.Requests())-1]
	if r.JSON(t)["status"].(float64) != 200 || last.Method != "HEAD" || last.Header.Get("X-Api-Key") != "" {
		t.Fatalf("test-connection: %s %s %v", r.Body, last.Method, last.Header)
	}
}

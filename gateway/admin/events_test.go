package admin_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/testkit"
	"gatehouse/internal/testkit/gatewaytest"
)

// TestUserEventsReachChannels: the registration flow's events feed the
// outbound side through the relay.
func TestUserEventsReachChannels(t *testing.T) {
	app := testkit.Get(t).StartApp(t)
	rc := testkit.NewReceiver(t)
	siteID := gatewaytest.NewSite(t, app, map[string]any{"sendEmail": false}, nil)
	r := gatewaytest.Admin(t, app, "POST", "/api/v1/channels", map[string]any{"name": "portal", "targetUrl": rc.URL + "/users", "events": []string{"UserRegistered"}})
	if r.Status != 201 {
		t.Fatalf("channel: %d %s", r.Status, r.Body)
	}
	addr := gatewaytest.Email("reg")
	if r := gatewaytest.Register(t, app, siteID, "email", addr, "firstName", "Ada", "lastName", "L"); r.Status != 202 {
		t.Fatalf("register: %d %s", r.Status, r.Body)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		for _, q := range rc.Requests() {
			if strings.Contains(string(q.Body), addr) && strings.Contains(string(q.Body), `"Event":"UserRegistered"`) {
				// Gatehouse's fields stay; the Tyk portal's user fields are added.
				var p struct{ Message map[string]any }
				json.Unmarshal(q.Body, &p)
				m := p.Message
				if m["email"] != addr || m["Email"] != addr || m["First"] != "Ada" || m["Last"] != "L" || m["OrgID"] != siteID ||
					m["ID"] != m["id"] || m["Provider"] != "gatehouse" || (m["Status"] != "active" && m["Status"] != "inactive") ||
					m["CustomAttributes"] == nil || m["CreatedAt"] == "" || m["ByUser"] != float64(0) {
					t.Fatalf("user event Message: %s", q.Body)
				}
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no UserRegistered delivery for %s; got %d requests", addr, len(rc.Requests()))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestRelayMarksEveryEvent: the relay marks the events it handled, those
// that no template or channel wants included (one UPDATE per batch).
func TestRelayMarksEveryEvent(t *testing.T) {
	app := testkit.Get(t).StartApp(t)
	siteID := gatewaytest.NewSite(t, app, map[string]any{"sendEmail": false}, nil)
	for i := range 3 {
		if r := gatewaytest.Register(t, app, siteID, "email", gatewaytest.Email(fmt.Sprint("relay", i)), "firstName", "R", "lastName", "L"); r.Status != 202 {
			t.Fatalf("register: %d %s", r.Status, r.Body)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		events, err := app.Store.UndispatchedEvents(context.Background(), -time.Hour, 1000)
		if err != nil {
			t.Fatal(err)
		}
		left := 0
		for _, e := range events {
			if e.SiteID != nil && *e.SiteID == siteID {
				left++
			}
		}
		users := gatewaytest.Admin(t, app, "GET", "/api/v1/sites/"+siteID+"/users", nil).JSON(t)["totalCount"]
		if left == 0 && users == float64(3) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d events of the site still undispatched, %v users", left, users)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

package portal_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/config"
	"gatehouse/internal/portal"
	"gatehouse/internal/testkit"
	"gatehouse/internal/testkit/fakeportal"
	"gatehouse/internal/testkit/gatewaytest"
)

const header = "X-Gatehouse-Secret"

// newPortal configures a portal (settings merged over the defaults) and
// generates its inbound secret.
func newPortal(t *testing.T, app *testkit.App, settings map[string]any) (id, secret string) {
	t.Helper()
	id = gatewaytest.Unique("p")
	body := map[string]any{"name": "Portal " + id, "baseUrl": "https://portal.example.com", "adminToken": "tok"}
	for k, v := range settings {
		body[k] = v
	}
	if r := gatewaytest.Admin(t, app, "PUT", "/api/v1/portals/"+id, body); r.Status != 201 {
		t.Fatalf("create portal: %d %s", r.Status, r.Body)
	}
	r := gatewaytest.Admin(t, app, "POST", "/api/v1/portals/"+id+"/inbound-secret", nil)
	secret, _ = r.JSON(t)["inboundSecret"].(string)
	if r.Status != 200 || secret == "" {
		t.Fatalf("inbound secret: %d %s", r.Status, r.Body)
	}
	return id, secret
}

func post(t *testing.T, app *testkit.App, id string, body []byte, headers ...string) gatewaytest.Resp {
	t.Helper()
	return gatewaytest.Send(t, "POST", app.URL+"/webhooks/portal/"+id, "application/json", body, headers...)
}

const invite = `{"Event":"RegisterInvite","Message":{"Email":"inv@example.test","Link":"https://portal.example.com/invite?a=1&b=<2>"},"Timestamp":"2024-04-22T16:38:54.082037+02:00"}`

// TestEveryPortalEventIsStoredAndForwardedUnchanged: the seed's 13 samples
// (posted verbatim) and a RegisterInvite are accepted, listed under
// /api/v1/events, and reach a channel as the portal sent them.
func TestEveryPortalEventIsStoredAndForwardedUnchanged(t *testing.T) {
	app := testkit.Get(t).StartApp(t)
	id, secret := newPortal(t, app, nil)
	rc := testkit.NewReceiver(t)
	r := gatewaytest.Admin(t, app, "POST", "/api/v1/channels", map[string]any{"name": "tyk", "targetUrl": rc.URL + "/tyk", "events": portal.EventNames()})
	if r.Status != 201 {
		t.Fatalf("channel: %d %s", r.Status, r.Body)
	}
	chID := r.JSON(t)["channel"].(map[string]any)["id"].(string)
	t.Cleanup(func() { gatewaytest.Admin(t, app, "DELETE", "/api/v1/channels/"+chID, nil) })

	samples, err := fakeportal.Samples()
	if err != nil {
		t.Fatal(err)
	}
	samples = append(samples, fakeportal.Sample{Event: portal.EventRegisterInvite, Body: []byte(invite)})
	if len(samples) != 14 {
		t.Fatalf("%d samples, want 13 from the seed and RegisterInvite", len(samples))
	}
	h := http.Header{header: {secret}}
	sent := map[string][]byte{}
	ids := map[string]bool{}
	for _, s := range samples {
		p, err := fakeportal.Post(context.Background(), http.DefaultClient, app.URL+"/webhooks/portal/"+id, h, s)
		if err != nil {
			t.Fatal(err)
		}
		var ans map[string]any
		json.Unmarshal([]byte(p.Body), &ans)
		if p.Status != 202 || ans["status"] != "accepted" {
			t.Fatalf("%s: %d %s", s.Event, p.Status, p.Body)
		}
		sent[s.Event] = s.Body
		ids[ans["eventId"].(string)] = true
	}
	for _, q := range gatewaytest.WaitRequests(t, rc, 14) {
		var env struct {
			Event   string
			Message json.RawMessage
		}
		if err := json.Unmarshal(q.Body, &env); err != nil {
			t.Fatalf("not the envelope: %s", q.Body)
		}
		want, ok := sent[env.Event]
		if !ok {
			t.Fatalf("unexpected delivery %s", q.Body)
		}
		delete(sent, env.Event)
		var a, b bytes.Buffer
		json.Compact(&a, q.Body)
		json.Compact(&b, want)
		if a.String() != b.String() {
			t.Errorf("%s forwarded changed:\n%s\nsent:\n%s", env.Event, q.Body, want)
		}
		// The Message is the sample's own bytes, indentation included.
		if !bytes.Contains(want, env.Message) {
			t.Errorf("%s: Message not byte for byte: %s", env.Event, env.Message)
		}
	}
	if len(sent) != 0 {
		t.Fatalf("never forwarded: %v", sent)
	}
	r = gatewaytest.Admin(t, app, "GET", "/api/v1/events?eventObjectType=portalEvent&source=portal:"+id, nil)
	events, _ := r.JSON(t)["events"].([]any)
	if r.Status != 200 || len(events) != 14 {
		t.Fatalf("events: %d, %d listed: %s", r.Status, len(events), r.Body)
	}
	for _, e := range events {
		if ev := e.(map[string]any); !ids[ev["id"].(string)] || ev["sentTimestamp"] == "" {
			t.Fatalf("listed event not one of ours: %v", ev)
		}
	}
}

func TestIngestRefusals(t *testing.T) {
	app := testkit.Get(t).StartApp(t)
	id, secret := newPortal(t, app, nil)
	body := []byte(`{"Event":"UserRegistered","Message":{"ID":3,"Email":"u@example.test","Status":"active"},"Timestamp":"2024-04-22T16:38:54Z"}`)

	for name, hs := range map[string][]string{"missing": nil, "wrong": {header + ": " + secret + "x"}, "other header": {"X-Other: " + secret}} {
		if r := post(t, app, id, body, hs...); r.Status != 401 {
			t.Errorf("%s secret: %d %s", name, r.Status, r.Body)
		}
	}
	// An unknown portal answers as a wrong secret does.
	if r := post(t, app, "nope", body, header+": "+secret); r.Status != 401 {
		t.Errorf("unknown portal: %d %s", r.Status, r.Body)
	}
	if r := gatewaytest.Send(t, "HEAD", app.URL+"/webhooks/portal/whatever", "", nil); r.Status != 200 || r.Body != "" {
		t.Errorf("HEAD: %d %q", r.Status, r.Body)
	}
	big := append([]byte(`{"Event":"RegisterInvite","Message":{"pad":"`), bytes.Repeat([]byte("a"), portal.MaxBody)...)
	big = append(big, `"},"Timestamp":"2024-04-22T16:38:54Z"}`...)
	if r := post(t, app, id, big, header+": "+secret); r.Status != 413 {
		t.Errorf("2 MiB: %d %s", r.Status, r.Body)
	}
	r := post(t, app, id, []byte(`{"Event":"UserRegisterd","Message":{},"Timestamp":"2024-04-22T16:38:54Z"}`), header+": "+secret)
	if r.Status != 400 || !strings.Contains(r.Body, `did you mean \"UserRegistered\"`) || !strings.Contains(r.Body, "AccessRequestCreated, AccessRequestApproved") ||
		!strings.Contains(r.Body, "RegisterInvite") {
		t.Errorf("unknown event: %d %s", r.Status, r.Body)
	}

	// PUT is accepted too (the portal's webhook method is configurable);
	// the same event again is a duplicate answered with the first id.
	first := gatewaytest.Send(t, "PUT", app.URL+"/webhooks/portal/"+id, "application/json", body, header+": "+secret)
	if first.Status != 202 {
		t.Fatalf("first: %d %s", first.Status, first.Body)
	}
	again := post(t, app, id, body, header+": "+secret)
	if again.Status != 200 || again.JSON(t)["status"] != "duplicate" || again.JSON(t)["eventId"] != first.JSON(t)["eventId"] {
		t.Fatalf("duplicate: %d %s (first %s)", again.Status, again.Body, first.Body)
	}
	// Organisation requests have no ID: AdminID and Name identify them.
	org := func(name string) []byte {
		return []byte(`{"Event":"OrganizationRequestCreated","Message":{"Name":"` + name + `","AdminEmail":"a@x.io","AdminID":9,"Status":"pending"},"Timestamp":"2024-04-22T16:38:54Z"}`)
	}
	o1 := post(t, app, id, org("ACME"), header+": "+secret)
	o2 := post(t, app, id, org("ACME"), header+": "+secret)
	o3 := post(t, app, id, org("Initech"), header+": "+secret)
	if o1.Status != 202 || o2.Status != 200 || o3.Status != 202 || o2.JSON(t)["eventId"] != o1.JSON(t)["eventId"] {
		t.Fatalf("organisation requests: %d %d %d", o1.Status, o2.Status, o3.Status)
	}
	if n, err := app.Store.CountPortalEvents(context.Background(), id); err != nil || n != 3 {
		t.Fatalf("%d portal events stored (%v), want 3", n, err)
	}

	// The allowlist applies before anything else is looked at.
	walled, wsecret := newPortal(t, app, map[string]any{"allowedAddresses": []string{"192.0.2.0/24"}})
	if r := post(t, app, walled, body, header+": "+wsecret); r.Status != 403 {
		t.Errorf("disallowed address: %d %s", r.Status, r.Body)
	}
}

// With a Standard Webhooks secret configured, unsigned or badly signed
// events are refused.
func TestStandardWebhooksSignature(t *testing.T) {
	app := testkit.Get(t).StartApp(t)
	whsec := "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	id, secret := newPortal(t, app, map[string]any{"standardWebhooksSecret": whsec})
	body := []byte(`{"Event":"PasswordReset","Message":{"ID":3,"Email":"u@example.test"},"Timestamp":"2024-04-22T16:38:54Z"}`)
	if r := post(t, app, id, body, header+": "+secret); r.Status != 401 || !strings.Contains(r.Body, "signature") {
		t.Fatalf("unsigned: %d %s", r.Status, r.Body)
	}
	h, err := signHeaders(whsec, body)
	if err != nil {
		t.Fatal(err)
	}
	if r := post(t, app, id, body, append(h, header+": "+secret)...); r.Status != 202 {
		t.Fatalf("signed: %d %s", r.Status, r.Body)
	}
}

// TestMySQLDownAnswers503: nothing is accepted and nothing stored.
func TestMySQLDownAnswers503(t *testing.T) {
	env := testkit.Get(t)
	proxy := testkit.NewProxy(t, "127.0.0.1:3306")
	app := env.StartApp(t, func(c *config.Config) {
		c.MySQLDSN = strings.Replace(c.MySQLDSN, "127.0.0.1:3306", proxy.Addr(), 1)
	})
	id, secret := newPortal(t, app, nil)
	proxy.Cut()
	body := []byte(`{"Event":"UserAccountDeactivated","Message":{"ID":4,"Email":"d@example.test","Status":"inactive"},"Timestamp":"2024-04-22T16:38:54Z"}`)
	r := post(t, app, id, body, header+": "+secret)
	if r.Status != 503 {
		t.Fatalf("mysql down: %d %s", r.Status, r.Body)
	}
	s := env.Store(t)
	if n, err := s.CountPortalEvents(context.Background(), id); err != nil || n != 0 {
		t.Fatalf("%d portal events after a 503 (%v)", n, err)
	}
	proxy.Restore()
	deadline := time.Now().Add(20 * time.Second)
	for {
		r = post(t, app, id, body, header+": "+secret)
		if r.Status == 202 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if r.Status != 202 {
		t.Fatalf("after restore: %d %s", r.Status, r.Body)
	}
}

// TestTemporalDownOnApprovalAnswers503: an event that starts an approval is
// accepted only with its workflow. With Temporal unreachable it gets 503
// with Retry-After and nothing is stored; the portal's retry is then a new
// event (202, not a duplicate) and the approval waits. An event that only
// forwards is durable once committed and keeps its 202.
func TestTemporalDownOnApprovalAnswers503(t *testing.T) {
	env := testkit.Get(t)
	temporalProxy := testkit.NewProxy(t, env.Temporal(t).FrontendAddr())
	app := env.StartApp(t, func(c *config.Config) { c.Temporal.Address = temporalProxy.Addr() })
	id, secret := newPortal(t, app, map[string]any{"approvals": map[string]any{
		"userRegistration": map[string]any{"approvers": map[string]any{"emails": []string{gatewaytest.Email("boss")}}}}})
	held := []byte(`{"Event":"UserRegistered","Message":{"ID":41,"Email":"held@example.test","Status":"inactive"},"Timestamp":"2024-04-22T16:38:54Z"}`)
	forwarded := []byte(`{"Event":"PasswordReset","Message":{"ID":41,"Email":"held@example.test"},"Timestamp":"2024-04-22T16:38:55Z"}`)
	temporalProxy.Cut()
	r := post(t, app, id, held, header+": "+secret)
	if r.Status != 503 || r.Header.Get("Retry-After") == "" || !strings.Contains(r.Body, "Temporal") {
		t.Fatalf("temporal down, approval: %d %v %s", r.Status, r.Header, r.Body)
	}
	ctx := context.Background()
	if n, err := app.Store.CountPortalEvents(ctx, id); err != nil || n != 0 {
		t.Fatalf("%d portal events after a 503 (%v)", n, err)
	}
	if r := post(t, app, id, forwarded, header+": "+secret); r.Status != 202 || r.JSON(t)["status"] != "accepted" {
		t.Fatalf("temporal down, forward only: %d %s", r.Status, r.Body)
	}
	temporalProxy.Restore()
	deadline := time.Now().Add(20 * time.Second)
	for {
		r = post(t, app, id, held, header+": "+secret)
		if r.Status != 503 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if r.Status != 202 || r.JSON(t)["status"] != "accepted" {
		t.Fatalf("retry after restore: %d %s", r.Status, r.Body)
	}
	gatewaytest.WaitApproval(t, app, "Approval:"+id+":userRegistration:41", "pending")
	if r := post(t, app, id, held, header+": "+secret); r.Status != 200 || r.JSON(t)["status"] != "duplicate" {
		t.Fatalf("third delivery: %d %s", r.Status, r.Body)
	}
}

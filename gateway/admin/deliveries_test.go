package admin_test

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"gatehouse/internal/config"
	"gatehouse/internal/testkit"
	"gatehouse/internal/testkit/gatewaytest"
)

func firstDelivery(t *testing.T, app *testkit.App, r gatewaytest.Resp) string {
	t.Helper()
	id, _ := r.JSON(t)["eventId"].(string)
	if r.Status != 202 || id == "" {
		t.Fatalf("event: %d %s", r.Status, r.Body)
	}
	return gatewaytest.EventDeliveries(t, app, id, 1)[0]["id"].(string)
}

// TestTimeoutsAndDisableAfter: a receiver slower than the template's
// timeout is retried; failing longer than GATEHOUSE_DISABLE_AFTER disables
// the target and emits TargetDisabled.
func TestTimeoutsAndDisableAfter(t *testing.T) {
	app := testkit.Get(t).StartApp(t, func(c *config.Config) { c.DisableAfter = 2 * time.Second })
	rc := testkit.NewReceiver(t)
	rc.Respond(func(n int, _ testkit.Request) testkit.Reply {
		return testkit.Reply{Status: 200, Delay: 1500 * time.Millisecond}
	})
	objectType := gatewaytest.Unique("obj")
	id := gatewaytest.AddActive(t, app, "[eventType]", "1", "[eventObjectType]", objectType, "[url]", rc.URL+"/slow",
		"[timeout]", "1", "[retrySchedule]", "1s,1s,1s,1s,1s,1s")
	watcher := testkit.NewReceiver(t)
	if r := gatewaytest.Admin(t, app, "POST", "/api/v1/channels", map[string]any{"name": "ops", "targetUrl": watcher.URL, "events": []string{"TargetDisabled"}}); r.Status != 201 {
		t.Fatalf("channel: %d %s", r.Status, r.Body)
	}
	did := firstDelivery(t, app, gatewaytest.PostEvent(t, app, map[string]any{"eventType": "1", "eventObjectType": objectType, "objectId": "s", "object": map[string]any{"id": "s"}}))
	m := gatewaytest.WaitDelivery(t, app, did, "targetGone")
	first := m["attempts"].([]any)[0].(map[string]any)
	if !strings.Contains(fmt.Sprint(first["error"]), "timed out") || first["outcome"] != "retry" {
		t.Fatalf("first attempt: %v", first)
	}
	g := gatewaytest.Kaltura(t, app, "get", "id", id).JSON(t)
	if g["status"].(float64) != 1 || !strings.Contains(fmt.Sprint(g["disabledReason"]), "GATEHOUSE_DISABLE_AFTER") {
		t.Fatalf("template: %v", g)
	}
	q := gatewaytest.WaitRequests(t, watcher, 1)[0]
	if !strings.Contains(string(q.Body), `"Event":"TargetDisabled"`) || !strings.Contains(string(q.Body), "template:"+id) {
		t.Fatalf("operational event: %s", q.Body)
	}
}

// TestSSRFGuard: without an allow-list entry, loopback targets are refused
// at connect time and the delivery fails without retrying.
func TestSSRFGuard(t *testing.T) {
	app := testkit.Get(t).StartApp(t, func(c *config.Config) { c.OutboundAllowCIDRs = nil })
	rc := testkit.NewReceiver(t)
	objectType := gatewaytest.Unique("obj")
	gatewaytest.AddActive(t, app, "[eventType]", "1", "[eventObjectType]", objectType, "[url]", strings.Replace(rc.URL, "127.0.0.1", "localhost", 1)+"/x")
	did := firstDelivery(t, app, gatewaytest.PostEvent(t, app, map[string]any{"eventType": "1", "eventObjectType": objectType, "objectId": "s", "object": map[string]any{"id": "s"}}))
	m := gatewaytest.WaitDelivery(t, app, did, "failed")
	if a := m["attempts"].([]any); len(a) != 1 || !strings.Contains(fmt.Sprint(a[0].(map[string]any)["error"]), "forbidden address") {
		t.Fatalf("attempts: %v", a)
	}
	if n := len(rc.Requests()); n != 0 {
		t.Fatalf("the receiver was reached %d times", n)
	}
}

// TestDelayedUntilReady: eventDelayedCondition=1 holds the delivery until
// the object's snapshot reaches status 2; retry-now re-checks at once.
func TestDelayedUntilReady(t *testing.T) {
	app := testkit.Get(t).StartApp(t)
	rc := testkit.NewReceiver(t)
	objectType := gatewaytest.Unique("obj")
	gatewaytest.AddActive(t, app, "[eventType]", "1", "[eventObjectType]", objectType, "[url]", rc.URL+"/ready", "[eventDelayedCondition]", "1",
		"[data][objectType]", "KalturaHttpNotificationObjectData")
	did := firstDelivery(t, app, gatewaytest.PostEvent(t, app, map[string]any{"eventType": "1", "eventObjectType": objectType, "objectId": "e", "object": map[string]any{"id": "e", "status": 1}}))
	gatewaytest.WaitDelivery(t, app, did, "waiting")
	// The object becomes READY (an event no template listens to), then an
	// operator nudges the delivery instead of waiting for the next poll.
	gatewaytest.PostEvent(t, app, map[string]any{"eventType": "6", "eventObjectType": objectType, "objectId": "e", "object": map[string]any{"id": "e", "status": 2}})
	if r := gatewaytest.Admin(t, app, "POST", "/api/v1/deliveries/"+url.PathEscape(did)+"/retry", nil); r.Status != 202 {
		t.Fatalf("retry-now: %d %s", r.Status, r.Body)
	}
	gatewaytest.WaitDelivery(t, app, did, "delivered")
	if q := gatewaytest.WaitRequests(t, rc, 1)[0]; !strings.Contains(string(q.Body), `"status":1`) {
		// The payload is the event's own object; READY only released it.
		t.Fatalf("payload: %s", q.Body)
	}
}

// TestRecoverAndCancel: recover re-drives failed deliveries since T;
// cancel stops a retrying one.
func TestRecoverAndCancel(t *testing.T) {
	app := testkit.Get(t).StartApp(t)
	rc := testkit.NewReceiver(t)
	var fail atomic.Bool
	fail.Store(true)
	rc.Respond(func(n int, r testkit.Request) testkit.Reply {
		if strings.HasPrefix(r.Path, "/cancel") || fail.Load() {
			return testkit.Reply{Status: 500}
		}
		return testkit.Reply{Status: 200}
	})
	objectType := gatewaytest.Unique("obj")
	since := time.Now().UTC().Add(-time.Second).Format(time.RFC3339)
	id := gatewaytest.AddActive(t, app, "[eventType]", "1", "[eventObjectType]", objectType, "[url]", rc.URL+"/rec", "[retrySchedule]", "1s")
	var ids []string
	for i := range 3 {
		ids = append(ids, firstDelivery(t, app, gatewaytest.PostEvent(t, app, map[string]any{"eventType": "1", "eventObjectType": objectType, "objectId": fmt.Sprint(i), "object": map[string]any{"id": i}})))
	}
	for _, d := range ids {
		gatewaytest.WaitDelivery(t, app, d, "failed")
	}
	fail.Store(false)
	r := gatewaytest.Admin(t, app, "POST", "/api/v1/deliveries/recover?target=template:"+id+"&since="+url.QueryEscape(since), nil)
	if r.Status != 202 || r.JSON(t)["restarted"].(float64) != 3 {
		t.Fatalf("recover: %d %s", r.Status, r.Body)
	}
	for _, d := range ids {
		gatewaytest.WaitDelivery(t, app, d, "delivered")
	}

	cid := gatewaytest.AddActive(t, app, "[eventType]", "7", "[eventObjectType]", objectType, "[url]", rc.URL+"/cancel", "[retrySchedule]", "1h")
	_ = cid
	did := firstDelivery(t, app, gatewaytest.PostEvent(t, app, map[string]any{"eventType": "7", "eventObjectType": objectType, "objectId": "c", "object": map[string]any{"id": "c"}}))
	gatewaytest.WaitDelivery(t, app, did, "retrying")
	if r := gatewaytest.Admin(t, app, "POST", "/api/v1/deliveries/"+url.PathEscape(did)+"/cancel", nil); r.Status != 202 {
		t.Fatalf("cancel: %d %s", r.Status, r.Body)
	}
	gatewaytest.WaitDelivery(t, app, did, "cancelled")
	if r := gatewaytest.Admin(t, app, "GET", "/api/v1/deliveries?status=cancelled&target=template:"+cid, nil); len(r.JSON(t)["deliveries"].([]any)) != 1 {
		t.Fatalf("list cancelled: %s", r.Body)
	}
}

// mtlsReceiver is a TLS receiver that requires a client certificate and
// reports the CN it was offered, and an app whose outbound CAs trust it.
func mtlsReceiver(t *testing.T) (*testkit.App, string, <-chan string) {
	seen := make(chan string, 4)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
			seen <- r.TLS.PeerCertificates[0].Subject.CommonName
		}
	}))
	srv.TLS = &tls.Config{ClientAuth: tls.RequireAnyClientCert}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	app := testkit.Get(t).StartApp(t, func(c *config.Config) { c.OutboundRootCAs = pool })
	return app, srv.URL, seen
}

// TestClientCertificate: a template's sslCertificate/sslKey are offered to
// a receiver that requires a client certificate; its own certificate
// chains to GATEHOUSE_OUTBOUND_CA_FILE's CAs (set directly here).
func TestClientCertificate(t *testing.T) {
	certPEM, keyPEM := gatewaytest.SelfSigned(t, "gatehouse-client")
	app, target, seen := mtlsReceiver(t)

	objectType := gatewaytest.Unique("obj")
	if r := gatewaytest.Kaltura(t, app, "add", gatewaytest.Tpl("[objectType]", "KalturaHttpNotificationTemplate", "[name]", "mtls", "[eventType]", "1",
		"[eventObjectType]", objectType, "[url]", target, "[sslCertificate]", "not a certificate")...); r.Status != 400 || !strings.Contains(r.Body, "[sslCertificate]") {
		t.Fatalf("bad certificate accepted: %d %s", r.Status, r.Body)
	}
	id := gatewaytest.AddActive(t, app, "[eventType]", "1", "[eventObjectType]", objectType, "[url]", target+"/mtls",
		"[sslCertificate]", certPEM, "[sslKey]", keyPEM, "[sslCertificateType]", "PEM")
	if g := gatewaytest.Kaltura(t, app, "get", "id", id); strings.Contains(g.Body, "PRIVATE KEY") {
		t.Fatal("the client key is readable")
	}
	did := firstDelivery(t, app, gatewaytest.PostEvent(t, app, map[string]any{"eventType": "1", "eventObjectType": objectType, "objectId": "m", "object": map[string]any{"id": "m"}}))
	gatewaytest.WaitDelivery(t, app, did, "delivered")
	if cn := <-seen; cn != "gatehouse-client" {
		t.Fatalf("client certificate CN %q", cn)
	}
}

// A private key pasted into sslCertificate (a PEM bundle) moves to the
// write-only key: no answer shows it, and the delivery still offers it.
func TestPastedClientKeyIsWriteOnly(t *testing.T) {
	certPEM, keyPEM := gatewaytest.SelfSigned(t, "gatehouse-pasted")
	app, target, seen := mtlsReceiver(t)
	objectType := gatewaytest.Unique("obj")
	add := gatewaytest.Kaltura(t, app, "add", gatewaytest.Tpl("[objectType]", "KalturaHttpNotificationTemplate", "[name]", "pasted", "[eventType]", "1",
		"[eventObjectType]", objectType, "[url]", target+"/mtls", "[sslCertificate]", certPEM+keyPEM)...)
	if add.Status != 200 || strings.Contains(add.Body, "PRIVATE KEY") || !strings.Contains(add.Body, "BEGIN CERTIFICATE") {
		t.Fatalf("add: %d %s", add.Status, add.Body)
	}
	id := fmt.Sprint(add.JSON(t)["id"])
	if r := gatewaytest.Kaltura(t, app, "updateStatus", "id", id, "status", "2"); r.Status != 200 || strings.Contains(r.Body, "PRIVATE KEY") {
		t.Fatalf("activate: %d %s", r.Status, r.Body)
	}
	for _, action := range []string{"get", "list"} {
		if r := gatewaytest.Kaltura(t, app, action, "id", id, "filter[idEqual]", id); r.Status != 200 || strings.Contains(r.Body, "PRIVATE KEY") {
			t.Fatalf("%s: %d %s", action, r.Status, r.Body)
		}
	}
	did := firstDelivery(t, app, gatewaytest.PostEvent(t, app, map[string]any{"eventType": "1", "eventObjectType": objectType, "objectId": "p", "object": map[string]any{"id": "p"}}))
	gatewaytest.WaitDelivery(t, app, did, "delivered")
	if cn := <-seen; cn != "gatehouse-pasted" {
		t.Fatalf("client certificate CN %q", cn)
	}
}

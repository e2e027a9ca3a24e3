package kaltura_test

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"gatehouse/internal/mailsink"
	"gatehouse/internal/testkit"
	"gatehouse/internal/testkit/gatewaytest"
)

func TestKalturaTemplateAPI(t *testing.T) {
	app := testkit.Get(t).StartApp(t)

	// Wrong ks: Kaltura's exception shape.
	r := gatewaytest.Send(t, "POST", app.URL+"/api_v3/service/eventnotification_eventnotificationtemplate/action/list", "application/x-www-form-urlencoded", gatewaytest.Form("ks", "nope", "format", "1"))
	if m := r.JSON(t); r.Status != 401 || m["code"] != "INVALID_KS" || m["objectType"] != "KalturaAPIException" {
		t.Fatalf("bad ks: %d %s", r.Status, r.Body)
	}

	// System templates exist and can be filtered.
	r = gatewaytest.Kaltura(t, app, "listTemplates", "filter[objectType]", "KalturaEventNotificationTemplateFilter", "filter[systemNameEqual]", "ENTRY_CHANGED")
	m := r.JSON(t)
	if m["totalCount"].(float64) != 1 {
		t.Fatalf("listTemplates: %s", r.Body)
	}
	sys := m["objects"].([]any)[0].(map[string]any)

	// Clone: a DISABLED copy with the caller's fields; secrets write-only.
	r = gatewaytest.Kaltura(t, app, "clone", append([]string{"id", fmt.Sprint(sys["id"])}, gatewaytest.Tpl("[objectType]", "KalturaHttpNotificationTemplate",
		"[name]", "Mine", "[url]", "https://example.com/hook", "[signSecret]", "s3cret", "[authPassword]", "pw", "[secureHashingAlgo]", "2")...)...)
	clone := r.JSON(t)
	if r.Status != 200 || clone["status"].(float64) != 1 || clone["partnerId"].(float64) != 1 || clone["eventType"].(float64) != 2 {
		t.Fatalf("clone: %d %s", r.Status, r.Body)
	}
	if strings.Contains(r.Body, "s3cret") || strings.Contains(r.Body, `"authPassword"`) || strings.Contains(r.Body, "signSecret") {
		t.Fatalf("secret returned: %s", r.Body)
	}
	id := fmt.Sprint(clone["id"])
	if g := gatewaytest.Kaltura(t, app, "get", "id", id); strings.Contains(g.Body, "s3cret") || g.JSON(t)["url"] != "https://example.com/hook" {
		t.Fatalf("get: %s", g.Body)
	}

	// Status only through updateStatus.
	r = gatewaytest.Kaltura(t, app, "update", append([]string{"id", id}, gatewaytest.Tpl("[objectType]", "KalturaHttpNotificationTemplate", "[status]", "2")...)...)
	if r.Status != 400 || r.JSON(t)["code"] != "PROPERTY_VALIDATION_NOT_UPDATABLE" {
		t.Fatalf("update status: %d %s", r.Status, r.Body)
	}
	// An expression that does not compile is refused at save time, naming the field.
	r = gatewaytest.Kaltura(t, app, "update", append([]string{"id", id}, gatewaytest.Tpl("[objectType]", "KalturaHttpNotificationTemplate",
		"[eventConditions][0][objectType]", "KalturaEventFieldCondition",
		"[eventConditions][0][field][objectType]", "KalturaEvalBooleanField",
		"[eventConditions][0][field][code]", "in_array({event.object.status},array(2)")...)...)
	if r.Status != 400 || !strings.Contains(r.Body, "eventNotificationTemplate[eventConditions][0][field][code]") {
		t.Fatalf("bad expression: %d %s", r.Status, r.Body)
	}
	if r := gatewaytest.Kaltura(t, app, "updateStatus", "id", id, "status", "2"); r.Status != 200 || r.JSON(t)["status"].(float64) != 2 {
		t.Fatalf("updateStatus: %d %s", r.Status, r.Body)
	}
	r = gatewaytest.Kaltura(t, app, "list", "filter[objectType]", "KalturaEventNotificationTemplateFilter", "filter[statusEqual]", "2", "filter[idEqual]", id)
	if r.JSON(t)["totalCount"].(float64) != 1 {
		t.Fatalf("list: %s", r.Body)
	}
	// Delete is hard.
	if r := gatewaytest.Kaltura(t, app, "delete", "id", id); r.Status != 200 {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	if r := gatewaytest.Kaltura(t, app, "get", "id", id); r.Status != 404 || r.JSON(t)["code"] != "EVENT_NOTIFICATION_TEMPLATE_NOT_FOUND" {
		t.Fatalf("get after delete: %d %s", r.Status, r.Body)
	}
	// Missing required fields are named.
	r = gatewaytest.Kaltura(t, app, "add", gatewaytest.Tpl("[objectType]", "KalturaHttpNotificationTemplate")...)
	for _, f := range []string{"[name]", "[eventType]", "[eventObjectType]", "[url]"} {
		if r.Status != 400 || !strings.Contains(r.Body, "eventNotificationTemplate"+f) {
			t.Fatalf("add empty, want %s named: %d %s", f, r.Status, r.Body)
		}
	}
}

// TestHTTPTemplateDelivery: object data, Kaltura signature with every
// algorithm, conditions, content parameters and custom headers.
func TestHTTPTemplateDelivery(t *testing.T) {
	app := testkit.Get(t).StartApp(t)
	rc := testkit.NewReceiver(t)
	objectType := gatewaytest.Unique("obj")
	hashes := map[string]func() hash.Hash{"1": sha1.New, "2": sha256.New, "3": sha512.New384, "4": sha512.New, "5": md5.New}
	for algo := range hashes {
		gatewaytest.AddActive(t, app, "[eventType]", "2", "[eventObjectType]", objectType, "[url]", rc.URL+"/algo/"+algo+"/{tenant}",
			"[authUsername]", "hook-user", "[authPassword]", "hook-pass-"+algo, "[authenticationMethod]", "1",
			"[contentType]", "2", "[signSecret]", "secret-"+algo, "[secureHashingAlgo]", algo,
			"[data][objectType]", "KalturaHttpNotificationObjectData", "[data][format]", "1", "[data][apiObjectType]", "KalturaBaseEntry",
			"[customHeaders][0][objectType]", "KalturaKeyValue", "[customHeaders][0][key]", "X-Custom", "[customHeaders][0][value]", "v-{entry_id}",
			"[contentParameters][0][key]", "entry_id", "[contentParameters][0][value][objectType]", "KalturaEvalStringField",
			"[contentParameters][0][value][code]", "{event.object.id}",
			"[userParameters][0][key]", "tenant", "[userParameters][0][value][objectType]", "KalturaStringValue", "[userParameters][0][value][value]", "acme",
			"[eventConditions][0][objectType]", "KalturaEventFieldCondition",
			"[eventConditions][0][field][objectType]", "KalturaEvalBooleanField",
			"[eventConditions][0][field][code]", "in_array({event.object.status},array(2))")
	}
	// Status 1: the condition holds for nobody.
	if r := gatewaytest.PostEvent(t, app, map[string]any{"eventType": "2", "eventObjectType": objectType, "objectId": "0_a", "object": map[string]any{"id": "0_a", "status": 1}}); r.Status != 202 {
		t.Fatalf("event: %d %s", r.Status, r.Body)
	}
	r := gatewaytest.PostEvent(t, app, map[string]any{"eventType": "2", "eventObjectType": objectType, "objectId": "0_b", "object": map[string]any{"id": "0_b", "status": "2", "name": "Clip"}})
	if r.Status != 202 {
		t.Fatalf("event: %d %s", r.Status, r.Body)
	}
	gatewaytest.EventDeliveries(t, app, r.JSON(t)["eventId"].(string), 5)
	reqs := gatewaytest.WaitRequests(t, rc, 5)
	time.Sleep(300 * time.Millisecond)
	if n := len(rc.Requests()); n != 5 {
		t.Fatalf("%d requests, want 5 (the status-1 event must not match)", n)
	}
	for _, q := range reqs {
		algo := strings.Split(q.Path, "/")[2]
		if q.Path != "/algo/"+algo+"/acme" || q.Header.Get("X-Custom") != "v-0_b" || q.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("request: %s %v", q.Path, q.Header)
		}
		if u, p, ok := (&http.Request{Header: q.Header}).BasicAuth(); !ok || u != "hook-user" || p != "hook-pass-"+algo {
			t.Fatalf("basic auth: %q %q %v", u, p, ok)
		}
		h := hashes[algo]()
		h.Write([]byte("secret-" + algo))
		h.Write(q.Body)
		if got, want := q.Header.Get("X-KALTURA-SIGNATURE"), hex.EncodeToString(h.Sum(nil)); got != want {
			t.Fatalf("algo %s: signature %s, want %s", algo, got, want)
		}
		var body map[string]any
		json.Unmarshal(q.Body, &body)
		obj := body["object"].(map[string]any)
		if body["objectType"] != "KalturaHttpNotification" || obj["objectType"] != "KalturaBaseEntry" || obj["id"] != "0_b" ||
			body["eventType"].(float64) != 2 || body["eventNotificationJobId"].(float64) <= 0 || body["templateName"] == "" {
			t.Fatalf("payload: %s", q.Body)
		}
	}
}

// TestRetriesGoneAndIdempotency: a receiver failing twice then succeeding,
// Retry-After, a 410 that disables the target, and Idempotency-Key.
func TestRetriesGoneAndIdempotency(t *testing.T) {
	app := testkit.Get(t).StartApp(t)
	rc := testkit.NewReceiver(t)
	rc.Respond(func(n int, r testkit.Request) testkit.Reply {
		switch {
		case strings.HasPrefix(r.Path, "/gone"):
			return testkit.Reply{Status: 410}
		case n <= 2:
			return testkit.Reply{Status: 503, Header: map[string]string{"Retry-After": "1"}, Body: "busy"}
		}
		return testkit.Reply{Status: 204}
	})
	objectType := gatewaytest.Unique("obj")
	id := gatewaytest.AddActive(t, app, "[eventType]", "1", "[eventObjectType]", objectType, "[url]", rc.URL+"/flaky", "[retrySchedule]", "1s,1s,1s")
	ev := map[string]any{"eventType": "1", "eventObjectType": objectType, "objectId": "x", "object": map[string]any{"id": "x"}}
	r := gatewaytest.PostEvent(t, app, ev, "Idempotency-Key: key-1")
	if r.Status != 202 {
		t.Fatalf("event: %d %s", r.Status, r.Body)
	}
	first := r.JSON(t)
	again := gatewaytest.PostEvent(t, app, ev, "Idempotency-Key: key-1")
	if again.Status != 200 || again.JSON(t)["eventId"] != first["eventId"] {
		t.Fatalf("idempotent replay: %d %s", again.Status, again.Body)
	}
	ev["objectId"] = "y"
	if r := gatewaytest.PostEvent(t, app, ev, "Idempotency-Key: key-1"); r.Status != 409 {
		t.Fatalf("key reuse: %d %s", r.Status, r.Body)
	}
	did := gatewaytest.EventDeliveries(t, app, first["eventId"].(string), 1)[0]["id"].(string)
	m := gatewaytest.WaitDelivery(t, app, did, "delivered")
	attempts := m["attempts"].([]any)
	if len(attempts) != 3 || attempts[0].(map[string]any)["responseStatus"].(float64) != 503 ||
		attempts[0].(map[string]any)["responseBody"] != "busy" || attempts[2].(map[string]any)["outcome"] != "delivered" {
		t.Fatalf("attempts: %v", attempts)
	}
	if n := len(rc.Requests()); n != 3 {
		t.Fatalf("receiver saw %d requests for one event, want 3", n)
	}

	// 410: stop at once and disable the template; an operational event says so.
	gone := gatewaytest.AddActive(t, app, "[eventType]", "7", "[eventObjectType]", objectType, "[url]", rc.URL+"/gone")
	r = gatewaytest.PostEvent(t, app, map[string]any{"eventType": "7", "eventObjectType": objectType, "objectId": "z", "object": map[string]any{"id": "z"}})
	gid := gatewaytest.EventDeliveries(t, app, r.JSON(t)["eventId"].(string), 1)[0]["id"].(string)
	gatewaytest.WaitDelivery(t, app, gid, "targetGone")
	g := gatewaytest.Kaltura(t, app, "get", "id", gone).JSON(t)
	if g["status"].(float64) != 1 || !strings.Contains(fmt.Sprint(g["disabledReason"]), "410") {
		t.Fatalf("template after 410: %v", g)
	}
	_ = id

	// Manual retry of a finished delivery starts it again, numbering on.
	if r := gatewaytest.Admin(t, app, "POST", "/api/v1/deliveries/"+url.PathEscape(did)+"/retry", nil); r.Status != 202 {
		t.Fatalf("retry: %d %s", r.Status, r.Body)
	}
	gatewaytest.WaitRequests(t, rc, 5)
	m = gatewaytest.WaitDelivery(t, app, did, "delivered")
	if n := len(m["attempts"].([]any)); n != 4 {
		t.Fatalf("after retry %d attempts, want 4", n)
	}
	if r := gatewaytest.Admin(t, app, "GET", "/api/v1/deliveries?status=bogus", nil); r.Status != 400 || !strings.Contains(r.Body, "status") {
		t.Fatalf("bad filter: %d %s", r.Status, r.Body)
	}
}

// TestEmailTemplateAndDispatch: an email template with static and user
// recipients, manual dispatch and DISPATCH_DISABLED.
func TestEmailTemplateAndDispatch(t *testing.T) {
	app := testkit.Get(t).StartApp(t)
	objectType := gatewaytest.Unique("obj")
	to, bounce, later := gatewaytest.Email("ops"), gatewaytest.Email("bounce"), gatewaytest.Email("later")
	var deferredOnce atomic.Bool
	testkit.Get(t).Mail.SetRcptRule(func(rcpt string) *smtp.SMTPError {
		switch {
		case strings.EqualFold(rcpt, bounce):
			return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such mailbox"}
		case strings.EqualFold(rcpt, later) && deferredOnce.CompareAndSwap(false, true):
			return &smtp.SMTPError{Code: 450, EnhancedCode: smtp.EnhancedCode{4, 2, 0}, Message: "try later"}
		}
		return nil
	})
	t.Cleanup(func() { testkit.Get(t).Mail.SetRcptRule(nil) })
	r := gatewaytest.Kaltura(t, app, "add", gatewaytest.Tpl("[objectType]", "KalturaEmailNotificationTemplate", "[name]", "Mail",
		"[eventType]", "1", "[eventObjectType]", objectType, "[format]", "1",
		"[subject]", "Entry {entry_id} is ready", "[body]", "Entry <b>{entry_name}</b>",
		"[contentParameters][0][key]", "entry_id", "[contentParameters][0][value][objectType]", "KalturaEvalStringField", "[contentParameters][0][value][code]", "{event.object.id}",
		"[contentParameters][1][key]", "entry_name", "[contentParameters][1][value][objectType]", "KalturaEvalStringField", "[contentParameters][1][value][code]", "{event.object.name}",
		"[to][objectType]", "KalturaEmailNotificationStaticRecipientProvider",
		"[to][emailRecipients][0][email][objectType]", "KalturaStringValue", "[to][emailRecipients][0][email][value]", to,
		"[to][emailRecipients][1][email][objectType]", "KalturaStringValue", "[to][emailRecipients][1][email][value]", bounce,
		"[cc][objectType]", "KalturaEmailNotificationStaticRecipientProvider",
		"[cc][emailRecipients][0][email][objectType]", "KalturaStringValue", "[cc][emailRecipients][0][email][value]", later,
		"[retrySchedule]", "1s,1s", "[manualDispatchEnabled]", "1")...)
	if r.Status != 200 {
		t.Fatalf("add email: %d %s", r.Status, r.Body)
	}
	id := fmt.Sprint(r.JSON(t)["id"])
	gatewaytest.PostEvent(t, app, map[string]any{"eventType": "1", "eventObjectType": objectType, "objectId": "0_e", "object": map[string]any{"id": "0_e", "name": "<Clip>"}})
	// Disabled templates do not fire; manual dispatch does (test before enabling).
	r = gatewaytest.Kaltura(t, app, "dispatch", "id", id, "scope[objectType]", "KalturaEventNotificationScope", "scope[objectId]", "0_e", "scope[scopeObjectType]", objectType)
	if r.Status != 200 {
		t.Fatalf("dispatch: %d %s", r.Status, r.Body)
	}
	var job int64
	if err := json.Unmarshal([]byte(r.Body), &job); err != nil || job <= 0 {
		t.Fatalf("job id: %s", r.Body)
	}
	m := gatewaytest.WaitMail(t, to, gatewaytest.Subject("Entry 0_e is ready"))
	if !strings.Contains(m.HTML, "&lt;Clip&gt;") {
		t.Fatalf("html not escaped: %s", m.HTML)
	}
	list := gatewaytest.Admin(t, app, "GET", "/api/v1/deliveries?target=template:"+id, nil).JSON(t)["deliveries"].([]any)
	if len(list) != 1 {
		t.Fatalf("deliveries: %v", list)
	}
	d := gatewaytest.WaitDelivery(t, app, list[0].(map[string]any)["id"].(string), "delivered")
	statuses := map[string]string{}
	for _, x := range d["recipients"].([]any) {
		statuses[x.(map[string]any)["email"].(string)] = x.(map[string]any)["status"].(string)
	}
	if statuses[to] != "processed" || statuses[bounce] != "dropped" || statuses[later] != "processed" || len(d["attempts"].([]any)) != 2 {
		t.Fatalf("recipients: %v", statuses)
	}

	gatewaytest.Kaltura(t, app, "update", append([]string{"id", id}, gatewaytest.Tpl("[objectType]", "KalturaEmailNotificationTemplate", "[manualDispatchEnabled]", "0")...)...)
	r = gatewaytest.Kaltura(t, app, "dispatch", "id", id, "scope[objectId]", "0_e", "scope[scopeObjectType]", objectType)
	if r.Status != 400 || r.JSON(t)["code"] != "DISPATCH_DISABLED" {
		t.Fatalf("dispatch disabled: %d %s", r.Status, r.Body)
	}
	_ = mailsink.Message{}
}

var _ = http.StatusOK

// TestRecipientProvidersAndTextData: user, group and category recipient
// providers resolve through the users table; a text payload with content
// parameters is signed with Standard Webhooks on request.
func TestRecipientProvidersAndTextData(t *testing.T) {
	app := testkit.Get(t).StartApp(t)
	siteID := gatewaytest.NewSite(t, app, map[string]any{"sendEmail": false, "defaultGroupId": "content-team"}, nil)
	owner, member := gatewaytest.Email("owner"), gatewaytest.Email("member")
	for _, a := range []string{owner, member} {
		if r := gatewaytest.Register(t, app, siteID, "email", a, "firstName", "F", "lastName", "L"); r.Status != 202 {
			t.Fatalf("register: %d %s", r.Status, r.Body)
		}
	}
	var ownerID string
	deadline := time.Now().Add(20 * time.Second)
	for ownerID == "" && time.Now().Before(deadline) {
		res := gatewaytest.Admin(t, app, "GET", "/api/v1/sites/"+siteID+"/users?email="+url.QueryEscape(owner), nil)
		if objs, _ := res.JSON(t)["objects"].([]any); len(objs) == 1 {
			ownerID = objs[0].(map[string]any)["id"].(string)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if ownerID == "" {
		t.Fatal("user not created")
	}
	if r := gatewaytest.Admin(t, app, "PUT", "/api/v1/categories/cat-"+siteID, map[string]any{"groupId": "content-team"}); r.Status != 200 {
		t.Fatalf("category: %d %s", r.Status, r.Body)
	}
	objectType := gatewaytest.Unique("obj")
	r := gatewaytest.Kaltura(t, app, "add", gatewaytest.Tpl("[objectType]", "KalturaEmailNotificationTemplate", "[name]", "Providers",
		"[eventType]", "1", "[eventObjectType]", objectType, "[format]", "2", "[subject]", "Hello {who}", "[body]", "Body for {who}",
		"[contentParameters][0][key]", "who", "[contentParameters][0][value][objectType]", "KalturaEvalStringField", "[contentParameters][0][value][code]", "{event.object.name}",
		"[to][objectType]", "KalturaEmailNotificationUserRecipientProvider",
		"[to][userId][objectType]", "KalturaEvalStringField", "[to][userId][code]", "{event.object.userId}",
		"[cc][objectType]", "KalturaEmailNotificationGroupRecipientProvider",
		"[cc][groupId][objectType]", "KalturaStringValue", "[cc][groupId][value]", "content-team",
		"[bcc][objectType]", "KalturaEmailNotificationCategoryRecipientProvider",
		"[bcc][categoryId][objectType]", "KalturaStringValue", "[bcc][categoryId][value]", "cat-"+siteID)...)
	if r.Status != 200 {
		t.Fatalf("add: %d %s", r.Status, r.Body)
	}
	id := fmt.Sprint(r.JSON(t)["id"])
	gatewaytest.Kaltura(t, app, "updateStatus", "id", id, "status", "2")
	gatewaytest.PostEvent(t, app, map[string]any{"eventType": "1", "eventObjectType": objectType, "objectId": "0_p",
		"object": map[string]any{"id": "0_p", "name": "Clip", "userId": ownerID}})
	m := gatewaytest.WaitMail(t, owner, gatewaytest.Subject("Hello Clip"))
	if !strings.Contains(m.Text, "Body for Clip") {
		t.Fatalf("text body: %q", m.Text)
	}
	gatewaytest.WaitMail(t, member, gatewaytest.Subject("Hello Clip"))
	list := gatewaytest.Admin(t, app, "GET", "/api/v1/deliveries?target=template:"+id, nil).JSON(t)["deliveries"].([]any)
	d := gatewaytest.WaitDelivery(t, app, list[0].(map[string]any)["id"].(string), "delivered")
	kinds := map[string]int{}
	for _, x := range d["recipients"].([]any) {
		kinds[x.(map[string]any)["kind"].(string)]++
	}
	// to: the owner; cc: both group members; bcc: both again, via the category.
	if kinds["to"] != 1 || kinds["cc"] != 2 || kinds["bcc"] != 2 {
		t.Fatalf("recipients by kind: %v", kinds)
	}

	// Text data with content parameters, signed both ways.
	rc := testkit.NewReceiver(t)
	r = gatewaytest.Kaltura(t, app, "add", gatewaytest.Tpl("[objectType]", "KalturaHttpNotificationTemplate", "[name]", "Text",
		"[eventType]", "2", "[eventObjectType]", objectType, "[url]", rc.URL+"/text", "[contentType]", "4", "[standardWebhooks]", "1",
		"[contentParameters][0][key]", "entry_id", "[contentParameters][0][value][objectType]", "KalturaEvalStringField", "[contentParameters][0][value][code]", "{event.object.id}",
		"[data][objectType]", "KalturaHttpNotificationDataText",
		"[data][content][objectType]", "KalturaStringValue", "[data][content][value]", "Entry {entry_id} is now ready.")...)
	created := r.JSON(t)
	secret, _ := created["standardWebhooksSecret"].(string)
	if r.Status != 200 || !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("add text: %d %s", r.Status, r.Body)
	}
	gatewaytest.Kaltura(t, app, "updateStatus", "id", fmt.Sprint(created["id"]), "status", "2")
	gatewaytest.PostEvent(t, app, map[string]any{"eventType": "2", "eventObjectType": objectType, "objectId": "0_t", "object": map[string]any{"id": "0_t"}})
	q := gatewaytest.WaitRequests(t, rc, 1)[0]
	if string(q.Body) != "Entry 0_t is now ready." || !strings.HasPrefix(q.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("text payload: %q %v", q.Body, q.Header)
	}
	wh, _ := standardwebhooks.NewWebhook(secret)
	if err := wh.Verify(q.Body, q.Header); err != nil {
		t.Fatalf("standard webhooks on a template: %v", err)
	}
	if g := gatewaytest.Kaltura(t, app, "get", "id", fmt.Sprint(created["id"])); strings.Contains(g.Body, secret) {
		t.Fatal("the template's Standard Webhooks secret is readable")
	}
}

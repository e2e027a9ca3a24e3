package devstack_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// walkthrough follows the README's first section against a running make
// dev: the printed curl registers a person on the seeded demo site, the
// dev mailbox has the link, the link's page signs them in, and the demo
// portal shows the verified claims.
func walkthrough(t *testing.T, base, dataDir, printed string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dataDir, "demo-registration-key"))
	if err != nil {
		t.Fatalf("the demo site's key: %v", err)
	}
	key := strings.TrimSpace(string(b))
	if !strings.Contains(printed, "curl -d registrationKey="+key+" ") {
		t.Fatalf("the registration curl was not printed:\n%s", printed)
	}
	res, err := http.PostForm(base+"/webhooks/registration/demo", url.Values{"registrationKey": {key},
		"email": {"ada@example.com"}, "firstName": {"Ada"}, "lastName": {"Lovelace"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusAccepted {
		t.Fatalf("registration: %d", res.StatusCode)
	}

	var link string
	for deadline := time.Now().Add(30 * time.Second); link == ""; {
		_, body := request(t, "GET", base+"/dev/mail.json", "")
		var box struct {
			Objects []struct {
				To   []string
				Text string
			}
		}
		json.Unmarshal([]byte(body), &box)
		for _, m := range box.Objects {
			if len(m.To) == 1 && m.To[0] == "ada@example.com" {
				link = regexp.MustCompile(`http\S+/magic-link\?token=\S+`).FindString(m.Text)
			}
		}
		if link == "" && time.Now().After(deadline) {
			t.Fatalf("no sign-in link in /dev/mail: %s", body)
		}
		time.Sleep(200 * time.Millisecond)
	}

	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	res, err = browser.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	field := func(name string) string {
		m := regexp.MustCompile(`name="` + name + `" value="([^"]*)"`).FindStringSubmatch(string(page))
		if m == nil {
			t.Fatalf("the link's page has no %s field: %s", name, page)
		}
		return m[1]
	}
	req, _ := http.NewRequest("POST", base+"/magic-link", strings.NewReader(url.Values{
		"token": {field("token")}, "csrf": {field("csrf")}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	res, err = browser.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	portal, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || res.Request.URL.Path != "/dev/portal" ||
		!strings.Contains(string(portal), "Signed in as <strong>ada@example.com</strong>") ||
		!strings.Contains(string(portal), "&#34;aud&#34;: &#34;demo&#34;") {
		t.Fatalf("after the link: %d %s\n%s", res.StatusCode, res.Request.URL, portal)
	}
}

// The README's portal walkthrough ("Five more minutes"), step by step, with
// its bodies: make dev seeded dev-portal and the demo Tyk portal has access
// request 29 pending; the seed's AccessRequestCreated for it starts an
// approval, the API approves it, and the demo Tyk portal receives
// PUT /portal-api/access_requests/29/approve with the raw admin token.
func portalWalkthrough(t *testing.T, base, dataDir, printed, token string) {
	t.Helper()
	file := func(name string) string {
		b, err := os.ReadFile(filepath.Join(dataDir, name))
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(b))
	}
	tykToken, secret := file("dev-tyk-token"), file("dev-portal-inbound-secret")
	if !strings.Contains(printed, "portal         dev-portal (created now") || !strings.Contains(printed, base+"/dev/tyk/requests") {
		t.Fatalf("the banner does not tell about the portal:\n%s", printed)
	}
	// 1. The seeded portal is what the README's PUT writes: the PUT changes it in place.
	code, body := request(t, "GET", base+"/api/v1/portals/dev-portal", token)
	if code != 200 || !strings.Contains(body, `"baseUrl":"`+base+`/dev/tyk"`) || !strings.Contains(body, `"adminTokenSet":true`) || !strings.Contains(body, `"inboundSecretSet":true`) {
		t.Fatalf("seeded portal: %d %s", code, body)
	}
	put := `{
  "name": "Demo Tyk portal", "baseUrl": "` + base + `/dev/tyk",
  "adminToken": "` + tykToken + `", "inboundSecret": "` + secret + `",
  "allowedAddresses": ["127.0.0.1/32", "::1/128"],
  "approvals": {"accessRequest": {"approvers": {"emails": ["api-owners@example.com"]}, "expireAfter": "72h"}}}`
	if code, body := requestBody(t, "PUT", base+"/api/v1/portals/dev-portal", token, put); code != 200 {
		t.Fatalf("PUT portal: %d %s", code, body)
	}
	// 2. The seed's AccessRequestCreated, for the pending request 29.
	event := `{
  "Event": "AccessRequestCreated",
  "Message": {"ID": 29, "AppID": 1, "ByUser": 2, "Status": "pending", "ProductIDs": [1], "PlanID": 2, "CreatedAt": "2024-04-22T18:09:45+02:00"},
  "Timestamp": "2024-04-22T18:09:45.245357+02:00"}`
	post := func() (int, string) {
		req, _ := http.NewRequest("POST", base+"/webhooks/portal/dev-portal", strings.NewReader(event))
		req.Header.Set("X-Gatehouse-Secret", secret)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if code, body := post(); code != 202 || !strings.Contains(body, `"status":"accepted"`) {
		t.Fatalf("AccessRequestCreated: %d %s", code, body)
	}
	if code, body := post(); code != 200 || !strings.Contains(body, `"status":"duplicate"`) {
		t.Fatalf("AccessRequestCreated again: %d %s", code, body)
	}
	if code, body := request(t, "GET", base+"/api/v1/events?source=portal:dev-portal", token); code != 200 || !strings.Contains(body, `"AccessRequestCreated"`) {
		t.Fatalf("events: %d %s", code, body)
	}
	// 3. Pending, and the approver's email is in the dev mailbox.
	id := "Approval:dev-portal:accessRequest:29"
	waitFor(t, "the pending approval", func() (bool, string) {
		code, body := request(t, "GET", base+"/api/v1/approvals?status=pending&portal=dev-portal", token)
		return code == 200 && strings.Contains(body, `"id":"`+id+`"`), body
	})
	waitFor(t, "the approver's email", func() (bool, string) {
		_, body := request(t, "GET", base+"/dev/mail.json", "")
		return strings.Contains(body, "api-owners@example.com"), body
	})
	// 4. Approve; a reject after it is refused.
	code, body = requestBody(t, "POST", base+"/api/v1/approvals/"+id+"/approve", token, `{"byUser":"api-owners@example.com","reason":"plan checked"}`)
	if code != 200 || !strings.Contains(body, `"decision":"approved"`) {
		t.Fatalf("approve: %d %s", code, body)
	}
	if code, body := requestBody(t, "POST", base+"/api/v1/approvals/"+id+"/reject", token, `{"byUser":"api-owners@example.com"}`); code != 409 || !strings.Contains(body, "approved by api-owners@example.com") {
		t.Fatalf("reject after the approval: %d %s", code, body)
	}
	// 5. The demo Tyk portal got the callback, with its raw admin token.
	waitFor(t, "the callback in /dev/tyk/requests", func() (bool, string) {
		_, body := request(t, "GET", base+"/dev/tyk/requests", "")
		var log struct {
			Requests []struct {
				Method, Path, Authorization string
				Status                      int
			}
		}
		json.Unmarshal([]byte(body), &log)
		for _, r := range log.Requests {
			if r.Method == "PUT" && r.Path == "/portal-api/access_requests/29/approve" && r.Status == 200 && r.Authorization == "the admin token, raw" {
				return true, body
			}
		}
		return false, body
	})
	req, _ := http.NewRequest("GET", base+"/dev/tyk/portal-api/access_requests/29", nil)
	req.Header.Set("Authorization", tykToken)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(b), `"Status":"approved"`) {
		t.Fatalf("access request 29 in the demo Tyk portal: %d %s", res.StatusCode, b)
	}
	// 6. The callback is a delivery of the engine, and the approval shows it done.
	waitFor(t, "the portal delivery", func() (bool, string) {
		code, body := request(t, "GET", base+"/api/v1/deliveries?target=portal:dev-portal", token)
		return code == 200 && strings.Contains(body, `"status":"delivered"`) && strings.Contains(body, `"url":"`+base+`/dev/tyk/portal-api"`), body
	})
	waitFor(t, "the approval's callback status", func() (bool, string) {
		code, body := request(t, "GET", base+"/api/v1/approvals/"+id, token)
		return code == 200 && strings.Contains(body, `"callbackStatus":"done"`), body
	})
	// Another round: a new pending request from the demo Tyk portal.
	code, body = request(t, "POST", base+"/dev/tyk/access-requests", "")
	if code != 201 || !strings.Contains(body, `"Status": "pending"`) {
		t.Fatalf("POST /dev/tyk/access-requests: %d %s", code, body)
	}
}

// waitFor polls cond for up to 30 s.
func waitFor(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ok, last := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 30s; last answer %s", what, last)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

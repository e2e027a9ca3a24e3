package registration_test

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"

	"gatehouse/internal/config"
	"gatehouse/internal/domain"
	"gatehouse/internal/mapping"
	"gatehouse/internal/password"
	"gatehouse/internal/store"
	"gatehouse/internal/testkit"
	"gatehouse/internal/testkit/gatewaytest"
	"gatehouse/workflows"
)

// The whole path: webhook, user, email, set-password page, activation,
// confirmation, events.
func TestRegistrationEndToEnd(t *testing.T) {
	app := testkit.Get(t).StartApp(t)
	siteID := gatewaytest.NewSite(t, app, map[string]any{
		"defaultGroupId": "ep_attendees_1",
		"fieldsMapping": []map[string]string{
			{"webhookKey": "company", "userObjectKey": "company", "registrationFormKey": "company"},
			{"webhookKey": "industry"},
		},
		"completeTitle": "All done", "completeButtonUrl": "https://portal.example/login",
	}, nil)
	addr := gatewaytest.Email("ann")
	res := gatewaytest.Register(t, app, siteID, "email", "  "+strings.ToUpper(addr)+" ", "firstName", "Ann", "lastName", "Lee",
		"company", "ACME", "industry", "Media", "utm_source", "mail")
	if res.Status != http.StatusAccepted {
		t.Fatalf("webhook: %d %s", res.Status, res.Body)
	}
	body := res.JSON(t)
	userID, wfID := body["userId"].(string), body["workflowId"].(string)
	if body["success"] != true || body["status"] != "accepted" || userID != mapping.UserID(siteID, addr) ||
		wfID != workflows.RegistrationID(siteID, userID) {
		t.Fatalf("202 body %v", body)
	}

	m := gatewaytest.WaitMail(t, addr, gatewaytest.Subject("Set your password"))
	link := gatewaytest.LinkIn(t, m)
	if !strings.HasPrefix(link, app.Config.PublicURL+"/set-password?token=") || !strings.Contains(m.HTML, "Ann") {
		t.Fatalf("link %s", link)
	}
	u := gatewaytest.Admin(t, app, "GET", "/api/v1/sites/"+siteID+"/users/"+userID, nil).JSON(t)
	if u["email"] != addr || u["status"] != "pending" || u["userObject"].(map[string]any)["company"] != "ACME" ||
		u["registrationInfo"].(map[string]any)["industry"] != "Media" || u["registrationInfo"].(map[string]any)["utm_source"] != "mail" {
		t.Fatalf("user %v", u)
	}
	if g := u["groups"].([]any); len(g) != 1 || g[0] != "ep_attendees_1" {
		t.Fatalf("groups %v", g)
	}
	gatewaytest.WaitState(t, app, wfID, gatewaytest.Status(workflows.StatusWaiting))

	if r := gatewaytest.Send(t, "GET", link, "", nil); r.Status != 200 || !strings.Contains(r.Body, `name="password"`) {
		t.Fatalf("form: %d", r.Status)
	}
	tok := gatewaytest.Token(link)
	if r := gatewaytest.PostPage(t, app, "/set-password", "token", tok, "password", "short", "confirm", "short"); r.Status != 422 || !strings.Contains(r.Body, "at least") {
		t.Fatalf("short password: %d", r.Status)
	}
	r := gatewaytest.PostPage(t, app, "/set-password", "token", tok, "password", "correct horse battery", "confirm", "correct horse battery")
	if r.Status != 200 || !strings.Contains(r.Body, "All done") || !strings.Contains(r.Body, `href="https://portal.example/login"`) {
		t.Fatalf("complete page: %d %s", r.Status, r.Body)
	}
	gatewaytest.WaitMail(t, addr, gatewaytest.Subject("You are all set"))
	if st := gatewaytest.FinalState(t, app, wfID); st.Status != workflows.StatusActive {
		t.Fatalf("final %+v", st)
	}
	h, err := app.Store.PasswordHash(context.Background(), userID)
	if err != nil || !password.Verify("correct horse battery", h) {
		t.Fatalf("hash %q %v", h, err)
	}
	u = gatewaytest.Admin(t, app, "GET", "/api/v1/sites/"+siteID+"/users/"+userID, nil).JSON(t)
	if u["status"] != "active" {
		t.Fatalf("user %v", u)
	}
	for k := range u {
		if strings.Contains(strings.ToLower(k), "password") || strings.Contains(strings.ToLower(k), "token") {
			t.Fatalf("user exposes %s", k)
		}
	}
	events, _ := app.Store.EventsFor(context.Background(), domain.ObjectTypeUser, userID)
	var types []string
	for _, e := range events {
		types = append(types, e.EventType)
	}
	if got := strings.Join(types, ","); got != "UserRegistered,RegistrationLinkSent,UserAccountActivated,RegistrationConfirmed" {
		t.Fatalf("events %s", got)
	}
	// Used, unknown and garbage tokens get the same page.
	for _, l := range []string{link, app.URL + "/set-password?token=" + strings.Repeat("A", 43), app.URL + "/set-password?token=x"} {
		if r := gatewaytest.Send(t, "GET", l, "", nil); r.Status != http.StatusGone || !strings.Contains(r.Body, "cannot be used") {
			t.Fatalf("%s: %d", l, r.Status)
		}
	}
}

func TestRegistrationKeyModes(t *testing.T) {
	app := testkit.Get(t).StartApp(t)
	person := func() []byte {
		return gatewaytest.Form("email", gatewaytest.Email("k"), "firstName", "K", "lastName", "M")
	}
	post := func(siteID, query string, body []byte, headers ...string) int {
		return gatewaytest.Send(t, "POST", app.URL+"/webhooks/registration/"+siteID+query, "application/x-www-form-urlencoded", body, headers...).Status
	}
	bodyKey := gatewaytest.NewSite(t, app, nil, nil)
	if s := post(bodyKey, "", append(person(), []byte("&registrationKey="+gatewaytest.SiteKey)...)); s != 202 {
		t.Errorf("key in body: %d", s)
	}
	if s := post(bodyKey, "?registrationKey="+gatewaytest.SiteKey, person()); s != 202 {
		t.Errorf("key in query: %d", s)
	}
	if s := post(bodyKey, "", append(person(), []byte("&registrationKey=wrong-key-wrong-key")...)); s != 401 {
		t.Errorf("wrong key: %d", s)
	}
	if s := post(bodyKey, "", person()); s != 401 {
		t.Errorf("missing key: %d", s)
	}
	bearerSite := gatewaytest.NewSite(t, app, map[string]any{"getRegistrationKeyFromHeader": true}, nil)
	if s := post(bearerSite, "", person(), "Authorization: Bearer "+gatewaytest.SiteKey); s != 202 {
		t.Errorf("bearer: %d", s)
	}
	if s := post(bearerSite, "?registrationKey="+gatewaytest.SiteKey, person()); s != 401 {
		t.Errorf("bearer site takes the key from the header only: %d", s)
	}
	headerSite := gatewaytest.NewSite(t, app, map[string]any{"getRegistrationKeyFromHeader": true,
		"keyHeaderInfo": map[string]string{"authorizationHeaderType": "API Token", "apiTokenKeyName": "X-Api-Key"}}, nil)
	if s := post(headerSite, "", person(), "X-Api-Key: "+gatewaytest.SiteKey); s != 202 {
		t.Errorf("api token header: %d", s)
	}
	if s := post(headerSite, "", person(), "Authorization: Bearer "+gatewaytest.SiteKey); s != 401 {
		t.Errorf("api token header, sent as bearer: %d", s)
	}
	querySite := gatewaytest.NewSite(t, app, map[string]any{"getRegistrationKeyFromHeader": true,
		"keyHeaderInfo": map[string]string{"authorizationHeaderType": "API Token", "apiTokenKeyName": "api_key", "getApiTokenFrom": "Query Params"}}, nil)
	if s := post(querySite, "?api_key="+gatewaytest.SiteKey, person()); s != 202 {
		t.Errorf("api token query: %d", s)
	}
	if s := post(querySite, "?api_key=nope-nope-nope-nope", person()); s != 401 {
		t.Errorf("api token query wrong: %d", s)
	}
	// Generate Key replaces the key; the old one stops working.
	k := gatewaytest.Admin(t, app, "POST", "/api/v1/sites/"+bodyKey+"/registration-key", nil).JSON(t)["registrationKey"].(string)
	if s := post(bodyKey, "?registrationKey="+gatewaytest.SiteKey, person()); s != 401 {
		t.Errorf("old key after Generate Key: %d", s)
	}
	if s := post(bodyKey, "?registrationKey="+k, person()); s != 202 {
		t.Errorf("generated key: %d", s)
	}
}

// allowedAddresses, and the client address behind a trusted proxy only.
func TestAllowedAddresses(t *testing.T) {
	proxy := netip.MustParsePrefix("127.0.0.1/32")
	app := testkit.Get(t).StartApp(t, func(c *config.Config) { c.TrustedProxies = []netip.Prefix{proxy} })
	untrusting := testkit.Get(t).StartApp(t)
	siteID := gatewaytest.NewSite(t, app, map[string]any{"allowedAddresses": []string{"192.58.252.1-192.58.252.25", "2001:db8::/32"}}, nil)
	post := func(a *testkit.App, xff string) int {
		return gatewaytest.Send(t, "POST", a.URL+"/webhooks/registration/"+siteID, "application/x-www-form-urlencoded",
			gatewaytest.Form("registrationKey", gatewaytest.SiteKey, "email", gatewaytest.Email("ip"), "firstName", "I", "lastName", "P"), "X-Forwarded-For: "+xff).Status
	}
	if s := post(app, "192.58.252.7"); s != 202 {
		t.Errorf("allowed address via trusted proxy: %d", s)
	}
	if s := post(app, "2001:db8::5"); s != 202 {
		t.Errorf("allowed IPv6: %d", s)
	}
	if s := post(app, "192.58.252.26"); s != 403 {
		t.Errorf("outside the range: %d", s)
	}
	// Without trusted proxies the header is ignored: 127.0.0.1 is not allowed.
	if s := post(untrusting, "192.58.252.7"); s != 403 {
		t.Errorf("forged X-Forwarded-For believed: %d", s)
	}
}

func TestRegistrationBodies(t *testing.T) {
	app := testkit.Get(t).StartApp(t)
	jsonSite := gatewaytest.NewSite(t, app, map[string]any{"postContentType": "JSON", "postContentJsonKey": "lead",
		"postContentJsonRegInfoKeys": "email, firstName, lastName, answers", "sendErrorResponseAsJson": true}, nil)
	addr := gatewaytest.Email("json")
	body := fmt.Sprintf(`{"registrationKey":%q,"campaign":"fb-42","lead":{"email":%q,"firstName":"J","lastName":"S","answers":{"industry":"Media"},"score":7}}`, gatewaytest.SiteKey, addr)
	r := gatewaytest.Send(t, "POST", app.URL+"/webhooks/registration/"+jsonSite, "application/json", []byte(body))
	if r.Status != 202 {
		t.Fatalf("json: %d %s", r.Status, r.Body)
	}
	uid := r.JSON(t)["userId"].(string)
	gatewaytest.WaitState(t, app, workflows.RegistrationID(jsonSite, uid), gatewaytest.Status(workflows.StatusWaiting))
	info := gatewaytest.Admin(t, app, "GET", "/api/v1/sites/"+jsonSite+"/users/"+uid, nil).JSON(t)["registrationInfo"].(map[string]any)
	// Only the listed keys hold registration info (answers contributes its
	// fields); the wrapper's sibling and the unlisted score are not mapped.
	if info["industry"] != "Media" || info["campaign"] != nil || info["score"] != nil || info["registrationKey"] != nil {
		t.Fatalf("registration info %v", info)
	}

	cases := []struct {
		name, ct, body string
		status         int
		code           string
	}{
		{"wrong content type", "application/x-www-form-urlencoded", "email=a", 415, "unsupported_media_type"},
		{"not JSON", "application/json", "{", 400, "invalid_body"},
		{"missing wrapper key", "application/json", `{"registrationKey":"` + gatewaytest.SiteKey + `"}`, 400, "invalid_body"},
		{"bad email", "application/json", `{"registrationKey":"` + gatewaytest.SiteKey + `","lead":{"email":"nope","firstName":"a","lastName":"b"}}`, 400, "invalid_field"},
		{"missing last name", "application/json", `{"registrationKey":"` + gatewaytest.SiteKey + `","lead":{"email":"a@b.co","firstName":"a"}}`, 400, "invalid_field"},
		{"too large", "application/json", `{"x":"` + strings.Repeat("a", 1<<20) + `"}`, 413, "body_too_large"},
	}
	for _, c := range cases {
		r := gatewaytest.Send(t, "POST", app.URL+"/webhooks/registration/"+jsonSite, c.ct, []byte(c.body))
		if r.Status != c.status || r.JSON(t)["code"] != c.code || r.JSON(t)["success"] != false {
			t.Errorf("%s: %d %s", c.name, r.Status, r.Body)
		}
	}
	if r := gatewaytest.Send(t, "POST", app.URL+"/webhooks/registration/"+jsonSite, "application/json",
		[]byte(`{"registrationKey":"`+gatewaytest.SiteKey+`","lead":{"email":"a@b.co","firstName":"a"}}`)); !strings.Contains(r.JSON(t)["message"].(string), "lastName") {
		t.Errorf("the message must name the field: %s", r.Body)
	}

	// Form Data sites: multipart too; errors in plain text by default.
	formSite := gatewaytest.NewSite(t, app, nil, nil)
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range map[string]string{"registrationKey": gatewaytest.SiteKey, "email": gatewaytest.Email("multi"), "firstName": "M", "lastName": "P"} {
		mw.WriteField(k, v)
	}
	mw.Close()
	if r := gatewaytest.Send(t, "POST", app.URL+"/webhooks/registration/"+formSite, mw.FormDataContentType(), buf.Bytes()); r.Status != 202 {
		t.Fatalf("multipart: %d %s", r.Status, r.Body)
	}
	r = gatewaytest.Register(t, app, formSite, "email", "x@y.co", "firstName", "X")
	if r.Status != 400 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/plain") || !strings.Contains(r.Body, "lastName: is required") {
		t.Fatalf("plain error: %d %q %s", r.Status, r.Header.Get("Content-Type"), r.Body)
	}
}

func TestStatusCheckAndDisabledSites(t *testing.T) {
	app := testkit.Get(t).StartApp(t)
	on := gatewaytest.NewSite(t, app, map[string]any{"allowGetRequestStatusCheck": true}, nil)
	off := gatewaytest.NewSite(t, app, nil, nil)
	disabled := gatewaytest.NewSite(t, app, map[string]any{"enabled": false}, nil)
	if r := gatewaytest.Send(t, "GET", app.URL+"/webhooks/registration/"+on, "", nil); r.Status != 200 || r.JSON(t)["status"] != true {
		t.Errorf("status check on: %d %s", r.Status, r.Body)
	}
	if r := gatewaytest.Send(t, "GET", app.URL+"/webhooks/registration/"+off, "", nil); r.Status != 405 {
		t.Errorf("status check off: %d", r.Status)
	}
	if r := gatewaytest.Register(t, app, disabled, "email", "a@b.co", "firstName", "a", "lastName", "b"); r.Status != 404 {
		t.Errorf("disabled site: %d", r.Status)
	}
	if r := gatewaytest.Register(t, app, "no-such-site", "email", "a@b.co", "firstName", "a", "lastName", "b"); r.Status != 404 {
		t.Errorf("unknown site: %d", r.Status)
	}
}

func TestEmailModesAndEventPhases(t *testing.T) {
	app := testkit.Get(t).StartApp(t)
	start := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	future := map[string]any{"loginLogFrom": start.Format(time.RFC3339), "loginLogTo": start.Add(3 * time.Hour).Format(time.RFC3339)}
	both := gatewaytest.NewSite(t, app, map[string]any{"webhookEmailType": "emailAndCalendar"}, future)
	addr := gatewaytest.Email("cal")
	r := gatewaytest.Register(t, app, both, "email", addr, "firstName", "Cal", "lastName", "Endar")
	uid := r.JSON(t)["userId"].(string)
	inv := gatewaytest.WaitMail(t, addr, gatewaytest.Subject("Invitation"))
	gatewaytest.WaitMail(t, addr, gatewaytest.Subject("Set your password"))
	cal, ok := inv.Part("text/calendar")
	if !ok || cal.Params["method"] != "REQUEST" {
		t.Fatalf("calendar part %+v", inv.Parts)
	}
	unfolded := strings.ReplaceAll(cal.Body, "\r\n ", "")
	for _, want := range []string{"METHOD:REQUEST\r\n", "UID:registration-" + uid + "@127.0.0.1\r\n",
		"DTSTART:" + start.Format("20060102T150405Z") + "\r\n", "DTEND:" + start.Add(3*time.Hour).Format("20060102T150405Z") + "\r\n",
		"ORGANIZER;CN=", "mailto:" + addr, "SEQUENCE:0"} {
		if !strings.Contains(unfolded, want) {
			t.Errorf("calendar lacks %q:\n%s", want, cal.Body)
		}
	}
	if strings.Contains(strings.ReplaceAll(cal.Body, "\r\n", ""), "\n") {
		t.Error("calendar has bare LF line ends")
	}
	// The two emails carry the same (only valid) link.
	if gatewaytest.LinkIn(t, inv) != gatewaytest.LinkIn(t, gatewaytest.WaitMail(t, addr, gatewaytest.Subject("Set your password"))) {
		t.Error("the invitation and the email carry different links")
	}

	calOnly := gatewaytest.NewSite(t, app, map[string]any{"webhookEmailType": "calendar"}, future)
	addr2 := gatewaytest.Email("calonly")
	gatewaytest.Register(t, app, calOnly, "email", addr2, "firstName", "C", "lastName", "O")
	gatewaytest.WaitMail(t, addr2, gatewaytest.Subject("Invitation"))

	// After the event: post-event templates, and no invitation for an event
	// that has ended; the workflow notes why.
	past := map[string]any{"loginLogFrom": time.Now().Add(-5 * time.Hour).Format(time.RFC3339), "loginLogTo": time.Now().Add(-time.Hour).Format(time.RFC3339)}
	ended := gatewaytest.NewSite(t, app, map[string]any{"webhookEmailType": "calendar"}, past)
	addr3 := gatewaytest.Email("late")
	r = gatewaytest.Register(t, app, ended, "email", addr3, "firstName", "L", "lastName", "Ate")
	m := gatewaytest.WaitMail(t, addr3, nil)
	if !strings.Contains(m.Subject, "is over") {
		t.Fatalf("post-event subject %q", m.Subject)
	}
	if _, ok := m.Part("text/calendar"); ok {
		t.Fatal("invitation sent for an ended event")
	}
	st := gatewaytest.WaitState(t, app, r.JSON(t)["workflowId"].(string), gatewaytest.Status(workflows.StatusWaiting))
	if !strings.Contains(strings.Join(st.Notes, "\n"), "calendar invitation not sent: the event ended") || st.Phase != "post-event" {
		t.Fatalf("state %+v", st)
	}
}

func TestMagicLink(t *testing.T) {
	app := testkit.Get(t).StartApp(t)
	siteID := gatewaytest.NewSite(t, app, map[string]any{"authMethod": "magicLink", "completeButtonUrl": "https://portal.example/home"}, nil)
	addr := gatewaytest.Email("magic")
	r := gatewaytest.Register(t, app, siteID, "email", addr, "firstName", "Mag", "lastName", "Ic")
	link := gatewaytest.LinkIn(t, gatewaytest.WaitMail(t, addr, gatewaytest.Subject("Your sign-in link")))
	if !strings.Contains(link, "/magic-link?token=") {
		t.Fatalf("link %s", link)
	}
	if h := gatewaytest.Send(t, "HEAD", link, "", nil); h.Status != 200 {
		t.Fatalf("HEAD: %d", h.Status)
	}
	// GET shows a page (mail scanners fetch links): the token stays usable.
	for range 2 {
		g := gatewaytest.Send(t, "GET", link, "", nil)
		if g.Status != http.StatusOK || !strings.Contains(g.Body, `action="/magic-link"`) || !strings.Contains(g.Body, `value="`+gatewaytest.Token(link)+`"`) ||
			!strings.Contains(g.Header.Get("Content-Security-Policy"), "form-action 'self' https://portal.example;") {
			t.Fatalf("GET: %d %v %s", g.Status, g.Header, g.Body)
		}
	}
	use := func() gatewaytest.Resp {
		return gatewaytest.PostPage(t, app, "/magic-link", "token", gatewaytest.Token(link))
	}
	if p := use(); p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Header.Get("Location"), "https://portal.example/home?id_token=") {
		t.Fatalf("magic link: %d %v", p.Status, p.Header)
	}
	if st := gatewaytest.FinalState(t, app, r.JSON(t)["workflowId"].(string)); st.Status != workflows.StatusActive {
		t.Fatalf("state %+v", st)
	}
	if again := use(); again.Status != http.StatusGone {
		t.Fatalf("second use: %d", again.Status)
	}
	if again := gatewaytest.Send(t, "GET", link, "", nil); again.Status != http.StatusGone {
		t.Fatalf("GET after use: %d", again.Status)
	}
	if h, _ := app.Store.PasswordHash(context.Background(), r.JSON(t)["userId"].(string)); h != "" {
		t.Fatal("a magic link must not set a password")
	}
}

// sendEmail off: no set-password email; the seed's "skip to
// webhookConfirmedEmailTemplate" sends the confirmed email at creation.
func TestSendEmailOffSendsConfirmedOnly(t *testing.T) {
	app := testkit.Get(t).StartApp(t)
	siteID := gatewaytest.NewSite(t, app, map[string]any{"sendEmail": false}, nil)
	addr := gatewaytest.Email("quiet")
	r := gatewaytest.Register(t, app, siteID, "email", addr, "firstName", "Q", "lastName", "T")
	if st := gatewaytest.FinalState(t, app, r.JSON(t)["workflowId"].(string)); st.Status != workflows.StatusCreated {
		t.Fatalf("state %+v", st)
	}
	mails := gatewaytest.MailsTo(t, addr)
	if len(mails) != 1 || !strings.HasPrefix(mails[0].Subject, "You are all set") || strings.Contains(mails[0].Text, "token=") {
		t.Fatalf("emails %+v", mails)
	}
	if r.JSON(t)["magicLink"] != nil {
		t.Fatalf("a password site answered a link: %s", r.Body)
	}
	// Registering again sends nothing more.
	r = gatewaytest.Register(t, app, siteID, "email", addr, "firstName", "Q2", "lastName", "T")
	gatewaytest.FinalState(t, app, r.JSON(t)["workflowId"].(string))
	if n := len(gatewaytest.MailsTo(t, addr)); n != 1 {
		t.Fatalf("%d emails after a repeat", n)
	}
}

// 100 identical posts at once: one user, one workflow, one email.
func TestConcurrentDuplicatesMakeOneUser(t *testing.T) {
	app := testkit.Get(t).StartApp(t)
	siteID := gatewaytest.NewSite(t, app, map[string]any{"fieldsMapping": []map[string]string{{"webhookKey": "company", "userObjectKey": "company"}}}, nil)
	addr := gatewaytest.Email("dup")
	var wg sync.WaitGroup
	codes := make(chan int, 100)
	for i := range 100 {
		wg.Go(func() {
			e := addr
			if i%2 == 0 {
				e = " " + strings.ToUpper(addr)
			}
			codes <- gatewaytest.Register(t, app, siteID, "email", e, "firstName", "Dup", "lastName", "Licate", "company", "ACME").Status
		})
	}
	wg.Wait()
	close(codes)
	for c := range codes {
		if c != 202 {
			t.Fatalf("status %d", c)
		}
	}
	gatewaytest.WaitMail(t, addr, gatewaytest.Subject("Set your password"))
	uid := mapping.UserID(siteID, addr)
	st := gatewaytest.WaitState(t, app, workflows.RegistrationID(siteID, uid), func(s workflows.RegistrationState) bool {
		return s.Status == workflows.StatusWaiting && s.Submissions == 100
	})
	list := gatewaytest.Admin(t, app, "GET", "/api/v1/sites/"+siteID+"/users", nil).JSON(t)
	if list["totalCount"].(float64) != 1 {
		t.Fatalf("users %v", list)
	}
	resp, err := app.Temporal.CountWorkflow(context.Background(), &workflowservice.CountWorkflowExecutionsRequest{
		Namespace: app.Config.Temporal.Namespace, Query: fmt.Sprintf("WorkflowId = '%s'", workflows.RegistrationID(siteID, uid)),
	})
	if err != nil || resp.GetCount() != 1 {
		t.Fatalf("workflow runs: %v %v", resp.GetCount(), err)
	}
	time.Sleep(500 * time.Millisecond)
	if n := len(gatewaytest.MailsTo(t, addr)); n != 1 || st.LinksSent != 1 {
		t.Fatalf("%d emails, %d links", n, st.LinksSent)
	}

	// The same person again with newer data: same user, updated.
	gatewaytest.Register(t, app, siteID, "email", addr, "firstName", "Dupe", "lastName", "Licate", "company", "Initech")
	deadline := time.Now().Add(10 * time.Second)
	for {
		u := gatewaytest.Admin(t, app, "GET", "/api/v1/sites/"+siteID+"/users/"+uid, nil).JSON(t)
		if u["firstName"] == "Dupe" && u["userObject"].(map[string]any)["company"] == "Initech" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not updated: %v", u)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// With Temporal or MySQL unreachable the sender gets 503 and nothing is
// half-done: no user exists afterwards.
func TestUnavailableDependenciesAnswer503(t *testing.T) {
	env := testkit.Get(t)
	temporalProxy := testkit.NewProxy(t, env.Temporal(t).FrontendAddr())
	app := env.StartApp(t, func(c *config.Config) { c.Temporal.Address = temporalProxy.Addr() })
	siteID := gatewaytest.NewSite(t, app, map[string]any{"sendErrorResponseAsJson": true}, nil)
	temporalProxy.Cut()
	addr := gatewaytest.Email("down")
	r := gatewaytest.Register(t, app, siteID, "email", addr, "firstName", "D", "lastName", "Own")
	if r.Status != 503 || r.JSON(t)["code"] != "unavailable" {
		t.Fatalf("temporal down: %d %s", r.Status, r.Body)
	}
	if _, err := app.Store.GetUser(context.Background(), siteID, mapping.UserID(siteID, addr)); err != store.ErrNotFound {
		t.Fatalf("user exists after a 503: %v", err)
	}
	temporalProxy.Restore()

	mysqlProxy := testkit.NewProxy(t, "127.0.0.1:3306")
	app2 := env.StartApp(t, func(c *config.Config) {
		c.MySQLDSN = strings.Replace(c.MySQLDSN, "127.0.0.1:3306", mysqlProxy.Addr(), 1)
	})
	mysqlProxy.Cut()
	if r := gatewaytest.Register(t, app2, siteID, "email", addr, "firstName", "D", "lastName", "Own"); r.Status != 503 {
		t.Fatalf("mysql down: %d %s", r.Status, r.Body)
	}
}

// printToLog logs the request with secrets redacted.
func TestPrintToLogRedacts(t *testing.T) {
	logs := &gatewaytest.SyncWriter{}
	app := testkit.Get(t).StartAppLogged(t, logs)
	id := gatewaytest.NewSite(t, app, map[string]any{"printToLog": true}, nil)
	r := gatewaytest.Send(t, "POST", app.URL+"/webhooks/registration/"+id+"?utm=1", "application/x-www-form-urlencoded",
		gatewaytest.Form("registrationKey", gatewaytest.SiteKey, "email", gatewaytest.Email("log"), "firstName", "L", "lastName", "G", "password", "hunter2-secret"),
		"Authorization: Bearer should-not-appear")
	if r.Status != 202 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	out := logs.String()
	if !strings.Contains(out, "webhook request") || !strings.Contains(out, "firstName:L") {
		t.Fatalf("request not logged: %s", out)
	}
	for _, secret := range []string{gatewaytest.SiteKey, "hunter2-secret", "should-not-appear"} {
		if strings.Contains(out, secret) {
			t.Fatalf("log contains %q", secret)
		}
	}
}

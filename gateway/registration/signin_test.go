package registration_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"gatehouse/activities"
	"gatehouse/internal/config"
	"gatehouse/internal/domain"
	"gatehouse/internal/mailsink"
	"gatehouse/internal/mapping"
	"gatehouse/internal/testkit"
	"gatehouse/internal/testkit/gatewaytest"
	"gatehouse/workflows"
)

const portalHome = "https://portal.example/home"

// activeUser registers a person on a password site and sets their
// password through the emailed link; it returns site, user id and address.
func activeUser(t *testing.T, app *testkit.App, pw string, reg map[string]any) (string, string, string) {
	t.Helper()
	settings := map[string]any{"completeButtonUrl": portalHome, "defaultGroupId": "attendees"}
	for k, v := range reg {
		settings[k] = v
	}
	siteID := gatewaytest.NewSite(t, app, settings, map[string]any{"languages": []string{"en", "de"}})
	addr := gatewaytest.Email("signin")
	gatewaytest.Register(t, app, siteID, "email", addr, "firstName", "Sig", "lastName", "Nin")
	link := gatewaytest.LinkIn(t, gatewaytest.WaitMail(t, addr, gatewaytest.Subject("Set your password")))
	if r := gatewaytest.PostPage(t, app, "/set-password", "token", gatewaytest.Token(link), "password", pw, "confirm", pw); r.Status != 200 {
		t.Fatalf("set password: %d %s", r.Status, r.Body)
	}
	return siteID, mapping.UserID(siteID, addr), addr
}

func signIn(t *testing.T, app *testkit.App, siteID, action string, kv ...string) gatewaytest.Resp {
	t.Helper()
	return gatewaytest.PostPage(t, app, "/sign-in", append([]string{"site", siteID, "action", action}, kv...)...)
}

var csrfValue = regexp.MustCompile(`name="csrf" value="[^"]*"`)

// withoutEmail blanks the address a page echoes (and the browser's CSRF
// token), so answers for two addresses can be compared.
func withoutEmail(body, addr string) string {
	return csrfValue.ReplaceAllString(strings.ReplaceAll(body, addr, "ADDR"), "CSRF")
}

// accountEmailResult waits for the AccountEmail workflow a request started.
func accountEmailResult(t *testing.T, app *testkit.App, kind, siteID, addr string) activities.AccountEmailResult {
	t.Helper()
	id := workflows.AccountEmailID(activities.AccountEmailInput{Kind: kind, SiteID: siteID, UserID: mapping.UserID(siteID, addr)})
	deadline := time.Now().Add(20 * time.Second)
	for {
		var res activities.AccountEmailResult
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		err := app.Temporal.GetWorkflow(ctx, id, "").Get(ctx, &res)
		cancel()
		if err == nil {
			return res
		}
		if time.Now().After(deadline) {
			t.Fatalf("workflow %s: %v", id, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Password sign-in on the page: a token the portal verifies against the
// JWKS, the same answer for an unknown email and a wrong password, CSRF
// and framing protection.
func TestPasswordSignIn(t *testing.T) {
	app := testkit.Get(t).StartApp(t, func(c *config.Config) { c.RateSignInAccount = config.Rate{PerMinute: 60, Burst: 60} })
	const pw = "correct horse battery"
	siteID, userID, addr := activeUser(t, app, pw, nil)

	g := gatewaytest.Send(t, "GET", app.URL+"/sign-in?site="+siteID, "", nil)
	if g.Status != 200 || !strings.Contains(g.Body, `name="csrf"`) || g.Header.Get("X-Frame-Options") != "DENY" ||
		!strings.Contains(g.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") ||
		!strings.Contains(g.Header.Get("Content-Security-Policy"), "form-action 'self' https://portal.example") {
		t.Fatalf("sign-in page: %d %v %s", g.Status, g.Header, g.Body)
	}
	if r := gatewaytest.Send(t, "GET", app.URL+"/sign-in?site=nosuchsite", "", nil); r.Status != 404 {
		t.Fatalf("unknown site: %d", r.Status)
	}

	// Without the CSRF token (or with another browser's) nothing happens.
	form := gatewaytest.Form("site", siteID, "action", "password", "email", addr, "password", pw)
	if r := gatewaytest.Send(t, "POST", app.URL+"/sign-in", "application/x-www-form-urlencoded", form); r.Status != http.StatusForbidden {
		t.Fatalf("no CSRF token: %d", r.Status)
	}
	cookie, _ := gatewaytest.CSRF(t, app)
	_, otherToken := gatewaytest.CSRF(t, app)
	if r := gatewaytest.Send(t, "POST", app.URL+"/sign-in", "application/x-www-form-urlencoded",
		gatewaytest.Form("site", siteID, "action", "password", "email", addr, "password", pw, "csrf", otherToken), "Cookie: "+cookie); r.Status != http.StatusForbidden {
		t.Fatalf("mismatched CSRF token: %d", r.Status)
	}

	wrong := signIn(t, app, siteID, "password", "email", addr, "password", "not the password")
	other := gatewaytest.Email("nobody")
	unknown := signIn(t, app, siteID, "password", "email", other, "password", "not the password")
	if wrong.Status != http.StatusUnauthorized || unknown.Status != http.StatusUnauthorized ||
		withoutEmail(wrong.Body, addr) != withoutEmail(unknown.Body, other) {
		t.Fatalf("wrong password %d / unknown email %d differ:\n%s\n%s", wrong.Status, unknown.Status, wrong.Body, unknown.Body)
	}

	before := time.Now().Add(-time.Second)
	ok := signIn(t, app, siteID, "password", "email", strings.ToUpper(addr), "password", pw)
	if ok.Status != http.StatusSeeOther || !strings.HasPrefix(ok.Header.Get("Location"), portalHome+"?id_token=") {
		t.Fatalf("sign-in: %d %v %s", ok.Status, ok.Header, ok.Body)
	}
	c := gatewaytest.VerifyIDToken(t, app, gatewaytest.IDTokenIn(t, ok.Header.Get("Location")), siteID)
	if c.Subject != userID || c.Email != addr || len(c.AMR) != 1 || c.AMR[0] != "pwd" || c.Role != "viewerRole" ||
		len(c.Groups) != 1 || c.Groups[0] != "attendees" || c.GivenName != "Sig" || c.AuthTime < before.Unix() {
		t.Fatalf("claims %+v", c)
	}

	// The API for portals with their own form: the same check, JSON.
	api := func(email, pw string, auth bool) gatewaytest.Resp {
		h := []string{}
		if auth {
			h = append(h, "Authorization: Bearer "+testkit.AdminToken)
		}
		return gatewaytest.Send(t, "POST", app.URL+"/api/v1/sites/"+siteID+"/auth/password", "application/json",
			[]byte(`{"email":"`+email+`","password":"`+pw+`"}`), h...)
	}
	r := api(addr, pw, true)
	if r.Status != 200 {
		t.Fatalf("api: %d %s", r.Status, r.Body)
	}
	if c := gatewaytest.VerifyIDToken(t, app, r.JSON(t)["id_token"].(string), siteID); c.Subject != userID || c.AMR[0] != "pwd" {
		t.Fatalf("api claims %+v", c)
	}
	w, u := api(addr, "wrong password!", true), api(other, "wrong password!", true)
	if w.Status != 401 || u.Status != 401 || w.Body != u.Body {
		t.Fatalf("api wrong %d %s / unknown %d %s", w.Status, w.Body, u.Status, u.Body)
	}
	if r := api(addr, pw, false); r.Status != 401 || strings.Contains(r.Body, "id_token") {
		t.Fatalf("api without admin token: %d %s", r.Status, r.Body)
	}

	// The discovery document names the keys and what tokens hold.
	d := gatewaytest.Send(t, "GET", app.URL+"/.well-known/openid-configuration", "", nil).JSON(t)
	if d["issuer"] != app.Config.PublicURL || d["jwks_uri"] != app.Config.PublicURL+"/.well-known/jwks.json" ||
		d["id_token_signing_alg_values_supported"].([]any)[0] != "ES256" {
		t.Fatalf("discovery %v", d)
	}

	// A blocked user cannot sign in: the same answer as a wrong password.
	if _, err := app.Store.DB().Exec("UPDATE users SET status = ? WHERE id = ?", domain.UserBlocked, userID); err != nil {
		t.Fatal(err)
	}
	blocked := signIn(t, app, siteID, "password", "email", addr, "password", pw)
	if blocked.Status != http.StatusUnauthorized || withoutEmail(blocked.Body, addr) != withoutEmail(unknown.Body, other) {
		t.Fatalf("blocked: %d %s", blocked.Status, blocked.Body)
	}
	if r := api(addr, pw, true); r.Status != 401 {
		t.Fatalf("api blocked: %d", r.Status)
	}
	link := signIn(t, app, siteID, "link", "email", addr)
	if link.Status != 200 {
		t.Fatalf("link for blocked: %d", link.Status)
	}
	if res := accountEmailResult(t, app, activities.AccountSignInLink, siteID, addr); res.Sent || res.Reason != "the user is blocked" {
		t.Fatalf("link for a blocked user: %+v", res)
	}
}

// Repeated failures lock the account (whether or not it exists) and the
// client address out for a while.
func TestSignInLockout(t *testing.T) {
	app := testkit.Get(t).StartApp(t, func(c *config.Config) {
		c.RateSignInAccount = config.Rate{PerMinute: 1, Burst: 3}
		c.RateSignInAddress = config.Rate{PerMinute: 1, Burst: 8}
	})
	const pw = "correct horse battery"
	siteID, _, addr := activeUser(t, app, pw, nil)
	other := gatewaytest.Email("nobody")
	for _, email := range []string{addr, other} {
		for i := range 3 {
			if r := signIn(t, app, siteID, "password", "email", email, "password", "wrong password!"); r.Status != http.StatusUnauthorized {
				t.Fatalf("%s attempt %d: %d", email, i+1, r.Status)
			}
		}
		// Locked now, even with the right password.
		r := signIn(t, app, siteID, "password", "email", email, "password", pw)
		if r.Status != http.StatusTooManyRequests || !strings.Contains(r.Body, "Too many attempts for this account") || r.Header.Get("Retry-After") == "" {
			t.Fatalf("%s after 3 failures: %d %s", email, r.Status, r.Body)
		}
	}
	// The address has used its 8 attempts: another account is refused too.
	if r := signIn(t, app, siteID, "password", "email", gatewaytest.Email("third"), "password", pw); r.Status != http.StatusTooManyRequests ||
		strings.Contains(r.Body, "for this account") || !regexp.MustCompile(`Too many attempts\. Try again in \d+ s\.`).MatchString(r.Body) {
		t.Fatalf("address lockout: %d %s", r.Status, r.Body)
	}
	if r := signIn(t, app, siteID, "password", "email", gatewaytest.Email("fourth"), "password", pw, "lang", "de"); r.Status != http.StatusTooManyRequests ||
		!regexp.MustCompile(`Zu viele Versuche\. Versuchen Sie es in \d+ s erneut\.`).MatchString(r.Body) {
		t.Fatalf("address lockout in German: %d %s", r.Status, r.Body)
	}
}

// A sign-in link can be asked for at any time; the answer is the same for
// unknown addresses (which get no email), the link works once and ends at
// the portal with an ID token (amr email), an expired link is refused.
func TestSignInLink(t *testing.T) {
	app := testkit.Get(t).StartApp(t)
	siteID, userID, addr := activeUser(t, app, "correct horse battery", map[string]any{"signInCallbackUrl": "https://portal.example/sso"})
	known := signIn(t, app, siteID, "link", "email", addr)
	other := gatewaytest.Email("nobody")
	unknown := signIn(t, app, siteID, "link", "email", other)
	if known.Status != 200 || !strings.Contains(known.Body, "a sign-in link is on its way") ||
		withoutEmail(known.Body, addr) != withoutEmail(unknown.Body, other) {
		t.Fatalf("answers differ: %d %d\n%s\n%s", known.Status, unknown.Status, known.Body, unknown.Body)
	}
	if res := accountEmailResult(t, app, activities.AccountSignInLink, siteID, other); res.Sent || res.Reason != "no such user" {
		t.Fatalf("unknown address: %+v", res)
	}
	if len(gatewaytest.MailsTo(t, other)) != 0 {
		t.Fatal("an unknown address got mail")
	}
	isSignInLink := func(m mailsink.Message) bool { return strings.HasPrefix(m.Subject, "Your sign-in link for ") }
	link := gatewaytest.LinkIn(t, gatewaytest.WaitMail(t, addr, isSignInLink))
	if g := gatewaytest.Send(t, "GET", link, "", nil); g.Status != 200 || !strings.Contains(g.Body, `name="csrf"`) {
		t.Fatalf("link page: %d", g.Status)
	}
	use := func(l string) gatewaytest.Resp {
		return gatewaytest.PostPage(t, app, "/magic-link", "token", gatewaytest.Token(l))
	}
	r := use(link)
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "https://portal.example/sso?id_token=") {
		t.Fatalf("use: %d %v", r.Status, r.Header)
	}
	if c := gatewaytest.VerifyIDToken(t, app, gatewaytest.IDTokenIn(t, r.Header.Get("Location")), siteID); c.Subject != userID || c.AMR[0] != "email" {
		t.Fatalf("claims %+v", c)
	}
	if again := use(link); again.Status != http.StatusGone {
		t.Fatalf("second use: %d", again.Status)
	}

	// A new link, expired before use. The first request's workflow is let
	// finish first: a request that arrives while it runs joins it (one email
	// for a burst of clicks) and would send nothing new.
	if res := accountEmailResult(t, app, activities.AccountSignInLink, siteID, addr); !res.Sent {
		t.Fatalf("first link: %+v", res)
	}
	signIn(t, app, siteID, "link", "email", addr)
	second := gatewaytest.LinkIn(t, gatewaytest.WaitMail(t, addr, func(m mailsink.Message) bool {
		return isSignInLink(m) && !strings.Contains(m.Text, link)
	}))
	if _, err := app.Store.DB().Exec("UPDATE link_tokens SET expires_at = ? WHERE user_id = ? AND used_at IS NULL",
		time.Now().UTC().Add(-time.Second), userID); err != nil {
		t.Fatal(err)
	}
	if r := use(second); r.Status != http.StatusGone {
		t.Fatalf("expired link: %d", r.Status)
	}
}

// The form_post mode hands the token over in an auto-submitting form.
func TestSignInFormPost(t *testing.T) {
	app := testkit.Get(t).StartApp(t)
	const pw = "correct horse battery"
	siteID, _, addr := activeUser(t, app, pw, map[string]any{"signInResponseMode": "form_post", "signInCallbackUrl": "https://portal.example/sso"})
	r := signIn(t, app, siteID, "password", "email", addr, "password", pw)
	csp := r.Header.Get("Content-Security-Policy")
	if r.Status != 200 || !strings.Contains(r.Body, `action="https://portal.example/sso"`) || !strings.Contains(r.Body, `name="id_token"`) ||
		!strings.Contains(csp, "form-action https://portal.example") || !strings.Contains(csp, "script-src 'nonce-") {
		t.Fatalf("form_post: %d %v %s", r.Status, r.Header, r.Body)
	}
	// The page that follows sign-in is in the user's language.
	if _, err := app.Store.DB().Exec("UPDATE users SET language = 'de' WHERE email = ?", addr); err != nil {
		t.Fatal(err)
	}
	if r := signIn(t, app, siteID, "password", "email", addr, "password", pw); r.Status != 200 ||
		!strings.Contains(r.Body, `<html lang="de">`) || !strings.Contains(r.Body, "<title>Anmeldung läuft…</title>") || !strings.Contains(r.Body, ">Weiter</button>") {
		t.Fatalf("German form_post: %d %s", r.Status, r.Body)
	}
	if res := gatewaytest.Admin(t, app, "PUT", "/api/v1/sites/"+gatewaytest.Unique("bad"), map[string]any{
		"webhooksiteregistration": map[string]any{"signInResponseMode": "fragment", "signInCallbackUrl": "javascript:alert(1)"}}); res.Status/100 == 2 ||
		!strings.Contains(res.Body, "signInResponseMode") || !strings.Contains(res.Body, "signInCallbackUrl") {
		t.Fatalf("bad sign-in settings: %d %s", res.Status, res.Body)
	}
}

// Password reset: the same answer for unknown addresses, a single-use link
// valid for an hour, earlier links dead after the change, the old password
// refused, a notice by email, PasswordReset recorded; a CRM can start it.
func TestPasswordReset(t *testing.T) {
	app := testkit.Get(t).StartApp(t)
	const oldPW, newPW = "correct horse battery", "a brand new passphrase"
	siteID, userID, addr := activeUser(t, app, oldPW, nil)

	other := gatewaytest.Email("nobody")
	known, unknown := signIn(t, app, siteID, "reset", "email", addr), signIn(t, app, siteID, "reset", "email", other)
	if known.Status != 200 || !strings.Contains(known.Body, "choose a new password is on its way") ||
		withoutEmail(known.Body, addr) != withoutEmail(unknown.Body, other) {
		t.Fatalf("answers differ:\n%s\n%s", known.Body, unknown.Body)
	}
	if res := accountEmailResult(t, app, activities.AccountPasswordReset, siteID, other); res.Sent {
		t.Fatalf("unknown address: %+v", res)
	}
	reset := gatewaytest.LinkIn(t, gatewaytest.WaitMail(t, addr, gatewaytest.Subject("Reset your password")))
	var exp time.Time
	if err := app.Store.DB().Get(&exp, "SELECT expires_at FROM link_tokens WHERE user_id = ? AND purpose = ? AND used_at IS NULL AND revoked_at IS NULL",
		userID, domain.PurposeReset); err != nil || exp.Sub(time.Now()) > time.Hour || exp.Sub(time.Now()) < 55*time.Minute {
		t.Fatalf("reset link expires at %v (%v)", exp, err)
	}
	if g := gatewaytest.Send(t, "GET", reset, "", nil); g.Status != 200 || !strings.Contains(g.Body, `action="/reset-password"`) {
		t.Fatalf("reset page: %d %s", g.Status, g.Body)
	}
	accountEmailResult(t, app, activities.AccountPasswordReset, siteID, addr) // done, so the CRM's request starts anew
	// A CRM can ask too; its link replaces the first.
	if r := gatewaytest.Send(t, "POST", app.URL+"/webhooks/registration/"+siteID+"/password-reset", "application/x-www-form-urlencoded",
		gatewaytest.Form("registrationKey", "wrong key wrong key"+"!", "email", addr)); r.Status != 401 {
		t.Fatalf("webhook with a wrong key: %d", r.Status)
	}
	w1 := gatewaytest.Send(t, "POST", app.URL+"/webhooks/registration/"+siteID+"/password-reset", "application/x-www-form-urlencoded",
		gatewaytest.Form("registrationKey", gatewaytest.SiteKey, "email", addr))
	w2 := gatewaytest.Send(t, "POST", app.URL+"/webhooks/registration/"+siteID+"/password-reset", "application/x-www-form-urlencoded",
		gatewaytest.Form("registrationKey", gatewaytest.SiteKey, "email", other))
	if w1.Status != 202 || w1.Body != w2.Body {
		t.Fatalf("webhook: %d %s / %d %s", w1.Status, w1.Body, w2.Status, w2.Body)
	}
	crm := gatewaytest.LinkIn(t, gatewaytest.WaitMail(t, addr, func(m mailsink.Message) bool {
		return strings.HasPrefix(m.Subject, "Reset your password") && !strings.Contains(m.Text, reset)
	}))
	if r := gatewaytest.PostPage(t, app, "/reset-password", "token", gatewaytest.Token(reset), "password", newPW, "confirm", newPW); r.Status != http.StatusGone {
		t.Fatalf("the replaced reset link: %d", r.Status)
	}
	if r := gatewaytest.PostPage(t, app, "/reset-password", "token", gatewaytest.Token(crm), "password", "short", "confirm", "short"); r.Status != 422 {
		t.Fatalf("short password: %d", r.Status)
	}
	r := gatewaytest.PostPage(t, app, "/reset-password", "token", gatewaytest.Token(crm), "password", newPW, "confirm", newPW)
	if r.Status != 200 || !strings.Contains(r.Body, "Your password was changed") {
		t.Fatalf("reset: %d %s", r.Status, r.Body)
	}
	if again := gatewaytest.PostPage(t, app, "/reset-password", "token", gatewaytest.Token(crm), "password", newPW, "confirm", newPW); again.Status != http.StatusGone {
		t.Fatalf("reset link used twice: %d", again.Status)
	}
	gatewaytest.WaitMail(t, addr, gatewaytest.Subject("Your password for "))
	if r := signIn(t, app, siteID, "password", "email", addr, "password", oldPW); r.Status != http.StatusUnauthorized {
		t.Fatalf("old password: %d", r.Status)
	}
	if r := signIn(t, app, siteID, "password", "email", addr, "password", newPW); r.Status != http.StatusSeeOther {
		t.Fatalf("new password: %d %s", r.Status, r.Body)
	}
	events, err := app.Store.EventsFor(context.Background(), domain.ObjectTypeUser, userID)
	if err != nil {
		t.Fatal(err)
	}
	if last := events[len(events)-1]; last.EventType != domain.EventPasswordReset || !strings.Contains(string(last.Object), `"email":"`+addr+`"`) {
		t.Fatalf("last event %s %s", last.EventType, last.Object)
	}
}

// TestAccountPagesInGerman: ?lang=de and Accept-Language choose the sign-in
// page's language; a German user's reset email, reset page and "changed"
// page and email are German without asking. What the limiter, the
// password rules and the form guards say is German too.
func TestAccountPagesInGerman(t *testing.T) {
	app := testkit.Get(t).StartApp(t, func(c *config.Config) { c.RateSignInAccount = config.Rate{PerMinute: 1, Burst: 2} })
	siteID, _, addr := activeUser(t, app, "correct horse battery", nil) // site languages en, de
	for _, r := range []gatewaytest.Resp{
		gatewaytest.Send(t, "GET", app.URL+"/sign-in?site="+siteID+"&lang=de", "", nil),
		gatewaytest.Send(t, "GET", app.URL+"/sign-in?site="+siteID, "", nil, "Accept-Language: de-DE,de;q=0.9,en;q=0.5"),
	} {
		if r.Status != 200 || !strings.Contains(r.Body, `<html lang="de">`) || !strings.Contains(r.Body, "Passwort vergessen") ||
			!strings.Contains(r.Body, "Anmeldelink per E-Mail senden") || strings.Contains(r.Body, "Forgot password") {
			t.Fatalf("sign-in page: %d %s", r.Status, r.Body)
		}
	}
	if r := gatewaytest.Send(t, "GET", app.URL+"/sign-in?site="+siteID+"&lang=fr", "", nil); !strings.Contains(r.Body, "Forgot password") {
		t.Fatalf("a language the site lacks: %s", r.Body) // the site has en and de only
	}
	// The form remembers ?lang=: the answer to a post is German too.
	if r := signIn(t, app, siteID, "password", "email", addr, "password", "wrong password", "lang", "de"); !strings.Contains(r.Body, "E-Mail-Adresse oder Passwort ist falsch.") {
		t.Fatalf("posted sign-in: %d %s", r.Status, r.Body)
	}
	// The account's burst is 2: the third attempt is locked out, in German.
	if r := signIn(t, app, siteID, "password", "email", addr, "password", "wrong again", "lang", "de"); r.Status != http.StatusUnauthorized {
		t.Fatalf("second attempt: %d %s", r.Status, r.Body)
	}
	if r := signIn(t, app, siteID, "password", "email", addr, "password", "correct horse battery", "lang", "de"); r.Status != http.StatusTooManyRequests ||
		!regexp.MustCompile(`Zu viele Versuche für dieses Konto\. Versuchen Sie es in \d+ s erneut\. Sie können in der Zwischenzeit einen Anmeldelink anfordern\.`).MatchString(r.Body) ||
		strings.Contains(r.Body, "Too many") {
		t.Fatalf("locked out: %d %s", r.Status, r.Body)
	}
	// A form without its CSRF token is refused in the browser's language.
	if r := gatewaytest.Send(t, "POST", app.URL+"/sign-in", "application/x-www-form-urlencoded",
		gatewaytest.Form("site", siteID, "action", "link", "email", addr), "Accept-Language: de-DE,de;q=0.9"); r.Status != http.StatusForbidden ||
		!strings.HasPrefix(r.Body, "Dieses Formular ist abgelaufen") || r.Header.Get("Content-Language") != "de" {
		t.Fatalf("CSRF refusal: %d %v %s", r.Status, r.Header, r.Body)
	}

	if _, err := app.Store.DB().Exec("UPDATE users SET language = 'de' WHERE email = ?", addr); err != nil {
		t.Fatal(err)
	}
	if r := signIn(t, app, siteID, "reset", "email", addr, "lang", "de"); !strings.Contains(r.Body, "ein Link zum Festlegen eines neuen Passworts unterwegs") {
		t.Fatalf("reset asked: %s", r.Body)
	}
	m := gatewaytest.WaitMail(t, addr, gatewaytest.Subject("Passwort für "))
	if !strings.Contains(m.Text, "Hallo Sig,") || !strings.Contains(m.Text, "Wählen Sie hier ein neues Passwort") {
		t.Fatalf("reset email: %s\n%s", m.Subject, m.Text)
	}
	link := gatewaytest.LinkIn(t, m)
	if g := gatewaytest.Send(t, "GET", link, "", nil); g.Status != 200 || !strings.Contains(g.Body, "Neues Passwort wählen") ||
		!strings.Contains(g.Body, "Neues Passwort (mindestens") {
		t.Fatalf("reset page: %d %s", g.Status, g.Body)
	}
	for _, c := range []struct{ pw, want string }{
		{"zu kurz", "Das Passwort ist zu kurz: Verwenden Sie mindestens 10 Zeichen."},
		{strings.Repeat(" ", 12), "Das Passwort darf nicht nur aus Leerzeichen bestehen."},
		{strings.Repeat("x", 257), "Das Passwort ist zu lang: Verwenden Sie höchstens 256 Zeichen."},
	} {
		r := gatewaytest.PostPage(t, app, "/reset-password", "token", gatewaytest.Token(link), "password", c.pw, "confirm", c.pw)
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, c.want) || strings.Contains(r.Body, "characters") {
			t.Fatalf("reset with %q: %d %s", c.pw, r.Status, r.Body)
		}
	}
	const pw = "ein ganz neues Passwort"
	if r := gatewaytest.PostPage(t, app, "/reset-password", "token", gatewaytest.Token(link), "password", pw, "confirm", pw+"x"); !strings.Contains(r.Body, "Die beiden Passwörter stimmen nicht überein.") {
		t.Fatalf("passwords differ: %d %s", r.Status, r.Body)
	}
	if r := gatewaytest.PostPage(t, app, "/reset-password", "token", gatewaytest.Token(link), "password", pw, "confirm", pw); r.Status != 200 ||
		!strings.Contains(r.Body, "Passwort geändert") || !strings.Contains(r.Body, ">Anmelden</a>") {
		t.Fatalf("changed page: %d %s", r.Status, r.Body)
	}
	if m := gatewaytest.WaitMail(t, addr, gatewaytest.Subject("Ihr Passwort für ")); !strings.Contains(m.Text, "wurde soeben geändert") {
		t.Fatalf("changed email: %s\n%s", m.Subject, m.Text)
	}
}

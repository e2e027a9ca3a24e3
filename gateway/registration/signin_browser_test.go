package registration_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"gatehouse/internal/mailsink"
	"gatehouse/internal/testkit"
	"gatehouse/internal/testkit/gatewaytest"
)

// The whole sign-in story in headless Chromium, with a test portal that
// receives the tokens: registration email → set password → sign in with
// the password at /sign-in → the portal's callback gets an ID token that
// verifies against the JWKS; later a sign-in link asked for on /sign-in
// signs in again (form_post this time); "Forgot password" → email → a new
// password that signs in while the old one does not; a blocked user is
// refused.
func TestSignInInBrowser(t *testing.T) {
	app := testkit.Get(t).StartApp(t)
	portal := testkit.NewReceiver(t)
	siteID := gatewaytest.NewSite(t, app, map[string]any{"completeButtonUrl": portal.URL + "/home",
		"signInCallbackUrl": portal.URL + "/sso"}, nil)
	addr := gatewaytest.Email("story")
	gatewaytest.Register(t, app, siteID, "email", addr, "firstName", "Sto", "lastName", "Ry")
	link := gatewaytest.LinkIn(t, gatewaytest.WaitMail(t, addr, gatewaytest.Subject("Set your password")))

	ctx := testkit.Browser(t)
	const pw = "a long passphrase"
	browse(t, ctx, chromedp.Navigate(link), chromedp.WaitVisible("#password"),
		chromedp.SendKeys("#password", pw), chromedp.SendKeys("#confirm", pw), chromedp.Click("#submit"),
		chromedp.WaitVisible("#complete-title"))

	// Password sign-in: a wrong password first, then the right one.
	browse(t, ctx, chromedp.Navigate(app.URL+"/sign-in?site="+siteID), chromedp.WaitVisible("#email"),
		chromedp.SendKeys("#email", addr), chromedp.SendKeys("#password", "not my password"),
		chromedp.Click("#sign-in-password"), chromedp.WaitVisible("#error"))
	if e := text(t, ctx, "#error"); !strings.Contains(e, "wrong") {
		t.Fatalf("error %q", e)
	}
	browse(t, ctx, chromedp.SetValue("#password", pw), chromedp.Click("#sign-in-password"))
	reqs := ssoRequests(t, portal, 1)
	q, _ := url.ParseQuery(reqs[0].Query)
	if reqs[0].Path != "/sso" {
		t.Fatalf("portal got %s %s", reqs[0].Method, reqs[0].Path)
	}
	if c := gatewaytest.VerifyIDToken(t, app, q.Get("id_token"), siteID); c.Email != addr || c.AMR[0] != "pwd" {
		t.Fatalf("claims %+v", c)
	}

	// Later: ask for a sign-in link, with the portal taking form posts.
	sites := gatewaytest.Admin(t, app, "GET", "/api/v1/sites/"+siteID, nil).JSON(t)
	reg := sites["webhooksiteregistration"].(map[string]any)
	reg["signInResponseMode"] = "form_post"
	delete(reg, "registrationKeySet")
	if r := gatewaytest.Admin(t, app, "PUT", "/api/v1/sites/"+siteID, sites); r.Status/100 != 2 {
		t.Fatalf("site update: %d %s", r.Status, r.Body)
	}
	browse(t, ctx, chromedp.Navigate(app.URL+"/sign-in?site="+siteID), chromedp.WaitVisible("#email"),
		chromedp.SendKeys("#email", addr), chromedp.Click("#sign-in-link"), chromedp.WaitVisible("#message"))
	if m := text(t, ctx, "#message"); !strings.Contains(m, "on its way") {
		t.Fatalf("message %q", m)
	}
	signInLink := gatewaytest.LinkIn(t, gatewaytest.WaitMail(t, addr, func(m mailsink.Message) bool {
		return strings.HasPrefix(m.Subject, "Your sign-in link for ")
	}))
	browse(t, ctx, chromedp.Navigate(signInLink), chromedp.WaitVisible("#submit"), chromedp.Click("#submit"))
	reqs = ssoRequests(t, portal, 2)
	form, _ := url.ParseQuery(string(reqs[1].Body))
	if reqs[1].Method != "POST" || reqs[1].Path != "/sso" {
		t.Fatalf("portal got %s %s", reqs[1].Method, reqs[1].Path)
	}
	if c := gatewaytest.VerifyIDToken(t, app, form.Get("id_token"), siteID); c.Email != addr || c.AMR[0] != "email" {
		t.Fatalf("claims %+v", c)
	}

	// Forgot password: the reset link's page takes a new password; then the
	// old one is refused and the new one signs in.
	const newPW = "another long passphrase"
	browse(t, ctx, chromedp.Navigate(app.URL+"/sign-in?site="+siteID), chromedp.WaitVisible("#email"),
		chromedp.SendKeys("#email", addr), chromedp.Click("#forgot-password"), chromedp.WaitVisible("#message"))
	if m := text(t, ctx, "#message"); !strings.Contains(m, "new password is on its way") {
		t.Fatalf("message %q", m)
	}
	resetLink := gatewaytest.LinkIn(t, gatewaytest.WaitMail(t, addr, gatewaytest.Subject("Reset your password for ")))
	browse(t, ctx, chromedp.Navigate(resetLink), chromedp.WaitVisible("#password"),
		chromedp.SendKeys("#password", newPW), chromedp.SendKeys("#confirm", newPW), chromedp.Click("#submit"),
		chromedp.WaitVisible("#message-title"))
	if m := text(t, ctx, "#message-title"); m != "Password changed" {
		t.Fatalf("after the reset: %q", m)
	}
	gatewaytest.WaitMail(t, addr, func(m mailsink.Message) bool { return strings.HasSuffix(m.Subject, " was changed") })
	browse(t, ctx, chromedp.Navigate(app.URL+"/sign-in?site="+siteID), chromedp.WaitVisible("#email"),
		chromedp.SendKeys("#email", addr), chromedp.SendKeys("#password", pw),
		chromedp.Click("#sign-in-password"), chromedp.WaitVisible("#error"))
	if n := len(ssoRequests(t, portal, 2)); n != 2 { // the old password: the error page, no redirect
		t.Fatalf("the portal got %d sign-ins", n)
	}
	browse(t, ctx, chromedp.SetValue("#password", newPW), chromedp.Click("#sign-in-password"))
	reqs = ssoRequests(t, portal, 3)
	form, _ = url.ParseQuery(string(reqs[2].Body))
	if c := gatewaytest.VerifyIDToken(t, app, form.Get("id_token"), siteID); c.Email != addr || c.AMR[0] != "pwd" {
		t.Fatalf("claims after the reset %+v", c)
	}

	// Blocked: the password no longer works.
	if _, err := app.Store.DB().Exec("UPDATE users SET status = 'blocked' WHERE email = ?", addr); err != nil {
		t.Fatal(err)
	}
	browse(t, ctx, chromedp.Navigate(app.URL+"/sign-in?site="+siteID), chromedp.WaitVisible("#email"),
		chromedp.SendKeys("#email", addr), chromedp.SendKeys("#password", newPW),
		chromedp.Click("#sign-in-password"), chromedp.WaitVisible("#error"))
	if n := len(ssoRequests(t, portal, 3)); n != 3 { // the error page showed: no redirect
		t.Fatalf("the portal got %d sign-ins", n)
	}
}

// ssoRequests waits for n requests to the portal's callback (the browser
// also asks the portal for its favicon).
func ssoRequests(t *testing.T, portal *testkit.Receiver, n int) []testkit.Request {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var out []testkit.Request
		for _, r := range portal.Requests() {
			if r.Path == "/sso" {
				out = append(out, r)
			}
		}
		if len(out) >= n {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("the portal got %d sign-ins, want %d", len(out), n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

package registration_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"gatehouse/internal/testkit"
	"gatehouse/internal/testkit/gatewaytest"
	"gatehouse/workflows"
)

func browse(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(sel))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

func location(t *testing.T, ctx context.Context) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The set-password pages as a person uses them, in headless Chromium.
func TestSetPasswordInBrowser(t *testing.T) {
	app := testkit.Get(t).StartApp(t)
	siteID := gatewaytest.NewSite(t, app, map[string]any{"completeTitle": "You are in", "completeText": "Password saved.",
		"completeButtonTitle": "Go to the portal", "completeButtonUrl": app.URL + "/healthz"}, nil)
	addr := gatewaytest.Email("browser")
	r := gatewaytest.Register(t, app, siteID, "email", addr, "firstName", "Bea", "lastName", "Rowser")
	link := gatewaytest.LinkIn(t, gatewaytest.WaitMail(t, addr, gatewaytest.Subject("Set your password")))

	ctx := testkit.Browser(t)
	browse(t, ctx,
		chromedp.Navigate(link),
		chromedp.WaitVisible("#password"),
		chromedp.SendKeys("#password", "a long passphrase"),
		chromedp.SendKeys("#confirm", "a different one!"),
		chromedp.Click("#submit"),
		chromedp.WaitVisible("#error"),
	)
	if e := text(t, ctx, "#error"); !strings.Contains(e, "differ") {
		t.Fatalf("error %q", e)
	}
	browse(t, ctx,
		chromedp.SendKeys("#password", "a long passphrase"),
		chromedp.SendKeys("#confirm", "a long passphrase"),
		chromedp.Click("#submit"),
		chromedp.WaitVisible("#complete-title"),
	)
	if title, body, button := text(t, ctx, "#complete-title"), text(t, ctx, "#complete-text"), text(t, ctx, "#complete-button"); title != "You are in" || body != "Password saved." || button != "Go to the portal" {
		t.Fatalf("complete page %q %q %q", title, body, button)
	}
	browse(t, ctx, chromedp.Click("#complete-button"), chromedp.WaitReady("body"))
	if loc := location(t, ctx); loc != app.URL+"/healthz" {
		t.Fatalf("button led to %s", loc)
	}
	if st := gatewaytest.FinalState(t, app, r.JSON(t)["workflowId"].(string)); st.Status != workflows.StatusActive {
		t.Fatalf("state %+v", st)
	}
	// The same link again shows the invalid-link page.
	browse(t, ctx, chromedp.Navigate(link), chromedp.WaitVisible("#invalid-title"))
	if s := text(t, ctx, "#invalid-title"); !strings.Contains(s, "cannot be used") {
		t.Fatalf("invalid page %q", s)
	}
}

// The magic link opens a page; its button signs in and leads to the
// complete URL, here on another origin (the page's CSP must allow the
// redirect after the form post).
func TestMagicLinkInBrowser(t *testing.T) {
	app := testkit.Get(t).StartApp(t)
	portal := testkit.NewReceiver(t)
	siteID := gatewaytest.NewSite(t, app, map[string]any{"authMethod": "magicLink", "completeButtonUrl": portal.URL + "/home"}, nil)
	addr := gatewaytest.Email("mbrowser")
	gatewaytest.Register(t, app, siteID, "email", addr, "firstName", "Ma", "lastName", "Gic")
	link := gatewaytest.LinkIn(t, gatewaytest.WaitMail(t, addr, nil))
	ctx := testkit.Browser(t)
	browse(t, ctx, chromedp.Navigate(link), chromedp.WaitVisible("#submit"))
	if u := gatewaytest.Admin(t, app, "GET", "/api/v1/sites/"+siteID+"/users?email="+addr, nil).JSON(t)["objects"].([]any)[0].(map[string]any); u["status"] != "pending" {
		t.Fatalf("opening the link activated the user: %v", u)
	}
	browse(t, ctx, chromedp.Click("#submit"))
	gatewaytest.WaitRequests(t, portal, 1)
	deadline := time.Now().Add(10 * time.Second)
	for loc := location(t, ctx); !strings.HasPrefix(loc, portal.URL+"/home?id_token="); loc = location(t, ctx) {
		if time.Now().After(deadline) {
			t.Fatalf("landed on %s", loc)
		}
		time.Sleep(50 * time.Millisecond)
	}
	u := gatewaytest.Admin(t, app, "GET", "/api/v1/sites/"+siteID+"/users?email="+addr, nil).JSON(t)["objects"].([]any)[0].(map[string]any)
	if u["status"] != "active" {
		t.Fatalf("user %v", u)
	}
}

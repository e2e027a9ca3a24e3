package registration_test

import (
	"net/http"
	"strings"
	"testing"

	"gatehouse/internal/testkit"
	"gatehouse/internal/testkit/gatewaytest"
)

// Pages speak the user's language (then ?lang=, then Accept-Language),
// and the complete screen takes the site's texts per language.
func TestTranslatedPages(t *testing.T) {
	app := testkit.Get(t).StartApp(t)
	siteID := gatewaytest.NewSite(t, app, map[string]any{
		"completeTitle":   map[string]string{"en": "All done", "de": "Alles erledigt"},
		"completeText":    "Thanks!",
		"languageMapping": []map[string]string{{"externalLanguageCode": "Deutsch", "formkmsLanguage": "de"}},
	}, map[string]any{"languages": []string{"en", "de"}})
	addr := gatewaytest.Email("deutsch")
	gatewaytest.Register(t, app, siteID, "email", addr, "firstName", "Dora", "lastName", "D", "language", "Deutsch")
	link := gatewaytest.LinkIn(t, gatewaytest.WaitMail(t, addr, nil))

	// The user's language wins over the browser's.
	g := gatewaytest.Send(t, "GET", link, "", nil, "Accept-Language: en")
	if g.Status != 200 || !strings.Contains(g.Body, `<html lang="de">`) || !strings.Contains(g.Body, "Passwort festlegen") ||
		!strings.Contains(g.Body, "mindestens 10 Zeichen") {
		t.Fatalf("set-password page: %d %s", g.Status, g.Body)
	}
	form := func(pw, confirm string) gatewaytest.Resp {
		return gatewaytest.PostPage(t, app, "/set-password", "token", gatewaytest.Token(link), "password", pw, "confirm", confirm)
	}
	if r := form("correct horse battery", "correct horse battery!"); r.Status != 422 || !strings.Contains(r.Body, "stimmen nicht überein") {
		t.Fatalf("mismatch: %d %s", r.Status, r.Body)
	}
	if r := form("kurz", "kurz"); r.Status != 422 || !strings.Contains(r.Body, `<p class="error" id="error">Das Passwort ist zu kurz: Verwenden Sie mindestens 10 Zeichen.</p>`) {
		t.Fatalf("too short: %d %s", r.Status, r.Body)
	}
	r := form("correct horse battery", "correct horse battery")
	if r.Status != 200 || !strings.Contains(r.Body, "Alles erledigt") || !strings.Contains(r.Body, "Thanks!") ||
		!strings.Contains(r.Body, "Melden Sie sich mit Ihrer E-Mail-Adresse") || !strings.Contains(r.Body, ">Anmelden</a>") {
		t.Fatalf("complete page: %d %s", r.Status, r.Body)
	}

	// A link that leads nowhere: ?lang=, then Accept-Language.
	bad := app.URL + "/set-password?token=" + strings.Repeat("A", 43)
	for _, c := range []struct{ url, accept, want string }{
		{bad + "&lang=fr", "de", "Ce lien ne peut pas être utilisé"},
		{bad, "es-MX, en;q=0.5", "Este enlace no se puede usar"},
		{bad, "", "This link cannot be used"},
	} {
		h := []string{}
		if c.accept != "" {
			h = append(h, "Accept-Language: "+c.accept)
		}
		if r := gatewaytest.Send(t, "GET", c.url, "", nil, h...); r.Status != http.StatusGone || !strings.Contains(r.Body, c.want) {
			t.Errorf("%s %s: %d %s", c.url, c.accept, r.Status, r.Body)
		}
	}
	// An English user on the same site reads the English title.
	en := gatewaytest.Email("english")
	gatewaytest.Register(t, app, siteID, "email", en, "firstName", "E", "lastName", "N")
	l2 := gatewaytest.LinkIn(t, gatewaytest.WaitMail(t, en, nil))
	r = gatewaytest.PostPage(t, app, "/set-password", "token", gatewaytest.Token(l2), "password", "correct horse battery", "confirm", "correct horse battery")
	if !strings.Contains(r.Body, "All done") || !strings.Contains(r.Body, "Sign in to the site") {
		t.Fatalf("English complete page: %s", r.Body)
	}
}

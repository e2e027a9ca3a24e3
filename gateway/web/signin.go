package web

import (
	"crypto/rand"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"gatehouse/internal/idtoken"
	"gatehouse/internal/pagetext"
	"gatehouse/internal/site"
	"gatehouse/internal/store"
)

// SignInPerson is who a signed-in user is for their ID token.
func SignInPerson(u store.User, amr string) idtoken.Person {
	return idtoken.Person{SiteID: u.SiteID, UserID: u.ID, Email: u.Email, FirstName: u.FirstName, LastName: u.LastName,
		Groups: u.Groups, Role: u.Role, Language: u.Language, AMR: amr}
}

// DeliverSignIn hands the person's ID token to the site's sign-in callback:
// a 303 redirect with ?id_token= (signInResponseMode query), or a page whose
// form POSTs id_token there by itself (form_post), so the token stays out
// of the portal's logs and browser history. The caller checked that the
// user may sign in (status active).
func (d *Deps) DeliverSignIn(c *gin.Context, st site.Site, p idtoken.Person) {
	choice := PageChoice(c)
	choice.User = p.Language
	lang := pagetext.Pick(st.Languages, st.DefaultLanguage, choice)
	tok, _, err := d.IDTokens.Sign(c, p)
	if err != nil {
		d.Log.Warn("sign-in: cannot sign the ID token", "site", st.ID, "error", err)
		c.Header("Retry-After", "30")
		PageError(c, http.StatusServiceUnavailable, lang, pagetext.SignInUnavailable)
		return
	}
	callback := st.SignInCallback(d.Config.PublicURL)
	c.Header("Cache-Control", "no-store")
	c.Header("Referrer-Policy", "no-referrer")
	if st.Registration.SignInResponseMode == site.ResponseFormPost {
		nonce := rand.Text()
		c.Header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-"+nonce+
			"'; form-action "+formActionSource(callback)+"; frame-ancestors 'none'; base-uri 'none'")
		c.Status(http.StatusOK)
		c.Header("Content-Type", "text/html; charset=utf-8")
		if err := formPost.Execute(c.Writer, map[string]string{"Action": callback, "Token": tok, "Nonce": nonce, "Lang": lang,
			"Title": pagetext.T(lang, pagetext.SignInSigningIn), "Continue": pagetext.T(lang, pagetext.SignInContinue)}); err != nil {
			c.Error(err) //nolint:errcheck
		}
		return
	}
	u, err := url.Parse(callback)
	if err != nil {
		d.Unavailable(c, err)
		return
	}
	q := u.Query()
	q.Set("id_token", tok)
	u.RawQuery = q.Encode()
	c.Redirect(http.StatusSeeOther, u.String())
}

// formActionSource is the callback's origin for CSP form-action, or 'self'.
func formActionSource(callback string) string {
	u, err := url.Parse(callback)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.ContainsAny(u.Host, " ;,'\"") {
		return "'self'"
	}
	return u.Scheme + "://" + u.Host
}

var formPost = template.Must(template.New("form_post").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><title>{{.Title}}</title></head>
<body><form method="post" action="{{.Action}}"><input type="hidden" name="id_token" value="{{.Token}}">
<noscript><button type="submit">{{.Continue}}</button></noscript></form>
<script nonce="{{.Nonce}}">document.forms[0].submit()</script></body></html>
`))

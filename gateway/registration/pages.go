package registration

import (
	"embed"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"gatehouse/gateway/web"
	"gatehouse/internal/domain"
	"gatehouse/internal/idtoken"
	"gatehouse/internal/linktoken"
	"gatehouse/internal/pagetext"
	"gatehouse/internal/password"
	"gatehouse/internal/site"
	"gatehouse/internal/store"
	"gatehouse/workflows"
)

//go:embed pages/*.html
var pageFiles embed.FS

var pages = template.Must(template.New("pages").Funcs(pageFuncs).ParseFS(pageFiles, "pages/*.html"))

// pageData is what a page shows. Its texts (Title, Error, Message, the
// Complete* texts) are in the page's language already: handlers translate
// them (pagetext, phrase.in), templates show them as they are.
type pageData struct {
	Lang, Title, EventName, Email, Token, Error  string
	MinLength                                    int
	CompleteTitle, CompleteText, CompleteSubText string
	CompleteButtonTitle, CompleteButtonURL       string
	// FormTarget is an origin the page's form may lead to besides its own:
	// the magic link's POST redirects to the site's complete URL, and
	// browsers apply form-action to that redirect.
	FormTarget string
	// CSRF is the form's anti-forgery token (web.CSRF); SiteID and
	// Message serve the sign-in and message pages.
	CSRF, SiteID, Message string
}

func renderPage(c *gin.Context, status int, name string, d pageData) {
	if d.Lang == "" {
		d.Lang = "en"
	}
	d.CSRF = web.CSRFToken(c)
	formAction := "'self'"
	if d.FormTarget != "" {
		formAction += " " + d.FormTarget
	}
	c.Header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action "+formAction+"; frame-ancestors 'none'; base-uri 'none'")
	c.Header("Referrer-Policy", "no-referrer") // the token is in the URL
	c.Header("Cache-Control", "no-store")
	c.Header("X-Content-Type-Options", "nosniff")
	c.Status(status)
	c.Header("Content-Type", "text/html; charset=utf-8")
	if err := pages.ExecuteTemplate(c.Writer, name, d); err != nil {
		c.Error(err) //nolint:errcheck
	}
}

// cspOrigin is the origin of u as a CSP source, or "" when u has none or
// it holds characters a CSP source may not.
func cspOrigin(u string) string {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return ""
	}
	o := p.Scheme + "://" + p.Host
	if strings.ContainsAny(o, " ;,'\"\t\r\n") {
		return ""
	}
	return o
}

// hashPassword is password.Hash; tests count its calls.
var hashPassword = password.Hash

// invalidLink is one page for unknown, expired, used and revoked tokens:
// nothing tells a guesser which it hit.
func invalidLink(c *gin.Context) {
	lang := pageLang(c, nil, "")
	renderPage(c, http.StatusGone, "invalid_link.html", pageData{Lang: lang, Title: pagetext.T(lang, pagetext.InvalidTitle)})
}

// peekLink checks a token without using it. When it is not live it
// answers the request itself (the invalid-link page, or 503) and says no.
func (s *server) peekLink(c *gin.Context, token, purpose string) (store.TokenInfo, bool) {
	if !linktoken.Plausible(token) {
		invalidLink(c)
		return store.TokenInfo{}, false
	}
	info, err := s.Store.PeekToken(c, linktoken.Hash(token), purpose)
	if errors.Is(err, store.ErrTokenInvalid) {
		invalidLink(c)
		return info, false
	}
	if err != nil {
		s.pageUnavailable(c, err)
		return info, false
	}
	return info, true
}

// linkPerson reads the site and the user a live token leads to; it answers
// 503 itself when it cannot.
func (s *server) linkPerson(c *gin.Context, info store.TokenInfo) (site.Site, store.User, bool) {
	st, _, err := s.Store.GetSite(c, info.SiteID)
	if err != nil {
		s.pageUnavailable(c, err)
		return st, store.User{}, false
	}
	u, err := s.Store.GetUser(c, info.SiteID, info.UserID)
	if err != nil {
		s.pageUnavailable(c, err)
		return st, u, false
	}
	if u.Status == domain.UserBlocked {
		blockedPage(c, pageLang(c, &st, u.Language), st.EventName)
		return st, u, false
	}
	return st, u, true
}

func (s *server) setPasswordForm(c *gin.Context) {
	token := c.Query("token")
	if info, ok := s.peekLink(c, token, domain.PurposePassword); ok {
		s.renderSetPassword(c, http.StatusOK, info, token, phrase{})
	}
}

func (s *server) renderSetPassword(c *gin.Context, status int, info store.TokenInfo, token string, msg phrase) {
	if st, u, ok := s.linkPerson(c, info); ok {
		lang := pageLang(c, &st, u.Language)
		renderPage(c, status, "set_password.html", pageData{Lang: lang, Title: pagetext.T(lang, pagetext.SetPasswordTitle), EventName: st.EventName,
			Email: u.Email, Token: token, Error: msg.in(lang), MinLength: password.MinLength})
	}
}

// setPassword checks the form, then claims the token and hashes the
// password only while the token's row is locked and live (store.ClaimToken):
// a spent or unknown token never costs an argon2id hash, and concurrent
// posts of one token hash once. Hash, activation and event commit together,
// then the registration workflow is told.
func (s *server) setPassword(c *gin.Context) {
	form := c.Request.PostForm // parsed by web.PageForm
	token, pw, confirm := form.Get("token"), form.Get("password"), form.Get("confirm")
	info, ok := s.peekLink(c, token, domain.PurposePassword)
	if !ok {
		return
	}
	if err := password.Check(pw); err != nil {
		s.renderSetPassword(c, http.StatusUnprocessableEntity, info, token, passwordProblem(err))
		return
	}
	if pw != confirm {
		s.renderSetPassword(c, http.StatusUnprocessableEntity, info, token, say(pagetext.PasswordsDiffer))
		return
	}
	u, st, ok := s.activate(c, linktoken.Hash(token), domain.PurposePassword, func() (string, error) { return hashPassword(pw) }, "set-password", "password")
	if !ok {
		return
	}
	r, lang := st.Registration, pageLang(c, &st, u.Language)
	in := func(t site.Text, key string) string { return t.In(lang, st.DefaultLanguage, key) }
	renderPage(c, http.StatusOK, "complete.html", pageData{Lang: lang, Title: in(r.CompleteTitle, pagetext.CompleteTitle),
		CompleteTitle: in(r.CompleteTitle, pagetext.CompleteTitle), CompleteText: in(r.CompleteText, pagetext.CompleteText),
		CompleteSubText:     in(r.CompleteSubText, pagetext.CompleteSubText),
		CompleteButtonTitle: in(r.CompleteButtonTitle, pagetext.CompleteButton), CompleteButtonURL: st.CompleteURL(s.Config.PublicURL)})
}

// magicLinkForm is GET and HEAD /magic-link: a page with one button that
// posts the token. Mail scanners and link previews fetch links; only the
// person's click uses the token.
func (s *server) magicLinkForm(c *gin.Context) {
	token := c.Query("token")
	info, ok := s.peekLink(c, token, domain.PurposeMagicLink)
	if !ok {
		return
	}
	if st, u, ok := s.linkPerson(c, info); ok {
		lang := pageLang(c, &st, u.Language)
		renderPage(c, http.StatusOK, "magic_link.html", pageData{Lang: lang, Title: pagetext.T(lang, pagetext.MagicLinkTitle), EventName: st.EventName,
			Email: u.Email, Token: token, FormTarget: cspOrigin(st.SignInCallback(s.Config.PublicURL))})
	}
}

// magicLink is POST /magic-link: it spends the single-use token
// (activating a pending user) and sends the person to the site's sign-in
// callback with an ID token (amr "email"): registration and sign-in links
// alike end signed in at the portal.
func (s *server) magicLink(c *gin.Context) {
	token := c.Request.PostForm.Get("token") // parsed by web.PageForm
	if !linktoken.Plausible(token) {
		invalidLink(c)
		return
	}
	u, st, ok := s.activate(c, linktoken.Hash(token), domain.PurposeMagicLink, nil, "magic-link", "magic link")
	if !ok {
		return
	}
	if u.Status != domain.UserActive {
		invalidLink(c)
		return
	}
	p := web.SignInPerson(u, idtoken.AMREmail)
	p.AuthTime = time.Now()
	s.DeliverSignIn(c, st, p)
}

// notifyActivated signals the workflow after the activation committed. If
// Temporal is unreachable the person still sees success: the workflow finds
// the user active when the link's timer fires and confirms then.
func (s *server) notifyActivated(c *gin.Context, u store.User, method string) {
	_, err := s.SignalRegistration(c, u.SiteID, u.ID, u.Email, workflows.RegistrationActivatedSignal,
		workflows.Activated{Method: method})
	if err != nil {
		s.Log.Warn("activation stored but not signalled; the registration confirms at link expiry",
			"site", u.SiteID, "user", u.ID, "error", err)
	}
}

// passwordProblem is what the set-password and reset pages say when
// password.Check refuses a password.
func passwordProblem(err error) phrase {
	switch {
	case errors.Is(err, password.ErrTooShort):
		return say(pagetext.PasswordTooShort, password.MinLength)
	case errors.Is(err, password.ErrTooLong):
		return say(pagetext.PasswordTooLong, password.MaxLength)
	case errors.Is(err, password.ErrBlank):
		return say(pagetext.PasswordBlank)
	}
	return say(pagetext.PasswordRefused)
}

func (s *server) pageUnavailable(c *gin.Context, err error) {
	s.Log.Warn("page: dependency unavailable", "path", c.Request.URL.Path, "error", err)
	c.Header("Retry-After", "30")
	web.PageError(c, http.StatusServiceUnavailable, pageLang(c, nil, ""), pagetext.Unavailable)
}

// activate spends a link token (pwHash, if not nil, runs once the token is
// claimed), tells the registration workflow and reads the site for the
// page that follows. It answers the request itself when it fails.
func (s *server) activate(c *gin.Context, hash []byte, purpose string, pwHash func() (string, error), source, method string) (store.User, site.Site, bool) {
	// A sign-in link spent by an active user signs in and changes nothing:
	// the registration workflow hears only of activations (a finished one
	// would start again and confirm a second time).
	wasActive := false
	if info, err := s.Store.PeekToken(c, hash, purpose); err == nil {
		if before, err := s.Store.GetUser(c, info.SiteID, info.UserID); err == nil {
			wasActive = before.Status == domain.UserActive
		}
	}
	u, err := s.Store.ClaimToken(c, hash, purpose, source, pwHash)
	if errors.Is(err, store.ErrTokenInvalid) {
		invalidLink(c)
		return u, site.Site{}, false
	}
	if errors.Is(err, store.ErrUserBlocked) {
		blockedPage(c, pageLang(c, nil, ""), "")
		return u, site.Site{}, false
	}
	if err != nil {
		s.pageUnavailable(c, err)
		return u, site.Site{}, false
	}
	if !wasActive {
		s.notifyActivated(c, u, method)
	}
	st, _, err := s.Store.GetSite(c, u.SiteID)
	if err != nil {
		s.pageUnavailable(c, err)
		return u, st, false
	}
	return u, st, true
}

package registration

import (
	"context"
	"errors"
	"net/http"
	"net/mail"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"gatehouse/activities"
	"gatehouse/gateway/web"
	"gatehouse/internal/domain"
	"gatehouse/internal/idtoken"
	"gatehouse/internal/mapping"
	"gatehouse/internal/pagetext"
	"gatehouse/internal/password"
	"gatehouse/internal/ratelimit"
	"gatehouse/internal/site"
	"gatehouse/internal/store"
	"gatehouse/workflows"
)

// signIn holds the sign-in limits: attempts per account (site and email,
// whether or not it exists, so a lockout tells nothing) and per client
// address.
type signIn struct {
	account *ratelimit.Limiter
	address *ratelimit.Limiter
}

// Messages that must read the same whether or not an address is registered.
var (
	msgWrongCredentials = say(pagetext.SignInWrong)
	msgLinkOnItsWay     = say(pagetext.SignInLinkSent)
	msgResetOnItsWay    = say(pagetext.SignInResetSent)
)

// dummyHash is verified when an email has no account or no password, so
// a wrong email costs as long as a wrong password.
var dummyHash = sync.OnceValue(func() string {
	h, err := password.Hash("gatehouse dummy password: never matches anything")
	if err != nil {
		panic(err)
	}
	return h
})

// checkPassword is the one password check of the page and the API: the
// user when the email, the password and the user's status (active) all
// fit; errBadCredentials for all the rest alike.
func (s *server) checkPassword(ctx context.Context, siteID, email, pw string) (store.User, error) {
	u, hash, err := s.Store.SignInUser(ctx, siteID, email)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return u, err
	}
	if hash == "" {
		password.Verify(pw, dummyHash())
		return store.User{}, errBadCredentials
	}
	if !password.Verify(pw, hash) || u.Status != domain.UserActive {
		return store.User{}, errBadCredentials
	}
	return u, nil
}

var errBadCredentials = errors.New("wrong email or password")

// allowAccount takes an attempt from the account's bucket (web.Take); what
// says which kind (password checks and emails requested count apart, so
// locking out the password does not stop the sign-in links).
func (s *server) allowAccount(c *gin.Context, what, siteID, email string) (int, bool) {
	return web.Take(c, s.signIn.account, accountKey(what, siteID, email))
}

// accountKey names an account's bucket: the page and the API share it.
func accountKey(what, siteID, email string) string {
	return what + " " + siteID + " " + mapping.NormalizeEmail(email)
}

// signInSite reads the site the sign-in page is for; false when it
// answered itself (404 for no or a disabled site, 503).
func (s *server) signInSite(c *gin.Context, siteID string) (site.Site, bool) {
	st, _, err := s.Store.GetSite(c, siteID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !st.Registration.Enabled) {
		lang := pageLang(c, nil, "")
		renderPage(c, http.StatusNotFound, "message.html", pageData{Lang: lang,
			Title: pagetext.T(lang, pagetext.NoSiteTitle), Message: pagetext.T(lang, pagetext.NoSiteText)})
		return st, false
	}
	if err != nil {
		s.pageUnavailable(c, err)
		return st, false
	}
	return st, true
}

// renderSignIn shows the sign-in page with an error or a message. Nobody
// is signed in yet, so its language is ?lang= on the page (then the
// form's copy of it when posted), then Accept-Language.
func (s *server) renderSignIn(c *gin.Context, status int, st site.Site, email string, errMsg, msg phrase) {
	lang := pageLang(c, &st, "")
	renderPage(c, status, "sign_in.html", pageData{Lang: lang, Title: pagetext.T(lang, pagetext.SignInTitle), EventName: st.EventName,
		SiteID: st.ID, Email: email, Error: errMsg.in(lang), Message: msg.in(lang), FormTarget: cspOrigin(st.SignInCallback(s.Config.PublicURL))})
}

// signInForm is GET /sign-in?site={siteId}.
func (s *server) signInForm(c *gin.Context) {
	if st, ok := s.signInSite(c, c.Query("site")); ok {
		s.renderSignIn(c, http.StatusOK, st, "", phrase{}, phrase{})
	}
}

// signInPost is POST /sign-in: action "password" checks the password and
// sends the person to the portal with an ID token; "link" and "reset" ask
// for a sign-in or reset email and answer the same for every address.
func (s *server) signInPost(c *gin.Context) {
	form := c.Request.PostForm
	st, ok := s.signInSite(c, form.Get("site"))
	if !ok {
		return
	}
	email := strings.TrimSpace(form.Get("email"))
	if secs, ok := web.Take(c, s.signIn.address, web.ClientIP(c)); !ok {
		s.renderSignIn(c, http.StatusTooManyRequests, st, email, say(pagetext.TooMany, secs), phrase{})
		return
	}
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email || len(email) > 254 {
		s.renderSignIn(c, http.StatusUnprocessableEntity, st, email, say(pagetext.SignInEnterEmail), phrase{})
		return
	}
	switch action := form.Get("action"); action {
	case "link", "reset":
		if _, ok := s.allowAccount(c, "mail", st.ID, email); !ok {
			// The same answer as when it goes out: nothing tells a
			// stranger whether this address exists or was asked for
			// (an empty value removes the header web.Take set).
			c.Header("Retry-After", "")
		} else {
			kind := activities.AccountSignInLink
			if action == "reset" {
				kind = activities.AccountPasswordReset
			}
			s.requestAccountEmail(kind, st.ID, email)
		}
		msg := msgLinkOnItsWay
		if action == "reset" {
			msg = msgResetOnItsWay
		}
		s.renderSignIn(c, http.StatusOK, st, email, phrase{}, msg)
	case "password", "":
		if secs, ok := s.allowAccount(c, "password", st.ID, email); !ok {
			s.renderSignIn(c, http.StatusTooManyRequests, st, email, say(pagetext.SignInLocked, secs), phrase{})
			return
		}
		u, err := s.checkPassword(c, st.ID, email, form.Get("password"))
		if errors.Is(err, errBadCredentials) {
			s.renderSignIn(c, http.StatusUnauthorized, st, email, msgWrongCredentials, phrase{})
			return
		}
		if err != nil {
			s.pageUnavailable(c, err)
			return
		}
		p := web.SignInPerson(u, idtoken.AMRPassword)
		p.AuthTime = time.Now()
		s.DeliverSignIn(c, st, p)
	default:
		s.renderSignIn(c, http.StatusBadRequest, st, email, say(pagetext.SignInChoose), phrase{})
	}
}

// requestAccountEmail starts the AccountEmail workflow in the background:
// the answer does not wait for Temporal, so it takes as long for an
// unknown address (whose workflow finds no user and sends nothing) as for
// a registered one. The user id is derived from the address, so the
// gateway does the same work for both.
func (s *server) requestAccountEmail(kind, siteID, email string) {
	in := activities.AccountEmailInput{Kind: kind, SiteID: siteID, UserID: mapping.UserID(siteID, email)}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := s.Temporal.ExecuteWorkflow(ctx, workflows.AccountEmailStartOptions(s.Config.Temporal.TaskQueue, in),
			workflows.AccountEmail, in); err != nil {
			s.Log.Warn("account email not requested: temporal unavailable", "kind", kind, "site", siteID, "user", in.UserID, "error", err)
		}
	}()
}

// passwordAPI is POST /api/v1/sites/{siteId}/auth/password for portals
// with their own login form: {"email","password"} → {"id_token"} or 401,
// the same 401 for an unknown email, a wrong password and a user who may
// not sign in.
func (s *server) passwordAPI(c *gin.Context) {
	var body struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	if err := c.ShouldBindJSON(&body); err != nil {
		web.Abort(c, http.StatusBadRequest, "invalid_body", "send {\"email\": ..., \"password\": ...} as JSON")
		return
	}
	st, _, err := s.Store.GetSite(c, c.Param("siteId"))
	if errors.Is(err, store.ErrNotFound) {
		web.Abort(c, http.StatusNotFound, "not_found", "no site "+c.Param("siteId"))
		return
	}
	if err != nil {
		s.Unavailable(c, err)
		return
	}
	if msg, ok := web.Allow(c, s.signIn.account, accountKey("password", st.ID, body.Email)); !ok {
		web.Abort(c, http.StatusTooManyRequests, "rate_limited", "too many attempts for this account; "+msg)
		return
	}
	u, err := s.checkPassword(c, st.ID, body.Email, body.Password)
	if errors.Is(err, errBadCredentials) {
		web.Abort(c, http.StatusUnauthorized, "invalid_credentials", "the email or the password is wrong")
		return
	}
	if err != nil {
		s.Unavailable(c, err)
		return
	}
	p := web.SignInPerson(u, idtoken.AMRPassword)
	p.AuthTime = time.Now()
	tok, _, err := s.IDTokens.Sign(c, p)
	if err != nil {
		s.Unavailable(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, gin.H{"id_token": tok, "token_type": "id_token", "expires_in": int(idtoken.TTL.Seconds())})
}

// jwks is GET /.well-known/jwks.json.
func (s *server) jwks(c *gin.Context) {
	set, err := s.IDTokens.JWKS(c)
	if err != nil {
		s.Unavailable(c, err)
		return
	}
	c.Header("Cache-Control", "public, max-age=300")
	c.JSON(http.StatusOK, set)
}

// discovery is GET /.well-known/openid-configuration.
func (s *server) discovery(c *gin.Context) {
	c.Header("Cache-Control", "public, max-age=3600")
	c.JSON(http.StatusOK, s.IDTokens.Discovery())
}

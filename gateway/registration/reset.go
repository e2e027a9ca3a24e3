package registration

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/gin-gonic/gin"

	"gatehouse/activities"
	"gatehouse/internal/domain"
	"gatehouse/internal/linktoken"
	"gatehouse/internal/mapping"
	"gatehouse/internal/pagetext"
	"gatehouse/internal/password"
	"gatehouse/internal/store"
	"gatehouse/workflows"
)

// resetForm is GET /reset-password?token=: the form, or the invalid-link
// page. Like every emailed link, GET only shows; POST uses the token.
func (s *server) resetForm(c *gin.Context) {
	token := c.Query("token")
	if info, ok := s.peekLink(c, token, domain.PurposeReset); ok {
		s.renderReset(c, http.StatusOK, info, token, phrase{})
	}
}

func (s *server) renderReset(c *gin.Context, status int, info store.TokenInfo, token string, msg phrase) {
	if st, u, ok := s.linkPerson(c, info); ok {
		lang := pageLang(c, &st, u.Language)
		renderPage(c, status, "reset_password.html", pageData{Lang: lang, Title: pagetext.T(lang, pagetext.ResetTitle), EventName: st.EventName,
			Email: u.Email, Token: token, Error: msg.in(lang), MinLength: password.MinLength})
	}
}

// resetPassword is POST /reset-password: store.ResetPassword spends the
// token, stores the new hash, revokes every other link of the user and
// records PasswordReset in one transaction; then the person is told by
// email that the password changed.
func (s *server) resetPassword(c *gin.Context) {
	form := c.Request.PostForm
	token, pw, confirm := form.Get("token"), form.Get("password"), form.Get("confirm")
	info, ok := s.peekLink(c, token, domain.PurposeReset)
	if !ok {
		return
	}
	if err := password.Check(pw); err != nil {
		s.renderReset(c, http.StatusUnprocessableEntity, info, token, passwordProblem(err))
		return
	}
	if pw != confirm {
		s.renderReset(c, http.StatusUnprocessableEntity, info, token, say(pagetext.PasswordsDiffer))
		return
	}
	u, activated, err := s.Store.ResetPassword(c, linktoken.Hash(token), "password-reset", func() (string, error) { return hashPassword(pw) })
	if errors.Is(err, store.ErrTokenInvalid) {
		invalidLink(c)
		return
	}
	if err != nil {
		s.pageUnavailable(c, err)
		return
	}
	if activated {
		s.notifyActivated(c, u, "password reset") // a pending registration is complete now
	}
	ctx, cancel := context.WithTimeout(c, 10*time.Second)
	defer cancel()
	in := activities.AccountEmailInput{Kind: activities.AccountPasswordChanged, SiteID: u.SiteID, UserID: u.ID}
	if _, err := s.Temporal.ExecuteWorkflow(ctx, workflows.AccountEmailStartOptions(s.Config.Temporal.TaskQueue, in),
		workflows.AccountEmail, in); err != nil {
		s.Log.Warn("password changed, but the notice was not requested: temporal unavailable", "site", u.SiteID, "user", u.ID, "error", err)
	}
	lang := u.Language // the site only narrows the choice; failing to read it is no reason to fail the page
	if st, _, err := s.Store.GetSite(c, u.SiteID); err == nil {
		lang = pageLang(c, &st, u.Language)
	}
	renderPage(c, http.StatusOK, "message.html", pageData{Lang: lang, Title: pagetext.T(lang, pagetext.ResetDoneTitle),
		Message: pagetext.T(lang, pagetext.ResetDoneText), CompleteButtonTitle: pagetext.T(lang, pagetext.SignInSend),
		CompleteButtonURL: "/sign-in?site=" + url.QueryEscape(u.SiteID)})
}

// resetWebhook is POST /webhooks/registration/{siteId}/password-reset, for
// a CRM: the registration webhook's authentication and body format, the
// email under the site's email key; the person receives a reset link. The
// answer is 202 whether or not the address is registered.
func (s *server) resetWebhook(c *gin.Context) {
	st, fields, ok := s.readWebhook(c)
	if !ok {
		return
	}
	reg := st.Registration
	email := mapping.String(fields[reg.MandatoryFieldsMapping.EmailWebhookKey])
	if email == "" {
		email = mapping.String(fields["email"])
	}
	email = mapping.NormalizeEmail(email)
	if email == "" || len(email) > 254 {
		webhookError(c, st, http.StatusBadRequest, "invalid_field", reg.MandatoryFieldsMapping.EmailWebhookKey+": an email address is required")
		return
	}
	if _, ok := s.allowAccount(c, "mail", st.ID, email); ok {
		s.requestAccountEmail(activities.AccountPasswordReset, st.ID, email)
	} else {
		c.Header("Retry-After", "") // the same answer either way
	}
	c.JSON(http.StatusAccepted, gin.H{"success": true, "status": "accepted"})
}

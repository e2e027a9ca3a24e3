package registration

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"gatehouse/internal/domain"
	"gatehouse/internal/site"
	"gatehouse/internal/store"
)

// addMagicLink is the seed's flow "where no emails are involved" (a
// magic-link site with sendEmail off): the webhook's answer carries the
// person's sign-in link, minted and stored hashed before the answer, so
// the CRM can send it itself; the workflow emails nothing. It runs after
// the submission is durable, so a failure here is a 503 that the CRM
// retries with the same request (the submission repeats harmlessly and a
// new link replaces this one). It answers the request itself when it fails.
func (s *server) addMagicLink(c *gin.Context, st *site.Site, userID string, answer gin.H) bool {
	link, expiresAt, err := s.MintLink(c, st, userID, domain.PurposeMagicLink, true)
	switch {
	case errors.Is(err, store.ErrUserBlocked):
		answer["userStatus"] = domain.UserBlocked
		answer["message"] = "the user is blocked: the data was accepted, no sign-in link was issued"
	case err != nil:
		s.Log.Warn("webhook: sign-in link not issued", "site", st.ID, "error", err)
		webhookError(c, st, http.StatusServiceUnavailable, "unavailable",
			"the registration was accepted but its sign-in link could not be issued; send the same request again for a link")
		return false
	default:
		answer["magicLink"] = link
		answer["magicLinkExpiresAt"] = expiresAt
	}
	return true
}

// returnLink is WP Fusion's "Return Password" done safely: the add's
// answer carries a link to set a password (passwordLink; magicLink on
// magic-link sites), never a password, for the CRM to put in its own
// email; Gatehouse then sends no email itself. Users already active or
// blocked get no link (userStatus says why): a set-password link would
// let the CRM replace an active user's password.
func (s *server) returnLink(c *gin.Context, st *site.Site, userID string, answer gin.H) bool {
	u, err := s.Store.GetUser(c, st.ID, userID)
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		s.Unavailable(c, err)
		return false
	case u.Status != domain.UserPending:
		answer["userStatus"] = u.Status
		return true
	}
	purpose := st.LinkPurpose()
	link, expiresAt, err := s.MintLink(c, st, userID, purpose, true)
	switch {
	case errors.Is(err, store.ErrUserBlocked):
		answer["userStatus"] = domain.UserBlocked
		return true
	case err != nil:
		s.Unavailable(c, err)
		return false
	}
	key := "passwordLink"
	if purpose == domain.PurposeMagicLink {
		key = "magicLink"
	}
	answer[key], answer["linkExpiresAt"] = link, expiresAt
	return true
}

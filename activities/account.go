package activities

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"

	"gatehouse/internal/domain"
	"gatehouse/internal/linktoken"
	gmail "gatehouse/internal/mail"
	"gatehouse/internal/pagetext"
	"gatehouse/internal/store"
)

// Kinds of account email, sent on request from the sign-in pages, a CRM
// or after a password change.
const (
	AccountSignInLink      = "sign-in-link"     // a fresh single-use sign-in (magic) link
	AccountPasswordReset   = "password-reset"   // a password-reset link, valid ResetLinkTTL
	AccountPasswordChanged = "password-changed" // the notice after a reset
)

// Lifetimes of the links in account emails. A sign-in link lives as long
// as the site's registration links, at most SignInLinkTTL.
const (
	SignInLinkTTL = time.Hour
	ResetLinkTTL  = time.Hour // OWASP: short-lived reset tokens
)

// AccountEmailInput names the person by id only: the address is read from
// MySQL, so no personal data travels through Temporal.
type AccountEmailInput struct {
	Kind   string
	SiteID string
	UserID string
}

// AccountEmailResult says whether an email went out and, if not, why.
type AccountEmailResult struct {
	Sent   bool
	Reason string `json:",omitempty"`
}

// SendAccountEmail sends one account email. Requests for unknown people
// are normal (the pages answer the same for any address, so they ask for
// anyone): they end here without an email, and so do links for users who
// may not sign in (blocked). A retry issues a new link, revoking the one
// a failed attempt may have issued.
func (a *Mailer) SendAccountEmail(ctx context.Context, in AccountEmailInput) (AccountEmailResult, error) {
	st, _, err := a.DB.GetSite(ctx, in.SiteID)
	if errors.Is(err, store.ErrNotFound) {
		return AccountEmailResult{Reason: "no such site"}, nil
	}
	if err != nil {
		return AccountEmailResult{}, err
	}
	u, err := a.DB.GetUser(ctx, in.SiteID, in.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return AccountEmailResult{Reason: "no such user"}, nil
	}
	if err != nil {
		return AccountEmailResult{}, err
	}
	if in.Kind != AccountPasswordChanged && u.Status != domain.UserActive && u.Status != domain.UserPending {
		return AccountEmailResult{Reason: "the user is " + u.Status}, nil
	}
	// The user's language among the site's, like the pages.
	lang := pagetext.Pick(st.Languages, st.DefaultLanguage, pagetext.Choice{User: u.Language})
	tr := func(key string, args ...any) string { return fmt.Sprintf(pagetext.T(lang, key), args...) }
	hello := pagetext.T(lang, pagetext.MailHello)
	if u.FirstName != "" {
		hello += " " + u.FirstName
	}
	event := st.EventName
	now := time.Now().UTC()
	msg := gmail.Message{To: []string{u.Email}}
	var tokenHash []byte
	link := func(purpose, path string, ttl time.Duration) (string, time.Time, error) {
		token, hash, err := linktoken.New()
		if err != nil {
			return "", time.Time{}, err
		}
		exp := now.Add(ttl)
		if err := a.DB.IssueToken(ctx, in.SiteID, in.UserID, purpose, hash, exp); err != nil {
			return "", exp, err
		}
		tokenHash = hash
		return a.PublicURL + path + "?token=" + url.QueryEscape(token), exp, nil
	}
	switch in.Kind {
	case AccountSignInLink:
		ttl := min(time.Duration(st.Registration.LinkExpirySeconds)*time.Second, SignInLinkTTL)
		l, exp, err := link(domain.PurposeMagicLink, "/magic-link", ttl)
		if err != nil {
			return AccountEmailResult{}, err
		}
		msg.Subject = tr(pagetext.MailSignInSubject, event)
		msg.Text = tr(pagetext.MailSignInText, hello, event, l, exp.Format("2006-01-02 15:04"))
	case AccountPasswordReset:
		l, exp, err := link(domain.PurposeReset, "/reset-password", ResetLinkTTL)
		if err != nil {
			return AccountEmailResult{}, err
		}
		msg.Subject = tr(pagetext.MailResetSubject, event)
		msg.Text = tr(pagetext.MailResetText, hello, event, l, exp.Format("2006-01-02 15:04"))
	case AccountPasswordChanged:
		msg.Subject = tr(pagetext.MailChangedSubject, event)
		msg.Text = tr(pagetext.MailChangedText, hello, event, a.PublicURL+"/sign-in?site="+url.QueryEscape(st.ID)+"&lang="+url.QueryEscape(lang))
	default:
		return AccountEmailResult{}, fmt.Errorf("unknown account email kind %q", in.Kind)
	}
	msg.MessageID = accountMessageID(ctx, in, tokenHash)
	if err := a.Sender.Send(ctx, msg); err != nil {
		return AccountEmailResult{}, classify(err, "")
	}
	return AccountEmailResult{Sent: true}, nil
}

// accountMessageID is unique per link (like linkMessageID), and for the
// notice per workflow run, so a retry of one notice keeps its id.
func accountMessageID(ctx context.Context, in AccountEmailInput, tokenHash []byte) string {
	if tokenHash != nil {
		return linkMessageID(in.Kind, in.UserID, 0, tokenHash)
	}
	if activity.IsActivity(ctx) {
		info := activity.GetInfo(ctx)
		return fmt.Sprintf("%s.%s.%s@gatehouse", in.Kind, in.UserID, strings.ReplaceAll(info.WorkflowExecution.RunID, "@", ""))
	}
	return ""
}

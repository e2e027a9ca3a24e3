package activities

import (
	"context"
	"crypto/sha256"
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
// may not sign in (blocked).
//
// The email goes out at most once per activity: its send (and the link in
// it) is claimed in MySQL before the SMTP transaction, keyed by the
// workflow run, the activity and the input, which its retries share. A
// retry that finds the claim answers from it and issues and sends nothing;
// only a send that provably left nothing with the SMTP server gives the
// claim back, so that the retry sends (with a new link).
func (a *Mailer) SendAccountEmail(ctx context.Context, in AccountEmailInput) (AccountEmailResult, error) {
	key, err := accountSendKey(ctx, in)
	if err != nil {
		return AccountEmailResult{}, err
	}
	if res, done, err := a.previousSend(ctx, key); done || err != nil {
		return res, err
	}
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
	// The link is issued with the claim, in one transaction.
	var issue *store.NewLinkToken
	link := func(purpose, path string, ttl time.Duration) (string, time.Time, error) {
		token, hash, err := linktoken.New()
		if err != nil {
			return "", time.Time{}, err
		}
		exp := now.Add(ttl)
		issue = &store.NewLinkToken{Purpose: purpose, Hash: hash, ExpiresAt: exp}
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
	var tokenHash []byte
	if issue != nil {
		tokenHash = issue.Hash
	}
	msg.MessageID = accountMessageID(ctx, in, tokenHash)
	claimed, err := a.DB.ClaimAccountEmail(ctx, store.AccountEmailSend{Key: key, Kind: in.Kind, SiteID: in.SiteID, UserID: in.UserID}, issue)
	if err != nil {
		return AccountEmailResult{}, classify(err, "")
	}
	if !claimed { // another run of this activity claimed it meanwhile
		res, done, err := a.previousSend(ctx, key)
		if err == nil && !done { // and gave it back: a retry may claim it
			err = errors.New("account email: claimed by another run of the activity, which gave it back")
		}
		return res, err
	}
	log := activity.GetLogger(ctx)
	err = a.Sender.Send(ctx, msg)
	switch {
	case err == nil:
		// Sent is the answer even if this record fails: a retry of a
		// completed activity is rare, and it would answer mayHaveSent.
		if err := a.DB.MarkAccountEmailSent(ctx, key, time.Now()); err != nil {
			log.Warn("account email sent, but not recorded as sent", "kind", in.Kind, "site", in.SiteID, "user", in.UserID, "err", err)
		}
		return AccountEmailResult{Sent: true}, nil
	case gmail.NotSent(err):
		// Nothing left: give the claim back so the retry sends. If that
		// fails, the retry finds the claim and sends nothing.
		if rerr := a.DB.ReleaseAccountEmail(ctx, key); rerr != nil {
			log.Warn("account email not sent, and its claim not released: it will not be sent", "kind", in.Kind,
				"site", in.SiteID, "user", in.UserID, "err", rerr, "send_err", err)
		}
		return AccountEmailResult{}, classify(err, "")
	default:
		log.Warn("account email: the send failed after the SMTP server may have taken it", "kind", in.Kind,
			"site", in.SiteID, "user", in.UserID, "err", err)
		return AccountEmailResult{Reason: sendCutOff}, nil
	}
}

// Reasons for an account email that is not sent again.
const (
	mayHaveSent = "a previous attempt claimed this email and may have sent it; it is not sent again"
	sendCutOff  = "the send failed after the SMTP server may have taken the email; it is not sent again"
)

// previousSend answers from the claim of an earlier run of this activity:
// done is false when there is none.
func (a *Mailer) previousSend(ctx context.Context, key []byte) (res AccountEmailResult, done bool, err error) {
	e, err := a.DB.GetAccountEmail(ctx, key)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return AccountEmailResult{}, false, nil
	case err != nil:
		return AccountEmailResult{}, true, err
	case e.Status == store.AccountEmailSent:
		return AccountEmailResult{Sent: true}, true, nil
	}
	return AccountEmailResult{Reason: mayHaveSent}, true, nil
}

// accountSendKey identifies one account email: the activity that sends it
// (the same for all its retries; a new workflow run is a new request) and
// its input.
func accountSendKey(ctx context.Context, in AccountEmailInput) ([]byte, error) {
	if !activity.IsActivity(ctx) {
		return nil, errors.New("SendAccountEmail runs as an activity: its retries are known by the activity's identity")
	}
	info := activity.GetInfo(ctx)
	h := sha256.New()
	for _, s := range []string{info.WorkflowExecution.ID, info.WorkflowExecution.RunID, info.ActivityID, info.ActivityRunID,
		in.Kind, in.SiteID, in.UserID} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return h.Sum(nil), nil
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

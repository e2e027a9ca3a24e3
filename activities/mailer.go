package activities

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/mail"
	"net/url"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"

	"gatehouse/internal/domain"
	"gatehouse/internal/emailtmpl"
	"gatehouse/internal/invite"
	"gatehouse/internal/linktoken"
	gmail "gatehouse/internal/mail"
	"gatehouse/internal/mapping"
	"gatehouse/internal/site"
	"gatehouse/internal/store"
)

// Mailer sends Gatehouse's emails. It reads templates and issues link
// tokens through the store: a token's raw value exists only inside one
// activity run and the email it goes into, never in workflow history.
type Mailer struct {
	DB        *store.Store
	Sender    *gmail.Sender
	PublicURL string // GATEHOUSE_PUBLIC_URL
	From      string // GATEHOUSE_MAIL_FROM
}

// Kinds of registration email.
const (
	EmailLink     = "email"    // the set-password or magic-link email
	EmailCalendar = "calendar" // the calendar invitation
)

// SendLinkInput asks for one link to be issued and sent.
type SendLinkInput struct {
	SiteID    string
	UserID    string
	Phase     site.Phase
	Emails    []string  // EmailLink and/or EmailCalendar
	ExpiresAt time.Time // decided by the workflow
	Sequence  int       // 0 for the first invitation, +1 per resend (iCalendar SEQUENCE)
	// EventID records RegistrationLinkSent with the send (fixed by the
	// workflow, so a retry records it once).
	EventID string
}

// SendLinkResult reports what went out.
type SendLinkResult struct {
	Sent      []string
	Templates []string
}

// SendLink issues a fresh link (revoking older ones) and sends the emails
// that carry it. A retry issues another link; only the newest works, and
// its emails have Message-IDs of their own (linkMessageID).
func (a *Mailer) SendLink(ctx context.Context, in SendLinkInput) (SendLinkResult, error) {
	st, _, err := a.DB.GetSite(ctx, in.SiteID)
	if err != nil {
		return SendLinkResult{}, classify(err, ErrTypeSiteNotFound)
	}
	u, err := a.DB.GetUser(ctx, in.SiteID, in.UserID)
	if err != nil {
		return SendLinkResult{}, classify(err, ErrTypeUserNotFound)
	}
	purpose := domain.PurposePassword
	if st.Registration.AuthMethod == site.AuthMagicLink {
		purpose = domain.PurposeMagicLink
	}
	token, hash, err := linktoken.New()
	if err != nil {
		return SendLinkResult{}, err
	}
	if err := a.DB.IssueToken(ctx, in.SiteID, in.UserID, purpose, hash, in.ExpiresAt); err != nil {
		return SendLinkResult{}, err
	}
	link := linktoken.URL(a.PublicURL, purpose, token)
	var res SendLinkResult
	for _, kind := range in.Emails {
		tmplID := st.SetPassTemplateFor(in.Phase)
		if kind == EmailCalendar {
			tmplID = st.Registration.ICalTemplate
		}
		t, err := a.DB.EmailTemplate(ctx, in.SiteID, tmplID)
		if err != nil {
			return res, fmt.Errorf("template %q: %w", tmplID, err)
		}
		r := t.Render(u.Language, values(st, u, link))
		msg := gmail.Message{
			MessageID: linkMessageID(kind, u.ID, in.Sequence, hash),
			To:        []string{u.Email}, Subject: r.Subject, Text: r.Text, HTML: r.HTML,
		}
		if kind == EmailCalendar {
			msg.Calendar = a.invitation(st, u, r, in.Sequence)
		}
		if err := a.Sender.Send(ctx, msg); err != nil {
			return res, classify(err, "")
		}
		res.Sent = append(res.Sent, kind)
		res.Templates = append(res.Templates, tmplID)
	}
	if in.EventID != "" {
		// After the sends: if MySQL fails just here, the retry sends a new
		// link, which is the lesser harm than an event claiming a link that
		// never left.
		e := store.UserEvent(domain.EventRegistrationLinkSent, u, nil, "registration", time.Now().UTC())
		e.ID = in.EventID
		if err := a.DB.RecordEvent(ctx, e); err != nil {
			return res, err
		}
	}
	return res, nil
}

// linkMessageID is unique per token. Every run of SendLink (a retry, a
// resend, a new workflow run) issues a new token and revokes the older
// ones, so a mailbox that keeps one message per Message-ID must never take
// a new link's email for a copy of an old one. The id carries a digest of
// the token's hash, not the token.
func linkMessageID(kind, userID string, sequence int, tokenHash []byte) string {
	d := sha256.Sum256(append([]byte("message-id/"), tokenHash...))
	return fmt.Sprintf("%s.%s.%d.%s@gatehouse", kind, userID, sequence, hex.EncodeToString(d[:8]))
}

// confirmationMessageID is unique per confirmation and the same for every
// retry of it: the confirmation follows one activation, so the activation
// time tells confirmations apart (a user deleted and registered again keeps
// its id). Without one, the workflow run and activity identify it.
func confirmationMessageID(ctx context.Context, u store.User) string {
	switch {
	case u.ActivatedAt != nil:
		return fmt.Sprintf("confirmed.%s.%d@gatehouse", u.ID, u.ActivatedAt.UnixMicro())
	case activity.IsActivity(ctx):
		info := activity.GetInfo(ctx)
		return fmt.Sprintf("confirmed.%s.%s.%s@gatehouse", u.ID, info.WorkflowExecution.RunID, info.ActivityID)
	}
	return "" // the sender generates a random one
}

func (a *Mailer) invitation(st site.Site, u store.User, r emailtmpl.Rendered, seq int) string {
	organizer, organizerName := a.From, st.EventName
	if addr, err := mail.ParseAddress(a.From); err == nil {
		organizer = addr.Address
	}
	var end time.Time
	if st.LoginLogTo != nil {
		end = *st.LoginLogTo
	}
	return invite.Build(invite.Invitation{
		// One UID per registration: a resend updates the same calendar entry.
		UID:      "registration-" + u.ID + "@" + hostOf(a.PublicURL),
		Sequence: seq, Summary: st.EventName, Description: strings.TrimSpace(r.Text), URL: st.PortalURL,
		Start: *st.LoginLogFrom, End: end, Organizer: organizer, OrganizerCN: organizerName,
		Attendee: u.Email, AttendeeCN: strings.TrimSpace(u.FirstName + " " + u.LastName), Stamp: time.Now(),
	})
}

// SendConfirmationInput names the user and the phase at activation.
type SendConfirmationInput struct {
	SiteID string
	UserID string
	Phase  site.Phase
}

// SendConfirmationResult names the template used.
type SendConfirmationResult struct {
	Template string
}

// SendConfirmation sends the "you are all set" email.
func (a *Mailer) SendConfirmation(ctx context.Context, in SendConfirmationInput) (SendConfirmationResult, error) {
	st, _, err := a.DB.GetSite(ctx, in.SiteID)
	if err != nil {
		return SendConfirmationResult{}, classify(err, ErrTypeSiteNotFound)
	}
	u, err := a.DB.GetUser(ctx, in.SiteID, in.UserID)
	if err != nil {
		return SendConfirmationResult{}, classify(err, ErrTypeUserNotFound)
	}
	tmplID := st.ConfirmedTemplateFor(in.Phase)
	t, err := a.DB.EmailTemplate(ctx, in.SiteID, tmplID)
	if err != nil {
		return SendConfirmationResult{}, fmt.Errorf("template %q: %w", tmplID, err)
	}
	r := t.Render(u.Language, values(st, u, st.CompleteURL(a.PublicURL)))
	err = a.Sender.Send(ctx, gmail.Message{
		MessageID: confirmationMessageID(ctx, u),
		To:        []string{u.Email}, Subject: r.Subject, Text: r.Text, HTML: r.HTML,
	})
	return SendConfirmationResult{Template: tmplID}, classify(err, "")
}

func values(st site.Site, u store.User, link string) emailtmpl.Values {
	fields := map[string]string{}
	for k, v := range u.RegistrationInfo {
		fields[k] = mapping.String(v)
	}
	for k, v := range u.UserObject {
		fields[k] = v
	}
	return emailtmpl.Values{FirstName: u.FirstName, LastName: u.LastName, Email: u.Email, EventName: st.EventName, URL: link, Fields: fields}
}

func hostOf(u string) string {
	if p, err := url.Parse(u); err == nil && p.Hostname() != "" {
		return p.Hostname()
	}
	return "gatehouse"
}

// SendRejectionInput names the user an approval rejected.
type SendRejectionInput struct {
	SiteID string
	UserID string
	Key    string // fixed by the workflow: the email's Message-ID, the same for every retry
}

// SendRejectionResult names the template used; "" when the site has none
// (nothing is sent).
type SendRejectionResult struct {
	Template string
}

// SendRejection sends the site's webhookRejectedEmailTemplate, if it has one.
func (a *Mailer) SendRejection(ctx context.Context, in SendRejectionInput) (SendRejectionResult, error) {
	st, _, err := a.DB.GetSite(ctx, in.SiteID)
	if err != nil {
		return SendRejectionResult{}, classify(err, ErrTypeSiteNotFound)
	}
	tmplID := st.Registration.RejectedTemplate
	if tmplID == "" {
		return SendRejectionResult{}, nil
	}
	u, err := a.DB.GetUser(ctx, in.SiteID, in.UserID)
	if err != nil {
		return SendRejectionResult{}, classify(err, ErrTypeUserNotFound)
	}
	t, err := a.DB.EmailTemplate(ctx, in.SiteID, tmplID)
	if err != nil {
		return SendRejectionResult{}, fmt.Errorf("template %q: %w", tmplID, err)
	}
	r := t.Render(u.Language, values(st, u, st.PortalURL))
	err = a.Sender.Send(ctx, gmail.Message{
		MessageID: fmt.Sprintf("rejected.%s.%s@gatehouse", u.ID, in.Key),
		To:        []string{u.Email}, Subject: r.Subject, Text: r.Text, HTML: r.HTML,
	})
	return SendRejectionResult{Template: tmplID}, classify(err, "")
}

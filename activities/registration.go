package activities

import (
	"context"
	"time"

	"gatehouse/internal/domain"
	"gatehouse/internal/mapping"
	"gatehouse/internal/portal"
	"gatehouse/internal/site"
	"gatehouse/internal/store"
)

// SiteSummary is the part of a site's settings the registration workflow
// decides with. It is read fresh by every activity, so a site edit applies
// to running registrations from their next step.
type SiteSummary struct {
	SendEmail  bool
	EmailType  string
	AuthMethod string
	LinkExpiry time.Duration
	EventStart *time.Time
	EventEnd   *time.Time
	// RequireApproval holds new registrations for Approval with this
	// policy (read when the registration is held, like the other settings).
	RequireApproval bool           `json:",omitempty"`
	Approval        *portal.Policy `json:",omitempty"`
}

func summarize(s site.Site) SiteSummary {
	return SiteSummary{
		SendEmail:  s.SendsEmail(),
		EmailType:  s.Registration.WebhookEmailType,
		AuthMethod: s.Registration.AuthMethod,
		LinkExpiry: time.Duration(s.Registration.LinkExpirySeconds) * time.Second,
		EventStart: s.LoginLogFrom,
		EventEnd:   s.LoginLogTo,
		// Without a policy nobody could decide: Validate refuses that
		// combination, and a summary never holds without one.
		RequireApproval: s.Registration.RequireApproval && s.Registration.Approval != nil,
		Approval:        s.Registration.Approval,
	}
}

// UpsertRegistrantInput is one submission for one user.
type UpsertRegistrantInput struct {
	SiteID       string
	UserID       string
	Action       domain.UpsertAction
	Registrant   mapping.Registrant
	ExplicitRole bool
	ReceivedAt   time.Time
	Source       string
}

// UpsertRegistrantResult is the user's state after the submission.
type UpsertRegistrantResult struct {
	Status  string
	Created bool
	Missing bool
	Changed []string
	Site    SiteSummary
}

// UpsertRegistrant writes the submission (and its event) to MySQL.
func (a *Store) UpsertRegistrant(ctx context.Context, in UpsertRegistrantInput) (UpsertRegistrantResult, error) {
	st, _, err := a.DB.GetSite(ctx, in.SiteID)
	if err != nil {
		return UpsertRegistrantResult{}, classify(err, ErrTypeSiteNotFound)
	}
	res, err := a.DB.UpsertUser(ctx, store.UpsertUserParams{
		SiteID: in.SiteID, UserID: in.UserID, Action: in.Action, Registrant: in.Registrant,
		ExplicitRole: in.ExplicitRole, ReceivedAt: in.ReceivedAt, Source: in.Source,
	})
	if err != nil {
		return UpsertRegistrantResult{}, err
	}
	return UpsertRegistrantResult{Status: res.User.Status, Created: res.Created, Missing: res.Missing,
		Changed: res.Changed, Site: summarize(st)}, nil
}

// RegistrationStatusInput names a user.
type RegistrationStatusInput struct {
	SiteID string
	UserID string
}

// RegistrationStatusResult is the user's status now.
type RegistrationStatusResult struct {
	Status string
	Site   SiteSummary
}

// RegistrationStatus reads the user's status; the workflow checks it when a
// signal may have been lost (a resend on a new run, a link expiring).
func (a *Store) RegistrationStatus(ctx context.Context, in RegistrationStatusInput) (RegistrationStatusResult, error) {
	st, _, err := a.DB.GetSite(ctx, in.SiteID)
	if err != nil {
		return RegistrationStatusResult{}, classify(err, ErrTypeSiteNotFound)
	}
	u, err := a.DB.GetUser(ctx, in.SiteID, in.UserID)
	if err != nil {
		return RegistrationStatusResult{}, classify(err, ErrTypeUserNotFound)
	}
	return RegistrationStatusResult{Status: u.Status, Site: summarize(st)}, nil
}

// RecordUserEventInput is an event about a user decided by the workflow.
type RecordUserEventInput struct {
	EventID   string // fixed by the workflow, so a retry records it once
	SiteID    string
	UserID    string
	EventType string
	At        time.Time
}

// RecordUserEvent stores the event with the user's current snapshot.
func (a *Store) RecordUserEvent(ctx context.Context, in RecordUserEventInput) error {
	u, err := a.DB.GetUser(ctx, in.SiteID, in.UserID)
	if err != nil {
		return classify(err, ErrTypeUserNotFound)
	}
	e := store.UserEvent(in.EventType, u, nil, "registration", in.At)
	e.ID = in.EventID
	return a.DB.RecordEvent(ctx, e)
}

// RejectRegistrantInput names the user an approval rejected.
type RejectRegistrantInput struct {
	SiteID  string
	UserID  string
	EventID string // fixed by the workflow, so a retry records it once
	At      time.Time
}

// RejectRegistrant blocks the user exactly as an admin's block does (its
// links are refused, sign-in too) and records UserAccountDeactivated with
// source "approval" under the workflow's event id; a user already blocked
// is left as it is and nothing is recorded, so a retry changes nothing.
func (a *Store) RejectRegistrant(ctx context.Context, in RejectRegistrantInput) error {
	_, _, err := a.DB.SetBlocked(ctx, in.SiteID, in.UserID, store.BlockChange{
		Blocked: true, Source: "approval", EventID: in.EventID, At: in.At})
	return classify(err, ErrTypeUserNotFound)
}

package activities

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"gatehouse/internal/domain"
	gmail "gatehouse/internal/mail"
	"gatehouse/internal/portal"
	"gatehouse/internal/store"
	"gatehouse/internal/tykportal"
)

// Approvals runs the approval workflow's side effects: MySQL (row, votes,
// audit, outbox events), approvers' emails and the portal's admin API.
type Approvals struct {
	DB        *store.Store
	Mail      *gmail.Sender
	HTTP      *http.Client // the outbound (SSRF-guarded) client
	PublicURL string
	From      string
}

// RecordApprovalRequestedInput starts the approval's record.
type RecordApprovalRequestedInput struct {
	ApprovalID, PortalID, EntityID, EventID string
	Kind                                    portal.Kind
	ObjectID, RequesterID                   int64
	Required                                int
	Policy                                  portal.Policy
	Summary                                 json.RawMessage
	ExpiresAt                               *time.Time
	At                                      time.Time
	Approvers                               []string
}

// RecordApprovalRequestedResult gives the requested entry's audit seq; the
// workflow numbers the next entries from it.
type RecordApprovalRequestedResult struct {
	Seq int
}

// RecordApprovalRequested writes the row, the requested audit entry and
// ApprovalRequested; a retry writes nothing twice.
func (a *Approvals) RecordApprovalRequested(ctx context.Context, in RecordApprovalRequestedInput) (RecordApprovalRequestedResult, error) {
	seq, err := a.DB.CreateApproval(ctx, store.NewApproval{
		ID: in.ApprovalID, PortalID: in.PortalID, Kind: string(in.Kind), EntityID: in.EntityID, EventID: in.EventID,
		ObjectID: in.ObjectID, RequesterID: in.RequesterID, Required: in.Required, Policy: in.Policy, Summary: in.Summary,
		ExpiresAt: in.ExpiresAt, At: in.At,
		Object: portal.ApprovalEventObject{ApprovalID: in.ApprovalID, PortalID: in.PortalID, Kind: string(in.Kind),
			EntityID: in.EntityID, Status: "pending", Approvers: in.Approvers, ExpiresAt: in.ExpiresAt},
	})
	return RecordApprovalRequestedResult{Seq: seq}, err
}

// ApprovalStepInput is one audit entry with its event, row change and
// vote, as the store writes it.
type ApprovalStepInput = portal.ApprovalStep

// RecordApprovalStep writes one step in one transaction.
func (a *Approvals) RecordApprovalStep(ctx context.Context, in ApprovalStepInput) error {
	return classify(a.DB.RecordApprovalStep(ctx, in), "")
}

// ResolveAccessRequestInput asks for the id of an access request the
// portal sent with ID 0.
type ResolveAccessRequestInput struct {
	PortalID string
	Message  json.RawMessage
}

// ResolveAccessRequestResult is the id, or 0 and what was missing.
type ResolveAccessRequestResult struct {
	ObjectID int64
	Missing  string
}

// ResolveAccessRequest lists the app's access requests; exactly one
// pending one is the answer, otherwise the approval stays unresolved.
func (a *Approvals) ResolveAccessRequest(ctx context.Context, in ResolveAccessRequestInput) (ResolveAccessRequestResult, error) {
	var m portal.AccessRequestMessage
	if err := json.Unmarshal(in.Message, &m); err != nil {
		return ResolveAccessRequestResult{}, nonRetryable(err, ErrTypePortalPermanent)
	}
	c, err := a.client(ctx, in.PortalID)
	if err != nil {
		return ResolveAccessRequestResult{}, err
	}
	var pending []int64
	for page := 1; page <= 20; page++ {
		list, err := c.AppAccessRequests(ctx, m.AppID, page, 100)
		if err != nil {
			return ResolveAccessRequestResult{}, portalErr(err)
		}
		for _, r := range list {
			if r.Status == portal.StatusPending {
				pending = append(pending, r.ID)
			}
		}
		if len(list) < 100 {
			break
		}
	}
	switch len(pending) {
	case 1:
		return ResolveAccessRequestResult{ObjectID: pending[0]}, nil
	case 0:
		return ResolveAccessRequestResult{Missing: fmt.Sprintf("the portal sent ID 0 and app %d has no pending access request", m.AppID)}, nil
	}
	return ResolveAccessRequestResult{Missing: fmt.Sprintf("the portal sent ID 0 and app %d has %d pending access requests (plan %d, user %d)",
		m.AppID, len(pending), m.PlanID, m.ByUser)}, nil
}

// Callback outcomes.
const (
	CallbackDone    = "done"
	CallbackAlready = "already" // the portal is in the wanted state already
	CallbackRetry   = "retry"
	CallbackFailed  = "failed"
)

// CallPortalInput is one callback attempt.
type CallPortalInput struct {
	ApprovalID string
	PortalID   string
	Kind       portal.Kind
	ObjectID   int64
	Decision   portal.Decision
	Attempt    int
}

// CallPortalResult is how the attempt went; errors are outcomes here, so
// the workflow audits each attempt.
type CallPortalResult struct {
	Outcome    string
	HTTPStatus int
	Message    string
}

// CallPortal tells the portal the decision: approve/reject the access
// request, or activate the user. A 422 is read back: already in the wanted
// state is done, otherwise failed with the portal's message.
func (a *Approvals) CallPortal(ctx context.Context, in CallPortalInput) (CallPortalResult, error) {
	c, err := a.client(ctx, in.PortalID)
	if err != nil {
		return CallPortalResult{Outcome: CallbackFailed, Message: err.Error()}, nil
	}
	switch in.Kind {
	case portal.KindAccessRequest:
		if in.Decision == portal.Approved {
			_, err = c.ApproveAccessRequest(ctx, in.ObjectID)
		} else {
			_, err = c.RejectAccessRequest(ctx, in.ObjectID)
		}
		if rej, ok := tykportal.AsRejected(err); ok {
			ar, gerr := c.AccessRequest(ctx, in.ObjectID)
			if gerr != nil {
				return outcomeOf(gerr), nil
			}
			if ar.Status == string(in.Decision) {
				return CallbackResultAlready(rej.Message), nil
			}
			return CallPortalResult{Outcome: CallbackFailed, HTTPStatus: 422, Message: rej.Message}, nil
		}
	case portal.KindUserRegistration:
		_, err = c.ActivateUser(ctx, in.ObjectID)
		if rej, ok := tykportal.AsRejected(err); ok {
			return CallPortalResult{Outcome: CallbackFailed, HTTPStatus: 422, Message: rej.Message}, nil
		}
	default:
		return CallPortalResult{Outcome: CallbackFailed, Message: "no callback for kind " + string(in.Kind)}, nil
	}
	if err != nil {
		return outcomeOf(err), nil
	}
	return CallPortalResult{Outcome: CallbackDone, HTTPStatus: 200}, nil
}

// CallbackResultAlready is a 422 whose read-back shows the wanted state.
func CallbackResultAlready(msg string) CallPortalResult {
	return CallPortalResult{Outcome: CallbackAlready, HTTPStatus: 422, Message: "already in the wanted state: " + msg}
}

func outcomeOf(err error) CallPortalResult {
	r := CallPortalResult{Outcome: CallbackFailed, Message: err.Error()}
	var e *tykportal.Error
	if errors.As(err, &e) {
		r.HTTPStatus = e.Status
	}
	if tykportal.Retryable(err) {
		r.Outcome = CallbackRetry
	}
	return r
}

// Error types of the approval activities.
const (
	ErrTypePortalPermanent = "PortalPermanent"
)

func portalErr(err error) error {
	if tykportal.Retryable(err) {
		return err
	}
	return nonRetryable(err, ErrTypePortalPermanent)
}

func (a *Approvals) client(ctx context.Context, portalID string) (*tykportal.Client, error) {
	p, sec, err := a.DB.GetPortal(ctx, portalID)
	if err != nil {
		return nil, classify(err, ErrTypePortalPermanent)
	}
	c, err := tykportal.New(p.BaseURL, sec.AdminToken, a.HTTP)
	if err != nil {
		return nil, nonRetryable(err, ErrTypePortalPermanent)
	}
	return c, nil
}

// Notices an approver gets.
const (
	NoticeRequested = "requested"
	NoticeReminder  = "reminder"
	NoticeEscalated = "escalated"
)

// NotifyApproverInput asks for one approver's email.
type NotifyApproverInput struct {
	ApprovalID string
	PortalID   string
	Kind       portal.Kind
	Approver   string
	Notice     string
	ExpiresAt  *time.Time
	Summary    json.RawMessage
}

// ApprovalLinkLife bounds a link when the approval itself never expires.
const ApprovalLinkLife = 14 * 24 * time.Hour

// NotifyApprover issues an approve and a reject link (only their hashes are
// stored) and emails them. A retry issues new links; the earlier ones stay
// valid until used or expired, and a used one makes the others useless
// (the approver has voted).
func (a *Approvals) NotifyApprover(ctx context.Context, in NotifyApproverInput) error {
	links, exp, err := IssueApprovalLinks(ctx, a.DB, a.PublicURL, in.ApprovalID, in.Approver, in.ExpiresAt)
	if err != nil {
		return err
	}
	where := "portal"
	if in.Kind == portal.KindSiteRegistration {
		where = "site"
	}
	subject := fmt.Sprintf("Approval %s: %s on %s %s", in.Notice, in.Kind, where, in.PortalID)
	text := fmt.Sprintf("A %s on %s %s needs your decision (%s).\n\nRequest: %s\n\nApprove: %s\nReject: %s\n\nEach link opens a confirmation page; it works once, until %s.\n",
		in.Kind, where, in.PortalID, in.ApprovalID, clampRaw(in.Summary, 2000), links[portal.Approved], links[portal.Rejected], exp.Format(time.RFC3339))
	err = a.Mail.Send(ctx, gmail.Message{From: a.From, To: []string{in.Approver}, Subject: subject, Text: text})
	return classify(err, "")
}

// IssueApprovalLinks stores an approve and a reject link for one approver
// (only their hashes) and returns their URLs. They expire with the
// approval, or after ApprovalLinkLife when it never expires.
func IssueApprovalLinks(ctx context.Context, db *store.Store, publicURL, approvalID, approver string, expiresAt *time.Time) (map[portal.Decision]string, time.Time, error) {
	now := time.Now().UTC()
	exp := now.Add(ApprovalLinkLife)
	if expiresAt != nil && expiresAt.Before(exp) && expiresAt.After(now) {
		exp = *expiresAt
	}
	links := map[portal.Decision]string{}
	for _, d := range []portal.Decision{portal.Approved, portal.Rejected} {
		tok, hash := NewApprovalToken()
		if err := db.CreateApprovalLink(ctx, store.ApprovalLink{TokenHash: hash, ApprovalID: approvalID, Approver: approver,
			Decision: string(d), CreatedAt: now, ExpiresAt: exp}); err != nil {
			return nil, exp, err
		}
		links[d] = strings.TrimRight(publicURL, "/") + "/approvals/links/" + tok
	}
	return links, exp, nil
}

// RequestChannelApprovalInput asks one channel approver: the workflow fixes
// the event and delivery ids, so a retry records them once.
type RequestChannelApprovalInput struct {
	ChannelID  string
	EventID    string
	EventType  string
	DeliveryID string
	Object     portal.ApprovalEventObject
	At         time.Time
}

// RequestChannelApprovalResult is the channel's retry schedule, for the
// Delivery the workflow starts.
type RequestChannelApprovalResult struct {
	Schedule []time.Duration
}

// ErrTypeChannelGone: an approver channel was deleted since the policy
// was saved.
const ErrTypeChannelGone = "ChannelGone"

// RequestChannelApproval records the request a channel approver is sent:
// its event (dispatched already: it goes to this channel only, never to
// subscribers) and its delivery row. The Delivery adds the decision links
// when it sends (see Deliverer.approvalLinks).
func (a *Approvals) RequestChannelApproval(ctx context.Context, in RequestChannelApprovalInput) (RequestChannelApprovalResult, error) {
	c, _, err := a.DB.GetChannel(ctx, in.ChannelID)
	if err != nil {
		return RequestChannelApprovalResult{}, classify(err, ErrTypeChannelGone)
	}
	in.Object.Approver = portal.ChannelApprover(in.ChannelID)
	raw, err := json.Marshal(in.Object)
	if err != nil {
		return RequestChannelApprovalResult{}, nonRetryable(err, ErrTypeChannelGone)
	}
	ev := domain.Event{ID: in.EventID, EventType: in.EventType, EventObjectType: domain.ObjectTypeApproval, ObjectID: in.Object.ApprovalID,
		Object: raw, Source: "portal:" + in.Object.PortalID, OccurredAt: in.At.UTC()}
	d := store.Delivery{ID: in.DeliveryID, EventID: in.EventID, EventType: in.EventType, TargetKind: domain.TargetChannel,
		TargetID: in.ChannelID, URL: c.TargetURL}
	if err := a.DB.RecordTargetedEvent(ctx, ev, d); err != nil {
		return RequestChannelApprovalResult{}, classify(err, "")
	}
	return RequestChannelApprovalResult{Schedule: c.Schedule()}, nil
}

// NewApprovalToken returns a link token and its SHA-256.
func NewApprovalToken() (string, []byte) {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	tok := base64.RawURLEncoding.EncodeToString(b)
	return tok, HashApprovalToken(tok)
}

// HashApprovalToken is what approval_links stores.
func HashApprovalToken(tok string) []byte {
	sum := sha256.Sum256([]byte(tok))
	return sum[:]
}

func clampRaw(raw json.RawMessage, n int) string {
	s := strings.ToValidUTF8(string(raw), "")
	if len(s) > n {
		s = s[:n] + "…"
	}
	return s
}

// StartPortalCallbackInput records the decision's hand-over to the
// portal's Delivery: the audit entry (its row change carries the decision
// and the delivery id) and the delivery's row.
type StartPortalCallbackInput struct {
	Step       ApprovalStepInput
	DeliveryID string
	EventID    string // the request's event
	PortalID   string
}

// StartPortalCallback writes the step and the delivery row in one
// transaction; a retry writes nothing twice.
func (a *Approvals) StartPortalCallback(ctx context.Context, in StartPortalCallbackInput) error {
	url := ""
	if p, _, err := a.DB.GetPortal(ctx, in.PortalID); err == nil {
		url = strings.TrimRight(p.BaseURL, "/") + tykportal.APIPrefix
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return classify(a.DB.StartApprovalCallback(ctx, in.Step, store.Delivery{ID: in.DeliveryID, EventID: in.EventID,
		EventType: domain.EventApprovalDecided, TargetKind: domain.TargetPortal, TargetID: in.PortalID, URL: url}), "")
}

// PortalCallbackAttempt is one attempt of the callback, for the audit.
type PortalCallbackAttempt struct {
	Attempt    int
	Outcome    string
	HTTPStatus int
	Detail     string
}

// PortalCallbackOutcomeResult is how the callback's Delivery went.
type PortalCallbackOutcomeResult struct {
	Status   string // the delivery's
	Message  string // the last attempt's answer or error
	Attempts []PortalCallbackAttempt
}

// PortalCallbackOutcome reads the callback's delivery and its attempts.
func (a *Approvals) PortalCallbackOutcome(ctx context.Context, deliveryID string) (PortalCallbackOutcomeResult, error) {
	d, err := a.DB.GetDelivery(ctx, deliveryID)
	if err != nil {
		return PortalCallbackOutcomeResult{}, classify(err, "DeliveryNotFound")
	}
	atts, err := a.DB.Attempts(ctx, deliveryID)
	if err != nil {
		return PortalCallbackOutcomeResult{}, err
	}
	res := PortalCallbackOutcomeResult{Status: d.Status}
	for _, at := range atts {
		pa := PortalCallbackAttempt{Attempt: at.Attempt, Outcome: at.Outcome}
		if at.ResponseStatus != nil {
			pa.HTTPStatus = *at.ResponseStatus
		}
		switch {
		case at.Error != nil && *at.Error != "":
			pa.Detail = *at.Error
		case at.ResponseBody != nil:
			pa.Detail = *at.ResponseBody
		}
		pa.Detail = store.ClampChars(pa.Detail, 512)
		res.Attempts = append(res.Attempts, pa)
	}
	switch {
	case len(res.Attempts) > 0:
		res.Message = res.Attempts[len(res.Attempts)-1].Detail
	case d.LastError != nil:
		res.Message = store.ClampChars(*d.LastError, 512)
	}
	if d.LastError != nil && d.Status == domain.DeliveryFailed && strings.Contains(*d.LastError, "no retries left") {
		res.Message = store.ClampChars(*d.LastError, 512)
	}
	return res, nil
}

package portal

import (
	"encoding/json"
	"time"
)

// What an approval's steps record: the Approval workflow builds these and the
// store writes them, so they belong to neither.

// ApprovalVote is one vote.
type ApprovalVote struct {
	Approver   string    `db:"approver" json:"approver"`
	Decision   string    `db:"decision" json:"decision"`
	DecisionID string    `db:"decision_id" json:"decisionId"`
	Reason     *string   `db:"reason" json:"reason"`
	VotedAt    time.Time `db:"voted_at" json:"votedAt"`
	// LinkHash: the vote came through a link; it is spent in the vote's
	// transaction.
	LinkHash []byte `db:"-" json:"linkHash,omitempty"`
}

// ApprovalChange is a change of the row; zero fields keep their value.
type ApprovalChange struct {
	Status          string
	ObjectID        int64
	Decision        Decision
	DecidedBy       string
	Via             string
	Reason          string
	DecidedAt       *time.Time
	Callback        string
	CallbackMessage string
	ExpiresAt       *time.Time
	// CallbackDelivery is the id of the portal callback's Delivery.
	CallbackDelivery string
}

// ApprovalStep is one audit entry with what comes with it, written in one
// transaction.
type ApprovalStep struct {
	ApprovalID string
	Seq        int
	At         time.Time
	Action     string
	Actor      string
	Detail     string
	Event      string               // outbox event type; "" none
	Object     *ApprovalEventObject // the event's object (Request filled from the row)
	Change     *ApprovalChange
	Vote       *ApprovalVote
}

// ApprovalEventObject is the object of the Approval* events.
type ApprovalEventObject struct {
	ApprovalID string                  `json:"approvalId"`
	PortalID   string                  `json:"portalId"`
	Kind       string                  `json:"kind"`
	EntityID   string                  `json:"entityId"`
	Status     string                  `json:"status"`
	Request    json.RawMessage         `json:"request,omitempty"`
	Approvers  []string                `json:"approvers,omitempty"`
	Reminder   int                     `json:"reminder,omitempty"`
	ExpiresAt  *time.Time              `json:"expiresAt,omitempty"`
	Decision   *ApprovalDecisionObject `json:"decision,omitempty"`
	Callback   *ApprovalCallbackObject `json:"callback,omitempty"`
	// Approver is set on the request sent to one channel approver
	// ("channel:{channelId}"); that request goes to that channel only, and
	// Links are added when it is sent (minted per attempt, stored hashed).
	Approver string               `json:"approver,omitempty"`
	Links    *ApprovalLinksObject `json:"links,omitempty"`
}

// ApprovalLinksObject are a channel approver's single-use decision URLs:
// GET shows a confirmation page, POST decides.
type ApprovalLinksObject struct {
	Approve   string    `json:"approve"`
	Reject    string    `json:"reject"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// ChannelApproverPrefix marks a channel among an approval's approvers:
// "channel:{channelId}" (the id as configured; emails are lowercased).
const ChannelApproverPrefix = "channel:"

// ChannelApprover is the approver name of a channel.
func ChannelApprover(channelID string) string { return ChannelApproverPrefix + channelID }

// ApprovalDecisionObject is the decision in an event.
type ApprovalDecisionObject struct {
	Decision string     `json:"decision"`
	By       string     `json:"by"`
	Via      string     `json:"via"`
	Reason   string     `json:"reason,omitempty"`
	At       *time.Time `json:"at,omitempty"`
}

// ApprovalCallbackObject is the portal call's outcome in an event.
type ApprovalCallbackObject struct {
	Status  string `json:"status"`
	Message string `json:"message,omitempty"`
}

package admin

import (
	"time"

	"gatehouse/internal/portal"
	"gatehouse/workflows"
)

// approvalState is the API's view of an approval's live state: GET's
// "state" and the answer to a decision. It uses the names of the stored
// row (GET's "approval") for the same things, in camelCase. The workflow's
// ApprovalState keeps its Go field names: they are in the payloads its
// histories and queries carry.
type approvalState struct {
	ID                 string              `json:"id"`
	Status             string              `json:"status"`
	Kind               portal.Kind         `json:"kind"`
	RequiredApprovals  int                 `json:"requiredApprovals"`
	Approvers          []string            `json:"approvers"`
	Votes              []approvalStateVote `json:"votes"`
	Reminders          int                 `json:"reminders"`
	Escalated          bool                `json:"escalated"`
	ExpiresAt          *time.Time          `json:"expiresAt"`
	Unresolved         *string             `json:"unresolved"` // what was missing to identify the portal's object
	Decision           *string             `json:"decision"`
	DecidedBy          *string             `json:"decidedBy"`
	DecidedAt          *time.Time          `json:"decidedAt"`
	DecidedVia         *string             `json:"decidedVia"`
	Reason             *string             `json:"reason"`
	CallbackStatus     *string             `json:"callbackStatus"`
	CallbackMessage    *string             `json:"callbackMessage"`
	CallbackDeliveryID *string             `json:"callbackDeliveryId"`
}

type approvalStateVote struct {
	Approver   string    `json:"approver"`
	Decision   string    `json:"decision"`
	DecisionID string    `json:"decisionId"`
	Reason     *string   `json:"reason"`
	VotedAt    time.Time `json:"votedAt"`
	Via        string    `json:"via"`
}

func newApprovalState(st workflows.ApprovalState) approvalState {
	votes := make([]approvalStateVote, 0, len(st.Votes))
	for _, v := range st.Votes {
		votes = append(votes, approvalStateVote{Approver: v.Approver, Decision: string(v.Decision), DecisionID: v.DecisionID,
			Reason: orNull(v.Reason), VotedAt: v.At, Via: v.Via})
	}
	approvers := st.Approvers
	if approvers == nil {
		approvers = []string{}
	}
	return approvalState{ID: st.ID, Status: st.Status, Kind: st.Kind, RequiredApprovals: st.Required, Approvers: approvers,
		Votes: votes, Reminders: st.Reminders, Escalated: st.Escalated, ExpiresAt: st.ExpiresAt, Unresolved: orNull(st.Unresolved),
		Decision: orNull(string(st.Decision)), DecidedBy: orNull(st.DecidedBy), DecidedAt: st.DecidedAt, DecidedVia: orNull(st.Via),
		Reason: orNull(st.Reason), CallbackStatus: orNull(st.Callback), CallbackMessage: orNull(st.CallbackMessage),
		CallbackDeliveryID: orNull(st.CallbackDelivery)}
}

// orNull: an empty string is JSON null, as in the stored row.
func orNull(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

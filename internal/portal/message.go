package portal

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Messages as the portal documents them (seed samples). Unknown fields are
// ignored, so a newer portal adding fields is still accepted.

// UserMessage is the Message of UserRegistered, UserAccountActivated,
// UserAccountDeactivated, PasswordReset and OrganisationRequestApproved (the
// last one is the requester's user, not the request).
type UserMessage struct {
	ID               int64             `json:"ID"`
	Email            string            `json:"Email"`
	First            string            `json:"First"`
	Last             string            `json:"Last"`
	OrgID            int64             `json:"OrgID"`
	Provider         string            `json:"Provider"`
	Status           string            `json:"Status"` // active | inactive
	CreatedAt        Time              `json:"CreatedAt"`
	ByUser           int64             `json:"ByUser"` // absent in PasswordReset
	CustomAttributes []CustomAttribute `json:"CustomAttributes"`
}

// User statuses in UserMessage.Status.
const (
	UserActive   = "active"
	UserInactive = "inactive"
)

// CustomAttribute is a user's custom attribute.
type CustomAttribute struct {
	Identifier string         `json:"Identifier"`
	Value      AttributeValue `json:"Value"`
}

// AttributeValue is a custom attribute's value. The samples send strings
// ("false", "ACME"); a number or boolean is kept as its JSON text rather
// than failing a whole event over it.
type AttributeValue string

// UnmarshalJSON implements json.Unmarshaler.
func (v *AttributeValue) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*v = AttributeValue(s)
		return nil
	}
	if string(b) == "null" {
		*v = ""
		return nil
	}
	*v = AttributeValue(b)
	return nil
}

// ApplicationMessage is the Message of ApplicationRegistered.
type ApplicationMessage struct {
	ID        int64  `json:"ID"`
	Name      string `json:"Name"`
	UserID    int64  `json:"UserID"`
	CreatedAt Time   `json:"CreatedAt"`
}

// CredentialMessage is the Message of CredentialRegistered.
type CredentialMessage struct {
	ID              int64 `json:"ID"`
	ByUser          int64 `json:"ByUser"`
	AccessRequestID int64 `json:"AccessRequestID"`
	AppID           int64 `json:"AppID"`
	CreatedAt       Time  `json:"CreatedAt"`
}

// AccessRequestMessage is the Message of AccessRequestCreated, -Approved and
// -Rejected. The seed's AccessRequestCreated sample has ID 0 and a zero
// CreatedAt: see Provisional.
type AccessRequestMessage struct {
	ID         int64   `json:"ID"`
	AppID      int64   `json:"AppID"`
	ByUser     int64   `json:"ByUser"`
	Status     string  `json:"Status"` // pending | approved | rejected
	ProductIDs []int64 `json:"ProductIDs"`
	PlanID     int64   `json:"PlanID"`
	CreatedAt  Time    `json:"CreatedAt"`
}

// Access request statuses (also the admin API's AccessRequest.Status enum).
const (
	StatusPending  = "pending"
	StatusApproved = "approved"
	StatusRejected = "rejected"
)

// Provisional reports whether the portal left the request's ID out (0):
// the ID must then be looked up (GET /portal-api/apps/{AppID}/access-requests)
// before the portal can be called back about it.
func (m *AccessRequestMessage) Provisional() bool { return m.ID == 0 }

// OrganisationMessage is the Message of OrganisationRegistered.
type OrganisationMessage struct {
	ID        int64  `json:"ID"`
	Name      string `json:"Name"`
	CreatedAt Time   `json:"CreatedAt"`
}

// OrganisationRequestMessage is the Message of OrganisationRequestCreated and
// -Rejected. It has no ID: AdminID and Name identify it.
type OrganisationRequestMessage struct {
	Name       string  `json:"Name"`
	AdminEmail string  `json:"AdminEmail"`
	AdminID    int64   `json:"AdminID"`
	ByUser     int64   `json:"ByUser"`
	TeamIDs    []int64 `json:"TeamIDs"`
	Status     string  `json:"Status"` // pending | rejected
	CreatedAt  Time    `json:"CreatedAt"`
}

// InviteMessage is the Message of RegisterInvite: undocumented, any object.
type InviteMessage map[string]any

// decodeMessage decodes raw (a JSON object) into the event's message type.
func decodeMessage(name string, raw json.RawMessage) (any, error) {
	var v any
	switch name {
	case EventUserRegistered, EventUserAccountActivated, EventUserAccountDeactivated,
		EventPasswordReset, EventOrganisationRequestApproved:
		v = &UserMessage{}
	case EventApplicationRegistered:
		v = &ApplicationMessage{}
	case EventCredentialRegistered:
		v = &CredentialMessage{}
	case EventAccessRequestCreated, EventAccessRequestApproved, EventAccessRequestRejected:
		v = &AccessRequestMessage{}
	case EventOrganisationRegistered:
		v = &OrganisationMessage{}
	case EventOrganisationRequestCreated, EventOrganisationRequestRejected:
		v = &OrganisationRequestMessage{}
	case EventRegisterInvite:
		m := InviteMessage{}
		v = &m
	default:
		return nil, fmt.Errorf("no message type for %q", name)
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(v); err != nil {
		return nil, err
	}
	if im, ok := v.(*InviteMessage); ok {
		return *im, nil
	}
	return v, nil
}

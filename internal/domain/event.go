package domain

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"time"
)

// Event types Gatehouse emits for its users (Tyk portal names where Tyk has
// one). Their object type is KUSER (8), as in Kaltura.
const (
	EventUserRegistered        = "UserRegistered"
	EventUserUpdated           = "UserUpdated"
	EventUserAccountActivated  = "UserAccountActivated"
	EventUserDeleted           = "UserDeleted"
	EventRegistrationLinkSent  = "RegistrationLinkSent"
	EventRegistrationConfirmed = "RegistrationConfirmed"
	EventRegistrationExpired   = "RegistrationLinkExpired"

	ObjectTypeUser = "8"
)

// EventUserAccountDeactivated: the user was blocked, by an admin or by a
// rejected registration approval (Tyk's name).
const EventUserAccountDeactivated = "UserAccountDeactivated"

// ObjectTypePortalEvent is the object type of the events the Tyk portal
// sends (event types are the portal's 14 names); the object is the
// portal's Message as received.
const ObjectTypePortalEvent = "portalEvent"

// Event is one domain event.
type Event struct {
	ID              string          `json:"id" db:"id"`
	EventType       string          `json:"eventType" db:"event_type"`
	EventObjectType string          `json:"eventObjectType" db:"event_object_type"`
	ObjectID        string          `json:"objectId" db:"object_id"`
	SiteID          *string         `json:"siteId,omitempty" db:"site_id"`
	Object          json.RawMessage `json:"object" db:"object"`
	ChangedFields   []string        `json:"changedFields,omitempty" db:"-"`
	Source          string          `json:"source" db:"source"`
	OccurredAt      time.Time       `json:"occurredAt" db:"occurred_at"`
	// SentTimestamp is the sender's own Timestamp as received (portal
	// events), forwarded unchanged; it never orders work.
	SentTimestamp string `json:"sentTimestamp,omitempty" db:"-"`
}

// StoredEvent is an event as read back, with the snapshot it replaced.
type StoredEvent struct {
	Event
	Previous     json.RawMessage `json:"previousObject,omitempty"`
	DispatchedAt *time.Time      `json:"dispatchedAt,omitempty"`
}

// NewEventID is time-ordered, so ids sort by creation.
func NewEventID(at time.Time) string {
	return fmt.Sprintf("ev_%013x%s", at.UnixMilli(), rand.Text()[:12])
}

package store

import (
	"context"
	"crypto/rand"
	"database/sql"
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
}

// NewEventID is time-ordered, so ids sort by creation.
func NewEventID(at time.Time) string {
	return fmt.Sprintf("ev_%013x%s", at.UnixMilli(), rand.Text()[:12])
}

// UserEvent builds an event about a user.
func UserEvent(eventType string, u User, changed []string, source string, at time.Time) Event {
	obj, _ := json.Marshal(u)
	site := u.SiteID
	return Event{ID: NewEventID(at), EventType: eventType, EventObjectType: ObjectTypeUser, ObjectID: u.ID, SiteID: &site,
		Object: obj, ChangedFields: changed, Source: source, OccurredAt: at}
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// insertEvent stores an event; a repeated id is ignored, so a retried
// activity that passes the same id records it once.
func insertEvent(ctx context.Context, db execer, e Event) error {
	_, err := db.ExecContext(ctx, `INSERT IGNORE INTO events (id, event_type, event_object_type, object_id, site_id, object, changed_fields, source, occurred_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, e.ID, e.EventType, e.EventObjectType, e.ObjectID, e.SiteID, []byte(e.Object), jsonOrNil(e.ChangedFields), e.Source, e.OccurredAt.UTC())
	return err
}

// RecordEvent stores an event outside any other change.
func (s *Store) RecordEvent(ctx context.Context, e Event) error { return insertEvent(ctx, s.db, e) }

func jsonOrNil(v []string) any {
	if v == nil {
		return nil
	}
	b, _ := json.Marshal(v)
	return b
}

// EventsFor lists an object's events, oldest first (tests and the API).
func (s *Store) EventsFor(ctx context.Context, objectType, objectID string) ([]Event, error) {
	var rows []struct {
		Event
		Changed []byte `db:"changed_fields"`
	}
	err := s.db.SelectContext(ctx, &rows, `SELECT id, event_type, event_object_type, object_id, site_id, object, changed_fields, source, occurred_at
		FROM events WHERE event_object_type = ? AND object_id = ? ORDER BY occurred_at, id`, objectType, objectID)
	out := make([]Event, 0, len(rows))
	for _, r := range rows {
		e := r.Event
		if r.Changed != nil {
			json.Unmarshal(r.Changed, &e.ChangedFields) //nolint:errcheck
		}
		out = append(out, e)
	}
	return out, err
}

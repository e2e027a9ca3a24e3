package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"gatehouse/internal/domain"

	"github.com/jmoiron/sqlx"
)

// UserEvent builds an event about a user.
func UserEvent(eventType string, u User, changed []string, source string, at time.Time) domain.Event {
	obj, _ := json.Marshal(u)
	site := u.SiteID
	return domain.Event{ID: domain.NewEventID(at), EventType: eventType, EventObjectType: domain.ObjectTypeUser, ObjectID: u.ID, SiteID: &site,
		Object: obj, ChangedFields: changed, Source: source, OccurredAt: at}
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	GetContext(ctx context.Context, dest any, query string, args ...any) error
}

// insertEvent stores an event and moves the object's snapshot forward; the
// snapshot it replaces is kept on the event for field-changed conditions. A
// repeated id is ignored, so a retried activity records the event once.
func insertEvent(ctx context.Context, db execer, e domain.Event) error {
	_, err := insertEventPrevious(ctx, db, e, nil)
	return err
}

// insertEventPrevious is insertEvent, also returning the previous snapshot;
// dispatchedAt (nil: not dispatched) is stored with the event.
func insertEventPrevious(ctx context.Context, db execer, e domain.Event, dispatchedAt any) ([]byte, error) {
	var prev struct {
		Object    []byte    `db:"object"`
		UpdatedAt time.Time `db:"updated_at"`
		EventID   string    `db:"event_id"`
	}
	// A plain read: locking a missing row takes a gap lock, and concurrent
	// first events of different objects would deadlock on it.
	err := db.GetContext(ctx, &prev, `SELECT object, updated_at, event_id FROM object_snapshots
		WHERE object_type = ? AND object_id = ?`, e.EventObjectType, e.ObjectID)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	if prev.EventID == e.ID {
		return nil, nil // already recorded
	}
	var previous any
	if prev.Object != nil {
		previous = prev.Object
	}
	res, err := db.ExecContext(ctx, `INSERT IGNORE INTO events (id, event_type, event_object_type, object_id, site_id, object, previous_object, changed_fields, source, occurred_at, sent_timestamp, dispatched_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, e.ID, e.EventType, e.EventObjectType, e.ObjectID, e.SiteID, []byte(e.Object), previous, jsonOrNil(e.ChangedFields), e.Source, e.OccurredAt.UTC(), nullable(e.SentTimestamp), dispatchedAt)
	if err != nil {
		return nil, err
	}
	if n, _ := res.RowsAffected(); n == 0 || len(e.Object) == 0 {
		return prev.Object, nil
	}
	// An older event arriving late does not roll the snapshot back
	// (assignments run left to right: updated_at is compared before it moves).
	_, err = db.ExecContext(ctx, `INSERT INTO object_snapshots (object_type, object_id, object, event_id, updated_at) VALUES (?, ?, ?, ?, ?)
		ON DUPLICATE KEY UPDATE object = IF(VALUES(updated_at) >= updated_at, VALUES(object), object),
		event_id = IF(VALUES(updated_at) >= updated_at, VALUES(event_id), event_id),
		updated_at = GREATEST(updated_at, VALUES(updated_at))`,
		e.EventObjectType, e.ObjectID, []byte(e.Object), e.ID, e.OccurredAt.UTC())
	return prev.Object, err
}

// RecordEvent stores an event outside any other change.
func (s *Store) RecordEvent(ctx context.Context, e domain.Event) error {
	return s.tx(ctx, func(tx *sqlx.Tx) error { return insertEvent(ctx, tx, e) })
}

// RecordDispatchedEvent stores an event already marked dispatched, in its
// one INSERT: the caller starts its deliveries itself (a manual dispatch to
// one template), and the relay must never see it undispatched and match it
// against every other target.
func (s *Store) RecordDispatchedEvent(ctx context.Context, e domain.Event) error {
	return s.tx(ctx, func(tx *sqlx.Tx) error {
		_, err := insertEventPrevious(ctx, tx, e, time.Now().UTC())
		return err
	})
}

func jsonOrNil(v []string) any {
	if v == nil {
		return nil
	}
	b, _ := json.Marshal(v)
	return b
}

// EventsFor lists an object's events, oldest first (tests and the API).
func (s *Store) EventsFor(ctx context.Context, objectType, objectID string) ([]domain.Event, error) {
	var rows []struct {
		domain.Event
		Changed []byte `db:"changed_fields"`
	}
	err := s.db.SelectContext(ctx, &rows, `SELECT id, event_type, event_object_type, object_id, site_id, object, changed_fields, source, occurred_at
		FROM events WHERE event_object_type = ? AND object_id = ? ORDER BY occurred_at, id`, objectType, objectID)
	out := make([]domain.Event, 0, len(rows))
	for _, r := range rows {
		e := r.Event
		if r.Changed != nil {
			json.Unmarshal(r.Changed, &e.ChangedFields) //nolint:errcheck
		}
		out = append(out, e)
	}
	return out, err
}

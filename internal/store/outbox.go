package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"gatehouse/internal/domain"

	"github.com/jmoiron/sqlx"
)

// IdempotencyWindow is how long an Idempotency-Key answers with its first
// result.
const IdempotencyWindow = 24 * time.Hour

// ErrIdempotencyMismatch: the key was used for a different request.
var ErrIdempotencyMismatch = errors.New("idempotency key reused with a different request")

type eventRow struct {
	ID              string         `db:"id"`
	EventType       string         `db:"event_type"`
	EventObjectType string         `db:"event_object_type"`
	ObjectID        string         `db:"object_id"`
	SiteID          sql.NullString `db:"site_id"`
	Object          []byte         `db:"object"`
	Previous        []byte         `db:"previous_object"`
	Changed         []byte         `db:"changed_fields"`
	Source          string         `db:"source"`
	OccurredAt      time.Time      `db:"occurred_at"`
	DispatchedAt    sql.NullTime   `db:"dispatched_at"`
	SentTimestamp   sql.NullString `db:"sent_timestamp"`
}

const eventColumns = `id, event_type, event_object_type, object_id, site_id, object, previous_object, changed_fields, source, occurred_at, dispatched_at, sent_timestamp`

func (r eventRow) stored() domain.StoredEvent {
	e := domain.StoredEvent{Event: domain.Event{ID: r.ID, EventType: r.EventType, EventObjectType: r.EventObjectType, ObjectID: r.ObjectID,
		Object: r.Object, Source: r.Source, OccurredAt: r.OccurredAt, SentTimestamp: r.SentTimestamp.String}, Previous: r.Previous}
	if r.SiteID.Valid {
		e.SiteID = &r.SiteID.String
	}
	if r.Changed != nil {
		json.Unmarshal(r.Changed, &e.ChangedFields) //nolint:errcheck
	}
	if r.DispatchedAt.Valid {
		e.DispatchedAt = &r.DispatchedAt.Time
	}
	return e
}

// GetEvent reads one event.
func (s *Store) GetEvent(ctx context.Context, id string) (domain.StoredEvent, error) {
	var r eventRow
	if err := s.db.GetContext(ctx, &r, "SELECT "+eventColumns+" FROM events WHERE id = ?", id); err != nil {
		return domain.StoredEvent{}, notFound(err)
	}
	return r.stored(), nil
}

// AcceptEvent stores an event from outside and returns it as stored. With
// an idempotency key, the same key within IdempotencyWindow returns the
// first event and stores nothing (created=false); a different request
// under the same key is ErrIdempotencyMismatch.
func (s *Store) AcceptEvent(ctx context.Context, e domain.Event, key string, request []byte) (domain.StoredEvent, bool, error) {
	var id string
	var created bool
	var previous []byte
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		id, created, previous = "", false, nil // the transaction may run again
		if key != "" {
			kh := sha256.Sum256([]byte(key))
			rh := sha256.Sum256(request)
			var prev struct {
				RequestHash []byte    `db:"request_hash"`
				EventID     string    `db:"event_id"`
				CreatedAt   time.Time `db:"created_at"`
			}
			err := tx.GetContext(ctx, &prev, "SELECT request_hash, event_id, created_at FROM idempotency_keys WHERE key_hash = ? FOR UPDATE", kh[:])
			switch {
			case err == nil && time.Since(prev.CreatedAt) < IdempotencyWindow:
				if string(prev.RequestHash) != string(rh[:]) {
					return ErrIdempotencyMismatch
				}
				id = prev.EventID
				return nil
			case err != nil && !errors.Is(err, sql.ErrNoRows):
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO idempotency_keys (key_hash, request_hash, event_id, created_at) VALUES (?, ?, ?, ?)
				ON DUPLICATE KEY UPDATE request_hash = VALUES(request_hash), event_id = VALUES(event_id), created_at = VALUES(created_at)`,
				kh[:], rh[:], e.ID, time.Now().UTC()); err != nil {
				return err
			}
		}
		var err error
		id, created = e.ID, true
		previous, err = insertEventPrevious(ctx, tx, e, nil)
		return err
	})
	switch {
	case err != nil:
		return domain.StoredEvent{}, false, err
	case created:
		return domain.StoredEvent{Event: e, Previous: previous}, true, nil
	}
	first, err := s.GetEvent(ctx, id)
	return first, false, err
}

// UndispatchedEvents lists events not yet handed to Temporal and not set
// aside, stored at least grace ago, oldest first. Age and order are by
// recorded_at on the database's clock: a sender's occurredAt neither hides
// an event nor lets it skip the grace its own request's fast path has.
func (s *Store) UndispatchedEvents(ctx context.Context, grace time.Duration, limit int) ([]domain.StoredEvent, error) {
	var rows []eventRow
	err := s.db.SelectContext(ctx, &rows, "SELECT "+eventColumns+` FROM events
		WHERE dispatched_at IS NULL AND dispatch_skipped_at IS NULL AND recorded_at < NOW(6) - INTERVAL ? MICROSECOND
		ORDER BY recorded_at, id LIMIT ?`, grace.Microseconds(), limit)
	out := make([]domain.StoredEvent, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.stored())
	}
	return out, err
}

// MarkDispatched records that an event's deliveries are started.
func (s *Store) MarkDispatched(ctx context.Context, ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	q, args, err := sqlx.In("UPDATE events SET dispatched_at = ? WHERE id IN (?) AND dispatched_at IS NULL", time.Now().UTC(), ids)
	if err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, q, args...)
	return err
}

// DispatchFailure is what FailDispatch did.
type DispatchFailure struct {
	Attempts int  // failed dispatches of the event so far
	Skipped  bool // this failure set the event aside
}

// FailDispatch counts a dispatch of an event that failed through the
// event's own fault, with the reason (valid UTF-8 that fits dispatch_error,
// 1024 characters). The skipAfter-th failure sets the event aside (the relay
// no longer selects it) and records report, the operational event saying
// so, in the same transaction. An event already dispatched or set aside is
// left alone.
func (s *Store) FailDispatch(ctx context.Context, id, reason string, skipAfter int, report domain.Event) (DispatchFailure, error) {
	var f DispatchFailure
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		f = DispatchFailure{}
		err := tx.GetContext(ctx, &f.Attempts, `SELECT dispatch_attempts FROM events
			WHERE id = ? AND dispatched_at IS NULL AND dispatch_skipped_at IS NULL FOR UPDATE`, id)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		f.Attempts++
		f.Skipped = f.Attempts >= skipAfter
		var skipped any
		if f.Skipped {
			skipped = time.Now().UTC()
		}
		if _, err := tx.ExecContext(ctx, `UPDATE events SET dispatch_attempts = ?, dispatch_error = ?, dispatch_skipped_at = ? WHERE id = ?`,
			f.Attempts, reason, skipped, id); err != nil {
			return err
		}
		if !f.Skipped {
			return nil
		}
		return insertEvent(ctx, tx, report)
	})
	return f, err
}

// PruneIdempotencyKeys deletes keys past the window.
func (s *Store) PruneIdempotencyKeys(ctx context.Context) error {
	_, err := s.db.ExecContext(ctx, "DELETE FROM idempotency_keys WHERE created_at < ?", time.Now().Add(-IdempotencyWindow).UTC())
	return err
}

// Snapshot returns the latest object of a type and id.
func (s *Store) Snapshot(ctx context.Context, objectType, objectID string) (json.RawMessage, error) {
	var obj []byte
	if err := s.db.GetContext(ctx, &obj, "SELECT object FROM object_snapshots WHERE object_type = ? AND object_id = ?", objectType, objectID); err != nil {
		return nil, notFound(err)
	}
	return obj, nil
}

// SetCategoryGroup maps a category to the group whose members it emails.
func (s *Store) SetCategoryGroup(ctx context.Context, categoryID, groupID string) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO category_groups (category_id, group_id, updated_at) VALUES (?, ?, ?)
		ON DUPLICATE KEY UPDATE group_id = VALUES(group_id), updated_at = VALUES(updated_at)`, categoryID, groupID, time.Now().UTC())
	return err
}

// CategoryGroup resolves a category.
func (s *Store) CategoryGroup(ctx context.Context, categoryID string) (string, error) {
	var g string
	if err := s.db.GetContext(ctx, &g, "SELECT group_id FROM category_groups WHERE category_id = ?", categoryID); err != nil {
		return "", notFound(err)
	}
	return g, nil
}

// Contact is a name and address from the users table.
type Contact struct {
	Email     string `db:"email"`
	FirstName string `db:"first_name"`
	LastName  string `db:"last_name"`
}

// UserContact finds a user by id (ids are unique across sites) or, failing
// that, by email within the site when one is known.
func (s *Store) UserContact(ctx context.Context, userID string, siteID *string) (Contact, error) {
	var c Contact
	err := s.db.GetContext(ctx, &c, "SELECT email, first_name, last_name FROM users WHERE id = ?", userID)
	if errors.Is(err, sql.ErrNoRows) && siteID != nil {
		err = s.db.GetContext(ctx, &c, "SELECT email, first_name, last_name FROM users WHERE site_id = ? AND email = ?", *siteID, userID)
	}
	return c, notFound(err)
}

// GroupContacts lists the members of a group, within a site when given.
func (s *Store) GroupContacts(ctx context.Context, groupID string, siteID *string) ([]Contact, error) {
	var out []Contact
	q := `SELECT u.email, u.first_name, u.last_name FROM user_groups g JOIN users u ON u.id = g.user_id WHERE g.group_id = ?`
	args := []any{groupID}
	if siteID != nil {
		q += " AND g.site_id = ?"
		args = append(args, *siteID)
	}
	err := s.db.SelectContext(ctx, &out, q+" ORDER BY u.email LIMIT 10000", args...)
	return out, err
}

// EventFilter selects events for GET /api/v1/events; empty fields match
// everything. Before is a keyset cursor: events with a smaller id (ids
// sort by creation).
type EventFilter struct {
	EventType       string
	EventObjectType string
	Source          string
	Before          string
	Limit           int
}

// ListEvents returns events newest first.
func (s *Store) ListEvents(ctx context.Context, f EventFilter) ([]domain.StoredEvent, error) {
	where, args := "1=1", []any{}
	for _, c := range []struct{ col, v string }{{"event_type", f.EventType}, {"event_object_type", f.EventObjectType}, {"source", f.Source}} {
		if c.v != "" {
			where += " AND " + c.col + " = ?"
			args = append(args, c.v)
		}
	}
	if f.Before != "" {
		where += " AND id < ?"
		args = append(args, f.Before)
	}
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 100
	}
	var rows []eventRow
	err := s.db.SelectContext(ctx, &rows, "SELECT "+eventColumns+" FROM events WHERE "+where+" ORDER BY id DESC LIMIT ?", append(args, f.Limit)...)
	out := make([]domain.StoredEvent, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.stored())
	}
	return out, err
}

package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"gatehouse/internal/domain"
	"gatehouse/internal/notify"

	"github.com/jmoiron/sqlx"
)

type channelRow struct {
	ID                  string       `db:"id"`
	Status              string       `db:"status"`
	Body                []byte       `db:"body"`
	Secret              string       `db:"secret"`
	PreviousSecret      *string      `db:"previous_secret"`
	PreviousSecretUntil sql.NullTime `db:"previous_secret_until"`
	DisabledReason      *string      `db:"disabled_reason"`
	CreatedAt           time.Time    `db:"created_at"`
	UpdatedAt           time.Time    `db:"updated_at"`
	FailingSince        *time.Time   `db:"failing_since"`
}

const channelColumns = "id, status, body, secret, previous_secret, previous_secret_until, disabled_reason, created_at, updated_at, failing_since"

func (r channelRow) channel() (notify.Channel, notify.ChannelSecrets, error) {
	var c notify.Channel
	if err := json.Unmarshal(r.Body, &c); err != nil {
		return c, notify.ChannelSecrets{}, fmt.Errorf("channel %s: %w", r.ID, err)
	}
	c.ID, c.Status, c.CreatedAt, c.UpdatedAt, c.FailingSince = r.ID, r.Status, r.CreatedAt, r.UpdatedAt, r.FailingSince
	c.DisabledReason = ""
	if r.DisabledReason != nil {
		c.DisabledReason = *r.DisabledReason
	}
	sec := notify.ChannelSecrets{Secret: r.Secret}
	if r.PreviousSecret != nil && r.PreviousSecretUntil.Valid {
		sec.Previous = *r.PreviousSecret
		until := r.PreviousSecretUntil.Time
		sec.PreviousUntil = &until
	}
	c.SecretRotating = len(sec.Active(time.Now())) > 1
	if c.Headers == nil {
		c.Headers = []notify.Header{}
	}
	if c.Events == nil {
		c.Events = []string{}
	}
	return c, sec, nil
}

// PutChannel creates or replaces a channel. A secret is only written when
// given (creation, rotation); replacing keeps the old one.
func (s *Store) PutChannel(ctx context.Context, c *notify.Channel, secret string) (created bool, err error) {
	body, _ := json.Marshal(c)
	now := time.Now().UTC()
	res, err := s.db.ExecContext(ctx, `UPDATE channels SET name = ?, status = ?, body = ?, disabled_reason = ?, failing_since = CASE WHEN ? = 'active' THEN NULL ELSE failing_since END, updated_at = ? WHERE id = ?`,
		c.Name, c.Status, body, nullable(c.DisabledReason), c.Status, now, c.ID)
	if err != nil {
		return false, err
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return false, nil
	}
	var exists int
	if err := s.db.GetContext(ctx, &exists, "SELECT COUNT(*) FROM channels WHERE id = ?", c.ID); err != nil {
		return false, err
	}
	if exists > 0 {
		return false, nil // unchanged row
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO channels (id, name, status, body, secret, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.Name, c.Status, body, secret, now, now)
	return err == nil, err
}

// GetChannel reads a channel and its secrets.
func (s *Store) GetChannel(ctx context.Context, id string) (notify.Channel, notify.ChannelSecrets, error) {
	var r channelRow
	if err := s.db.GetContext(ctx, &r, "SELECT "+channelColumns+" FROM channels WHERE id = ?", id); err != nil {
		return notify.Channel{}, notify.ChannelSecrets{}, notFound(err)
	}
	return r.channel()
}

// ListChannels returns every channel, newest first.
func (s *Store) ListChannels(ctx context.Context) ([]notify.Channel, error) {
	return s.channels(ctx, "1=1 ORDER BY created_at DESC, id")
}

// ActiveChannels are the channels matching considers.
func (s *Store) ActiveChannels(ctx context.Context) ([]notify.Channel, error) {
	return s.channels(ctx, "status = 'active'")
}

func (s *Store) channels(ctx context.Context, where string) ([]notify.Channel, error) {
	var rows []channelRow
	if err := s.db.SelectContext(ctx, &rows, "SELECT "+channelColumns+" FROM channels WHERE "+where); err != nil {
		return nil, err
	}
	out := make([]notify.Channel, 0, len(rows))
	for _, r := range rows {
		c, _, err := r.channel()
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// DeleteChannel removes a channel; its deliveries stay for the record.
func (s *Store) DeleteChannel(ctx context.Context, id string) error {
	res, err := s.db.ExecContext(ctx, "DELETE FROM channels WHERE id = ?", id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// RotateChannelSecret makes secret current; the old one keeps signing
// until overlapUntil.
func (s *Store) RotateChannelSecret(ctx context.Context, id, secret string, overlapUntil time.Time) error {
	res, err := s.db.ExecContext(ctx, `UPDATE channels SET previous_secret = secret, previous_secret_until = ?, secret = ?, updated_at = ? WHERE id = ?`,
		overlapUntil.UTC(), secret, time.Now().UTC(), id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

func targetTable(kind string) (string, error) {
	switch kind {
	case domain.TargetTemplate:
		return "notification_templates", nil
	case domain.TargetChannel:
		return "channels", nil
	}
	return "", fmt.Errorf("unknown target kind %q", kind)
}

// TargetSucceeded ends a target's failure streak.
func (s *Store) TargetSucceeded(ctx context.Context, kind, id string) error {
	table, err := targetTable(kind)
	if err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, "UPDATE "+table+" SET failing_since = NULL WHERE id = ? AND failing_since IS NOT NULL", id)
	return err
}

// TargetFailed starts or extends a failure streak and reports since when
// the target has been failing.
func (s *Store) TargetFailed(ctx context.Context, kind, id string, at time.Time) (time.Time, error) {
	table, err := targetTable(kind)
	if err != nil {
		return time.Time{}, err
	}
	if _, err := s.db.ExecContext(ctx, "UPDATE "+table+" SET failing_since = ? WHERE id = ? AND failing_since IS NULL", at.UTC(), id); err != nil {
		return time.Time{}, err
	}
	var since sql.NullTime
	err = s.db.GetContext(ctx, &since, "SELECT failing_since FROM "+table+" WHERE id = ?", id)
	if err != nil {
		return time.Time{}, notFound(err)
	}
	return since.Time, nil
}

// TargetDisable turns a template or channel off, says why, and carries
// the event announcing it.
type TargetDisable struct {
	Kind, ID, Reason string
	Event            domain.Event
}

// DisableTarget disables the target and records its event in the same
// transaction, so a retry after a failure finds either both done or
// neither. It reports whether this call disabled the target (false when it
// already was; then no event is recorded).
func (s *Store) DisableTarget(ctx context.Context, td TargetDisable) (bool, error) {
	changed := false
	err := s.tx(ctx, func(tx *sqlx.Tx) (err error) {
		changed, err = disableTarget(ctx, tx, td)
		return err
	})
	return changed && err == nil, err
}

func disableTarget(ctx context.Context, tx *sqlx.Tx, td TargetDisable) (bool, error) {
	var res sql.Result
	var err error
	now := time.Now().UTC()
	reason := ClampChars(td.Reason, 255)
	switch td.Kind {
	case domain.TargetTemplate:
		res, err = tx.ExecContext(ctx, "UPDATE notification_templates SET status = 1, disabled_reason = ?, updated_at = ? WHERE id = ? AND status = 2", reason, now, td.ID)
	case domain.TargetChannel:
		res, err = tx.ExecContext(ctx, "UPDATE channels SET status = 'disabled', disabled_reason = ?, updated_at = ? WHERE id = ? AND status = 'active'", reason, now, td.ID)
	default:
		return false, fmt.Errorf("unknown target kind %q", td.Kind)
	}
	if err != nil {
		return false, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	return true, insertEvent(ctx, tx, td.Event)
}

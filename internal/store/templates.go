package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"gatehouse/internal/notify"
)

type templateRow struct {
	ID             int64      `db:"id"`
	PartnerID      int        `db:"partner_id"`
	Status         int        `db:"status"`
	Body           []byte     `db:"body"`
	Secrets        []byte     `db:"secrets"`
	DisabledReason *string    `db:"disabled_reason"`
	CreatedAt      time.Time  `db:"created_at"`
	UpdatedAt      time.Time  `db:"updated_at"`
	FailingSince   *time.Time `db:"failing_since"`
}

const templateColumns = "id, partner_id, status, body, secrets, disabled_reason, created_at, updated_at, failing_since"

func (r templateRow) template() (notify.NotificationTemplate, notify.Secrets, error) {
	var t notify.NotificationTemplate
	var sec notify.Secrets
	if err := json.Unmarshal(r.Body, &t); err != nil {
		return t, sec, fmt.Errorf("template %d: %w", r.ID, err)
	}
	if err := json.Unmarshal(r.Secrets, &sec); err != nil {
		return t, sec, fmt.Errorf("template %d secrets: %w", r.ID, err)
	}
	t.ID, t.PartnerID, t.Status, t.FailingSince = r.ID, r.PartnerID, r.Status, r.FailingSince
	t.DisabledReason = ""
	if r.DisabledReason != nil {
		t.DisabledReason = *r.DisabledReason
	}
	t.Touch(r.CreatedAt, r.UpdatedAt)
	return t, sec, nil
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// InsertNotificationTemplate creates a template (always DISABLED unless it is a
// system template being seeded) and returns its id.
func (s *Store) InsertNotificationTemplate(ctx context.Context, t *notify.NotificationTemplate, sec notify.Secrets) error {
	body, _ := json.Marshal(t)
	secrets, _ := json.Marshal(sec)
	now := time.Now().UTC()
	return s.tx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO notification_templates (partner_id, system_name, name, type, status, event_type,
			event_object_type, body, secrets, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			t.PartnerID, nullable(t.SystemName), t.Name, t.Type, t.Status, t.EventType, t.EventObjectType, body, secrets, now, now)
		if err != nil {
			return err
		}
		t.ID, err = res.LastInsertId()
		t.Touch(now, now)
		return err
	})
}

// SystemNameTaken reports whether another template of the partner already
// uses the system name.
func (s *Store) SystemNameTaken(ctx context.Context, partner int, name string, except int64) (bool, error) {
	var n int
	err := s.db.GetContext(ctx, &n, `SELECT COUNT(*) FROM notification_templates WHERE partner_id = ? AND system_name = ? AND id <> ?`,
		partner, name, except)
	return n > 0, err
}

// UpdateNotificationTemplate writes every field but the status.
func (s *Store) UpdateNotificationTemplate(ctx context.Context, t *notify.NotificationTemplate, sec notify.Secrets) error {
	body, _ := json.Marshal(t)
	secrets, _ := json.Marshal(sec)
	now := time.Now().UTC()
	return s.tx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE notification_templates SET system_name = ?, name = ?, event_type = ?, event_object_type = ?,
			body = ?, secrets = ?, updated_at = ? WHERE id = ?`,
			nullable(t.SystemName), t.Name, t.EventType, t.EventObjectType, body, secrets, now, t.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		t.UpdatedAt = now.Unix()
		return nil
	})
}

// SetNotificationTemplateStatus activates or disables; reason says why Gatehouse did.
// Activating clears the failure streak.
func (s *Store) SetNotificationTemplateStatus(ctx context.Context, id int64, status int, reason string) error {
	res, err := s.db.ExecContext(ctx, `UPDATE notification_templates SET status = ?, disabled_reason = ?,
		failing_since = CASE WHEN ? = 2 THEN NULL ELSE failing_since END, updated_at = ? WHERE id = ?`,
		status, nullable(reason), status, time.Now().UTC(), id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		var exists int
		if err := s.db.GetContext(ctx, &exists, "SELECT COUNT(*) FROM notification_templates WHERE id = ?", id); err != nil || exists == 0 {
			return ErrNotFound
		}
	}
	return nil
}

// GetTemplate reads one template with its secrets.
func (s *Store) GetNotificationTemplate(ctx context.Context, id int64) (notify.NotificationTemplate, notify.Secrets, error) {
	var r templateRow
	if err := s.db.GetContext(ctx, &r, "SELECT "+templateColumns+" FROM notification_templates WHERE id = ?", id); err != nil {
		return notify.NotificationTemplate{}, notify.Secrets{}, notFound(err)
	}
	return r.template()
}

// DeleteTemplate removes a template for good (Kaltura: hard delete).
func (s *Store) DeleteNotificationTemplate(ctx context.Context, id int64) error {
	res, err := s.db.ExecContext(ctx, "DELETE FROM notification_templates WHERE id = ? AND partner_id <> 0", id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// NotificationTemplateFilter is Kaltura's KalturaEventNotificationNotificationTemplateFilter.
type NotificationTemplateFilter struct {
	PartnerID       int
	TypeEqual       string
	StatusEqual     int
	EventTypeEqual  string
	IDEqual         int64
	SystemNameEqual string
	OrderBy         string // +createdAt, -createdAt, +updatedAt, -updatedAt, +id, -id
	PageSize        int
	PageIndex       int // from 1
}

var orderColumns = map[string]string{
	"+createdAt": "created_at ASC, id ASC", "-createdAt": "created_at DESC, id DESC",
	"+updatedAt": "updated_at ASC, id ASC", "-updatedAt": "updated_at DESC, id DESC",
	"+id": "id ASC", "-id": "id DESC",
}

// ValidOrderBy reports whether orderBy is one Kaltura allows.
func ValidOrderBy(o string) bool { _, ok := orderColumns[o]; return ok || o == "" }

// ListNotificationTemplates pages through a partner's templates.
func (s *Store) ListNotificationTemplates(ctx context.Context, f NotificationTemplateFilter) ([]notify.NotificationTemplate, int, error) {
	where := []string{"partner_id = ?"}
	args := []any{f.PartnerID}
	if f.TypeEqual != "" {
		where, args = append(where, "type = ?"), append(args, f.TypeEqual)
	}
	if f.StatusEqual != 0 {
		where, args = append(where, "status = ?"), append(args, f.StatusEqual)
	}
	if f.EventTypeEqual != "" {
		where, args = append(where, "event_type = ?"), append(args, f.EventTypeEqual)
	}
	if f.IDEqual != 0 {
		where, args = append(where, "id = ?"), append(args, f.IDEqual)
	}
	if f.SystemNameEqual != "" {
		where, args = append(where, "system_name = ?"), append(args, f.SystemNameEqual)
	}
	cond := strings.Join(where, " AND ")
	var total int
	if err := s.db.GetContext(ctx, &total, "SELECT COUNT(*) FROM notification_templates WHERE "+cond, args...); err != nil {
		return nil, 0, err
	}
	order := orderColumns[f.OrderBy]
	if order == "" {
		order = "id ASC"
	}
	size := f.PageSize
	if size <= 0 {
		size = 30
	}
	size = min(size, 500)
	page := max(f.PageIndex, 1)
	var rows []templateRow
	err := s.db.SelectContext(ctx, &rows, "SELECT "+templateColumns+" FROM notification_templates WHERE "+cond+
		" ORDER BY "+order+" LIMIT ? OFFSET ?", append(args, size, (page-1)*size)...)
	if err != nil {
		return nil, 0, err
	}
	out := make([]notify.NotificationTemplate, 0, len(rows))
	for _, r := range rows {
		t, _, err := r.template()
		if err != nil {
			return nil, 0, err
		}
		out = append(out, t)
	}
	return out, total, nil
}

// TemplateWithSecrets pairs a template with its secrets for dispatch.
type TemplateWithSecrets struct {
	Template notify.NotificationTemplate
	Secrets  notify.Secrets
}

// MatchCandidates are the partner's active templates for an object type
// and any of the event type names (matching finishes in Go).
func (s *Store) MatchCandidates(ctx context.Context, objectType string, eventTypes []string) ([]notify.NotificationTemplate, error) {
	q, args, err := sqlx.In(`SELECT `+templateColumns+` FROM notification_templates
		WHERE status = 2 AND partner_id <> 0 AND event_object_type = ? AND event_type IN (?)`, objectType, eventTypes)
	if err != nil {
		return nil, err
	}
	var rows []templateRow
	if err := s.db.SelectContext(ctx, &rows, q, args...); err != nil {
		return nil, err
	}
	out := make([]notify.NotificationTemplate, 0, len(rows))
	for _, r := range rows {
		t, _, err := r.template()
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// NotificationTemplatesByID loads templates (boolean conditions refer to them).
func (s *Store) NotificationTemplatesByID(ctx context.Context, ids []int64) (map[int64]notify.NotificationTemplate, error) {
	out := map[int64]notify.NotificationTemplate{}
	if len(ids) == 0 {
		return out, nil
	}
	q, args, err := sqlx.In("SELECT "+templateColumns+" FROM notification_templates WHERE id IN (?)", ids)
	if err != nil {
		return nil, err
	}
	var rows []templateRow
	if err := s.db.SelectContext(ctx, &rows, q, args...); err != nil {
		return nil, err
	}
	for _, r := range rows {
		t, _, err := r.template()
		if err != nil {
			return nil, err
		}
		out[t.ID] = t
	}
	return out, nil
}

// EnsureSystemTemplates seeds or refreshes the templates that ship with
// the product (partner 0), keyed by system name.
func (s *Store) EnsureSystemTemplates(ctx context.Context, templates []notify.NotificationTemplate) error {
	for _, t := range templates {
		t.PartnerID = notify.SystemPartner
		t.Status = notify.StatusDisabled
		var id int64
		err := s.db.GetContext(ctx, &id, "SELECT id FROM notification_templates WHERE partner_id = 0 AND system_name = ?", t.SystemName)
		switch {
		case err == nil:
			t.ID = id
			err = s.UpdateNotificationTemplate(ctx, &t, notify.Secrets{})
		case errors.Is(notFound(err), ErrNotFound):
			err = s.InsertNotificationTemplate(ctx, &t, notify.Secrets{})
		}
		if err != nil {
			return fmt.Errorf("system template %s: %w", t.SystemName, err)
		}
	}
	return nil
}

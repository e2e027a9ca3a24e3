package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"

	"gatehouse/internal/domain"
	"gatehouse/internal/portal"
)

// PortalSecrets are a portal's write-only values as stored.
type PortalSecrets struct {
	AdminToken             string
	InboundSecretHash      []byte // SHA-256 of the inbound secret; nil: none yet
	StandardWebhooksSecret string // "" when the portal does not sign
}

// PortalSecretsChange says which write-only values a PUT changes; nil
// keeps the stored value.
type PortalSecretsChange struct {
	AdminToken             *string
	InboundSecretHash      []byte
	StandardWebhooksSecret *string // "" removes it
}

type portalRow struct {
	ID                     string         `db:"id"`
	Name                   string         `db:"name"`
	BaseURL                string         `db:"base_url"`
	AdminToken             string         `db:"admin_token"`
	InboundSecretHash      []byte         `db:"inbound_secret_hash"`
	InboundHeader          string         `db:"inbound_header"`
	StandardWebhooksSecret sql.NullString `db:"standard_webhooks_secret"`
	AllowedAddresses       []byte         `db:"allowed_addresses"`
	Approvals              []byte         `db:"approvals"`
	CreatedAt              time.Time      `db:"created_at"`
	UpdatedAt              time.Time      `db:"updated_at"`
}

const portalColumns = "id, name, base_url, admin_token, inbound_secret_hash, inbound_header, standard_webhooks_secret, allowed_addresses, approvals, created_at, updated_at"

func (r portalRow) portal() (portal.Portal, PortalSecrets, error) {
	p := portal.Portal{ID: r.ID, Name: r.Name, BaseURL: r.BaseURL, InboundHeader: r.InboundHeader,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	p.AdminTokenSet = r.AdminToken != ""
	p.InboundSecretSet = r.InboundSecretHash != nil
	p.StandardWebhooksSecretSet = r.StandardWebhooksSecret.String != ""
	if err := json.Unmarshal(r.AllowedAddresses, &p.AllowedAddresses); err != nil {
		return p, PortalSecrets{}, fmt.Errorf("portal %s allowed_addresses: %w", r.ID, err)
	}
	if err := json.Unmarshal(r.Approvals, &p.Approvals); err != nil {
		return p, PortalSecrets{}, fmt.Errorf("portal %s approvals: %w", r.ID, err)
	}
	p.ApplyDefaults()
	return p, PortalSecrets{AdminToken: r.AdminToken, InboundSecretHash: r.InboundSecretHash,
		StandardWebhooksSecret: r.StandardWebhooksSecret.String}, nil
}

// PutPortal creates or replaces a portal. The write-only values in p are
// ignored; change says which of them to write.
func (s *Store) PutPortal(ctx context.Context, p portal.Portal, change PortalSecretsChange) (portal.Portal, bool, error) {
	addrs, err := json.Marshal(p.AllowedAddresses)
	if err != nil {
		return portal.Portal{}, false, err
	}
	approvals, err := json.Marshal(p.Approvals)
	if err != nil {
		return portal.Portal{}, false, err
	}
	now := time.Now().UTC()
	created := false
	err = s.tx(ctx, func(tx *sqlx.Tx) error {
		created = false
		var old portalRow
		err := tx.GetContext(ctx, &old, "SELECT "+portalColumns+" FROM portals WHERE id = ? FOR UPDATE", p.ID)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			created = true
		case err != nil:
			return err
		}
		token, hash, whsec := old.AdminToken, old.InboundSecretHash, old.StandardWebhooksSecret
		if change.AdminToken != nil {
			token = *change.AdminToken
		}
		if change.InboundSecretHash != nil {
			hash = change.InboundSecretHash
		}
		if change.StandardWebhooksSecret != nil {
			whsec = sql.NullString{String: *change.StandardWebhooksSecret, Valid: *change.StandardWebhooksSecret != ""}
		}
		if created {
			_, err = tx.ExecContext(ctx, `INSERT INTO portals (id, name, base_url, admin_token, inbound_secret_hash, inbound_header,
				standard_webhooks_secret, allowed_addresses, approvals, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				p.ID, p.Name, p.BaseURL, token, hash, p.InboundHeader, whsec, addrs, approvals, now, now)
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE portals SET name = ?, base_url = ?, admin_token = ?, inbound_secret_hash = ?, inbound_header = ?,
			standard_webhooks_secret = ?, allowed_addresses = ?, approvals = ?, updated_at = ? WHERE id = ?`,
			p.Name, p.BaseURL, token, hash, p.InboundHeader, whsec, addrs, approvals, now, p.ID)
		return err
	})
	if err != nil {
		return portal.Portal{}, false, err
	}
	saved, _, err := s.GetPortal(ctx, p.ID)
	return saved, created, err
}

// GetPortal reads a portal (write-only values out, their *Set flags on)
// and its secrets.
func (s *Store) GetPortal(ctx context.Context, id string) (portal.Portal, PortalSecrets, error) {
	var r portalRow
	if err := s.db.GetContext(ctx, &r, "SELECT "+portalColumns+" FROM portals WHERE id = ?", id); err != nil {
		return portal.Portal{}, PortalSecrets{}, notFound(err)
	}
	return r.portal()
}

// ListPortals returns every portal by id.
func (s *Store) ListPortals(ctx context.Context) ([]portal.Portal, error) {
	var rows []portalRow
	if err := s.db.SelectContext(ctx, &rows, "SELECT "+portalColumns+" FROM portals ORDER BY id LIMIT 1000"); err != nil {
		return nil, err
	}
	out := make([]portal.Portal, 0, len(rows))
	for _, r := range rows {
		p, _, err := r.portal()
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// DeletePortal removes a portal. Its events stay: they are history.
func (s *Store) DeletePortal(ctx context.Context, id string) error {
	res, err := s.db.ExecContext(ctx, "DELETE FROM portals WHERE id = ?", id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// SetInboundSecret stores a new inbound secret's hash (portal.HashSecret),
// replacing the old one.
func (s *Store) SetInboundSecret(ctx context.Context, id string, hash []byte) error {
	res, err := s.db.ExecContext(ctx, "UPDATE portals SET inbound_secret_hash = ?, updated_at = ? WHERE id = ?", hash, time.Now().UTC(), id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// CheckInboundSecret reports whether secret is the portal's inbound
// secret, comparing hashes in constant time. An unknown portal or one
// without a secret is false, not an error.
func (s *Store) CheckInboundSecret(ctx context.Context, id, secret string) (bool, error) {
	var hash []byte
	err := s.db.GetContext(ctx, &hash, "SELECT inbound_secret_hash FROM portals WHERE id = ?", id)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return portal.SecretMatches(hash, secret), nil
}

// PortalEvent is one accepted portal webhook (portal_events).
type PortalEvent struct {
	ID              string          `db:"id"`
	PortalID        string          `db:"portal_id"`
	DedupKey        []byte          `db:"dedup_key"`
	EventName       string          `db:"event_name"`
	SentName        string          `db:"sent_name"`
	EntityID        string          `db:"entity_id"`
	PortalTimestamp time.Time       `db:"portal_timestamp"`
	Message         json.RawMessage `db:"message"`
	ReceivedAt      time.Time       `db:"received_at"`
	ApprovalID      *string         `db:"approval_id"`
}

// errPortalDuplicate ends the transaction of a duplicate delivery.
var errPortalDuplicate = errors.New("duplicate portal event")

// AcceptPortalEvent stores a portal event and its outbox event (same id)
// in one transaction. A delivery already stored (same portal and dedup
// key) stores nothing and returns the first one's id with created false.
func (s *Store) AcceptPortalEvent(ctx context.Context, pe PortalEvent, ev domain.Event) (firstID string, created bool, err error) {
	return s.AcceptPortalEventWith(ctx, pe, ev, nil)
}

// AcceptPortalEventWith is AcceptPortalEvent with durable run inside the
// transaction, after the rows are written and before the commit: when it
// fails nothing is stored. Ingest starts an event's approval workflow
// there, so the event and its workflow are durable together (the relay
// cannot see the rows before the commit; a duplicate arriving meanwhile
// waits on the dedup key). durable may run again when MySQL retries a
// deadlock, so it must be idempotent.
func (s *Store) AcceptPortalEventWith(ctx context.Context, pe PortalEvent, ev domain.Event, durable func(context.Context) error) (firstID string, created bool, err error) {
	if pe.ID != ev.ID {
		return "", false, fmt.Errorf("portal event %s and its event %s must share an id", pe.ID, ev.ID)
	}
	err = s.tx(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO portal_events (id, portal_id, dedup_key, event_name, sent_name, entity_id,
			portal_timestamp, message, received_at, approval_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			pe.ID, pe.PortalID, pe.DedupKey, pe.EventName, pe.SentName, pe.EntityID, pe.PortalTimestamp.UTC(),
			[]byte(pe.Message), pe.ReceivedAt.UTC(), pe.ApprovalID)
		var me *mysql.MySQLError
		if asMySQL(err, &me) && me.Number == 1062 {
			return errPortalDuplicate
		}
		if err != nil {
			return err
		}
		if err := insertEvent(ctx, tx, ev); err != nil || durable == nil {
			return err
		}
		return durable(ctx)
	})
	switch {
	case err == nil:
		return pe.ID, true, nil
	case !errors.Is(err, errPortalDuplicate):
		return "", false, err
	}
	err = s.db.GetContext(ctx, &firstID, "SELECT id FROM portal_events WHERE portal_id = ? AND dedup_key = ?", pe.PortalID, pe.DedupKey)
	if errors.Is(err, sql.ErrNoRows) {
		// The 1062 was on the id: ids are random, so this is a bug, not a
		// duplicate; never answer it as "not found".
		return "", false, fmt.Errorf("portal event %s: duplicate key but no row with its dedup key", pe.ID)
	}
	return firstID, false, err
}

// GetPortalEvent reads one portal event.
func (s *Store) GetPortalEvent(ctx context.Context, id string) (PortalEvent, error) {
	var pe PortalEvent
	err := s.db.GetContext(ctx, &pe, `SELECT id, portal_id, dedup_key, event_name, sent_name, entity_id, portal_timestamp,
		message, received_at, approval_id FROM portal_events WHERE id = ?`, id)
	return pe, notFound(err)
}

// CountPortalEvents counts a portal's stored events (tests, self-check).
func (s *Store) CountPortalEvents(ctx context.Context, portalID string) (int, error) {
	var n int
	err := s.db.GetContext(ctx, &n, "SELECT COUNT(*) FROM portal_events WHERE portal_id = ?", portalID)
	return n, err
}

package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"

	"gatehouse/internal/emailtmpl"
	"gatehouse/internal/site"
)

// PutSite creates or replaces a site. keyHash nil keeps the stored
// registration key; the settings never hold the key itself.
func (s *Store) PutSite(ctx context.Context, st site.Site, keyHash []byte) (site.Site, bool, error) {
	now := time.Now().UTC()
	st.Registration.RegistrationKey = ""
	st.Registration.KeySet = false
	body, err := json.Marshal(st)
	if err != nil {
		return site.Site{}, false, err
	}
	created := false
	err = s.tx(ctx, func(tx *sqlx.Tx) error {
		var existing struct {
			CreatedAt time.Time `db:"created_at"`
			KeyHash   []byte    `db:"registration_key_hash"`
		}
		err := tx.GetContext(ctx, &existing, "SELECT created_at, registration_key_hash FROM sites WHERE id = ? FOR UPDATE", st.ID)
		switch {
		case err == sql.ErrNoRows:
			created = true
			_, err = tx.ExecContext(ctx, `INSERT INTO sites (id, settings, registration_key_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
				st.ID, body, keyHash, now, now)
			st.CreatedAt = now
			st.Registration.KeySet = keyHash != nil
		case err != nil:
			return err
		default:
			if keyHash == nil {
				keyHash = existing.KeyHash
			}
			_, err = tx.ExecContext(ctx, `UPDATE sites SET settings = ?, registration_key_hash = ?, updated_at = ? WHERE id = ?`,
				body, keyHash, now, st.ID)
			st.CreatedAt = existing.CreatedAt
			st.Registration.KeySet = keyHash != nil
		}
		return err
	})
	st.UpdatedAt = now
	return st, created, err
}

type siteRow struct {
	ID        string    `db:"id"`
	Settings  []byte    `db:"settings"`
	KeyHash   []byte    `db:"registration_key_hash"`
	CreatedAt time.Time `db:"created_at"`
	UpdatedAt time.Time `db:"updated_at"`
}

// GetSite returns a site with defaults applied and the stored key's hash.
func (s *Store) GetSite(ctx context.Context, id string) (site.Site, []byte, error) {
	var row siteRow
	if err := s.db.GetContext(ctx, &row, "SELECT * FROM sites WHERE id = ?", id); err != nil {
		return site.Site{}, nil, notFound(err)
	}
	var st site.Site
	if err := json.Unmarshal(row.Settings, &st); err != nil {
		return site.Site{}, nil, err
	}
	st.ID, st.CreatedAt, st.UpdatedAt = row.ID, row.CreatedAt, row.UpdatedAt
	st.ApplyDefaults()
	st.Registration.KeySet = row.KeyHash != nil
	return st, row.KeyHash, nil
}

// SetRegistrationKey stores a new key's hash.
func (s *Store) SetRegistrationKey(ctx context.Context, id string, hash []byte) error {
	res, err := s.db.ExecContext(ctx, "UPDATE sites SET registration_key_hash = ?, updated_at = ? WHERE id = ?", hash, time.Now().UTC(), id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// DeleteSite removes a site and its templates; with purge, its users, their
// groups and tokens too. It returns the ids of the users it removed.
func (s *Store) DeleteSite(ctx context.Context, id string, purge bool) ([]string, error) {
	var userIDs []string
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, "DELETE FROM sites WHERE id = ?", id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM email_templates WHERE site_id = ?", id); err != nil {
			return err
		}
		if !purge {
			return nil
		}
		if err := tx.SelectContext(ctx, &userIDs, "SELECT id FROM users WHERE site_id = ?", id); err != nil {
			return err
		}
		for _, q := range []string{"DELETE FROM link_tokens WHERE site_id = ?", "DELETE FROM user_groups WHERE site_id = ?", "DELETE FROM users WHERE site_id = ?"} {
			if _, err := tx.ExecContext(ctx, q, id); err != nil {
				return err
			}
		}
		return nil
	})
	return userIDs, err
}

// PutEmailTemplate creates or replaces a site's email template.
func (s *Store) PutEmailTemplate(ctx context.Context, siteID string, t emailtmpl.EmailTemplate) (bool, error) {
	t.Builtin = false
	body, err := json.Marshal(t)
	if err != nil {
		return false, err
	}
	now := time.Now().UTC()
	res, err := s.db.ExecContext(ctx, `INSERT INTO email_templates (site_id, template_id, body, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
		ON DUPLICATE KEY UPDATE body = VALUES(body), updated_at = VALUES(updated_at)`, siteID, t.ID, body, now, now)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected() // 1 inserted, 2 updated
	return n == 1, nil
}

// EmailTemplate returns a site's template, or the built-in one with that id.
func (s *Store) EmailTemplate(ctx context.Context, siteID, id string) (emailtmpl.EmailTemplate, error) {
	if t, ok := emailtmpl.Builtin(id); ok {
		return t, nil
	}
	var body []byte
	if err := s.db.GetContext(ctx, &body, "SELECT body FROM email_templates WHERE site_id = ? AND template_id = ?", siteID, id); err != nil {
		return emailtmpl.EmailTemplate{}, notFound(err)
	}
	var t emailtmpl.EmailTemplate
	err := json.Unmarshal(body, &t)
	t.ID = id
	return t, err
}

// EmailTemplateIDs lists the site's own template ids.
func (s *Store) EmailTemplateIDs(ctx context.Context, siteID string) ([]string, error) {
	ids := []string{}
	err := s.db.SelectContext(ctx, &ids, "SELECT template_id FROM email_templates WHERE site_id = ? ORDER BY template_id", siteID)
	return ids, err
}

// DeleteEmailTemplate removes a site's template.
func (s *Store) DeleteEmailTemplate(ctx context.Context, siteID, id string) error {
	res, err := s.db.ExecContext(ctx, "DELETE FROM email_templates WHERE site_id = ? AND template_id = ?", siteID, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// tx runs f in a transaction, committing when it returns nil. A deadlock
// or lock wait timeout rolls back the whole transaction, so f runs again
// (a few times) from the start, as MySQL's documentation advises.
func (s *Store) tx(ctx context.Context, f func(*sqlx.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := s.txOnce(ctx, f)
		var me *mysql.MySQLError
		if attempt < 4 && asMySQL(err, &me) && (me.Number == 1213 || me.Number == 1205) {
			time.Sleep(time.Duration(attempt*attempt) * 5 * time.Millisecond)
			continue
		}
		return err
	}
}

func (s *Store) txOnce(ctx context.Context, f func(*sqlx.Tx) error) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	if err := f(tx); err != nil {
		tx.Rollback() //nolint:errcheck
		return err
	}
	return tx.Commit()
}

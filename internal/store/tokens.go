package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"gatehouse/internal/domain"

	"github.com/jmoiron/sqlx"
)

// ErrTokenInvalid covers unknown, expired, used and revoked tokens alike,
// so pages cannot tell a guesser which one it hit.
var ErrTokenInvalid = errors.New("link is invalid or has expired")

// IssueToken stores a new link token's hash and revokes the user's older
// unused ones: only the newest link works.
func (s *Store) IssueToken(ctx context.Context, siteID, userID, purpose string, hash []byte, expiresAt time.Time) error {
	return s.tx(ctx, func(tx *sqlx.Tx) error { return issueToken(ctx, tx, siteID, userID, purpose, hash, expiresAt) })
}

func issueToken(ctx context.Context, tx *sqlx.Tx, siteID, userID, purpose string, hash []byte, expiresAt time.Time) error {
	now := time.Now().UTC()
	if _, err := tx.ExecContext(ctx, `UPDATE link_tokens SET revoked_at = ? WHERE user_id = ? AND used_at IS NULL AND revoked_at IS NULL`,
		now, userID); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO link_tokens (token_hash, user_id, site_id, purpose, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`,
		hash, userID, siteID, purpose, now, expiresAt.UTC())
	return err
}

// TokenInfo is what a valid token leads to.
type TokenInfo struct {
	SiteID    string    `db:"site_id"`
	UserID    string    `db:"user_id"`
	Purpose   string    `db:"purpose"`
	ExpiresAt time.Time `db:"expires_at"`
}

const liveToken = `used_at IS NULL AND revoked_at IS NULL AND expires_at > ?`

// PeekToken checks a token without using it (to show the form).
func (s *Store) PeekToken(ctx context.Context, hash []byte, purpose string) (TokenInfo, error) {
	var t TokenInfo
	err := s.db.GetContext(ctx, &t, `SELECT site_id, user_id, purpose, expires_at FROM link_tokens
		WHERE token_hash = ? AND purpose = ? AND `+liveToken, hash, purpose, time.Now().UTC())
	if errors.Is(err, sql.ErrNoRows) {
		return t, ErrTokenInvalid
	}
	return t, err
}

// ActivateWithToken uses a token once and, in the same transaction, stores
// the password hash (empty for magic links), marks the user active and
// records UserAccountActivated. Either all of it happens or none.
func (s *Store) ActivateWithToken(ctx context.Context, hash []byte, purpose, passwordHash, source string) (User, error) {
	return s.ClaimToken(ctx, hash, purpose, source, func() (string, error) { return passwordHash, nil })
}

// ClaimToken is ActivateWithToken with the password hash computed by
// passwordHash only once the token's row is locked and found live (nil or
// "": no password). A spent or unknown token never costs a hash, and
// concurrent posts of one token wait on its row, so it is hashed once.
func (s *Store) ClaimToken(ctx context.Context, hash []byte, purpose, source string, passwordHash func() (string, error)) (User, error) {
	var u User
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		now := time.Now().UTC()
		var t TokenInfo
		err := tx.GetContext(ctx, &t, `SELECT site_id, user_id, purpose, expires_at FROM link_tokens
			WHERE token_hash = ? AND purpose = ? AND `+liveToken+` FOR UPDATE`, hash, purpose, now)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrTokenInvalid
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE link_tokens SET used_at = ? WHERE token_hash = ?", now, hash); err != nil {
			return err
		}
		var row userRow
		if err := tx.GetContext(ctx, &row, "SELECT "+userColumns+" FROM users WHERE id = ? FOR UPDATE", t.UserID); err != nil {
			return notFound(err)
		}
		if row.Status == domain.UserBlocked {
			return ErrUserBlocked // rolls back: the link stays unspent
		}
		var pw any
		if passwordHash != nil {
			h, err := passwordHash()
			if err != nil {
				return err
			}
			if h != "" {
				pw = h
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET status = ?, password_hash = COALESCE(?, password_hash),
			activated_at = COALESCE(activated_at, ?), updated_at = ? WHERE id = ?`, domain.UserActive, pw, now, now, t.UserID); err != nil {
			return err
		}
		groups, err := userGroups(ctx, tx, t.UserID)
		if err != nil {
			return err
		}
		wasActive := row.Status == domain.UserActive
		row.Status, row.UpdatedAt = domain.UserActive, now
		if !row.ActivatedAt.Valid {
			row.ActivatedAt = sql.NullTime{Time: now, Valid: true}
		}
		if u, err = row.user(groups); err != nil {
			return err
		}
		if wasActive {
			return nil
		}
		return insertEvent(ctx, tx, UserEvent(domain.EventUserAccountActivated, u, []string{"status"}, source, now))
	})
	return u, err
}

// PasswordHash returns a user's stored hash (sign-in checks, tests).
func (s *Store) PasswordHash(ctx context.Context, userID string) (string, error) {
	var h sql.NullString
	err := s.db.GetContext(ctx, &h, "SELECT password_hash FROM users WHERE id = ?", userID)
	return h.String, notFound(err)
}

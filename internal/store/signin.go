package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/jmoiron/sqlx"

	"gatehouse/internal/domain"
	"gatehouse/internal/mapping"
)

// SignInUser returns a site's user by email with their password hash ("" when
// none is set). ErrNotFound when the site has no such user.
func (s *Store) SignInUser(ctx context.Context, siteID, email string) (User, string, error) {
	var row struct {
		userRow
		PasswordHash sql.NullString `db:"password_hash"`
	}
	err := s.db.GetContext(ctx, &row, "SELECT "+userColumns+", password_hash FROM users WHERE site_id = ? AND email = ?",
		siteID, mapping.NormalizeEmail(email))
	if err != nil {
		return User{}, "", notFound(err)
	}
	groups, err := userGroups(ctx, s.db, row.ID)
	if err != nil {
		return User{}, "", err
	}
	u, err := row.user(groups)
	return u, row.PasswordHash.String, err
}

// ResetPassword spends a password-reset token and, in one transaction,
// stores the new hash (passwordHash runs once the token's row is locked and
// live, so a spent token never costs a hash), activates a pending user,
// revokes every other live link of the user (earlier reset and sign-in
// links die with the old password) and records PasswordReset. Users that
// are neither active nor pending (blocked) get ErrTokenInvalid. activated
// reports a pending user made active.
func (s *Store) ResetPassword(ctx context.Context, hash []byte, source string, passwordHash func() (string, error)) (u User, activated bool, err error) {
	err = s.tx(ctx, func(tx *sqlx.Tx) error {
		now := time.Now().UTC()
		var t TokenInfo
		err := tx.GetContext(ctx, &t, `SELECT site_id, user_id, purpose, expires_at FROM link_tokens
			WHERE token_hash = ? AND purpose = ? AND `+liveToken+` FOR UPDATE`, hash, domain.PurposeReset, now)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrTokenInvalid
		}
		if err != nil {
			return err
		}
		var row userRow
		if err := tx.GetContext(ctx, &row, "SELECT "+userColumns+" FROM users WHERE id = ? FOR UPDATE", t.UserID); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return ErrTokenInvalid
			}
			return err
		}
		if row.Status != domain.UserActive && row.Status != domain.UserPending {
			return ErrTokenInvalid
		}
		pw, err := passwordHash()
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE link_tokens SET used_at = ? WHERE token_hash = ?", now, hash); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE link_tokens SET revoked_at = ? WHERE user_id = ? AND used_at IS NULL AND revoked_at IS NULL`,
			now, t.UserID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET status = ?, password_hash = ?, activated_at = COALESCE(activated_at, ?),
			updated_at = ? WHERE id = ?`, domain.UserActive, pw, now, now, t.UserID); err != nil {
			return err
		}
		groups, err := userGroups(ctx, tx, t.UserID)
		if err != nil {
			return err
		}
		wasPending := row.Status == domain.UserPending
		activated = wasPending
		row.Status, row.UpdatedAt = domain.UserActive, now
		if !row.ActivatedAt.Valid {
			row.ActivatedAt = sql.NullTime{Time: now, Valid: true}
		}
		if u, err = row.user(groups); err != nil {
			return err
		}
		if wasPending {
			if err := insertEvent(ctx, tx, UserEvent(domain.EventUserAccountActivated, u, []string{"status"}, source, now)); err != nil {
				return err
			}
		}
		return insertEvent(ctx, tx, UserEvent(domain.EventPasswordReset, u, nil, source, now))
	})
	return u, activated, err
}

package store

import (
	"context"
	"errors"
	"time"

	"github.com/jmoiron/sqlx"

	"gatehouse/internal/domain"
)

// ErrUserBlocked: the user is blocked, so links and sign-in are refused.
// Unlike ErrTokenInvalid it is said out loud: only someone holding a live
// link of the user (the person) ever sees it.
var ErrUserBlocked = errors.New("the account is blocked")

// BlockChange is one block or unblock: who asks (the event's source:
// "api" for the admin routes, "approval" for a rejected registration) and,
// when a workflow decides it, the event's fixed id and time.
type BlockChange struct {
	Blocked bool
	Source  string
	EventID string    // "" makes a new id; a workflow fixes it so a retried activity records the event once
	At      time.Time // zero is now
}

// SetBlocked blocks or unblocks a user and records UserAccountDeactivated
// or UserAccountActivated with the change. It is the only way a user
// becomes blocked: an admin's block and a rejected registration are the
// same change. Blocking keeps the user's links (they are refused while the
// user is blocked, and work again after an unblock until they expire);
// unblocking returns the user to active when they had activated, else to
// pending. Changed is false when the user was already in that state:
// nothing is written and no event recorded.
func (s *Store) SetBlocked(ctx context.Context, siteID, userID string, ch BlockChange) (u User, changed bool, err error) {
	now := ch.At.UTC()
	if ch.At.IsZero() {
		now = time.Now().UTC()
	}
	err = s.tx(ctx, func(tx *sqlx.Tx) error {
		var row userRow
		if err := tx.GetContext(ctx, &row, "SELECT "+userColumns+" FROM users WHERE id = ? AND site_id = ? FOR UPDATE", userID, siteID); err != nil {
			return notFound(err)
		}
		next := domain.UserBlocked
		event := domain.EventUserAccountDeactivated
		if !ch.Blocked {
			next, event = domain.UserPending, domain.EventUserAccountActivated
			if row.ActivatedAt.Valid {
				next = domain.UserActive
			}
		}
		groups, err := userGroups(ctx, tx, userID)
		if err != nil {
			return err
		}
		if (row.Status == domain.UserBlocked) == ch.Blocked {
			u, err = row.user(groups)
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE users SET status = ?, updated_at = ? WHERE id = ?", next, now, userID); err != nil {
			return err
		}
		row.Status, row.UpdatedAt = next, now
		if u, err = row.user(groups); err != nil {
			return err
		}
		changed = true
		e := UserEvent(event, u, []string{"status"}, ch.Source, now)
		if ch.EventID != "" {
			e.ID = ch.EventID
		}
		return insertEvent(ctx, tx, e)
	})
	return u, changed, err
}

// IssueLink stores a new link token for a user (only its hash) and
// revokes the user's older unused links, as IssueToken does: only the
// newest link works. The user need not exist yet when mayBeNew (the
// webhook answers before its workflow has created them); a blocked user
// gets ErrUserBlocked and no link.
func (s *Store) IssueLink(ctx context.Context, siteID, userID, purpose string, hash []byte, expiresAt time.Time, mayBeNew bool) error {
	return s.tx(ctx, func(tx *sqlx.Tx) error {
		// A plain read: locking a missing row takes a gap lock that the
		// workflow's insert of the new user would wait on. A block racing
		// this read is still safe: claims check the status again.
		var status string
		err := tx.GetContext(ctx, &status, "SELECT status FROM users WHERE id = ? AND site_id = ?", userID, siteID)
		switch {
		case errors.Is(notFound(err), ErrNotFound) && mayBeNew:
		case err != nil:
			return notFound(err)
		case status == domain.UserBlocked:
			return ErrUserBlocked
		}
		now := time.Now().UTC()
		if _, err := tx.ExecContext(ctx, `UPDATE link_tokens SET revoked_at = ? WHERE user_id = ? AND used_at IS NULL AND revoked_at IS NULL`,
			now, userID); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO link_tokens (token_hash, user_id, site_id, purpose, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`,
			hash, userID, siteID, purpose, now, expiresAt.UTC())
		return err
	})
}

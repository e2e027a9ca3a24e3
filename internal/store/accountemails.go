package store

import (
	"context"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"
)

// Statuses of an account email send.
const (
	AccountEmailSending = "sending" // claimed: the email may be on its way or may have left
	AccountEmailSent    = "sent"    // the SMTP server took it
)

// AccountEmailWindow is how long sends are kept: far longer than an
// AccountEmail workflow may run (an hour), the only time they are read.
const AccountEmailWindow = 24 * time.Hour

// AccountEmailSend is one account email that an activity is about to send
// or has sent. Key is the same for every retry of that activity.
type AccountEmailSend struct {
	Key       []byte     `db:"send_key"`
	Kind      string     `db:"kind"`
	SiteID    string     `db:"site_id"`
	UserID    string     `db:"user_id"`
	Status    string     `db:"status"`
	ClaimedAt time.Time  `db:"claimed_at"`
	SentAt    *time.Time `db:"sent_at"`
}

// NewLinkToken is a link token to issue (see IssueToken).
type NewLinkToken struct {
	Purpose   string
	Hash      []byte
	ExpiresAt time.Time
}

// ClaimAccountEmail records that the email e is about to be sent and, in
// the same transaction, issues the link it carries (nil: it carries none).
// It reports false, issuing nothing, when e.Key already has a row: the
// caller must not send it again (GetAccountEmail says how it went).
func (s *Store) ClaimAccountEmail(ctx context.Context, e AccountEmailSend, link *NewLinkToken) (bool, error) {
	claimed := true
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO account_email_sends (send_key, kind, site_id, user_id, status, claimed_at)
			VALUES (?, ?, ?, ?, ?, ?)`, e.Key, e.Kind, e.SiteID, e.UserID, AccountEmailSending, time.Now().UTC())
		var me *mysql.MySQLError
		if asMySQL(err, &me) && me.Number == 1062 {
			claimed = false
			return nil
		}
		if err != nil || link == nil {
			return err
		}
		return issueToken(ctx, tx, e.SiteID, e.UserID, link.Purpose, link.Hash, link.ExpiresAt)
	})
	return claimed && err == nil, err
}

// GetAccountEmail reads a send by its key; ErrNotFound when none was claimed.
func (s *Store) GetAccountEmail(ctx context.Context, key []byte) (AccountEmailSend, error) {
	var e AccountEmailSend
	err := s.db.GetContext(ctx, &e, `SELECT send_key, kind, site_id, user_id, status, claimed_at, sent_at
		FROM account_email_sends WHERE send_key = ?`, key)
	return e, notFound(err)
}

// MarkAccountEmailSent records that the SMTP server took a claimed email.
func (s *Store) MarkAccountEmailSent(ctx context.Context, key []byte, at time.Time) error {
	_, err := s.db.ExecContext(ctx, `UPDATE account_email_sends SET status = ?, sent_at = ? WHERE send_key = ? AND status = ?`,
		AccountEmailSent, at.UTC(), key, AccountEmailSending)
	return err
}

// ReleaseAccountEmail undoes a claim after a send that provably left
// nothing with the SMTP server, so a retry may send. The link the claim
// issued stays unsent; the retry's link revokes it.
func (s *Store) ReleaseAccountEmail(ctx context.Context, key []byte) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM account_email_sends WHERE send_key = ? AND status = ?`, key, AccountEmailSending)
	return err
}

// PruneAccountEmails deletes sends past AccountEmailWindow.
func (s *Store) PruneAccountEmails(ctx context.Context) error {
	_, err := s.db.ExecContext(ctx, "DELETE FROM account_email_sends WHERE claimed_at < ?", time.Now().Add(-AccountEmailWindow).UTC())
	return err
}

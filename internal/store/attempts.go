package store

import (
	"context"
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"

	"gatehouse/internal/domain"
)

// Column sizes of schema/00003_notifications.sql that strangers' text goes
// into. VARCHAR counts characters; TEXT holds 65535 bytes.
const (
	URLColumn     = 2048 // deliveries.url, delivery_attempts.url (characters)
	methodColumn  = 8    // delivery_attempts.method (characters)
	nameColumn    = 255  // delivery_recipients.name (characters)
	emailColumn   = 254  // delivery_recipients.email (characters)
	ErrorTextSize = 8 << 10
	// ResponseBodySize bounds a stored answer (MEDIUMTEXT holds far more;
	// the deliverer reads 16 KiB).
	ResponseBodySize = 64 << 10
)

// AttemptSending is the outcome of an attempt whose request may be in flight.
const AttemptSending = "sending"

// ClampBytes returns s as valid UTF-8 of at most n bytes, cut on a rune
// boundary. A rune cut off at the end (a body read up to a limit) is
// dropped; other invalid bytes become U+FFFD.
func ClampBytes(s string, n int) string { return clamp(s, n, -1) }

// ClampChars is ClampBytes for VARCHAR(n) columns, which count characters.
func ClampChars(s string, n int) string { return clamp(s, -1, n) }

// clamp keeps the longest valid prefix within maxBytes and maxChars (-1:
// no limit) of s after dropping a partial rune at its end.
func clamp(s string, maxBytes, maxChars int) string {
	s = strings.ToValidUTF8(dropPartialRune(s), "\uFFFD")
	chars := 0
	for i, r := range s {
		if chars == maxChars || (maxBytes >= 0 && i+utf8.RuneLen(r) > maxBytes) {
			return s[:i]
		}
		chars++
	}
	return s
}

// dropPartialRune removes an incomplete multibyte sequence at the end.
func dropPartialRune(s string) string {
	for k := 1; k < utf8.UTFMax && k <= len(s); k++ {
		if utf8.RuneStart(s[len(s)-k]) {
			if !utf8.FullRuneInString(s[len(s)-k:]) {
				return s[:len(s)-k]
			}
			break
		}
	}
	return s
}

func clampOptional(s *string, n int) *string {
	if s == nil {
		return nil
	}
	v := ClampBytes(*s, n)
	return &v
}

// sanitize makes an attempt fit its row whatever the receiver answered.
func (a Attempt) sanitize() Attempt {
	a.URL = ClampChars(a.URL, URLColumn)
	a.Method = ClampChars(a.Method, methodColumn)
	a.ResponseBody = clampOptional(a.ResponseBody, ResponseBodySize)
	a.Error = clampOptional(a.Error, ErrorTextSize)
	return a
}

// ClaimAttempt records that attempt a.Attempt is about to be made (outcome
// "sending"). It reports false when the attempt already has a row: the
// caller must not send it again. The delivery's attempt count moves with
// the claim, so a manual retry continues after it.
func (s *Store) ClaimAttempt(ctx context.Context, a Attempt) (bool, error) {
	a = a.sanitize()
	headers, _ := json.Marshal(a.RequestHeaders)
	claimed := true
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO delivery_attempts (delivery_id, attempt, started_at, url, method, request_headers,
			body_size, body_sha256, latency_ms, outcome) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?)`,
			a.DeliveryID, a.Attempt, a.StartedAt.UTC(), a.URL, a.Method, headers, a.BodySize, a.BodySHA256, AttemptSending)
		var me *mysql.MySQLError
		if asMySQL(err, &me) && me.Number == 1062 {
			claimed = false
			return nil
		}
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE deliveries SET attempts = GREATEST(attempts, ?), updated_at = ? WHERE id = ?`,
			a.Attempt, time.Now().UTC(), a.DeliveryID)
		return err
	})
	return claimed && err == nil, err
}

// GetAttempt reads one attempt.
func (s *Store) GetAttempt(ctx context.Context, deliveryID string, attempt int) (Attempt, error) {
	var a Attempt
	err := s.db.GetContext(ctx, &a, `SELECT `+attemptColumns+` FROM delivery_attempts WHERE delivery_id = ? AND attempt = ?`, deliveryID, attempt)
	if err != nil {
		return a, notFound(err)
	}
	json.Unmarshal(a.HeadersJSON, &a.RequestHeaders) //nolint:errcheck
	return a, nil
}

// FinishAttempt stores the outcome of a claimed attempt and the delivery's
// new state together, with the target's disabling when the attempt ends
// it (410), so a reader who sees the delivery final sees the target off.
// Only a row still "sending" is finished: it reports false when another run
// finished it first (the caller reads the row).
func (s *Store) FinishAttempt(ctx context.Context, a Attempt, u DeliveryUpdate, disable *TargetDisable) (bool, error) {
	a = a.sanitize()
	u.LastError = ClampBytes(u.LastError, ErrorTextSize)
	headers, _ := json.Marshal(a.RequestHeaders)
	finished := false
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE delivery_attempts SET started_at = ?, url = ?, method = ?, request_headers = ?,
			body_size = ?, body_sha256 = ?, response_status = ?, response_body = ?, latency_ms = ?, error = ?, outcome = ?, wait_ms = ?
			WHERE delivery_id = ? AND attempt = ? AND outcome = ?`,
			a.StartedAt.UTC(), a.URL, a.Method, headers, a.BodySize, a.BodySHA256, a.ResponseStatus, a.ResponseBody,
			a.LatencyMS, a.Error, a.Outcome, a.WaitMS, a.DeliveryID, a.Attempt, AttemptSending)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		finished = true
		if disable != nil {
			if _, err := disableTarget(ctx, tx, *disable); err != nil {
				return err
			}
		}
		return updateDelivery(ctx, tx, a.DeliveryID, a.Attempt, u)
	})
	return finished && err == nil, err
}

// ClaimRecipient marks a recipient "sending" before its SMTP transaction.
// It reports false when the recipient is not waiting to be sent (handled,
// or claimed by another run): the caller must not mail it.
func (s *Store) ClaimRecipient(ctx context.Context, deliveryID, kind, email string) (bool, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE delivery_recipients SET status = ?, updated_at = ?
		WHERE delivery_id = ? AND kind = ? AND email = ? AND status IN (?, ?)`, domain.RecipientSending, time.Now().UTC(),
		deliveryID, kind, email, domain.RecipientQueued, domain.RecipientDeferred)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

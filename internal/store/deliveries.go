package store

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"gatehouse/internal/domain"
)

// Delivery is one (event, target) pair and its state.
type Delivery struct {
	ID            string     `json:"id" db:"id"`
	JobID         int64      `json:"jobId" db:"job_id"`
	EventID       string     `json:"eventId" db:"event_id"`
	EventType     string     `json:"eventType" db:"event_type"`
	TargetKind    string     `json:"targetKind" db:"target_kind"`
	TargetID      string     `json:"targetId" db:"target_id"`
	URL           string     `json:"url" db:"url"`
	Status        string     `json:"status" db:"status"`
	Attempts      int        `json:"attemptCount" db:"attempts"`
	NextAttemptAt *time.Time `json:"nextAttemptAt,omitempty" db:"next_attempt_at"`
	LastStatus    *int       `json:"lastStatus,omitempty" db:"last_status"`
	LastError     *string    `json:"lastError,omitempty" db:"last_error"`
	Manual        bool       `json:"manual" db:"manual"`
	CreatedAt     time.Time  `json:"createdAt" db:"created_at"`
	UpdatedAt     time.Time  `json:"updatedAt" db:"updated_at"`
	FinishedAt    *time.Time `json:"finishedAt,omitempty" db:"finished_at"`

	// TargetSteady is not a column: an attempt that read its target and
	// found no failure streak sets it, so a success has no streak to end
	// (false, the default, means unknown: a success ends any).
	TargetSteady bool `json:"-" db:"-"`
}

const deliveryColumns = `id, job_id, event_id, event_type, target_kind, target_id, url, status, attempts, next_attempt_at,
	last_status, last_error, manual, created_at, updated_at, finished_at`

// CreateDeliveries records deliveries before their workflows start; ids
// already present are left alone.
func (s *Store) CreateDeliveries(ctx context.Context, ds []Delivery) error {
	return insertDeliveries(ctx, s.db, ds)
}

func insertDeliveries(ctx context.Context, db execer, ds []Delivery) error {
	if len(ds) == 0 {
		return nil
	}
	now := time.Now().UTC()
	var b strings.Builder
	args := make([]any, 0, len(ds)*10)
	b.WriteString(`INSERT IGNORE INTO deliveries (id, event_id, event_type, target_kind, target_id, url, status, manual, created_at, updated_at) VALUES `)
	for i, d := range ds {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
		args = append(args, d.ID, d.EventID, d.EventType, d.TargetKind, d.TargetID, ClampChars(d.URL, URLColumn), domain.DeliveryPending, d.Manual, now, now)
	}
	_, err := db.ExecContext(ctx, b.String(), args...)
	return err
}

// RecordTargetedEvent stores an event meant for one target and its
// delivery in one transaction. The event is stored dispatched, so neither
// the relay nor a fast path fans it out to subscribers; a repeated call
// writes nothing twice.
func (s *Store) RecordTargetedEvent(ctx context.Context, ev domain.Event, d Delivery) error {
	return s.tx(ctx, func(tx *sqlx.Tx) error {
		now := time.Now().UTC()
		if _, err := insertEventPrevious(ctx, tx, ev, now); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT IGNORE INTO deliveries (id, event_id, event_type, target_kind, target_id, url, status, manual,
			created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, d.ID, d.EventID, d.EventType, d.TargetKind, d.TargetID,
			ClampChars(d.URL, URLColumn), domain.DeliveryPending, d.Manual, now, now)
		return err
	})
}

// GetDelivery reads one delivery.
func (s *Store) GetDelivery(ctx context.Context, id string) (Delivery, error) {
	var d Delivery
	if err := s.db.GetContext(ctx, &d, "SELECT "+deliveryColumns+" FROM deliveries WHERE id = ?", id); err != nil {
		return d, notFound(err)
	}
	return d, nil
}

// DeliveryFilter narrows ListDeliveries.
type DeliveryFilter struct {
	Status     string
	TargetKind string
	TargetID   string
	EventID    string
	Since      *time.Time
	ByID       bool // ascending by id, for batching with AfterID
	AfterID    string
	Limit      int
}

// ListDeliveries returns deliveries, newest first (oldest first with AfterID).
func (s *Store) ListDeliveries(ctx context.Context, f DeliveryFilter) ([]Delivery, error) {
	where := []string{"1=1"}
	var args []any
	if f.Status != "" {
		where, args = append(where, "status = ?"), append(args, f.Status)
	}
	if f.TargetKind != "" {
		where, args = append(where, "target_kind = ?"), append(args, f.TargetKind)
	}
	if f.TargetID != "" {
		where, args = append(where, "target_id = ?"), append(args, f.TargetID)
	}
	if f.EventID != "" {
		where, args = append(where, "event_id = ?"), append(args, f.EventID)
	}
	if f.Since != nil {
		where, args = append(where, "created_at >= ?"), append(args, f.Since.UTC())
	}
	order := "created_at DESC, id DESC"
	if f.ByID {
		order = "id ASC"
	}
	if f.AfterID != "" {
		where, args = append(where, "id > ?"), append(args, f.AfterID)
	}
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	out := []Delivery{}
	err := s.db.SelectContext(ctx, &out, "SELECT "+deliveryColumns+" FROM deliveries WHERE "+strings.Join(where, " AND ")+
		" ORDER BY "+order+" LIMIT ?", append(args, limit)...)
	return out, err
}

// Attempt is one HTTP request or email send, as stored.
type Attempt struct {
	DeliveryID     string            `json:"-" db:"delivery_id"`
	Attempt        int               `json:"attempt" db:"attempt"`
	StartedAt      time.Time         `json:"startedAt" db:"started_at"`
	URL            string            `json:"url" db:"url"`
	Method         string            `json:"method" db:"method"`
	RequestHeaders map[string]string `json:"requestHeaders" db:"-"`
	HeadersJSON    []byte            `json:"-" db:"request_headers"`
	BodySize       int               `json:"bodySize" db:"body_size"`
	BodySHA256     string            `json:"bodySha256" db:"body_sha256"`
	ResponseStatus *int              `json:"responseStatus,omitempty" db:"response_status"`
	ResponseBody   *string           `json:"responseBody,omitempty" db:"response_body"`
	LatencyMS      int               `json:"latencyMs" db:"latency_ms"`
	Error          *string           `json:"error,omitempty" db:"error"`
	Outcome        string            `json:"outcome" db:"outcome"`
	WaitMS         *int64            `json:"-" db:"wait_ms"` // the wait the workflow was told after this attempt
}

const attemptColumns = `delivery_id, attempt, started_at, url, method, request_headers, body_size, body_sha256,
	response_status, response_body, latency_ms, error, outcome, wait_ms`

// DeliveryUpdate is the delivery's state after an attempt.
type DeliveryUpdate struct {
	Status        string
	NextAttemptAt *time.Time
	LastStatus    *int
	LastError     string
}

func updateDelivery(ctx context.Context, db execer, id string, attempts int, u DeliveryUpdate) error {
	now := time.Now().UTC()
	var finished any
	if domain.Finished(u.Status) {
		finished = now
	}
	var next any
	if u.NextAttemptAt != nil {
		next = u.NextAttemptAt.UTC()
	}
	_, err := db.ExecContext(ctx, `UPDATE deliveries SET status = ?, attempts = GREATEST(attempts, ?), next_attempt_at = ?,
		last_status = COALESCE(?, last_status), last_error = ?, updated_at = ?, finished_at = ? WHERE id = ?`,
		u.Status, attempts, next, u.LastStatus, nullable(ClampBytes(u.LastError, ErrorTextSize)), now, finished, id)
	return err
}

// SetDeliveryStatus changes the state without an attempt (waiting,
// cancelled, restarted).
func (s *Store) SetDeliveryStatus(ctx context.Context, id string, u DeliveryUpdate) error {
	return updateDelivery(ctx, s.db, id, 0, u)
}

// Attempts lists a delivery's attempts in order.
func (s *Store) Attempts(ctx context.Context, deliveryID string) ([]Attempt, error) {
	out := []Attempt{}
	err := s.db.SelectContext(ctx, &out, `SELECT `+attemptColumns+` FROM delivery_attempts WHERE delivery_id = ? ORDER BY attempt`, deliveryID)
	for i := range out {
		json.Unmarshal(out[i].HeadersJSON, &out[i].RequestHeaders) //nolint:errcheck
	}
	return out, err
}

// Recipient is one email recipient of a delivery.
type Recipient struct {
	Kind      string    `json:"kind" db:"kind"`
	Email     string    `json:"email" db:"email"`
	Name      string    `json:"name" db:"name"`
	Status    string    `json:"status" db:"status"`
	SMTPCode  *int      `json:"smtpCode,omitempty" db:"smtp_code"`
	Message   *string   `json:"message,omitempty" db:"message"`
	UpdatedAt time.Time `json:"updatedAt" db:"updated_at"`
}

// AddRecipients records resolved recipients once, in batches (a group can
// have 10,000); later attempts keep their statuses.
func (s *Store) AddRecipients(ctx context.Context, deliveryID string, rs []Recipient) error {
	now := time.Now().UTC()
	for len(rs) > 0 {
		batch := rs[:min(len(rs), 500)]
		rs = rs[len(batch):]
		var b strings.Builder
		args := make([]any, 0, len(batch)*8)
		b.WriteString(`INSERT IGNORE INTO delivery_recipients (delivery_id, kind, email, name, status, smtp_code, message, updated_at) VALUES `)
		for i, r := range batch {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString("(?, ?, ?, ?, ?, ?, ?, ?)")
			args = append(args, deliveryID, r.Kind, ClampChars(r.Email, emailColumn), ClampChars(r.Name, nameColumn), r.Status,
				r.SMTPCode, clampOptional(r.Message, ErrorTextSize), now)
		}
		if _, err := s.db.ExecContext(ctx, b.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

// SetRecipient updates one recipient's status.
func (s *Store) SetRecipient(ctx context.Context, deliveryID string, r Recipient) error {
	_, err := s.db.ExecContext(ctx, `UPDATE delivery_recipients SET status = ?, smtp_code = ?, message = ?, updated_at = ?
		WHERE delivery_id = ? AND kind = ? AND email = ?`, r.Status, r.SMTPCode, clampOptional(r.Message, ErrorTextSize),
		time.Now().UTC(), deliveryID, r.Kind, r.Email)
	return err
}

// Recipients lists a delivery's recipients.
func (s *Store) Recipients(ctx context.Context, deliveryID string) ([]Recipient, error) {
	out := []Recipient{}
	err := s.db.SelectContext(ctx, &out, `SELECT kind, email, name, status, smtp_code, message, updated_at FROM delivery_recipients
		WHERE delivery_id = ? ORDER BY kind, email`, deliveryID)
	return out, err
}

// MarkRestarted sets a delivery back to pending after its workflow was
// started again, unless the row changed since it was read as from: the new
// run may already have recorded an attempt, and its word is newer.
func (s *Store) MarkRestarted(ctx context.Context, from Delivery) error {
	_, err := s.db.ExecContext(ctx, `UPDATE deliveries SET status = ?, next_attempt_at = NULL, last_error = NULL, updated_at = ?, finished_at = NULL
		WHERE id = ? AND status = ? AND updated_at = ?`, domain.DeliveryPending, time.Now().UTC(), from.ID, from.Status, from.UpdatedAt.UTC())
	return err
}

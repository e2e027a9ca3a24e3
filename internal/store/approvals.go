package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"

	"gatehouse/internal/domain"
	"gatehouse/internal/portal"
)

// Approval is one approvals row as the API shows it.
type Approval struct {
	ID                string     `db:"id" json:"id"`
	PortalID          string     `db:"portal_id" json:"portalId"`
	Kind              string     `db:"kind" json:"kind"`
	EntityID          string     `db:"entity_id" json:"entityId"`
	PortalObjectID    *int64     `db:"portal_object_id" json:"portalObjectId"`
	RequesterID       *int64     `db:"requester_id" json:"requesterId"`
	Status            string     `db:"status" json:"status"`
	DecidedVia        *string    `db:"decided_via" json:"decidedVia"`
	DecidedBy         *string    `db:"decided_by" json:"decidedBy"`
	Reason            *string    `db:"reason" json:"reason"`
	DecidedAt         *time.Time `db:"decided_at" json:"decidedAt"`
	RequiredApprovals int        `db:"required_approvals" json:"requiredApprovals"`
	Policy            JSONText   `db:"policy" json:"policy"`
	Summary           JSONText   `db:"summary" json:"request"`
	EventID           string     `db:"event_id" json:"eventId"`
	CallbackStatus    *string    `db:"callback_status" json:"callbackStatus"`
	CallbackMessage   *string    `db:"callback_message" json:"callbackMessage"`
	// CallbackDelivery is the portal callback's delivery (GET /api/v1/deliveries/{id}).
	CallbackDelivery *string    `db:"callback_delivery_id" json:"callbackDeliveryId"`
	ExpiresAt        *time.Time `db:"expires_at" json:"expiresAt"`
	CreatedAt        time.Time  `db:"created_at" json:"createdAt"`
	UpdatedAt        time.Time  `db:"updated_at" json:"updatedAt"`
}

// approvalInsertColumns are the columns CreateApproval writes, in order.
const approvalInsertColumns = `id, portal_id, kind, entity_id, portal_object_id, requester_id, status, decided_via, decided_by, reason,
	decided_at, required_approvals, policy, summary, event_id, callback_status, callback_message, expires_at, created_at, updated_at`

const approvalColumns = approvalInsertColumns + `, callback_delivery_id`

// ApprovalAudit is one audit entry.
type ApprovalAudit struct {
	Seq    int       `db:"seq" json:"seq"`
	At     time.Time `db:"at" json:"at"`
	Action string    `db:"action" json:"action"`
	Actor  *string   `db:"actor" json:"actor"`
	Detail *string   `db:"detail" json:"detail"`
}

// NewApproval is what starting an approval records.
type NewApproval struct {
	ID, PortalID, Kind, EntityID, EventID string
	ObjectID, RequesterID                 int64 // 0: unknown
	Required                              int
	Policy                                portal.Policy
	Summary                               json.RawMessage
	ExpiresAt                             *time.Time
	At                                    time.Time
	Object                                portal.ApprovalEventObject // of ApprovalRequested
}

// approvalEventID is fixed by (approval, seq, time), so a retried step
// records its event once.
func approvalEventID(approvalID string, seq int, at time.Time) string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("%s\x00%d", approvalID, seq)))
	return fmt.Sprintf("ev_%013x%s", at.UnixMilli(), hex.EncodeToString(sum[:])[:12])
}

func approvalEvent(eventType string, seq int, at time.Time, o portal.ApprovalEventObject) domain.Event {
	raw, _ := json.Marshal(o)
	return domain.Event{ID: approvalEventID(o.ApprovalID, seq, at), EventType: eventType, EventObjectType: domain.ObjectTypeApproval,
		ObjectID: o.ApprovalID, Object: raw, Source: "portal:" + o.PortalID, OccurredAt: at}
}

// CreateApproval records a started approval: the row (reset when the same
// id runs again for a new request; the audit is kept), the requested audit
// entry and ApprovalRequested. It returns the requested entry's seq; a
// retry for the same event returns the same seq and writes nothing.
func (s *Store) CreateApproval(ctx context.Context, a NewApproval) (seq int, err error) {
	policy, err := json.Marshal(a.Policy)
	if err != nil {
		return 0, err
	}
	detail := "event " + a.EventID
	err = s.tx(ctx, func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &seq, `SELECT seq FROM approval_audit WHERE approval_id = ? AND action = 'requested' AND detail = ?`, a.ID, detail)
		if err == nil {
			return nil // recorded by an earlier try
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if err := tx.GetContext(ctx, &seq, `SELECT COALESCE(MAX(seq), 0) + 1 FROM approval_audit WHERE approval_id = ?`, a.ID); err != nil {
			return err
		}
		at := a.At.UTC()
		_, err = tx.ExecContext(ctx, `INSERT INTO approvals (`+approvalInsertColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL, NULL, ?, ?, ?, ?, NULL, NULL, ?, ?, ?)
			ON DUPLICATE KEY UPDATE portal_object_id = VALUES(portal_object_id), requester_id = VALUES(requester_id),
				status = VALUES(status), decided_via = NULL, decided_by = NULL, reason = NULL, decided_at = NULL,
				required_approvals = VALUES(required_approvals), policy = VALUES(policy), summary = VALUES(summary),
				event_id = VALUES(event_id), callback_status = NULL, callback_message = NULL, decision = NULL,
				callback_delivery_id = NULL, org_create_started_at = NULL, portal_org_id = NULL,
				expires_at = VALUES(expires_at), created_at = VALUES(created_at), updated_at = VALUES(updated_at)`,
			a.ID, a.PortalID, a.Kind, a.EntityID, nullInt(a.ObjectID), nullInt(a.RequesterID), domain.ApprovalPending,
			a.Required, policy, []byte(a.Summary), a.EventID, utcPtr(a.ExpiresAt), at, at)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM approval_votes WHERE approval_id = ?`, a.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO approval_audit (approval_id, seq, at, action, actor, detail) VALUES (?, ?, ?, 'requested', 'portal', ?)`,
			a.ID, seq, at, detail); err != nil {
			return err
		}
		o := a.Object
		o.Request = a.Summary
		return insertEvent(ctx, tx, approvalEvent(domain.EventApprovalRequested, seq, at, o))
	})
	return seq, err
}

// RecordApprovalStep writes one step. The audit entry's (approval, seq)
// key makes a retry a no-op: the whole step committed together. A
// different entry under a taken seq is ErrStepConflict, never a silent drop.
func (s *Store) RecordApprovalStep(ctx context.Context, st portal.ApprovalStep) error {
	err := s.tx(ctx, func(tx *sqlx.Tx) error { return recordApprovalStep(ctx, tx, st) })
	if errors.Is(err, errStepDone) {
		return nil
	}
	return err
}

// StartApprovalCallback records the step that hands the decision to the
// portal's Delivery (its row change names the delivery) and the delivery's
// row, in one transaction: the attempt activity finds both or neither.
func (s *Store) StartApprovalCallback(ctx context.Context, st portal.ApprovalStep, d Delivery) error {
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		if err := insertDeliveries(ctx, tx, []Delivery{d}); err != nil {
			return err
		}
		return recordApprovalStep(ctx, tx, st)
	})
	if errors.Is(err, errStepDone) {
		return nil
	}
	return err
}

// errStepDone: the step's audit entry exists, so the transaction rolls
// back and the caller answers success.
var errStepDone = errors.New("step already recorded")

// ErrStepConflict: the audit already holds a different entry under the
// step's seq. Answering success would lose the step (its vote, its event),
// and retrying cannot help: the numbering is wrong.
var ErrStepConflict = errors.New("audit seq already holds a different entry")

func recordApprovalStep(ctx context.Context, tx *sqlx.Tx, st portal.ApprovalStep) error {
	at := st.At.UTC()
	actor, detail := ClampChars(st.Actor, 254), ClampBytes(st.Detail, 60000)
	_, err := tx.ExecContext(ctx, `INSERT INTO approval_audit (approval_id, seq, at, action, actor, detail) VALUES (?, ?, ?, ?, ?, ?)`,
		st.ApprovalID, st.Seq, at, st.Action, nullable(actor), nullable(detail))
	var me *mysql.MySQLError
	if asMySQL(err, &me) && me.Number == 1062 {
		// A retry writes the same entry; anything else is another step.
		var had struct {
			Action string         `db:"action"`
			Actor  sql.NullString `db:"actor"`
			Detail sql.NullString `db:"detail"`
		}
		if err := tx.GetContext(ctx, &had, `SELECT action, actor, detail FROM approval_audit WHERE approval_id = ? AND seq = ?`,
			st.ApprovalID, st.Seq); err != nil {
			return err
		}
		if had.Action != st.Action || had.Actor.String != actor || had.Detail.String != detail {
			return fmt.Errorf("approval %s seq %d: %w: %s, not %s", st.ApprovalID, st.Seq, ErrStepConflict, had.Action, st.Action)
		}
		return errStepDone
	}
	if err != nil {
		return err
	}
	if c := st.Change; c != nil {
		if err := changeApproval(ctx, tx, st.ApprovalID, at, c); err != nil {
			return err
		}
	}
	if v := st.Vote; v != nil {
		if len(v.LinkHash) > 0 {
			// The workflow accepted the vote (its Update id is derived from
			// the link, so a link counts once); spending is bookkeeping.
			if _, err := tx.ExecContext(ctx, `UPDATE approval_links SET used_at = ? WHERE token_hash = ? AND used_at IS NULL`, at, v.LinkHash); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO approval_votes (approval_id, approver, decision, decision_id, reason, voted_at) VALUES (?, ?, ?, ?, ?, ?)`,
			st.ApprovalID, ClampChars(v.Approver, 254), v.Decision, ClampChars(v.DecisionID, 64), v.Reason, v.VotedAt.UTC())
		if err != nil {
			return err
		}
	}
	if st.Event != "" && st.Object != nil {
		o := *st.Object
		var summary []byte
		if err := tx.GetContext(ctx, &summary, `SELECT summary FROM approvals WHERE id = ?`, st.ApprovalID); err != nil {
			return fmt.Errorf("approval %s: %w", st.ApprovalID, err)
		}
		o.Request = summary
		return insertEvent(ctx, tx, approvalEvent(st.Event, st.Seq, at, o))
	}
	return nil
}

func changeApproval(ctx context.Context, tx *sqlx.Tx, id string, at time.Time, c *portal.ApprovalChange) error {
	sets := []string{"updated_at = ?"}
	args := []any{at}
	add := func(col string, v any) { sets = append(sets, col+" = ?"); args = append(args, v) }
	if c.Status != "" {
		add("status", c.Status)
	}
	if c.ObjectID != 0 {
		add("portal_object_id", c.ObjectID)
	}
	if c.Decision != "" {
		add("decision", string(c.Decision))
		add("decided_by", ClampChars(c.DecidedBy, 254))
		add("decided_via", c.Via)
		add("reason", nullable(ClampChars(c.Reason, 1000)))
		add("decided_at", utcPtr(c.DecidedAt))
	}
	if c.Callback != "" {
		add("callback_status", c.Callback)
		add("callback_message", nullable(ClampChars(c.CallbackMessage, 512)))
	}
	if c.ExpiresAt != nil {
		add("expires_at", c.ExpiresAt.UTC())
	}
	if c.CallbackDelivery != "" {
		add("callback_delivery_id", c.CallbackDelivery)
	}
	args = append(args, id)
	res, err := tx.ExecContext(ctx, "UPDATE approvals SET "+strings.Join(sets, ", ")+" WHERE id = ?", args...)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("approval %s: %w", id, ErrNotFound)
	}
	return nil
}

// GetApproval reads one approval with its votes and audit trail.
func (s *Store) GetApproval(ctx context.Context, id string) (Approval, []portal.ApprovalVote, []ApprovalAudit, error) {
	var a Approval
	if err := s.db.GetContext(ctx, &a, "SELECT "+approvalColumns+" FROM approvals WHERE id = ?", id); err != nil {
		return a, nil, nil, notFound(err)
	}
	votes := []portal.ApprovalVote{}
	if err := s.db.SelectContext(ctx, &votes, `SELECT approver, decision, decision_id, reason, voted_at FROM approval_votes
		WHERE approval_id = ? ORDER BY voted_at, approver`, id); err != nil {
		return a, nil, nil, err
	}
	audit := []ApprovalAudit{}
	if err := s.db.SelectContext(ctx, &audit, `SELECT seq, at, action, actor, detail FROM approval_audit WHERE approval_id = ? ORDER BY seq`, id); err != nil {
		return a, nil, nil, err
	}
	return a, votes, audit, nil
}

// ApprovalFilter selects approvals; After is the keyset cursor.
type ApprovalFilter struct {
	Status, Kind, PortalID string
	AfterCreated           time.Time
	AfterID                string
	Limit                  int
}

// ListApprovals lists approvals oldest first by (created_at, id).
func (s *Store) ListApprovals(ctx context.Context, f ApprovalFilter) ([]Approval, error) {
	where := []string{"1 = 1"}
	var args []any
	if f.Status != "" {
		where, args = append(where, "status = ?"), append(args, f.Status)
	}
	if f.Kind != "" {
		where, args = append(where, "kind = ?"), append(args, f.Kind)
	}
	if f.PortalID != "" {
		where, args = append(where, "portal_id = ?"), append(args, f.PortalID)
	}
	if f.AfterID != "" {
		where = append(where, "(created_at > ? OR (created_at = ? AND id > ?))")
		args = append(args, f.AfterCreated.UTC(), f.AfterCreated.UTC(), f.AfterID)
	}
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	args = append(args, limit)
	out := []Approval{}
	err := s.db.SelectContext(ctx, &out, "SELECT "+approvalColumns+" FROM approvals WHERE "+strings.Join(where, " AND ")+
		" ORDER BY created_at, id LIMIT ?", args...)
	return out, err
}

// OpenApprovalByRequester finds the open approval of a requester (the
// portal's OrganisationRequestApproved names the user, not the request).
func (s *Store) OpenApprovalByRequester(ctx context.Context, portalID, kind string, requesterID int64) (string, error) {
	var id string
	err := s.db.GetContext(ctx, &id, `SELECT id FROM approvals WHERE portal_id = ? AND kind = ? AND requester_id = ?
		AND status IN (?, ?, ?) ORDER BY created_at DESC LIMIT 1`, portalID, kind, requesterID,
		domain.ApprovalPending, domain.ApprovalEscalated, domain.ApprovalUnresolved)
	return id, notFound(err)
}

// ApprovalLink is one emailed decision link (only its hash is stored).
type ApprovalLink struct {
	TokenHash  []byte     `db:"token_hash"`
	ApprovalID string     `db:"approval_id"`
	Approver   string     `db:"approver"`
	Decision   string     `db:"decision"`
	CreatedAt  time.Time  `db:"created_at"`
	ExpiresAt  time.Time  `db:"expires_at"`
	UsedAt     *time.Time `db:"used_at"`
}

// CreateApprovalLink stores a link's hash.
func (s *Store) CreateApprovalLink(ctx context.Context, l ApprovalLink) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO approval_links (token_hash, approval_id, approver, decision, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?)`, l.TokenHash, l.ApprovalID, l.Approver, l.Decision, l.CreatedAt.UTC(), l.ExpiresAt.UTC())
	return err
}

// ApprovalLinkByHash reads a link.
func (s *Store) ApprovalLinkByHash(ctx context.Context, hash []byte) (ApprovalLink, error) {
	var l ApprovalLink
	err := s.db.GetContext(ctx, &l, `SELECT token_hash, approval_id, approver, decision, created_at, expires_at, used_at
		FROM approval_links WHERE token_hash = ?`, hash)
	return l, notFound(err)
}

func nullInt(v int64) any {
	if v == 0 {
		return nil
	}
	return v
}

func utcPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UTC()
}

// JSONText is a JSON column: scanned as a copy, answered as raw JSON.
type JSONText []byte

// Scan copies the driver's bytes (they are reused for the next row).
func (j *JSONText) Scan(src any) error {
	switch v := src.(type) {
	case []byte:
		*j = append((*j)[:0], v...)
	case string:
		*j = JSONText(v)
	case nil:
		*j = nil
	default:
		return fmt.Errorf("JSONText: cannot scan %T", src)
	}
	return nil
}

// UnmarshalJSON keeps a copy of the JSON as is (API clients, tests).
func (j *JSONText) UnmarshalJSON(b []byte) error {
	*j = append((*j)[:0], b...)
	return nil
}

// MarshalJSON answers the stored JSON as is (null when empty).
func (j JSONText) MarshalJSON() ([]byte, error) {
	if len(j) == 0 {
		return []byte("null"), nil
	}
	return j, nil
}

package store

import (
	"context"
	"database/sql"
	"time"
)

// ApprovalCallback is what the portal callback's attempt reads: the
// decision and the portal's objects it applies to.
type ApprovalCallback struct {
	ID             string        `db:"id"`
	PortalID       string        `db:"portal_id"`
	Kind           string        `db:"kind"`
	PortalObjectID sql.NullInt64 `db:"portal_object_id"`
	RequesterID    sql.NullInt64 `db:"requester_id"`
	Decision       *string       `db:"decision"`
	Policy         JSONText      `db:"policy"`
	Summary        JSONText      `db:"summary"`
	// OrgCreateStarted: a POST /organisations was sent (or is under way);
	// PortalOrgID is the organisation it created, once known.
	OrgCreateStarted *time.Time    `db:"org_create_started_at"`
	PortalOrgID      sql.NullInt64 `db:"portal_org_id"`
}

// ApprovalByCallback reads the approval whose portal callback is delivery
// deliveryID.
func (s *Store) ApprovalByCallback(ctx context.Context, deliveryID string) (ApprovalCallback, error) {
	var a ApprovalCallback
	err := s.db.GetContext(ctx, &a, `SELECT id, portal_id, kind, portal_object_id, requester_id, decision, policy, summary,
		org_create_started_at, portal_org_id FROM approvals WHERE callback_delivery_id = ?`, deliveryID)
	return a, notFound(err)
}

// ClaimOrganisationCreate marks that the approval is about to create its
// organisation. Only the caller that gets true may send the POST: creating
// an organisation is not idempotent, so it happens at most once.
func (s *Store) ClaimOrganisationCreate(ctx context.Context, approvalID string, at time.Time) (bool, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE approvals SET org_create_started_at = ? WHERE id = ? AND org_create_started_at IS NULL`,
		at.UTC(), approvalID)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ReleaseOrganisationCreate undoes a claim after the portal answered that
// it created nothing (an error status), so a later attempt may POST again.
func (s *Store) ReleaseOrganisationCreate(ctx context.Context, approvalID string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE approvals SET org_create_started_at = NULL WHERE id = ? AND portal_org_id IS NULL`, approvalID)
	return err
}

// SetPortalOrganisation records the organisation the approval created.
func (s *Store) SetPortalOrganisation(ctx context.Context, approvalID string, orgID int64) error {
	_, err := s.db.ExecContext(ctx, `UPDATE approvals SET portal_org_id = ? WHERE id = ?`, orgID, approvalID)
	return err
}

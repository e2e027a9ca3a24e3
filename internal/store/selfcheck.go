package store

import (
	"context"
	"time"
)

// RecordSelfCheck upserts the self-check row for a workflow and returns the
// server version it read back.
func (s *Store) RecordSelfCheck(ctx context.Context, workflowID string, at time.Time) (string, error) {
	var version string
	if err := s.db.GetContext(ctx, &version, "SELECT VERSION()"); err != nil {
		return "", err
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO self_checks (workflow_id, checked_at, db_version) VALUES (?, ?, ?)
		ON DUPLICATE KEY UPDATE checked_at = VALUES(checked_at), db_version = VALUES(db_version)`,
		workflowID, at.UTC(), version)
	return version, err
}

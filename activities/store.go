// Package activities holds Temporal activities: one struct per dependency
// (the MySQL store, the mailer, the HTTP sender). Activities do I/O only.
package activities

import (
	"context"

	"go.temporal.io/sdk/activity"

	"gatehouse/internal/store"
)

// Store runs the MySQL side of the workflows.
type Store struct {
	DB *store.Store
}

// RecordSelfCheckInput identifies one self-check.
type RecordSelfCheckInput struct {
	WorkflowID string
}

// RecordSelfCheckResult reports what MySQL answered.
type RecordSelfCheckResult struct {
	DBVersion string
}

// RecordSelfCheck writes a row and reads the server version: proof that the
// worker can reach and write to MySQL.
func (a *Store) RecordSelfCheck(ctx context.Context, in RecordSelfCheckInput) (RecordSelfCheckResult, error) {
	at := activity.GetInfo(ctx).StartedTime
	v, err := a.DB.RecordSelfCheck(ctx, in.WorkflowID, at)
	return RecordSelfCheckResult{DBVersion: v}, err
}

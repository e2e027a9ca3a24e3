package workflows

import (
	"context"
	"errors"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
)

// ErrApprovalClosed: no approval workflow runs under the id (it ended, or
// never started); the caller reads the approvals row to say which.
var ErrApprovalClosed = errors.New("approval is not open")

// DecideApproval sends one vote as the decide Update and waits for its
// outcome. The Update id is in.DecisionID, so a retried call is the same
// Update and cannot vote twice. A refused vote comes back as an
// ApplicationError of one of the ErrType* types (see ApprovalErrorType).
func DecideApproval(ctx context.Context, c client.Client, approvalID string, in DecideInput) (ApprovalState, error) {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: approvalID, UpdateID: in.DecisionID, UpdateName: ApprovalDecideUpdate,
		Args: []any{in}, WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	var st ApprovalState
	if err == nil {
		err = h.Get(ctx, &st)
	}
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return st, ErrApprovalClosed
	}
	return st, err
}

// ApprovalErrorType is the ErrType* of a refused vote, or "".
func ApprovalErrorType(err error) (errType, message string) {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return app.Type(), app.Message()
	}
	return "", ""
}

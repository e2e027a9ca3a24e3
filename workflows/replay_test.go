package workflows

import (
	"path/filepath"
	"testing"

	"go.temporal.io/sdk/worker"

	"gatehouse/internal/payloadcodec"
	"gatehouse/internal/payloadcodec/codectest"
)

// TestReplayRecordedHistories replays every committed history against the
// current workflow code: a change that would break running workflows fails
// here (wrap it in workflow.GetVersion, see versions.go). Histories are
// recorded from the real server by
// `go test ./workflows/integration -run Integration -record`
// (approval_two_of_three.json: an Approval with a retried vote, two of
// three approvals and a callback that failed once, from before the callback
// was a Delivery; approval_callback_delivery.json and
// delivery_portal_callback.json: the same with the callback a child
// Delivery that failed twice; registration_held_approved.json and
// approval_site_registration.json: a registration on a site with
// requireApproval held for its Approval child, approved, then the link and
// the activation; approval_channel_approver.json: a channel approver sent
// its request as a child Delivery, then voting).
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob("testdata/histories/*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no recorded histories in testdata/histories")
	}
	ring, err := payloadcodec.ParseRing(codectest.Keys)
	if err != nil {
		t.Fatal(err)
	}
	dc, err := payloadcodec.DataConverter(ring)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			// Same converters as the workers: histories recorded with
			// encryption decrypt, older unencrypted ones pass through.
			r, err := worker.NewWorkflowReplayerWithOptions(worker.WorkflowReplayerOptions{
				DataConverter: dc, FailureConverter: payloadcodec.FailureConverter(dc),
			})
			if err != nil {
				t.Fatal(err)
			}
			RegisterAll(r)
			if err := r.ReplayWorkflowHistoryFromJSONFile(nil, f); err != nil {
				t.Fatal(err)
			}
		})
	}
}

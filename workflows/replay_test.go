package workflows

import (
	"os"
	"path/filepath"
	"testing"

	"go.temporal.io/sdk/client"
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
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			if err := newReplayer(t).ReplayWorkflowHistoryFromJSONFile(nil, f); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// newReplayer has the workers' converters: histories recorded with
// encryption decrypt, older unencrypted ones pass through.
func newReplayer(tb testing.TB) worker.WorkflowReplayer {
	ring, err := payloadcodec.ParseRing(codectest.Keys)
	if err != nil {
		tb.Fatal(err)
	}
	dc, err := payloadcodec.DataConverter(ring)
	if err != nil {
		tb.Fatal(err)
	}
	r, err := worker.NewWorkflowReplayerWithOptions(worker.WorkflowReplayerOptions{
		DataConverter: dc, FailureConverter: payloadcodec.FailureConverter(dc),
	})
	if err != nil {
		tb.Fatal(err)
	}
	RegisterAll(r)
	return r
}

// BenchmarkReplay is what a worker pays to bring a workflow back into
// memory after the workflow cache (GATEHOUSE_WORKFLOW_CACHE) evicted it: a
// replay of its history (decrypting its payloads included).
func BenchmarkReplay(b *testing.B) {
	for _, name := range []string{"registration_resend_activate", "delivery_retry_success", "approval_two_of_three"} {
		f, err := os.Open(filepath.Join("testdata/histories", name+".json"))
		if err != nil {
			b.Fatal(err)
		}
		h, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			r := newReplayer(b)
			for b.Loop() {
				if err := r.ReplayWorkflowHistory(nil, h); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

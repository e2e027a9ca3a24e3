package integration_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/encoding/protojson"

	"gatehouse/internal/dispatch"
	"gatehouse/internal/domain"
	"gatehouse/internal/linktoken"
	"gatehouse/internal/mailsink"
	"gatehouse/internal/mapping"
	"gatehouse/internal/notify"
	"gatehouse/internal/portal"
	"gatehouse/internal/signing"
	"gatehouse/internal/site"
	"gatehouse/internal/store"
	"gatehouse/internal/testkit"
	"gatehouse/workflows"
)

var record = flag.Bool("record", false, "write the histories of the integration runs to workflows/testdata/histories")

func TestMain(m *testing.M) { testkit.Main(m) }

// TestIntegrationSelfCheck runs the workflow on the real server with the real
// worker wiring and MariaDB.
func TestIntegrationSelfCheck(t *testing.T) {
	app := testkit.Get(t).StartApp(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	run, err := app.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: workflows.SelfCheckID("integration"), TaskQueue: app.Config.Temporal.TaskQueue,
	}, workflows.SelfCheck, workflows.SelfCheckInput{})
	if err != nil {
		t.Fatal(err)
	}
	var res workflows.SelfCheckResult
	if err := run.Get(ctx, &res); err != nil {
		t.Fatal(err)
	}
	if res.DBVersion == "" {
		t.Fatalf("no database version in %+v", res)
	}
	var n int
	if err := app.Store.DB().Get(&n, "SELECT COUNT(*) FROM self_checks WHERE workflow_id = ?", run.GetID()); err != nil || n != 1 {
		t.Fatalf("self_checks row: n=%d err=%v", n, err)
	}
	saveHistory(t, app.Temporal, run.GetID(), run.GetRunID(), "selfcheck.json")
}

// saveHistory writes a finished workflow's history when -record is given.
func saveHistory(t *testing.T, c client.Client, id, runID, name string) {
	t.Helper()
	if !*record {
		return
	}
	it := c.GetWorkflowHistory(context.Background(), id, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var h historypb.History
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		h.Events = append(h.Events, ev)
	}
	b, err := protojson.MarshalOptions{Indent: "  "}.Marshal(&h)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("..", "testdata", "histories", name), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestIntegrationRegistration runs a registration with a resend and an
// activation on the real stack; its history is the replay test's input.
func TestIntegrationRegistration(t *testing.T) {
	app := testkit.Get(t).StartApp(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	st := site.Site{ID: "replay", EventName: "Replay Summit"}
	st.Registration.Enabled = true
	st.ApplyDefaults()
	if _, _, err := app.Store.PutSite(ctx, st, nil); err != nil {
		t.Fatal(err)
	}
	addr := "replay-" + time.Now().Format("150405.000") + "@example.test"
	userID := mapping.UserID(st.ID, addr)
	id := workflows.RegistrationID(st.ID, userID)
	signal := func(name string, arg any) {
		t.Helper()
		_, err := app.Temporal.SignalWithStartWorkflow(ctx, id, name, arg, client.StartWorkflowOptions{TaskQueue: app.Config.Temporal.TaskQueue},
			workflows.Registration, workflows.RegistrationInput{SiteID: st.ID, UserID: userID, Email: addr})
		if err != nil {
			t.Fatal(err)
		}
	}
	signal(workflows.RegistrationSubmitSignal, workflows.Submission{RequestID: "r1", ReceivedAt: time.Now(), Action: domain.ActionRegister,
		Registrant: mapping.Registrant{Email: addr, FirstName: "Re", LastName: "Play", Role: "viewerRole", Language: "en"}, Source: "test"})
	sink := testkit.Get(t).Mail
	if _, err := sink.Wait(ctx, mailsink.To(addr)); err != nil {
		t.Fatal(err)
	}
	signal(workflows.RegistrationResendSignal, workflows.Resend{RequestID: "r2"})
	var second mailsink.Message
	for len(sink.MessagesTo(addr)) < 2 {
		time.Sleep(50 * time.Millisecond)
	}
	second = sink.MessagesTo(addr)[1]
	tok := regexp.MustCompile(`token=([A-Za-z0-9_-]+)`).FindStringSubmatch(second.Text)[1]
	if _, err := app.Store.ActivateWithToken(ctx, linktoken.Hash(tok), domain.PurposePassword, "$argon2id$test", "test"); err != nil {
		t.Fatal(err)
	}
	signal(workflows.RegistrationActivatedSignal, workflows.Activated{Method: "password"})
	var res workflows.RegistrationState
	if err := app.Temporal.GetWorkflow(ctx, id, "").Get(ctx, &res); err != nil {
		t.Fatal(err)
	}
	if res.Status != workflows.StatusActive || res.LinksSent != 2 {
		t.Fatalf("result %+v", res)
	}
	saveHistory(t, app.Temporal, id, "", "registration_resend_activate.json")
}

// dispatchToChannel stores a channel to rc with the schedule "1s" and an
// event of eventType, and dispatches the event: one delivery.
func dispatchToChannel(ctx context.Context, t *testing.T, app *testkit.App, rc *testkit.Receiver, channelID, eventType string) (*dispatch.Dispatcher, domain.StoredEvent, []string) {
	t.Helper()
	ch := &notify.Channel{ID: channelID, Name: channelID, TargetURL: rc.URL, Method: "POST", TimeoutSeconds: 5,
		Events: []string{eventType}, RetrySchedule: "1s", Status: notify.ChannelActive}
	if _, err := app.Store.PutChannel(ctx, ch, signing.NewSecret()); err != nil {
		t.Fatal(err)
	}
	ev := domain.Event{ID: domain.NewEventID(time.Now()), EventType: eventType, EventObjectType: "1", ObjectID: "o1",
		Object: []byte(`{"id":"o1"}`), Source: "test", OccurredAt: time.Now().UTC()}
	if err := app.Store.RecordEvent(ctx, ev); err != nil {
		t.Fatal(err)
	}
	se, err := app.Store.GetEvent(ctx, ev.ID)
	if err != nil {
		t.Fatal(err)
	}
	d := &dispatch.Dispatcher{Store: app.Store, Temporal: app.Temporal, TaskQueue: app.Config.Temporal.TaskQueue, Log: testkit.Get(t).Log}
	ids, err := d.Dispatch(ctx, se)
	if err != nil || len(ids) != 1 {
		t.Fatalf("dispatch: %v %v", ids, err)
	}
	return d, se, ids
}

// TestIntegrationDelivery runs a channel delivery that fails once and then
// succeeds, on the real stack; its history is a replay test input.
func TestIntegrationDelivery(t *testing.T) {
	app := testkit.Get(t).StartApp(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rc := testkit.NewReceiver(t)
	rc.Respond(func(n int, _ testkit.Request) testkit.Reply {
		if n == 1 {
			return testkit.Reply{Status: 500}
		}
		return testkit.Reply{Status: 200}
	})
	d, se, ids := dispatchToChannel(ctx, t, app, rc, "ch_replay", "ReplayEvent")
	// Dispatching the same event again starts nothing new.
	if again, err := d.Dispatch(ctx, se); err != nil || again[0] != ids[0] {
		t.Fatalf("second dispatch: %v %v", again, err)
	}
	var res workflows.DeliveryResult
	if err := app.Temporal.GetWorkflow(ctx, ids[0], "").Get(ctx, &res); err != nil {
		t.Fatal(err)
	}
	if res.Status != domain.DeliveryDelivered || res.Attempts != 2 || len(rc.Requests()) != 2 {
		t.Fatalf("result %+v, %d requests", res, len(rc.Requests()))
	}
	saveHistory(t, app.Temporal, ids[0], "", "delivery_local_first_retry_success.json")
}

// TestIntegrationDeliveryExhausted: a channel that always answers 500 runs
// out of its schedule and ends failed; its history is a replay test input.
func TestIntegrationDeliveryExhausted(t *testing.T) {
	app := testkit.Get(t).StartApp(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rc := testkit.NewReceiver(t)
	rc.Respond(func(int, testkit.Request) testkit.Reply { return testkit.Reply{Status: 500, Body: "down"} })
	_, _, ids := dispatchToChannel(ctx, t, app, rc, "ch_exhausted", "ExhaustedEvent")
	var res workflows.DeliveryResult
	if err := app.Temporal.GetWorkflow(ctx, ids[0], "").Get(ctx, &res); err != nil {
		t.Fatal(err)
	}
	row, err := app.Store.GetDelivery(ctx, ids[0])
	if err != nil || res.Status != domain.DeliveryFailed || res.Attempts != 2 || len(rc.Requests()) != 2 || row.Status != domain.DeliveryFailed {
		t.Fatalf("result %+v, %d requests, row %+v %v", res, len(rc.Requests()), row, err)
	}
	saveHistory(t, app.Temporal, ids[0], "", "delivery_local_first_retries_exhausted.json")
}

// TestIntegrationDeliveryErrorMarksFailed: a delivery whose attempt fails
// for good (its event is gone) fails the workflow and leaves the row failed,
// so recover finds it; its history is a replay test input.
func TestIntegrationDeliveryErrorMarksFailed(t *testing.T) {
	app := testkit.Get(t).StartApp(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	eventID := domain.NewEventID(time.Now()) // never stored
	id := workflows.DeliveryID(eventID, domain.TargetChannel, "ch_missing_event")
	if err := app.Store.CreateDeliveries(ctx, []store.Delivery{{ID: id, EventID: eventID, EventType: "MissingEvent",
		TargetKind: domain.TargetChannel, TargetID: "ch_missing_event", URL: "http://example.test/"}}); err != nil {
		t.Fatal(err)
	}
	run, err := app.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: app.Config.Temporal.TaskQueue},
		workflows.Delivery, workflows.DeliveryInput{DeliveryID: id, EventID: eventID, EventType: "MissingEvent",
			TargetKind: domain.TargetChannel, TargetID: "ch_missing_event", Schedule: []time.Duration{time.Second}, FirstAttempt: 1,
			FirstAttemptLocal: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := run.Get(ctx, nil); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("workflow error %v, want the event not found", err)
	}
	row, err := app.Store.GetDelivery(ctx, id)
	if err != nil || row.Status != domain.DeliveryFailed || row.LastError == nil || !strings.Contains(*row.LastError, "not found") {
		t.Fatalf("row %+v %v", row, err)
	}
	saveHistory(t, app.Temporal, id, run.GetRunID(), "delivery_local_first_error_marked_failed.json")
}

// TestIntegrationRegistrationHeld runs a registration on a site with
// requireApproval: held for the Approval child (no email), approved, then
// the link, an activation and the confirmation. Its history and the
// child's are replay test inputs.
func TestIntegrationRegistrationHeld(t *testing.T) {
	app := testkit.Get(t).StartApp(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	st := site.Site{ID: "replay-held", EventName: "Held Summit"}
	st.Registration.Enabled = true
	st.Registration.RequireApproval = true
	st.Registration.Approval = &portal.Policy{Approvers: portal.Approvers{Emails: []string{"gate@example.test"}}}
	st.ApplyDefaults()
	if _, _, err := app.Store.PutSite(ctx, st, nil); err != nil {
		t.Fatal(err)
	}
	addr := "held-" + time.Now().Format("150405.000") + "@example.test"
	userID := mapping.UserID(st.ID, addr)
	id := workflows.RegistrationID(st.ID, userID)
	signal := func(name string, arg any) {
		t.Helper()
		_, err := app.Temporal.SignalWithStartWorkflow(ctx, id, name, arg, client.StartWorkflowOptions{TaskQueue: app.Config.Temporal.TaskQueue},
			workflows.Registration, workflows.RegistrationInput{SiteID: st.ID, UserID: userID, Email: addr})
		if err != nil {
			t.Fatal(err)
		}
	}
	signal(workflows.RegistrationSubmitSignal, workflows.Submission{RequestID: "held-r1", ReceivedAt: time.Now(), Action: domain.ActionRegister,
		Registrant: mapping.Registrant{Email: addr, FirstName: "Held", LastName: "Back", Role: "viewerRole", Language: "en"}, Source: "test"})
	sink := testkit.Get(t).Mail
	// The approver's email says the registration is held; none went to the user.
	if _, err := sink.Wait(ctx, func(m mailsink.Message) bool {
		return mailsink.To("gate@example.test")(m) && strings.Contains(m.Text, userID)
	}); err != nil {
		t.Fatal(err)
	}
	if n := len(sink.MessagesTo(addr)); n != 0 {
		t.Fatalf("%d emails to a held user", n)
	}
	approvalID := workflows.ApprovalID(st.ID, portal.KindSiteRegistration, userID)
	ast, err := workflows.DecideApproval(ctx, app.Temporal, approvalID, workflows.DecideInput{DecisionID: "held-d1",
		Approver: "gate@example.test", Decision: portal.Approved, Via: domain.ViaAPI})
	if err != nil || ast.Decision != portal.Approved {
		t.Fatalf("decide: %+v %v", ast, err)
	}
	m, err := sink.Wait(ctx, mailsink.To(addr))
	if err != nil {
		t.Fatal(err)
	}
	tok := regexp.MustCompile(`token=([A-Za-z0-9_-]+)`).FindStringSubmatch(m.Text)[1]
	if _, err := app.Store.ActivateWithToken(ctx, linktoken.Hash(tok), domain.PurposePassword, "$argon2id$test", "test"); err != nil {
		t.Fatal(err)
	}
	signal(workflows.RegistrationActivatedSignal, workflows.Activated{Method: "password"})
	var res workflows.RegistrationState
	if err := app.Temporal.GetWorkflow(ctx, id, "").Get(ctx, &res); err != nil {
		t.Fatal(err)
	}
	if res.Status != workflows.StatusActive || res.LinksSent != 1 {
		t.Fatalf("result %+v", res)
	}
	saveHistory(t, app.Temporal, id, "", "registration_held_approved.json")
	saveHistory(t, app.Temporal, approvalID, "", "approval_site_registration.json")
}

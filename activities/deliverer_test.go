package activities_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"

	"gatehouse/activities"
	"gatehouse/internal/domain"
	gmail "gatehouse/internal/mail"
	"gatehouse/internal/notify"
	"gatehouse/internal/signing"
	"gatehouse/internal/store"
	"gatehouse/internal/testkit"
)

func TestMain(m *testing.M) { testkit.Main(m) }

// testSender sends to the package's SMTP sink.
func testSender(t *testing.T) *gmail.Sender {
	t.Helper()
	sender, err := gmail.NewSender(testkit.Get(t).Mail.URL(), "Gatehouse <noreply@example.test>")
	if err != nil {
		t.Fatal(err)
	}
	return sender
}

func newDeliverer(t *testing.T) *activities.Deliverer {
	t.Helper()
	e := testkit.Get(t)
	return &activities.Deliverer{DB: e.Store(t), HTTP: &http.Client{}, Mail: testSender(t), Log: e.Log}
}

// attemptRunner runs Attempt as Temporal runs an activity; each call is one
// run (a retry is a second call with the same input).
type attemptRunner struct {
	t       *testing.T
	d       *activities.Deliverer
	mu      sync.Mutex
	beats   []converter.EncodedValues
	carried converter.EncodedValues // heartbeat details handed to the next run, as the server does
}

func (r *attemptRunner) run(in activities.AttemptInput) (activities.AttemptResult, error) {
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestActivityEnvironment()
	env.RegisterActivity(r.d)
	env.SetOnActivityHeartbeatListener(func(_ *activity.Info, details converter.EncodedValues) {
		r.mu.Lock()
		r.beats = append(r.beats, details)
		r.mu.Unlock()
	})
	if r.carried != nil {
		var p any
		if err := r.carried.Get(&p); err == nil {
			env.SetHeartbeatDetails(p)
		}
	}
	v, err := env.ExecuteActivity(r.d.Attempt, in)
	if err != nil {
		return activities.AttemptResult{}, err
	}
	var res activities.AttemptResult
	return res, v.Get(&res)
}

func (r *attemptRunner) lastBeat() converter.EncodedValues {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.beats) == 0 {
		return nil
	}
	return r.beats[len(r.beats)-1]
}

var seq int

// channelDelivery stores a channel to url, an event and the delivery row.
func channelDelivery(t *testing.T, db *store.Store, url string) store.Delivery {
	t.Helper()
	ctx := context.Background()
	seq++
	ch := &notify.Channel{ID: fmt.Sprintf("ch_%s_%d", strings.ToLower(t.Name()), seq), Name: t.Name(), TargetURL: url, Method: "POST",
		TimeoutSeconds: 5, Events: []string{"AttemptTest"}, RetrySchedule: "1s", Status: notify.ChannelActive}
	if len(ch.ID) > 40 {
		ch.ID = ch.ID[len(ch.ID)-40:]
	}
	if _, err := db.PutChannel(ctx, ch, signing.NewSecret()); err != nil {
		t.Fatal(err)
	}
	return deliveryFor(t, db, domain.TargetChannel, ch.ID, url)
}

func deliveryFor(t *testing.T, db *store.Store, kind, targetID, url string) store.Delivery {
	t.Helper()
	ctx := context.Background()
	ev := domain.Event{ID: domain.NewEventID(time.Now()), EventType: "AttemptTest", EventObjectType: "1", ObjectID: "o1",
		Object: []byte(`{"id":"o1","name":"Clip"}`), Source: "test", OccurredAt: time.Now().UTC()}
	if err := db.RecordEvent(ctx, ev); err != nil {
		t.Fatal(err)
	}
	id := "Delivery:" + ev.ID + ":" + kind + ":" + targetID
	if err := db.CreateDeliveries(ctx, []store.Delivery{{ID: id, EventID: ev.ID, EventType: ev.EventType, TargetKind: kind,
		TargetID: targetID, URL: url}}); err != nil {
		t.Fatal(err)
	}
	d, err := db.GetDelivery(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// failWrites installs a trigger that refuses some writes, as a MySQL that
// goes away at that moment would; the returned function removes it.
func failWrites(t *testing.T, db *store.Store, name, table, event, when string) func() {
	t.Helper()
	drop := func() {
		if _, err := db.DB().Exec("DROP TRIGGER IF EXISTS " + name); err != nil {
			t.Fatal(err)
		}
	}
	drop()
	_, err := db.DB().Exec(fmt.Sprintf(`CREATE TRIGGER %s BEFORE %s ON %s FOR EACH ROW BEGIN
		IF %s THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'injected failure'; END IF; END`, name, event, table, when))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(drop)
	return drop
}

// TestAttemptStoresWhateverTheReceiverAnswers: an answer that is not valid
// UTF-8 and is cut inside a multibyte character at 16 KiB, a URL longer than
// its column, and an error text longer than TEXT are all stored (clamped),
// so the attempt is recorded once and a retry does not send again.
func TestAttemptStoresWhateverTheReceiverAnswers(t *testing.T) {
	d := newDeliverer(t)
	rc := testkit.NewReceiver(t)
	body := "\xff\xfe " + strings.Repeat("é", 9000) // byte 16384 falls inside an é
	rc.Respond(func(int, testkit.Request) testkit.Reply { return testkit.Reply{Status: 200, Body: body} })
	long := rc.URL + "/hook?q=" + strings.Repeat("ü", 3000)
	r := &attemptRunner{t: t, d: d}
	del := channelDelivery(t, d.DB, long)
	in := activities.AttemptInput{DeliveryID: del.ID, Attempt: 1, NextWait: time.Second}
	for run := 1; run <= 2; run++ { // the second run is Temporal retrying
		res, err := r.run(in)
		if err != nil || res.Outcome != notify.Delivered || res.HTTPStatus != 200 {
			t.Fatalf("run %d: %+v %v", run, res, err)
		}
	}
	if n := len(rc.Requests()); n != 1 {
		t.Fatalf("%d requests for one attempt, want 1", n)
	}
	atts, err := d.DB.Attempts(context.Background(), del.ID)
	if err != nil || len(atts) != 1 {
		t.Fatalf("attempts %v %v", atts, err)
	}
	a := atts[0]
	if a.ResponseBody == nil || !utf8.ValidString(*a.ResponseBody) || len(*a.ResponseBody) > activities.ResponseBodyLimit ||
		!strings.HasSuffix(*a.ResponseBody, "é") || utf8.RuneCountInString(a.URL) != store.URLColumn {
		t.Fatalf("stored body %d bytes (valid %v), url %d characters", len(*a.ResponseBody), utf8.ValidString(*a.ResponseBody), utf8.RuneCountInString(a.URL))
	}

	// A connection error whose text (it quotes the URL) is longer than TEXT.
	del = channelDelivery(t, d.DB, "http://127.0.0.1:1/"+strings.Repeat("x", 70000))
	in = activities.AttemptInput{DeliveryID: del.ID, Attempt: 1, NextWait: time.Second}
	res, err := r.run(in)
	if err != nil || res.Outcome != notify.Retry || res.Wait != time.Second {
		t.Fatalf("unreachable: %+v %v", res, err)
	}
	if len(res.Error) > store.ErrorTextSize || !utf8.ValidString(res.Error) {
		t.Fatalf("error text of %d bytes", len(res.Error))
	}
	if again, err := r.run(in); err != nil || again.Outcome != notify.Retry || again.Wait != time.Second || again.Error != res.Error {
		t.Fatalf("retry of the recorded attempt: %s %v (error %d bytes, first %d)", again.Outcome, err, len(again.Error), len(res.Error))
	}
}

// TestAttemptNotSentAgainWhenRecordFails: MySQL fails between the request
// and its record. The retry does not send again: with the last heartbeat's
// details, or in the same process (a local activity has no heartbeats; the
// Deliverer keeps the outcome), it records the real outcome; without either
// (the worker died) it records an unknown outcome and the next attempt
// number goes out later.
func TestAttemptNotSentAgainWhenRecordFails(t *testing.T) {
	rc := testkit.NewReceiver(t)
	for _, tc := range []struct {
		name        string
		carry, same bool // heartbeat details carried; the retry runs in the same process
	}{{"heartbeat", true, false}, {"same process", false, true}, {"worker died", false, false}} {
		carry := tc.carry
		t.Run(tc.name, func(t *testing.T) {
			d := newDeliverer(t)
			before := len(rc.Requests())
			del := channelDelivery(t, d.DB, rc.URL)
			restore := failWrites(t, d.DB, "fail_delivered", "deliveries", "UPDATE", "NEW.status = 'delivered'")
			r := &attemptRunner{t: t, d: d}
			in := activities.AttemptInput{DeliveryID: del.ID, Attempt: 1, NextWait: time.Minute}
			if _, err := r.run(in); err == nil || !strings.Contains(err.Error(), "injected") {
				t.Fatalf("first run: %v, want the injected failure", err)
			}
			restore()
			if carry {
				r.carried = r.lastBeat()
			}
			if !tc.same {
				r.d = newDeliverer(t) // another worker
			}
			res, err := r.run(in)
			if err != nil {
				t.Fatal(err)
			}
			if n := len(rc.Requests()) - before; n != 1 {
				t.Fatalf("%d requests after the retry, want 1", n)
			}
			got, _ := d.DB.GetDelivery(context.Background(), del.ID)
			if tc.carry || tc.same {
				if res.Outcome != notify.Delivered || got.Status != domain.DeliveryDelivered {
					t.Fatalf("with the outcome known: %+v, row %s", res, got.Status)
				}
				return
			}
			if res.Outcome != notify.Retry || res.Wait != time.Minute || !strings.Contains(res.Error, "not sent again") ||
				got.Status != domain.DeliveryRetrying || got.Attempts != 1 {
				t.Fatalf("without the heartbeat: %+v, row %+v", res, got)
			}
			atts, _ := d.DB.Attempts(context.Background(), del.ID)
			if len(atts) != 1 || atts[0].Outcome != "unknown" {
				t.Fatalf("attempts %+v", atts)
			}
			// The next attempt number is a new request.
			if res, err := r.run(activities.AttemptInput{DeliveryID: del.ID, Attempt: 2}); err != nil || res.Outcome != notify.Delivered {
				t.Fatalf("attempt 2: %+v %v", res, err)
			}
			if n := len(rc.Requests()) - before; n != 2 {
				t.Fatalf("%d requests after attempt 2, want 2", n)
			}
		})
	}
}

// TestDisableEmitsEventOnRetry: the receiver answers 410 and the event
// saying the target is disabled cannot be stored at first. The target is
// never left disabled without its event: the record, the disabling and the
// event commit together, the retry does not call the receiver again (the
// outcome is unknown), and the next attempt disables the target and emits
// TargetDisabled once.
func TestDisableEmitsEventOnRetry(t *testing.T) {
	d := newDeliverer(t)
	rc := testkit.NewReceiver(t)
	rc.Respond(func(int, testkit.Request) testkit.Reply { return testkit.Reply{Status: 410} })
	del := channelDelivery(t, d.DB, rc.URL)
	restore := failWrites(t, d.DB, "fail_disabled_event", "events", "INSERT", "NEW.event_type = 'TargetDisabled'")
	r := &attemptRunner{t: t, d: d}
	in := activities.AttemptInput{DeliveryID: del.ID, Attempt: 1, NextWait: time.Minute}
	if _, err := r.run(in); err == nil {
		t.Fatal("first run succeeded despite the injected failure")
	}
	ch, _, err := d.DB.GetChannel(context.Background(), del.TargetID)
	if err != nil || ch.Status != notify.ChannelActive {
		t.Fatalf("channel disabled without its event: %+v %v", ch, err)
	}
	restore()
	// The worker died with the failed run: the outcome it held in memory is
	// gone, so the retry cannot know the 410 and records unknown.
	r.d = &activities.Deliverer{DB: d.DB, HTTP: d.HTTP, Mail: d.Mail, Log: d.Log}
	if res, err := r.run(in); err != nil || res.Outcome != notify.Retry {
		t.Fatalf("retry of attempt 1: %+v %v", res, err)
	}
	for run := 1; run <= 2; run++ {
		if res, err := r.run(activities.AttemptInput{DeliveryID: del.ID, Attempt: 2, NextWait: time.Minute}); err != nil || res.Outcome != notify.Gone {
			t.Fatalf("attempt 2, run %d: %+v %v", run, res, err)
		}
	}
	if n := len(rc.Requests()); n != 2 {
		t.Fatalf("%d requests for two attempts, want 2", n)
	}
	evs, err := d.DB.EventsFor(context.Background(), activities.ObjectTypeTarget, domain.TargetChannel+":"+del.TargetID)
	if err != nil || len(evs) != 1 || evs[0].EventType != activities.EventTargetDisabled {
		t.Fatalf("operational events %+v %v", evs, err)
	}
	ch, _, err = d.DB.GetChannel(context.Background(), del.TargetID)
	if err != nil || ch.Status == notify.ChannelActive {
		t.Fatalf("channel %+v %v", ch, err)
	}
}

// TestEmailFanOutResumesWithoutDuplicates: the worker stops in the middle
// of a group email (the third recipient was mailed, its status could not be
// stored). The retry mails the rest, nobody twice, and records the third as
// unknown; heartbeats report the progress.
func TestEmailFanOutResumesWithoutDuplicates(t *testing.T) {
	d := newDeliverer(t)
	sink := testkit.Get(t).Mail
	tag := strings.ToLower(fmt.Sprint(time.Now().UnixNano()))
	var addrs []string
	var rcpts []notify.Recipient
	for i := 1; i <= 5; i++ {
		a := fmt.Sprintf("r%d-%s@example.test", i, tag)
		addrs = append(addrs, a)
		rcpts = append(rcpts, notify.Recipient{ObjectType: "KalturaEmailNotificationRecipient",
			Email: &notify.Value{ObjectType: notify.ValueString, Value: a}})
	}
	tpl := notify.NotificationTemplate{PartnerID: notify.Partner, Name: "Group", Type: notify.TypeEmail, Status: notify.StatusActive,
		EventType: "AttemptTest", EventObjectType: "1", Format: notify.FormatText, Subject: "Group " + tag, Body: "Hello",
		To: &notify.RecipientProvider{ObjectType: notify.RecipientsStatic, EmailRecipients: rcpts}}
	if err := d.DB.InsertNotificationTemplate(context.Background(), &tpl, notify.Secrets{}); err != nil {
		t.Fatal(err)
	}
	del := deliveryFor(t, d.DB, domain.TargetTemplate, fmt.Sprint(tpl.ID), "")
	restore := failWrites(t, d.DB, "fail_third", "delivery_recipients", "UPDATE",
		fmt.Sprintf("NEW.email = '%s' AND NEW.status = 'processed'", addrs[2]))
	r := &attemptRunner{t: t, d: d}
	in := activities.AttemptInput{DeliveryID: del.ID, Attempt: 1, NextWait: time.Minute}
	if _, err := r.run(in); err == nil {
		t.Fatal("first run succeeded despite the injected failure")
	}
	restore()
	res, err := r.run(in)
	if err != nil || res.Outcome != notify.Delivered {
		t.Fatalf("retry: %+v %v", res, err)
	}
	for _, a := range addrs {
		if n := len(sink.MessagesTo(a)); n != 1 {
			t.Fatalf("%s got %d messages, want 1", a, n)
		}
	}
	rs, err := d.DB.Recipients(context.Background(), del.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range rs {
		want := domain.RecipientProcessed
		if x.Email == addrs[2] {
			want = domain.RecipientUnknown
		}
		if x.Status != want || (want == domain.RecipientUnknown && (x.Message == nil || !strings.Contains(*x.Message, "not sent again"))) {
			t.Fatalf("recipient %s: %+v, want %s", x.Email, x, want)
		}
	}
	// The SDK throttles heartbeats; each run reported its progress at least once.
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.beats) < 2 {
		t.Fatalf("%d heartbeats", len(r.beats))
	}
	progress := 0
	for _, b := range r.beats {
		var p struct{ Attempt, Recipients, Done int }
		if b.Get(&p) != nil || (p.Recipients != 0 && p.Recipients != 5) || p.Attempt != 1 || p.Done > p.Recipients {
			t.Fatalf("heartbeat %+v", p)
		}
		if p.Recipients == 5 {
			progress++
		}
	}
	if progress == 0 {
		t.Fatal("no heartbeat reported the fan-out's progress")
	}
}

// TestFailureStreakEndsWithSuccess: a failed attempt starts the channel's
// failure streak, and the next success ends it. The success reads the
// streak at its start (a steady target skips the write); a second failure
// starts a new streak from its own time.
func TestFailureStreakEndsWithSuccess(t *testing.T) {
	var mu sync.Mutex
	status := http.StatusServiceUnavailable
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	answer := func(s int) { mu.Lock(); status = s; mu.Unlock() }
	ctx := context.Background()
	d := newDeliverer(t)
	del := channelDelivery(t, d.DB, srv.URL)
	r := &attemptRunner{t: t, d: d}
	failing := func() *time.Time {
		t.Helper()
		c, _, err := d.DB.GetChannel(ctx, del.TargetID)
		if err != nil {
			t.Fatal(err)
		}
		return c.FailingSince
	}
	for i, step := range []struct {
		status  int
		outcome notify.Outcome
		failing bool
	}{
		{http.StatusServiceUnavailable, notify.Retry, true},
		{http.StatusOK, notify.Delivered, false},
		{http.StatusOK, notify.Delivered, false}, // steady: nothing to end
		{http.StatusServiceUnavailable, notify.Retry, true},
	} {
		answer(step.status)
		res, err := r.run(activities.AttemptInput{DeliveryID: del.ID, Attempt: i + 1, NextWait: time.Minute})
		if err != nil || res.Outcome != step.outcome {
			t.Fatalf("attempt %d: %+v %v, want %s", i+1, res, err, step.outcome)
		}
		if got := failing(); (got != nil) != step.failing {
			t.Fatalf("after attempt %d: failing since %v, want a streak: %v", i+1, got, step.failing)
		}
	}
	// A finished attempt is not finished again (another run recorded it).
	row, err := d.DB.GetAttempt(ctx, del.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := d.DB.FinishAttempt(ctx, row, store.DeliveryUpdate{Status: domain.DeliveryDelivered}, nil); ok || err != nil {
		t.Fatalf("finishing a finished attempt: %v %v, want false", ok, err)
	}
	if got, _ := d.DB.GetDelivery(ctx, del.ID); got.Status != domain.DeliveryRetrying || got.Attempts != 4 {
		t.Fatalf("delivery %+v, want retrying after 4 attempts", got)
	}
}

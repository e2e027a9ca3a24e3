package workflows

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"gatehouse/activities"
	"gatehouse/internal/domain"
	"gatehouse/internal/mapping"
	"gatehouse/internal/site"
)

// fakeWorld stands in for MySQL and SMTP in unit tests; the integration
// tests run the real activities.
type fakeWorld struct {
	mu      sync.Mutex
	summary activities.SiteSummary
	status  string // the user's status
	upserts []activities.UpsertRegistrantInput
	links   []activities.SendLinkInput
	confirm []activities.SendConfirmationInput
	events  []string
	linkErr error
	// linkFailures: how many SendLink calls fail transiently first.
	linkFailures, linkCalls int
	// upsertFailures: how many upserts fail first (MySQL down).
	upsertFailures, upsertCalls int
}

// testStart is the unit tests' workflow clock at start. It lies ahead of the
// wall clock: the SDK bounds a retried local activity by the workflow time
// it was scheduled at plus ScheduleToClose, and checks that against the wall
// clock, so a start in the past would time every retry out at once.
var testStart = time.Now().UTC().Truncate(time.Hour).Add(48 * time.Hour)

func newEnv(t *testing.T, w *fakeWorld) *testsuite.TestWorkflowEnvironment {
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	env.SetStartTime(testStart)
	env.OnActivity(storeActs.UpsertRegistrant, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.UpsertRegistrantInput) (activities.UpsertRegistrantResult, error) {
			w.mu.Lock()
			defer w.mu.Unlock()
			if w.upsertCalls++; w.upsertCalls <= w.upsertFailures {
				return activities.UpsertRegistrantResult{}, errors.New("dial tcp 127.0.0.1:3306: connection refused")
			}
			w.upserts = append(w.upserts, in)
			created := w.status == ""
			if created {
				if in.Action != domain.ActionRegister {
					return activities.UpsertRegistrantResult{Missing: true, Site: w.summary}, nil
				}
				w.status = domain.UserPending
			}
			return activities.UpsertRegistrantResult{Status: w.status, Created: created, Site: w.summary}, nil
		})
	env.OnActivity(storeActs.RegistrationStatus, mock.Anything, mock.Anything).Return(
		func(_ context.Context, _ activities.RegistrationStatusInput) (activities.RegistrationStatusResult, error) {
			w.mu.Lock()
			defer w.mu.Unlock()
			return activities.RegistrationStatusResult{Status: w.status, Site: w.summary}, nil
		})
	env.OnActivity(storeActs.RecordUserEvent, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.RecordUserEventInput) error {
			w.mu.Lock()
			defer w.mu.Unlock()
			w.events = append(w.events, in.EventType)
			return nil
		})
	env.OnActivity(mailerActs.SendLink, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.SendLinkInput) (activities.SendLinkResult, error) {
			w.mu.Lock()
			defer w.mu.Unlock()
			if w.linkErr != nil {
				return activities.SendLinkResult{}, w.linkErr
			}
			if w.linkCalls++; w.linkCalls <= w.linkFailures {
				return activities.SendLinkResult{}, temporal.NewApplicationError("421 try again later", "")
			}
			w.links = append(w.links, in)
			if in.EventID != "" {
				w.events = append(w.events, domain.EventRegistrationLinkSent)
			}
			return activities.SendLinkResult{Sent: in.Emails}, nil
		})
	env.OnActivity(mailerActs.SendConfirmation, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.SendConfirmationInput) (activities.SendConfirmationResult, error) {
			w.mu.Lock()
			defer w.mu.Unlock()
			w.confirm = append(w.confirm, in)
			return activities.SendConfirmationResult{Template: "t"}, nil
		})
	return env
}

func summary(emailType string, start, end *time.Time) activities.SiteSummary {
	return activities.SiteSummary{SendEmail: true, EmailType: emailType, AuthMethod: site.AuthPassword,
		LinkExpiry: 24 * time.Hour, EventStart: start, EventEnd: end}
}

func at(h int) *time.Time {
	t := testStart.Add(time.Duration(h) * time.Hour)
	return &t
}

func submission(first string) Submission {
	return Submission{RequestID: first, Action: domain.ActionRegister, ReceivedAt: time.Now(), Source: "webhook",
		Registrant: mapping.Registrant{Email: "ann@example.test", FirstName: first, LastName: "Lee"}}
}

func run(t *testing.T, env *testsuite.TestWorkflowEnvironment) RegistrationState {
	t.Helper()
	env.ExecuteWorkflow(Registration, RegistrationInput{SiteID: "s1", UserID: "u1", Email: "ann@example.test"})
	if !env.IsWorkflowCompleted() {
		t.Fatal("workflow did not complete")
	}
	var st RegistrationState
	if err := env.GetWorkflowResult(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

func TestRegistrationActivationConfirms(t *testing.T) {
	w := &fakeWorld{summary: summary(site.EmailOnly, nil, nil)}
	env := newEnv(t, w)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(RegistrationSubmitSignal, submission("Ann")) }, 0)
	env.RegisterDelayedCallback(func() {
		w.mu.Lock()
		w.status = domain.UserActive // the gateway's transaction
		w.mu.Unlock()
		env.SignalWorkflow(RegistrationActivatedSignal, Activated{Method: "password"})
	}, 2*time.Hour)
	st := run(t, env)
	if st.Status != StatusActive || len(w.links) != 1 || len(w.confirm) != 1 || w.confirm[0].Phase != site.PreEvent {
		t.Fatalf("state %+v links %d confirm %+v", st, len(w.links), w.confirm)
	}
	if got := strings.Join(w.events, ","); got != "RegistrationLinkSent,RegistrationConfirmed" {
		t.Fatalf("events %s", got)
	}
	if w.links[0].ExpiresAt.Sub(*at(0)) != 24*time.Hour {
		t.Fatalf("expiry %v", w.links[0].ExpiresAt)
	}
}

func TestRegistrationLinkExpires(t *testing.T) {
	w := &fakeWorld{summary: summary(site.EmailOnly, nil, nil)}
	env := newEnv(t, w)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(RegistrationSubmitSignal, submission("Ann")) }, 0)
	st := run(t, env)
	if st.Status != StatusExpired || len(w.confirm) != 0 || !strings.Contains(strings.Join(w.events, ","), "RegistrationLinkExpired") {
		t.Fatalf("state %+v events %v", st, w.events)
	}
}

// The gateway commits the activation, then signals; if the signal is lost
// the expiry check still confirms.
func TestRegistrationLostActivationSignalIsCaughtAtExpiry(t *testing.T) {
	w := &fakeWorld{summary: summary(site.EmailOnly, nil, nil)}
	env := newEnv(t, w)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(RegistrationSubmitSignal, submission("Ann")) }, 0)
	env.RegisterDelayedCallback(func() { w.mu.Lock(); w.status = domain.UserActive; w.mu.Unlock() }, time.Hour)
	if st := run(t, env); st.Status != StatusActive || len(w.confirm) != 1 {
		t.Fatalf("state %+v", st)
	}
}

// The event ends while the person waits: the resend after it uses the
// post-event templates, and so does the confirmation.
func TestRegistrationSwitchesToPostEventWhileWaiting(t *testing.T) {
	w := &fakeWorld{summary: summary(site.EmailOnly, at(-1), at(3))}
	env := newEnv(t, w)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(RegistrationSubmitSignal, submission("Ann")) }, 0)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(RegistrationResendSignal, Resend{RequestID: "r1"}) }, 5*time.Hour)
	env.RegisterDelayedCallback(func() {
		w.mu.Lock()
		w.status = domain.UserActive
		w.mu.Unlock()
		env.SignalWorkflow(RegistrationActivatedSignal, Activated{Method: "password"})
	}, 6*time.Hour)
	st := run(t, env)
	if len(w.links) != 2 || w.links[0].Phase != site.PreEvent || w.links[1].Phase != site.PostEvent || w.links[1].Sequence != 1 {
		t.Fatalf("links %+v", w.links)
	}
	if w.confirm[0].Phase != site.PostEvent || !strings.Contains(strings.Join(st.Notes, "\n"), "post-event templates") {
		t.Fatalf("confirm %+v notes %v", w.confirm, st.Notes)
	}
}

func TestRegistrationCalendarForEndedEventSendsLinkEmailInstead(t *testing.T) {
	w := &fakeWorld{summary: summary(site.CalendarOnly, at(-5), at(-1))}
	env := newEnv(t, w)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(RegistrationSubmitSignal, submission("Ann")) }, 0)
	st := run(t, env)
	if len(w.links) != 1 || strings.Join(w.links[0].Emails, ",") != activities.EmailLink || w.links[0].Phase != site.PostEvent {
		t.Fatalf("links %+v", w.links)
	}
	if !strings.Contains(strings.Join(st.Notes, "\n"), "calendar invitation not sent: the event ended") {
		t.Fatalf("notes %v", st.Notes)
	}
}

func TestRegistrationEmailAndCalendarBeforeEvent(t *testing.T) {
	w := &fakeWorld{summary: summary(site.EmailAndCalendar, at(48), at(50))}
	env := newEnv(t, w)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(RegistrationSubmitSignal, submission("Ann")) }, 0)
	run(t, env)
	if strings.Join(w.links[0].Emails, ",") != "email,calendar" {
		t.Fatalf("emails %v", w.links[0].Emails)
	}
}

// A burst of duplicates is one upsert with the newest data, and one link.
func TestRegistrationCoalescesDuplicates(t *testing.T) {
	w := &fakeWorld{summary: summary(site.EmailOnly, nil, nil)}
	env := newEnv(t, w)
	env.RegisterDelayedCallback(func() {
		for i := range 100 {
			s := submission("Ann")
			s.Registrant.LastName = "Lee" + string(rune('A'+i%26))
			env.SignalWorkflow(RegistrationSubmitSignal, s)
		}
	}, 0)
	st := run(t, env)
	if len(w.upserts) != 1 || w.upserts[0].Registrant.LastName != "LeeV" || len(w.links) != 1 || st.Submissions != 100 {
		t.Fatalf("upserts %d (%+v) links %d state %+v", len(w.upserts), w.upserts[0].Registrant, len(w.links), st)
	}
}

func TestRegistrationWithoutEmail(t *testing.T) {
	w := &fakeWorld{summary: summary(site.EmailOnly, nil, nil)}
	w.summary.SendEmail = false
	env := newEnv(t, w)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(RegistrationSubmitSignal, submission("Ann")) }, 0)
	if st := run(t, env); st.Status != StatusCreated || len(w.links) != 0 {
		t.Fatalf("state %+v", st)
	}
}

func TestRegistrationOfActiveUserOnlyUpdates(t *testing.T) {
	w := &fakeWorld{summary: summary(site.EmailOnly, nil, nil), status: domain.UserActive}
	env := newEnv(t, w)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(RegistrationSubmitSignal, submission("Ann")) }, 0)
	if st := run(t, env); st.Status != StatusUpdated || len(w.links) != 0 {
		t.Fatalf("state %+v", st)
	}
}

func TestRegistrationRefusedAddressStops(t *testing.T) {
	w := &fakeWorld{summary: summary(site.EmailOnly, nil, nil),
		linkErr: temporal.NewNonRetryableApplicationError("550 no such user", activities.ErrTypeEmailRefused, nil)}
	env := newEnv(t, w)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(RegistrationSubmitSignal, submission("Ann")) }, 0)
	if st := run(t, env); st.Status != StatusEmailRefused {
		t.Fatalf("state %+v", st)
	}
}

// The link email is a local activity: a mail server that is down for a
// quarter of an hour is retried with backoffs well past one workflow task.
func TestRegistrationLinkEmailRetriesWhileMailServerIsDown(t *testing.T) {
	w := &fakeWorld{summary: summary(site.EmailOnly, nil, nil), linkFailures: 9}
	env := newEnv(t, w)
	var sentAt time.Time
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(RegistrationSubmitSignal, submission("Ann")) }, 0)
	env.RegisterDelayedCallback(func() {
		w.mu.Lock()
		w.status = domain.UserActive
		w.mu.Unlock()
		env.SignalWorkflow(RegistrationActivatedSignal, Activated{Method: "password"})
	}, 2*time.Hour)
	// The last local activity to finish is the successful send.
	env.SetOnLocalActivityCompletedListener(func(*activity.Info, converter.EncodedValue, error) { sentAt = env.Now() })
	st := run(t, env)
	if st.Status != StatusActive || len(w.links) != 1 || w.linkCalls != 10 {
		t.Fatalf("state %+v links %d calls %d", st, len(w.links), w.linkCalls)
	}
	// 2+4+...+256 s and one 5-minute cap: about 13.5 minutes of backoff.
	if d := sentAt.Sub(*at(0)); d < 13*time.Minute || d > 15*time.Minute {
		t.Fatalf("sent after %v", d)
	}
}

// MySQL down for half an hour: the upsert (a local activity) keeps retrying
// instead of failing the registration after its first timeout.
func TestRegistrationWaitsForMySQL(t *testing.T) {
	w := &fakeWorld{summary: summary(site.EmailOnly, nil, nil), upsertFailures: 30}
	env := newEnv(t, w)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(RegistrationSubmitSignal, submission("Ann")) }, 0)
	st := run(t, env)
	if len(w.upserts) != 1 || len(w.links) != 1 || st.Status != StatusExpired {
		t.Fatalf("state %+v upserts %d links %d", st, len(w.upserts), len(w.links))
	}
	if d := w.links[0].ExpiresAt.Sub(*at(0)) - 24*time.Hour; d < 25*time.Minute {
		t.Fatalf("link sent %v after the webhook", d)
	}
}

func TestResendOnFinishedRunSendsNewLink(t *testing.T) {
	w := &fakeWorld{summary: summary(site.EmailOnly, nil, nil), status: domain.UserPending}
	env := newEnv(t, w)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(RegistrationResendSignal, Resend{RequestID: "r"}) }, 0)
	st := run(t, env)
	if len(w.links) != 1 || len(w.upserts) != 0 || st.Status != StatusExpired {
		t.Fatalf("state %+v links %d", st, len(w.links))
	}
}

func TestMergeSubmissions(t *testing.T) {
	yes, no := true, false
	reg := Submission{Action: domain.ActionRegister, SendEmail: nil, Registrant: mapping.Registrant{FirstName: "A"}}
	tags := Submission{Action: domain.ActionTags, Registrant: mapping.Registrant{Tags: []string{"vip"}}}
	upd := Submission{Action: domain.ActionUpdate, SendEmail: &no, Registrant: mapping.Registrant{FirstName: "B"}}
	m := mergeSubmissions(mergeSubmissions(reg, tags), upd)
	if m.Action != domain.ActionRegister || m.Registrant.FirstName != "B" || len(m.Registrant.Tags) != 1 || m.SendEmail != nil {
		t.Fatalf("%+v", m)
	}
	if got := mergeSendEmail(&no, &yes); got == nil || !*got {
		t.Fatal("an explicit yes wins")
	}
}

// jsonObject builds valid JSON from any strings (no encoding/json in
// workflow code).
func TestJSONObject(t *testing.T) {
	odd := "a\"b\\c\n\x01\u2028<é>\xff"
	raw := jsonObject("Email", odd, "First", "")
	var m map[string]string
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	if want := strings.ToValidUTF8(odd, "\uFFFD"); m["Email"] != want || m["First"] != "" || len(m) != 2 {
		t.Fatalf("round trip %q", m)
	}
}

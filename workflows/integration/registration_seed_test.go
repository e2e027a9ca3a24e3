package integration_test

import (
	"context"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"gatehouse/internal/domain"
	"gatehouse/internal/mailsink"
	"gatehouse/internal/mapping"
	"gatehouse/internal/site"
	"gatehouse/internal/store"
	"gatehouse/internal/testkit"
	"gatehouse/workflows"
)

// TestIntegrationRegistrationSeedPaths runs the paths added for the seed
// and blocking on the real stack: a site with sendEmail off sends the
// confirmed email at creation; a blocked user's registration sends no
// link. Their histories are replay test inputs.
func TestIntegrationRegistrationSeedPaths(t *testing.T) {
	app := testkit.Get(t).StartApp(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	no := false
	st := site.Site{ID: "replay-quiet", EventName: "Quiet Summit"}
	st.Registration.Enabled, st.Registration.SendEmail = true, &no
	st.ApplyDefaults()
	if _, _, err := app.Store.PutSite(ctx, st, nil); err != nil {
		t.Fatal(err)
	}
	addr := "quiet-" + time.Now().Format("150405.000") + "@example.test"
	userID := mapping.UserID(st.ID, addr)
	id := workflows.RegistrationID(st.ID, userID)
	submit := func(first string) workflows.RegistrationState {
		t.Helper()
		run, err := app.Temporal.SignalWithStartWorkflow(ctx, id, workflows.RegistrationSubmitSignal, workflows.Submission{
			RequestID: first, ReceivedAt: time.Now(), Action: domain.ActionRegister, Source: "test",
			Registrant: mapping.Registrant{Email: addr, FirstName: first, LastName: "Quiet", Role: "viewerRole", Language: "en"},
		}, client.StartWorkflowOptions{TaskQueue: app.Config.Temporal.TaskQueue},
			workflows.Registration, workflows.RegistrationInput{SiteID: st.ID, UserID: userID, Email: addr})
		if err != nil {
			t.Fatal(err)
		}
		var res workflows.RegistrationState
		if err := run.Get(ctx, &res); err != nil {
			t.Fatal(err)
		}
		return res
	}
	if res := submit("Qu"); res.Status != workflows.StatusCreated || res.LinksSent != 0 {
		t.Fatalf("sendEmail off: %+v", res)
	}
	if m, err := testkit.Get(t).Mail.Wait(ctx, mailsink.To(addr)); err != nil || m.Subject != "You are all set for Quiet Summit" {
		t.Fatalf("confirmed email: %+v %v", m, err)
	}
	saveHistory(t, app.Temporal, id, "", "registration_send_email_off_confirmed.json")

	if _, _, err := app.Store.SetBlocked(ctx, st.ID, userID, store.BlockChange{Blocked: true, Source: "test"}); err != nil {
		t.Fatal(err)
	}
	if res := submit("Quentin"); res.Status != workflows.StatusBlocked || res.LinksSent != 0 {
		t.Fatalf("blocked: %+v", res)
	}
	saveHistory(t, app.Temporal, id, "", "registration_blocked.json")
}

package workflows

import (
	"testing"

	"gatehouse/internal/domain"
	"gatehouse/internal/site"
)

// sendEmail off on a password site: no link, the confirmed email right
// after the user is created ("If No, skip to webhookConfirmedEmailTemplate"),
// and no second confirmation when the person activates later.
func TestRegistrationSendEmailOffSendsConfirmed(t *testing.T) {
	w := &fakeWorld{summary: summary(site.EmailOnly, nil, at(-1))}
	w.summary.SendEmail = false
	env := newEnv(t, w)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(RegistrationSubmitSignal, submission("Ann")) }, 0)
	st := run(t, env)
	if st.Status != StatusCreated || len(w.links) != 0 || len(w.confirm) != 1 || w.confirm[0].Phase != site.PostEvent {
		t.Fatalf("state %+v links %d confirm %+v", st, len(w.links), w.confirm)
	}

	// The same person again: not created, so no second email.
	w2 := &fakeWorld{summary: w.summary, status: domain.UserPending}
	env = newEnv(t, w2)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(RegistrationSubmitSignal, submission("Ann")) }, 0)
	if st := run(t, env); st.Status != StatusCreated || len(w2.confirm) != 0 {
		t.Fatalf("repeat: %+v confirm %d", st, len(w2.confirm))
	}
}

// A submission that itself says no email (WP Fusion without
// send_notification) and magic-link sites with sendEmail off send nothing.
func TestRegistrationQuietSubmissionsSendNothing(t *testing.T) {
	no := false
	w := &fakeWorld{summary: summary(site.EmailOnly, nil, nil)}
	w.summary.SendEmail = false
	env := newEnv(t, w)
	s := submission("Ann")
	s.SendEmail = &no
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(RegistrationSubmitSignal, s) }, 0)
	if st := run(t, env); st.Status != StatusCreated || len(w.confirm) != 0 || len(w.links) != 0 {
		t.Fatalf("explicit no: %+v", st)
	}

	w = &fakeWorld{summary: summary(site.EmailOnly, nil, nil)}
	w.summary.SendEmail, w.summary.AuthMethod = false, site.AuthMagicLink
	env = newEnv(t, w)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(RegistrationSubmitSignal, submission("Ann")) }, 0)
	if st := run(t, env); st.Status != StatusCreated || len(w.confirm) != 0 || len(w.links) != 0 {
		t.Fatalf("no-email flow: %+v", st)
	}
}

// A blocked user's registration updates the data and sends no link.
func TestRegistrationOfBlockedUserSendsNoLink(t *testing.T) {
	w := &fakeWorld{summary: summary(site.EmailOnly, nil, nil), status: domain.UserBlocked}
	env := newEnv(t, w)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(RegistrationSubmitSignal, submission("Ann")) }, 0)
	st := run(t, env)
	if st.Status != StatusBlocked || len(w.links) != 0 || len(w.confirm) != 0 || len(w.upserts) != 1 {
		t.Fatalf("state %+v links %d", st, len(w.links))
	}
}

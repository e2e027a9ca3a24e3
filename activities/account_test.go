package activities_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"gatehouse/activities"
	"gatehouse/internal/domain"
	"gatehouse/internal/linktoken"
	gmail "gatehouse/internal/mail"
	"gatehouse/internal/testkit"
)

// runAccountEmail runs SendAccountEmail in an environment of its own. Every
// such environment gives the activity the same identity (workflow run and
// activity id), so a second call is what a retry of the first is.
func runAccountEmail(t *testing.T, m *activities.Mailer, in activities.AccountEmailInput) (activities.AccountEmailResult, error) {
	t.Helper()
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestActivityEnvironment()
	env.RegisterActivity(m)
	v, err := env.ExecuteActivity(m.SendAccountEmail, in)
	if err != nil {
		return activities.AccountEmailResult{}, err
	}
	var res activities.AccountEmailResult
	return res, v.Get(&res)
}

// linkTokens counts the links issued to a user.
func linkTokens(t *testing.T, m *activities.Mailer, userID string) int {
	t.Helper()
	var n int
	if err := m.DB.DB().QueryRow("SELECT COUNT(*) FROM link_tokens WHERE user_id = ?", userID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

var accountPurposes = map[string]string{activities.AccountSignInLink: domain.PurposeMagicLink, activities.AccountPasswordReset: domain.PurposeReset}

// checkOneEmail asserts that addr got exactly one email and that a link in
// it (if its kind has one) is the one live link.
func checkOneEmail(t *testing.T, m *activities.Mailer, in activities.AccountEmailInput, addr string) {
	t.Helper()
	got := testkit.Get(t).Mail.MessagesTo(addr)
	if len(got) != 1 {
		t.Fatalf("%d emails, want 1", len(got))
	}
	purpose, hasLink := accountPurposes[in.Kind]
	if !hasLink {
		return
	}
	tok := tokenRE.FindStringSubmatch(got[0].Text)
	if tok == nil {
		t.Fatalf("no link in %q", got[0].Text)
	}
	if _, err := m.DB.PeekToken(context.Background(), linktoken.Hash(tok[1]), purpose); err != nil {
		t.Fatalf("the emailed link: %v", err)
	}
}

// TestAccountEmailSentOnceWhenCompletionIsLost: the worker dies after the
// SMTP server took the email but before the activity completes, so
// Temporal runs the activity again. The retry issues no new link and sends
// nothing: it answers from the claim, Sent when the send was recorded, and
// "may have sent" when the worker died before recording it.
func TestAccountEmailSentOnceWhenCompletionIsLost(t *testing.T) {
	for _, kind := range []string{activities.AccountSignInLink, activities.AccountPasswordReset, activities.AccountPasswordChanged} {
		for _, recorded := range []bool{true, false} {
			name := kind + "/recorded"
			if !recorded {
				name = kind + "/died before recording"
			}
			t.Run(name, func(t *testing.T) {
				m := newMailer(t)
				siteID := "acct-lost-" + kind + map[bool]string{true: "-r", false: "-d"}[recorded]
				userID, addr := registrant(t, m, siteID)
				in := activities.AccountEmailInput{Kind: kind, SiteID: siteID, UserID: userID}
				if !recorded { // the state a worker that died between the send and its record leaves
					failWrites(t, m.DB, "fail_account_sent", "account_email_sends", "UPDATE", "NEW.status = 'sent'")
				}
				if res, err := runAccountEmail(t, m, in); err != nil || !res.Sent {
					t.Fatalf("first run: %+v %v", res, err)
				}
				res, err := runAccountEmail(t, m, in) // its completion was lost: Temporal retries it
				if err != nil {
					t.Fatal(err)
				}
				if recorded && (!res.Sent || res.Reason != "") {
					t.Fatalf("retry after a recorded send: %+v", res)
				}
				if !recorded && (res.Sent || !strings.Contains(res.Reason, "may have sent")) {
					t.Fatalf("retry after an unrecorded send: %+v", res)
				}
				checkOneEmail(t, m, in, addr)
				want := 1
				if _, hasLink := accountPurposes[kind]; !hasLink {
					want = 0
				}
				if n := linkTokens(t, m, userID); n != want {
					t.Fatalf("%d links issued, want %d", n, want)
				}
			})
		}
	}
}

// TestAccountEmailRetryAfterFailedSend: a send the SMTP server refused, or
// that could not connect, left nothing with the server, so the claim is
// given back and the retry sends the email, once, with a new link. If
// giving the claim back fails, the retry sends nothing: never twice.
func TestAccountEmailRetryAfterFailedSend(t *testing.T) {
	sink := testkit.Get(t).Mail
	t.Cleanup(func() { sink.SetRcptRule(nil) })
	refuse := func(addr string) {
		sink.SetRcptRule(func(rcpt string) *smtp.SMTPError {
			if strings.EqualFold(rcpt, addr) {
				return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
			}
			return nil
		})
	}
	for _, tc := range []struct {
		name        string
		noServer    bool // the first send finds no SMTP server (connection refused)
		failRelease bool
	}{{"refused", false, false}, {"connection refused", true, false}, {"release fails", false, true}} {
		t.Run(tc.name, func(t *testing.T) {
			m := newMailer(t)
			siteID := "acct-retry-" + strings.ReplaceAll(tc.name, " ", "-")
			userID, addr := registrant(t, m, siteID)
			in := activities.AccountEmailInput{Kind: activities.AccountPasswordReset, SiteID: siteID, UserID: userID}
			first := m
			if tc.noServer {
				sender, err := gmail.NewSender("smtp://"+testkit.FreeAddr(t)+"?starttls=none", "noreply@example.test")
				if err != nil {
					t.Fatal(err)
				}
				first = &activities.Mailer{DB: m.DB, Sender: sender, PublicURL: m.PublicURL, From: m.From}
			} else {
				refuse(addr)
			}
			if tc.failRelease {
				failWrites(t, m.DB, "fail_account_release", "account_email_sends", "DELETE", "TRUE")
			}
			_, err := runAccountEmail(t, first, in)
			var app *temporal.ApplicationError
			if err == nil || (errors.As(err, &app) && app.NonRetryable()) {
				t.Fatalf("first run: %v, want a retryable error", err)
			}
			sink.SetRcptRule(nil)
			res, err := runAccountEmail(t, m, in)
			if err != nil {
				t.Fatal(err)
			}
			if tc.failRelease {
				if res.Sent || !strings.Contains(res.Reason, "may have sent") || len(sink.MessagesTo(addr)) != 0 {
					t.Fatalf("retry after a failed release: %+v, %d emails", res, len(sink.MessagesTo(addr)))
				}
				return
			}
			if !res.Sent {
				t.Fatalf("retry: %+v", res)
			}
			checkOneEmail(t, m, in, addr)
			if n := linkTokens(t, m, userID); n != 2 { // the unsent one, revoked by the retry's
				t.Fatalf("%d links issued, want 2", n)
			}
		})
	}
}

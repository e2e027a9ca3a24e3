package activities_test

import (
	"context"
	"regexp"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"

	"gatehouse/activities"
	"gatehouse/internal/domain"
	"gatehouse/internal/linktoken"
	"gatehouse/internal/mailsink"
	"gatehouse/internal/mapping"
	"gatehouse/internal/site"
	"gatehouse/internal/store"
	"gatehouse/internal/testkit"
)

func newMailer(t *testing.T) *activities.Mailer {
	t.Helper()
	return &activities.Mailer{DB: testkit.Get(t).Store(t), Sender: testSender(t), PublicURL: "https://gatehouse.example.test", From: "noreply@example.test"}
}

// runMailer runs one mailer activity in an environment of its own, as a new
// workflow run would (local activity ids restart at every run).
func runMailer(t *testing.T, m *activities.Mailer, fn, in any) error {
	t.Helper()
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestActivityEnvironment()
	env.RegisterActivity(m)
	_, err := env.ExecuteActivity(fn, in)
	return err
}

func messageID(m mailsink.Message) string { return m.Header["Message-Id"] }

var tokenRE = regexp.MustCompile(`token=([A-Za-z0-9_-]+)`)

// registrant stores a site and a pending user; it returns the user's id
// and address.
func registrant(t *testing.T, m *activities.Mailer, siteID string) (string, string) {
	t.Helper()
	ctx := context.Background()
	st := site.Site{ID: siteID, EventName: "Message Summit"}
	st.Registration.Enabled = true
	st.ApplyDefaults()
	if _, _, err := m.DB.PutSite(ctx, st, nil); err != nil {
		t.Fatal(err)
	}
	addr := siteID + "-" + time.Now().Format("150405.000000") + "@example.test"
	userID := mapping.UserID(st.ID, addr)
	if _, err := m.DB.UpsertUser(ctx, store.UpsertUserParams{SiteID: st.ID, UserID: userID, Action: domain.ActionRegister,
		Registrant: mapping.Registrant{Email: addr, FirstName: "Mess", LastName: "Age", Language: "en"}, ReceivedAt: time.Now(), Source: "test"}); err != nil {
		t.Fatal(err)
	}
	return userID, addr
}

// sendLinks sends the same link email twice, as a retry or a new run does,
// and returns the two messages and their tokens.
func sendLinks(t *testing.T, m *activities.Mailer, siteID, userID, addr string) ([]mailsink.Message, []string) {
	t.Helper()
	in := activities.SendLinkInput{SiteID: siteID, UserID: userID, Phase: site.PreEvent, Emails: []string{activities.EmailLink},
		ExpiresAt: time.Now().Add(time.Hour)}
	for run := 1; run <= 2; run++ {
		if err := runMailer(t, m, m.SendLink, in); err != nil {
			t.Fatal(err)
		}
	}
	links := testkit.Get(t).Mail.MessagesTo(addr)
	if len(links) != 2 {
		t.Fatalf("%d link emails, want 2", len(links))
	}
	var tokens []string
	for _, l := range links {
		tok := tokenRE.FindStringSubmatch(l.Text)
		if tok == nil {
			t.Fatalf("no token in %q", l.Text)
		}
		tokens = append(tokens, tok[1])
	}
	if tokens[0] == tokens[1] {
		t.Fatal("two sends, one token")
	}
	return links, tokens
}

// TestLinkMessageIDPerToken: every link email carries a new token and
// revokes the older ones, so two runs must not share a Message-ID (a
// mailbox that deduplicates by it could keep only the revoked link).
func TestLinkMessageIDPerToken(t *testing.T) {
	m := newMailer(t)
	userID, addr := registrant(t, m, "msgid-link")
	links, _ := sendLinks(t, m, "msgid-link", userID, addr)
	if a, b := messageID(links[0]), messageID(links[1]); a == "" || a == b {
		t.Fatalf("two tokens under Message-IDs %q and %q", a, b)
	}
}

// TestConfirmationMessageIDPerConfirmation: a user deleted and registered
// again with the same address (the same user id) is confirmed twice; the
// second confirmation must not look like a copy of the first.
func TestConfirmationMessageIDPerConfirmation(t *testing.T) {
	m := newMailer(t)
	ctx := context.Background()
	userID, addr := registrant(t, m, "msgid-confirm")
	_, tokens := sendLinks(t, m, "msgid-confirm", userID, addr)
	if _, err := m.DB.ActivateWithToken(ctx, linktoken.Hash(tokens[1]), domain.PurposePassword, "$argon2id$test", "test"); err != nil {
		t.Fatal(err)
	}
	confirm := activities.SendConfirmationInput{SiteID: "msgid-confirm", UserID: userID, Phase: site.PreEvent}
	if err := runMailer(t, m, m.SendConfirmation, confirm); err != nil {
		t.Fatal(err)
	}
	// Registered again and activated again, an hour later.
	if _, err := m.DB.DB().Exec("UPDATE users SET activated_at = ? WHERE id = ?", time.Now().UTC().Add(time.Hour), userID); err != nil {
		t.Fatal(err)
	}
	if err := runMailer(t, m, m.SendConfirmation, confirm); err != nil {
		t.Fatal(err)
	}
	all := testkit.Get(t).Mail.MessagesTo(addr)
	if len(all) != 4 {
		t.Fatalf("%d emails, want 4", len(all))
	}
	if a, b := messageID(all[2]), messageID(all[3]); a == "" || a == b {
		t.Fatalf("confirmations under Message-IDs %q and %q", a, b)
	}
}

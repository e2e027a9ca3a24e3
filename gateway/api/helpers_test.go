package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gatehouse/internal/mailsink"
	"gatehouse/internal/testkit"
	"gatehouse/workflows"
)

const siteKey = "site-registration-key-0123456789"

var seq atomic.Int64

// unique returns a fresh name for sites and emails shared in one package.
func unique(prefix string) string {
	return prefix + strconv.FormatInt(time.Now().UnixNano()%1e9, 36) + "n" + strconv.FormatInt(seq.Add(1), 10)
}

// email returns a fresh address.
func email(name string) string { return unique(name) + "@example.test" }

type resp struct {
	Status int
	Header http.Header
	Body   string
}

func (r resp) JSON(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.Body), &m); err != nil {
		t.Fatalf("not JSON (%d): %s", r.Status, r.Body)
	}
	return m
}

// send does one request; headers are "Name: value" strings.
func send(t *testing.T, method, u, contentType string, body []byte, headers ...string) resp {
	t.Helper()
	req, err := http.NewRequest(method, u, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ": ")
		req.Header.Set(k, v)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{res.StatusCode, res.Header, string(b)}
}

func admin(t *testing.T, app *testkit.App, method, path string, body any) resp {
	t.Helper()
	var b []byte
	if body != nil {
		if s, ok := body.(string); ok {
			b = []byte(s)
		} else {
			b, _ = json.Marshal(body)
		}
	}
	return send(t, method, app.URL+path, "application/json", b, "Authorization: Bearer "+testkit.AdminToken)
}

// newSite creates a site with the key set and registration enabled; extra
// settings are merged into webhooksiteregistration, top-level ones via top.
func newSite(t *testing.T, app *testkit.App, reg map[string]any, top map[string]any) string {
	t.Helper()
	id := unique("site")
	r := map[string]any{"enabled": true, "registrationKey": siteKey}
	for k, v := range reg {
		r[k] = v
	}
	body := map[string]any{"name": "Site " + id, "eventName": "Summit " + id, "webhooksiteregistration": r}
	for k, v := range top {
		body[k] = v
	}
	res := admin(t, app, "PUT", "/api/v1/sites/"+id, body)
	if res.Status != http.StatusCreated {
		t.Fatalf("create site: %d %s", res.Status, res.Body)
	}
	return id
}

func form(kv ...string) []byte {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return []byte(v.Encode())
}

func register(t *testing.T, app *testkit.App, siteID string, kv ...string) resp {
	t.Helper()
	return send(t, "POST", app.URL+"/webhooks/registration/"+siteID, "application/x-www-form-urlencoded",
		form(append([]string{"registrationKey", siteKey}, kv...)...))
}

func waitMail(t *testing.T, to string, match func(mailsink.Message) bool) mailsink.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	m, err := testkit.Get(t).Mail.Wait(ctx, func(m mailsink.Message) bool {
		return mailsink.To(to)(m) && (match == nil || match(m))
	})
	if err != nil {
		t.Fatalf("no matching mail to %s: %v", to, err)
	}
	return m
}

func subject(prefix string) func(mailsink.Message) bool {
	return func(m mailsink.Message) bool { return strings.HasPrefix(m.Subject, prefix) }
}

func mailsTo(t *testing.T, to string) []mailsink.Message {
	var out []mailsink.Message
	for _, m := range testkit.Get(t).Mail.Messages() {
		if mailsink.To(to)(m) {
			out = append(out, m)
		}
	}
	return out
}

var linkRE = regexp.MustCompile(`https?://\S+/(set-password|magic-link)\?token=[A-Za-z0-9_-]+`)

func linkIn(t *testing.T, m mailsink.Message) string {
	t.Helper()
	l := linkRE.FindString(m.Text)
	if l == "" {
		t.Fatalf("no link in %q", m.Text)
	}
	return l
}

func token(link string) string { return link[strings.Index(link, "token=")+len("token="):] }

// waitState polls the registration workflow's state query until ok.
func waitState(t *testing.T, app *testkit.App, workflowID string, ok func(workflows.RegistrationState) bool) workflows.RegistrationState {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var st workflows.RegistrationState
	for time.Now().Before(deadline) {
		v, err := app.Temporal.QueryWorkflow(context.Background(), workflowID, "", workflows.RegistrationStateQuery)
		if err == nil && v.Get(&st) == nil && ok(st) {
			return st
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("workflow %s never reached the wanted state; last %+v", workflowID, st)
	return st
}

// finalState waits for the workflow to complete and returns its result.
func finalState(t *testing.T, app *testkit.App, workflowID string) workflows.RegistrationState {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var st workflows.RegistrationState
	if err := app.Temporal.GetWorkflow(ctx, workflowID, "").Get(ctx, &st); err != nil {
		t.Fatalf("workflow %s: %v", workflowID, err)
	}
	return st
}

func status(s string) func(workflows.RegistrationState) bool {
	return func(st workflows.RegistrationState) bool { return st.Status == s }
}

// syncWriter guards a buffer the app's goroutines write logs to.
type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.String()
}

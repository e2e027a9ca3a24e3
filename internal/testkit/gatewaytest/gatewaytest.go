// Package gatewaytest drives a running gateway from tests the way its
// callers do: the admin API, the registration webhook, Kaltura's template
// service and the mail a registration sends.
package gatewaytest

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
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

// SiteKey is the registration key NewSite gives every site.
const SiteKey = "site-registration-key-0123456789"

var seq atomic.Int64

// Unique returns a fresh name for sites and emails shared in one package.
func Unique(prefix string) string {
	return prefix + strconv.FormatInt(time.Now().UnixNano()%1e9, 36) + "n" + strconv.FormatInt(seq.Add(1), 10)
}

// Email returns a fresh address.
func Email(name string) string { return Unique(name) + "@example.test" }

// Resp is an answer, its body read.
type Resp struct {
	Status int
	Header http.Header
	Body   string
}

// JSON decodes the body as an object, failing the test if it is not one.
func (r Resp) JSON(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.Body), &m); err != nil {
		t.Fatalf("not JSON (%d): %s", r.Status, r.Body)
	}
	return m
}

// Send does one request; headers are "Name: value" strings.
func Send(t *testing.T, method, u, contentType string, body []byte, headers ...string) Resp {
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
	return Resp{res.StatusCode, res.Header, string(b)}
}

// Admin calls the admin API with the admin token; body is sent as is if a
// string, else as JSON.
func Admin(t *testing.T, app *testkit.App, method, path string, body any) Resp {
	t.Helper()
	var b []byte
	if body != nil {
		if s, ok := body.(string); ok {
			b = []byte(s)
		} else {
			b, _ = json.Marshal(body)
		}
	}
	return Send(t, method, app.URL+path, "application/json", b, "Authorization: Bearer "+testkit.AdminToken)
}

// NewSite creates a site with the key set and registration enabled; extra
// settings are merged into webhooksiteregistration, top-level ones via top.
func NewSite(t *testing.T, app *testkit.App, reg map[string]any, top map[string]any) string {
	t.Helper()
	id := Unique("site")
	r := map[string]any{"enabled": true, "registrationKey": SiteKey}
	for k, v := range reg {
		r[k] = v
	}
	body := map[string]any{"name": "Site " + id, "eventName": "Summit " + id, "webhooksiteregistration": r}
	for k, v := range top {
		body[k] = v
	}
	res := Admin(t, app, "PUT", "/api/v1/sites/"+id, body)
	if res.Status != http.StatusCreated {
		t.Fatalf("create site: %d %s", res.Status, res.Body)
	}
	return id
}

// Form encodes name, value pairs as a form body.
func Form(kv ...string) []byte {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return []byte(v.Encode())
}

// Register posts a form to the site's registration webhook with its key.
func Register(t *testing.T, app *testkit.App, siteID string, kv ...string) Resp {
	t.Helper()
	return Send(t, "POST", app.URL+"/webhooks/registration/"+siteID, "application/x-www-form-urlencoded",
		Form(append([]string{"registrationKey", SiteKey}, kv...)...))
}

// WaitMail waits for a mail to an address that match accepts (nil: any).
func WaitMail(t *testing.T, to string, match func(mailsink.Message) bool) mailsink.Message {
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

// Subject matches mails whose subject starts with prefix.
func Subject(prefix string) func(mailsink.Message) bool {
	return func(m mailsink.Message) bool { return strings.HasPrefix(m.Subject, prefix) }
}

// MailsTo returns the mails sent to an address so far.
func MailsTo(t *testing.T, to string) []mailsink.Message {
	var out []mailsink.Message
	for _, m := range testkit.Get(t).Mail.Messages() {
		if mailsink.To(to)(m) {
			out = append(out, m)
		}
	}
	return out
}

var linkRE = regexp.MustCompile(`https?://\S+/(set-password|magic-link|reset-password)\?token=[A-Za-z0-9_-]+`)

// LinkIn returns the set-password or magic link in a mail.
func LinkIn(t *testing.T, m mailsink.Message) string {
	t.Helper()
	l := linkRE.FindString(m.Text)
	if l == "" {
		t.Fatalf("no link in %q", m.Text)
	}
	return l
}

// Token returns the token of a link.
func Token(link string) string { return link[strings.Index(link, "token=")+len("token="):] }

// WaitState polls the registration workflow's state query until ok.
func WaitState(t *testing.T, app *testkit.App, workflowID string, ok func(workflows.RegistrationState) bool) workflows.RegistrationState {
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

// FinalState waits for the workflow to complete and returns its result.
func FinalState(t *testing.T, app *testkit.App, workflowID string) workflows.RegistrationState {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var st workflows.RegistrationState
	if err := app.Temporal.GetWorkflow(ctx, workflowID, "").Get(ctx, &st); err != nil {
		t.Fatalf("workflow %s: %v", workflowID, err)
	}
	return st
}

// Status matches a registration state by its status.
func Status(s string) func(workflows.RegistrationState) bool {
	return func(st workflows.RegistrationState) bool { return st.Status == s }
}

// SyncWriter guards a buffer the app's goroutines write logs to.
type SyncWriter struct {
	mu sync.Mutex
	w  bytes.Buffer
}

func (s *SyncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func (s *SyncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.String()
}

// Do sends a request with an optional admin token and decodes the JSON answer.
func Do(t *testing.T, method, url, token string, body io.Reader) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s %s: not JSON (%d): %s", method, url, resp.StatusCode, raw)
	}
	return resp.StatusCode, out
}

// Kaltura calls the template service with form pairs.
func Kaltura(t *testing.T, app *testkit.App, action string, kv ...string) Resp {
	t.Helper()
	body := Form(append([]string{"ks", testkit.AdminToken, "format", "1"}, kv...)...)
	return Send(t, "POST", app.URL+"/api_v3/service/eventnotification_eventnotificationtemplate/action/"+action,
		"application/x-www-form-urlencoded", body)
}

// Tpl prefixes each key of name, value pairs with eventNotificationTemplate.
func Tpl(kv ...string) []string {
	out := make([]string, 0, len(kv))
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, "eventNotificationTemplate"+kv[i], kv[i+1])
	}
	return out
}

// AddActive creates an HTTP template and activates it; returns its id.
func AddActive(t *testing.T, app *testkit.App, kv ...string) string {
	t.Helper()
	r := Kaltura(t, app, "add", Tpl(append([]string{"[objectType]", "KalturaHttpNotificationTemplate", "[name]", Unique("tpl")}, kv...)...)...)
	if r.Status != 200 {
		t.Fatalf("add: %d %s", r.Status, r.Body)
	}
	id := fmt.Sprint(r.JSON(t)["id"])
	if r := Kaltura(t, app, "updateStatus", "id", id, "status", "2"); r.Status != 200 {
		t.Fatalf("activate: %d %s", r.Status, r.Body)
	}
	return id
}

// PostEvent posts an event to /api/v1/events.
func PostEvent(t *testing.T, app *testkit.App, ev map[string]any, headers ...string) Resp {
	t.Helper()
	b, _ := json.Marshal(ev)
	return Send(t, "POST", app.URL+"/api/v1/events", "application/json", b, append(headers, "Authorization: Bearer "+testkit.AdminToken)...)
}

// EventDeliveries waits until GET /api/v1/events/{id} lists n deliveries
// (they are recorded after POST /api/v1/events answers) and returns them.
func EventDeliveries(t *testing.T, app *testkit.App, eventID string, n int) []map[string]any {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := Admin(t, app, "GET", "/api/v1/events/"+url.PathEscape(eventID), nil)
		if r.Status != 200 {
			t.Fatalf("event %s: %d %s", eventID, r.Status, r.Body)
		}
		list, _ := r.JSON(t)["deliveries"].([]any)
		if len(list) >= n {
			out := make([]map[string]any, len(list))
			for i, d := range list {
				out[i] = d.(map[string]any)
			}
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("event %s has %d deliveries, want %d: %s", eventID, len(list), n, r.Body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// WaitRequests waits until a receiver has n requests.
func WaitRequests(t *testing.T, rc *testkit.Receiver, n int) []testkit.Request {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	reqs, err := rc.WaitFor(ctx, n)
	if err != nil {
		t.Fatalf("waiting for %d requests, got %d: %v", n, len(rc.Requests()), err)
	}
	return reqs
}

// WaitDelivery polls a delivery until it has the status.
func WaitDelivery(t *testing.T, app *testkit.App, id, status string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := Admin(t, app, "GET", "/api/v1/deliveries/"+url.PathEscape(id), nil)
		if r.Status == 200 {
			m := r.JSON(t)
			if d := m["delivery"].(map[string]any); d["status"] == status {
				return m
			}
			if time.Now().After(deadline) {
				t.Fatalf("delivery %s never reached %s: %s", id, status, r.Body)
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// SelfSigned makes a client certificate for cn and its PKCS #8 key, as PEM.
func SelfSigned(t *testing.T, cn string) (certPEM, keyPEM string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb}))
}

// CSRF returns a browser's CSRF cookie ("name=value", for a Cookie header)
// and the token the pages' forms carry, as any page's GET sets them.
func CSRF(t *testing.T, app *testkit.App) (cookie, token string) {
	t.Helper()
	r := Send(t, "GET", app.URL+"/sign-in", "", nil)
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == "gatehouse_csrf" {
			return c.Name + "=" + c.Value, c.Value
		}
	}
	t.Fatalf("no CSRF cookie from GET /sign-in: %v", r.Header)
	return "", ""
}

// PostPage posts a page's form (name, value pairs) as a browser does: with
// the CSRF cookie and token.
func PostPage(t *testing.T, app *testkit.App, path string, kv ...string) Resp {
	t.Helper()
	return PostPageWith(t, app, path, nil, kv...)
}

// PostPageWith is PostPage with extra headers ("Name: value").
func PostPageWith(t *testing.T, app *testkit.App, path string, headers []string, kv ...string) Resp {
	t.Helper()
	cookie, token := CSRF(t, app)
	return Send(t, "POST", app.URL+path, "application/x-www-form-urlencoded", Form(append(kv, "csrf", token)...),
		append(headers, "Cookie: "+cookie)...)
}

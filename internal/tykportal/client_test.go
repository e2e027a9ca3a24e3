package tykportal_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/outbound"
	"gatehouse/internal/testkit/fakeportal"
	"gatehouse/internal/tykportal"
)

const token = "portal-admin-token-xyz"

// client talks to the fake through outbound's guarded client, as the
// activities will, with loopback allowed.
func client(t *testing.T, p *fakeportal.Portal, tok string) *tykportal.Client {
	t.Helper()
	hc := outbound.NewClient(outbound.Options{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	c, err := tykportal.New(p.BaseURL()+"/", tok, hc)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestApproveAccessRequest(t *testing.T) {
	p := fakeportal.New(t, token)
	id := p.AddAccessRequest(fakeportal.AccessRequest{User: "User#2", Client: "Payment app", Plan: "Free plan", Products: "Payment API", AppID: 1})
	c := client(t, p, token)
	ctx := context.Background()

	ar, err := c.AccessRequest(ctx, id)
	if err != nil || ar.ID != id || ar.Status != "pending" || ar.Plan != "Free plan" || len(ar.Products) != 1 || ar.CreatedAt.IsZero() {
		t.Fatalf("GET: %+v %v", ar, err)
	}
	sm, err := c.ApproveAccessRequest(ctx, id)
	if err != nil || sm.Status != "ok" || sm.Message == "" {
		t.Fatalf("approve: %+v %v", sm, err)
	}
	if got, _ := p.AccessRequest(id); got.Status != "approved" {
		t.Fatalf("status %q", got.Status)
	}
	req := p.Requests()[1]
	if req.Method != http.MethodPut || req.Path != "/portal-api/access_requests/"+strconv.FormatInt(id, 10)+"/approve" || req.Authorization != token || len(req.Body) != 0 {
		t.Errorf("request %+v", req)
	}

	// A second decision is the portal's 422, carrying its message.
	for _, call := range []func(context.Context, int64) (tykportal.StatusMessage, error){c.ApproveAccessRequest, c.RejectAccessRequest} {
		_, err = call(ctx, id)
		rej, ok := tykportal.AsRejected(err)
		if !ok || !strings.Contains(rej.Message, "already approved") || tykportal.Retryable(err) {
			t.Errorf("second decision: %v", err)
		}
	}
	list, err := c.AccessRequests(ctx, 1, 0)
	if err != nil || len(list) != 1 || list[0].Status != "approved" {
		t.Errorf("list: %+v %v", list, err)
	}
}

func TestRejectAndFailedApprove(t *testing.T) {
	p := fakeportal.New(t, token)
	a := p.AddAccessRequest(fakeportal.AccessRequest{AppID: 4})
	b := p.AddAccessRequest(fakeportal.AccessRequest{AppID: 4})
	c := client(t, p, token)
	ctx := context.Background()
	if _, err := c.RejectAccessRequest(ctx, a); err != nil {
		t.Fatal(err)
	}
	p.FailApprove(b, "identity provider: connection refused")
	_, err := c.ApproveAccessRequest(ctx, b)
	if rej, ok := tykportal.AsRejected(err); !ok || rej.Message != "identity provider: connection refused" {
		t.Fatalf("approve: %v", err)
	}
	// Read back: still pending, so the 422 was a failure, not "already done".
	ars, err := c.AppAccessRequests(ctx, 4, 0, 0)
	if err != nil || len(ars) != 2 || ars[0].Status != "rejected" || ars[1].Status != "pending" {
		t.Errorf("app access requests: %+v %v", ars, err)
	}
}

func TestRetryableThenOK(t *testing.T) {
	p := fakeportal.New(t, token)
	id := p.AddAccessRequest(fakeportal.AccessRequest{})
	c := client(t, p, token)
	ctx := context.Background()
	p.FailNext(2, 0)
	for range 2 {
		_, err := c.ApproveAccessRequest(ctx, id)
		var e *tykportal.Error
		if !errors.As(err, &e) || e.Status != 500 || !tykportal.Retryable(err) || e.Message != "injected failure" {
			t.Fatalf("want retryable 500, got %v", err)
		}
	}
	if got, _ := p.AccessRequest(id); got.Status != "pending" {
		t.Fatalf("a failed call changed the request: %q", got.Status)
	}
	if _, err := c.ApproveAccessRequest(ctx, id); err != nil {
		t.Fatalf("third call: %v", err)
	}
}

// The portal wants the raw token: "Bearer <token>" is refused, and a 401 is
// permanent.
func TestRawToken(t *testing.T) {
	p := fakeportal.New(t, token)
	id := p.AddAccessRequest(fakeportal.AccessRequest{})
	for _, tok := range []string{"Bearer " + token, "wrong"} {
		_, err := client(t, p, tok).AccessRequest(context.Background(), id)
		var e *tykportal.Error
		if !errors.As(err, &e) || e.Status != 401 || tykportal.Retryable(err) {
			t.Errorf("token %q: %v", tok, err)
		}
		if strings.Contains(err.Error(), token) {
			t.Errorf("error shows the token: %v", err)
		}
	}
	if r := p.Requests()[0]; r.Authorization != "Bearer "+token {
		t.Errorf("sent %q", r.Authorization)
	}
}

func TestActivateUser(t *testing.T) {
	p := fakeportal.New(t, token)
	id := p.AddUser(fakeportal.User{Email: "dev@tyk.io", First: "Dev", Last: "User", Role: "consumer-team-member", Provider: "password",
		Teams: []fakeportal.Team{{ID: 1, Name: "Default Organisation All users"}}})
	c := client(t, p, token)
	ctx := context.Background()
	u, err := c.ActivateUser(ctx, id)
	if err != nil || !u.Active || u.Email != "dev@tyk.io" {
		t.Fatalf("activate: %+v %v", u, err)
	}
	got, _ := p.User(id)
	if !got.Active || got.Email != "dev@tyk.io" || got.Role != "consumer-team-member" || len(got.Teams) != 1 || got.Teams[0].ID != 1 {
		t.Errorf("stored %+v", got)
	}
	// The PUT carried the whole user, teams as strings, and no JWTToken.
	put := p.Requests()[1]
	var body map[string]any
	if err := json.Unmarshal(put.Body, &body); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"Active", "Email", "First", "Last", "OrganisationID", "Role", "Provider", "ResetPassword"} {
		if _, ok := body[k]; !ok {
			t.Errorf("PUT lacks %s: %s", k, put.Body)
		}
	}
	if teams, _ := body["Teams"].([]any); len(teams) != 1 || teams[0] != "1" {
		t.Errorf("Teams %v", body["Teams"])
	}
	if _, ok := body["JWTToken"]; ok {
		t.Error("PUT carries the user's JWTToken")
	}
	// Again: already active, so only a GET.
	n := len(p.Requests())
	if _, err := c.ActivateUser(ctx, id); err != nil || len(p.Requests()) != n+1 {
		t.Errorf("second activation: %v, %d requests", err, len(p.Requests())-n)
	}
	_, err = c.User(ctx, 999)
	var e *tykportal.Error
	if !errors.As(err, &e) || e.Status != 404 || tykportal.Retryable(err) {
		t.Errorf("missing user: %v", err)
	}
	// PUT on a missing user is the OnlyErrors 422.
	_, err = c.UpdateUser(ctx, 999, tykportal.UserUpdate{Active: true})
	if rej, ok := tykportal.AsRejected(err); !ok || rej.Message != "user not found" {
		t.Errorf("PUT missing user: %v", err)
	}
	if err := c.DeleteUser(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, ok := p.User(id); ok {
		t.Error("user not deleted")
	}
}

func TestCreateOrganisationAndMove(t *testing.T) {
	p := fakeportal.New(t, token)
	uid := p.AddUser(fakeportal.User{Email: "dev@tyk.io", Active: true, Teams: []fakeportal.Team{{ID: 1}}})
	c := client(t, p, token)
	ctx := context.Background()
	org, err := c.CreateOrganisation(ctx, "ACME")
	if err != nil || org.ID == 0 || org.Name != "ACME" {
		t.Fatalf("create: %+v %v", org, err)
	}
	if r := p.Requests()[0]; string(r.Body) != `{"Name":"ACME"}` || r.Method != http.MethodPost || r.Path != "/portal-api/organisations" {
		t.Errorf("request %+v %s", r, r.Body)
	}
	u, err := c.MoveUserToOrganisation(ctx, uid, org.ID)
	if err != nil || u.OrganisationID != org.ID || u.Organisation != "ACME" || !u.Active {
		t.Fatalf("move: %+v %v", u, err)
	}
	_, err = c.MoveUserToOrganisation(ctx, uid, 12345)
	if rej, ok := tykportal.AsRejected(err); !ok || rej.Message != "organisation not found" {
		t.Errorf("move to missing organisation: %v", err)
	}
}

func TestClassification(t *testing.T) {
	cases := []struct {
		status    int
		body      string
		retryable bool
	}{
		{500, `{"status":"error","message":"boom"}`, true},
		{502, `bad gateway`, true},
		{503, ``, true},
		{429, ``, true},
		{401, `{"errors":["unauthorized"]}`, false},
		{403, ``, false},
		{404, `{"errors":["not found"]}`, false},
		{400, ``, false},
		{302, ``, false},
	}
	for _, cs := range cases {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(cs.status)
			_, _ = w.Write([]byte(cs.body))
		}))
		c, err := tykportal.New(srv.URL, token, srv.Client())
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.ApproveAccessRequest(context.Background(), 1)
		var e *tykportal.Error
		if !errors.As(err, &e) || e.Status != cs.status || tykportal.Retryable(err) != cs.retryable {
			t.Errorf("%d: %v (retryable %v)", cs.status, err, tykportal.Retryable(err))
		}
		srv.Close()
	}

	// A timeout is retryable.
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	}))
	defer slow.Close()
	c, _ := tykportal.New(slow.URL, token, slow.Client())
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := c.User(ctx, 1); !tykportal.Retryable(err) {
		t.Errorf("timeout: %v", err)
	}

	// The SSRF guard's refusal is permanent.
	guarded, _ := tykportal.New(slow.URL, token, outbound.NewClient(outbound.Options{}))
	_, err := guarded.User(context.Background(), 1)
	if !errors.Is(err, outbound.ErrForbiddenAddress) || tykportal.Retryable(err) {
		t.Errorf("forbidden address: %v", err)
	}
}

func TestNew(t *testing.T) {
	hc := http.DefaultClient
	for _, u := range []string{"", "portal.example", "ftp://portal.example", "https://portal.example/?x=1", "https://u:p@portal.example"} {
		if _, err := tykportal.New(u, token, hc); err == nil {
			t.Errorf("New(%q) accepted", u)
		}
	}
	if _, err := tykportal.New("https://portal.example", "", hc); err == nil {
		t.Error("empty token accepted")
	}
	if _, err := tykportal.New("https://portal.example", "a\r\nX: y", hc); err == nil {
		t.Error("token with a line break accepted")
	}
	if _, err := tykportal.New("https://portal.example", token, nil); err == nil {
		t.Error("nil client accepted")
	}
}

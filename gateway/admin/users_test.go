package admin_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"gatehouse/internal/testkit"
	"gatehouse/internal/testkit/gatewaytest"
	"gatehouse/workflows"
)

func TestUsersAPI(t *testing.T) {
	app := testkit.Get(t).StartApp(t)
	siteID := gatewaytest.NewSite(t, app, map[string]any{"sendEmail": false, "defaultGroupId": "webhook"}, nil)
	var ids []string
	for i := range 5 {
		r := gatewaytest.Register(t, app, siteID, "email", gatewaytest.Email("list"), "firstName", "L", "lastName", string(rune('A'+i)))
		ids = append(ids, r.JSON(t)["userId"].(string))
		gatewaytest.FinalState(t, app, r.JSON(t)["workflowId"].(string))
	}
	page := gatewaytest.Admin(t, app, "GET", "/api/v1/sites/"+siteID+"/users?page=2&pageSize=2&status=pending", nil).JSON(t)
	if page["totalCount"].(float64) != 5 || len(page["objects"].([]any)) != 2 {
		t.Fatalf("page %v", page)
	}
	one := page["objects"].([]any)[0].(map[string]any)
	byEmail := gatewaytest.Admin(t, app, "GET", "/api/v1/sites/"+siteID+"/users?email="+url.QueryEscape(strings.ToUpper(one["email"].(string))), nil).JSON(t)
	if byEmail["totalCount"].(float64) != 1 {
		t.Fatalf("by email %v", byEmail)
	}
	if g := gatewaytest.Admin(t, app, "GET", "/api/v1/sites/"+siteID+"/users?group=webhook", nil).JSON(t); g["totalCount"].(float64) != 5 {
		t.Fatalf("by group %v", g)
	}
	for _, q := range []string{"page=0", "pageSize=1000", "status=gone", "page=x"} {
		if r := gatewaytest.Admin(t, app, "GET", "/api/v1/sites/"+siteID+"/users?"+q, nil); r.Status != 400 {
			t.Errorf("%s: %d", q, r.Status)
		}
	}
	for _, k := range []string{"id", "email", "firstName", "lastName", "role", "language", "groups", "tags", "status",
		"userObject", "registrationInfo", "createdAt", "updatedAt"} {
		if _, ok := one[k]; !ok {
			t.Errorf("user lacks %s", k)
		}
	}
	if r := gatewaytest.Admin(t, app, "DELETE", "/api/v1/sites/"+siteID+"/users/"+ids[0], nil); r.Status != 200 {
		t.Fatalf("delete: %d", r.Status)
	}
	if r := gatewaytest.Admin(t, app, "GET", "/api/v1/sites/"+siteID+"/users/"+ids[0], nil); r.Status != 404 {
		t.Fatalf("after delete: %d", r.Status)
	}
	if n := count(t, app, "SELECT COUNT(*) FROM events WHERE object_id = ? AND event_type = 'UserDeleted'", ids[0]); n != 1 {
		t.Fatalf("UserDeleted events: %d", n)
	}
	if r := gatewaytest.Admin(t, app, "GET", "/api/v1/sites/nope/users", nil); r.Status != 404 {
		t.Fatalf("unknown site: %d", r.Status)
	}
}

func TestResend(t *testing.T) {
	app := testkit.Get(t).StartApp(t)
	siteID := gatewaytest.NewSite(t, app, nil, nil)
	addr := gatewaytest.Email("again")
	r := gatewaytest.Register(t, app, siteID, "email", addr, "firstName", "Re", "lastName", "Send")
	uid, wfID := r.JSON(t)["userId"].(string), r.JSON(t)["workflowId"].(string)
	first := gatewaytest.LinkIn(t, gatewaytest.WaitMail(t, addr, nil))
	gatewaytest.WaitState(t, app, wfID, gatewaytest.Status(workflows.StatusWaiting))
	if res := gatewaytest.Admin(t, app, "POST", "/api/v1/sites/"+siteID+"/users/"+uid+"/resend", nil); res.Status != 202 {
		t.Fatalf("resend: %d %s", res.Status, res.Body)
	}
	gatewaytest.WaitState(t, app, wfID, func(s workflows.RegistrationState) bool { return s.LinksSent == 2 })
	msgs := gatewaytest.MailsTo(t, addr)
	second := gatewaytest.LinkIn(t, msgs[len(msgs)-1])
	if second == first {
		t.Fatal("resend reused the link")
	}
	if g := gatewaytest.Send(t, "GET", first, "", nil); g.Status != http.StatusGone {
		t.Fatalf("old link still works: %d", g.Status)
	}
	gatewaytest.PostPage(t, app, "/set-password", "token", gatewaytest.Token(second), "password", "a long passphrase", "confirm", "a long passphrase")
	gatewaytest.FinalState(t, app, wfID)
	if res := gatewaytest.Admin(t, app, "POST", "/api/v1/sites/"+siteID+"/users/"+uid+"/resend", nil); res.Status != 409 {
		t.Fatalf("resend to active user: %d", res.Status)
	}
	if res := gatewaytest.Admin(t, app, "POST", "/api/v1/sites/"+siteID+"/users/nobody/resend", nil); res.Status != 404 {
		t.Fatalf("resend to unknown user: %d", res.Status)
	}
}

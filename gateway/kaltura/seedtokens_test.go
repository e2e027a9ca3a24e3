package kaltura_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"gatehouse/internal/mailsink"
	"gatehouse/internal/testkit"
	"gatehouse/internal/testkit/gatewaytest"
)

var literalToken = regexp.MustCompile(`\{[a-z_.]+\}`)

// The guide's section 13.5 and 13.6 emails, created by their own curl
// commands, render every built-in token (section 10.5) from the event's
// object and its owner: the email text holds no literal {...}.
func TestSeedEmailTokens(t *testing.T) {
	app := testkit.Get(t).StartApp(t)
	commands, _ := seedCommands(t)
	env := []string{"KALTURA_SERVICE_URL=" + app.URL + "/api_v3", "KALTURA_KS=" + testkit.AdminToken}
	created := map[string]string{}
	for _, c := range commands {
		for _, name := range []string{"New Upload Alert", "New Category Member"} {
			if strings.Contains(c.text, "[name]="+name+`"`) {
				var tpl map[string]any
				if err := json.Unmarshal([]byte(runCurl(t, env, c)), &tpl); err != nil || tpl["id"] == nil {
					t.Fatalf("seed line %d: %v %v", c.line, err, tpl)
				}
				created[name] = fmt.Sprint(tpl["id"])
			}
		}
	}
	if len(created) != 2 {
		t.Fatalf("found %v in the guide", created)
	}
	// The guide creates them disabled (status 1); switch them on.
	for _, id := range created {
		if r := gatewaytest.Kaltura(t, app, "updateStatus", "id", id, "status", "2"); r.Status != 200 {
			t.Fatalf("activate: %d %s", r.Status, r.Body)
		}
	}
	// The owner is a registered user.
	siteID := gatewaytest.NewSite(t, app, map[string]any{"sendEmail": false}, nil)
	owner := gatewaytest.Unique("Owner")
	r := gatewaytest.Register(t, app, siteID, "email", gatewaytest.Email("owner"), "firstName", owner, "lastName", "Lee")
	gatewaytest.FinalState(t, app, r.JSON(t)["workflowId"].(string))
	ownerID := r.JSON(t)["userId"].(string)

	entry := gatewaytest.Unique("Keynote")
	gatewaytest.PostEvent(t, app, map[string]any{"eventType": "1", "eventObjectType": "1", "objectId": "0_" + entry,
		"object": map[string]any{"id": "0_" + entry, "name": entry, "userId": ownerID}})
	m := gatewaytest.WaitMail(t, "admin@example.com", func(m mailsink.Message) bool { return m.Subject == "New entry uploaded: "+entry })
	want := "A new entry has been uploaded.<br>Name: " + entry + "<br>ID: 0_" + entry + "<br>Owner: " + owner + " Lee"
	if !strings.Contains(m.HTML, want) || literalToken.MatchString(m.HTML+m.Subject) {
		t.Fatalf("13.6 email: %q\nwant %q", m.HTML, want)
	}

	gatewaytest.PostEvent(t, app, map[string]any{"eventType": "1", "eventObjectType": "12", "objectId": "42|" + ownerID,
		"object": map[string]any{"categoryId": 42, "userId": ownerID}})
	m = gatewaytest.WaitMail(t, "manager@example.com", func(m mailsink.Message) bool { return strings.Contains(m.HTML, owner) })
	want = "A new user has joined a category you manage.<br>Category: 42<br>User: " + owner + " Lee"
	if m.Subject != "New member joined category" || !strings.Contains(m.HTML, want) || literalToken.MatchString(m.HTML) {
		t.Fatalf("13.5 email: %q\nwant %q", m.HTML, want)
	}
}

package kaltura_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"gatehouse/internal/testkit"
	"gatehouse/internal/testkit/gatewaytest"
)

// The Kaltura guide the template API follows, as committed test data
// (testdata/kaltura_event_notifications.txt). Every curl command in it
// that calls $KALTURA_SERVICE_URL must work as written. The one command
// against $KALTURA_MESSAGING_URL targets Kaltura's separate Messaging
// service, not this API, and is skipped. Snippets (lines of -d options
// without a curl) are run appended to a minimal add or list command.
const seedFile = "testdata/kaltura_event_notifications.txt"

type seedCommand struct {
	line int
	text string
}

var varAssign = regexp.MustCompile(`^[A-Z_]+=\$\(`)

// seedCommands extracts whole curl commands (with their continuation
// lines) and stand-alone -d snippets, in document order.
func seedCommands(t *testing.T) (commands, snippets []seedCommand) {
	b, err := os.ReadFile(seedFile)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	for i := 0; i < len(lines); i++ {
		trimmed := strings.TrimSpace(lines[i])
		isCurl := strings.HasPrefix(trimmed, "curl ") || (varAssign.MatchString(trimmed) && strings.Contains(trimmed, "curl "))
		isSnippet := strings.HasPrefix(trimmed, `-d "`)
		if !isCurl && !isSnippet {
			continue
		}
		start := i
		var parts []string
		for ; i < len(lines); i++ {
			l := strings.TrimSpace(lines[i])
			if isSnippet && !strings.HasPrefix(l, `-d "`) {
				i--
				break
			}
			parts = append(parts, strings.TrimSuffix(l, `\`))
			if !strings.HasSuffix(l, `\`) && !isSnippet {
				break
			}
			if isSnippet && !strings.HasSuffix(l, `\`) {
				break
			}
		}
		text := strings.Join(parts, " ")
		if isCurl {
			if loc := varAssign.FindStringIndex(text); loc != nil {
				text = strings.TrimSuffix(strings.TrimSpace(text[loc[1]:]), ")")
			}
			commands = append(commands, seedCommand{start + 1, text})
		} else {
			snippets = append(snippets, seedCommand{start + 1, text})
		}
	}
	return commands, snippets
}

func runCurl(t *testing.T, env []string, c seedCommand) string {
	t.Helper()
	cmd := exec.Command("bash", "-c", c.text)
	cmd.Env = append(os.Environ(), env...)
	var stderr strings.Builder
	cmd.Stderr = &stderr // curl's progress meter
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("seed line %d: %v\n%s\n%s", c.line, err, c.text, stderr.String())
	}
	return string(out)
}

func TestSeedCurlCommands(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Fatal("curl is needed to run the seed's commands as written")
	}
	app := testkit.Get(t).StartApp(t)
	rc := testkit.NewReceiver(t)
	commands, snippets := seedCommands(t)
	if len(commands) < 30 || len(snippets) < 10 {
		t.Fatalf("extracted %d commands and %d snippets: the extractor is broken", len(commands), len(snippets))
	}

	// The guide's boolean-condition snippet names templates 101 and 102.
	for _, id := range []int{101, 102} {
		body := fmt.Sprintf(`{"name":"Boolean %d","type":"booleanNotification.Boolean","eventConditions":[{"objectType":"KalturaEventFieldCondition","field":{"objectType":"KalturaEvalBooleanField","code":"{event.object.status}==2"}}]}`, id)
		if _, err := app.Store.DB().Exec(`INSERT IGNORE INTO notification_templates (id, partner_id, name, type, status, event_type, event_object_type, body, secrets, created_at, updated_at)
			VALUES (?, 1, ?, 'booleanNotification.Boolean', 2, '', '', ?, '{}', NOW(6), NOW(6))`, id, fmt.Sprintf("Boolean %d", id), body); err != nil {
			t.Fatal(err)
		}
	}
	sys := gatewaytest.Kaltura(t, app, "listTemplates", "filter[systemNameEqual]", "ENTRY_CHANGED").JSON(t)["objects"].([]any)[0].(map[string]any)
	entryID := "0_" + gatewaytest.Unique("entry")
	gatewaytest.PostEvent(t, app, map[string]any{"eventType": "1", "eventObjectType": "1", "objectId": entryID,
		"object": map[string]any{"id": entryID, "name": "Seed entry", "status": 2, "userId": "owner"}})
	env := func() []string {
		// A fresh template per command: the guide deletes $TEMPLATE_ID in
		// one place and dispatches it in another.
		id := gatewaytest.AddActive(t, app, "[eventType]", "2", "[eventObjectType]", "1", "[url]", rc.URL+"/seed")
		return []string{"KALTURA_SERVICE_URL=" + app.URL + "/api_v3", "KALTURA_KS=" + testkit.AdminToken,
			"SYSTEM_TEMPLATE_ID=" + fmt.Sprint(sys["id"]), "TEMPLATE_ID=" + id, "KALTURA_ENTRY_ID=" + entryID, "CATEGORY_ID=cat-1"}
	}

	ran := 0
	for _, c := range commands {
		if strings.Contains(c.text, "$KALTURA_MESSAGING_URL") {
			continue
		}
		if !strings.Contains(c.text, "$KALTURA_SERVICE_URL") {
			t.Fatalf("seed line %d: a curl command for an unknown service: %s", c.line, c.text)
		}
		e := env()
		checkSeedAnswer(t, c, e, runCurl(t, e, c))
		ran++
	}

	base := map[string]string{
		"http":  `curl -s -X POST "$KALTURA_SERVICE_URL/service/eventnotification_eventnotificationtemplate/action/add" -d "ks=$KALTURA_KS" -d "format=1" -d "eventNotificationTemplate[objectType]=KalturaHttpNotificationTemplate" -d "eventNotificationTemplate[name]=Snippet" -d "eventNotificationTemplate[eventType]=2" -d "eventNotificationTemplate[eventObjectType]=1" -d "eventNotificationTemplate[url]=https://example.com/hook"`,
		"email": `curl -s -X POST "$KALTURA_SERVICE_URL/service/eventnotification_eventnotificationtemplate/action/add" -d "ks=$KALTURA_KS" -d "format=1" -d "eventNotificationTemplate[objectType]=KalturaEmailNotificationTemplate" -d "eventNotificationTemplate[name]=Snippet" -d "eventNotificationTemplate[eventType]=2" -d "eventNotificationTemplate[eventObjectType]=1" -d "eventNotificationTemplate[subject]=S" -d "eventNotificationTemplate[body]=B"`,
		"list":  `curl -s -X POST "$KALTURA_SERVICE_URL/service/eventnotification_eventnotificationtemplate/action/list" -d "ks=$KALTURA_KS" -d "format=1"`,
	}
	for _, s := range snippets {
		kind := "http"
		switch {
		case strings.Contains(s.text, "pager["):
			kind = "list"
		case strings.Contains(s.text, "[to]"):
			kind = "email"
		}
		e, cmd := env(), seedCommand{s.line, base[kind] + " " + s.text}
		checkSeedAnswer(t, cmd, e, runCurl(t, e, cmd))
		ran++
	}
	t.Logf("ran %d curl commands and %d snippets from the guide; compared %d fields they set with the answers", len(commands)-1, len(snippets), checkedFields)

	// The guide's dispatch reached the receiver.
	reqs := gatewaytest.WaitRequests(t, rc, 1)
	var body map[string]any
	json.Unmarshal(reqs[0].Body, &body) //nolint:errcheck
	if len(reqs[0].Body) > 0 && body["objectType"] != "KalturaHttpNotification" {
		t.Fatalf("dispatched payload: %s", reqs[0].Body)
	}
}

func checkKalturaAnswer(t *testing.T, c seedCommand, out string) {
	t.Helper()
	out = strings.TrimSpace(out)
	var v any
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("seed line %d: answer is not JSON: %s\n%s", c.line, out, c.text)
	}
	if m, ok := v.(map[string]any); ok && m["objectType"] == "KalturaAPIException" {
		t.Fatalf("seed line %d failed: %s\n%s", c.line, out, c.text)
	}
}

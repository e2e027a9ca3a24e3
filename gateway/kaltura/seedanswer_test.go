package kaltura_test

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var (
	actionRE = regexp.MustCompile(`/action/(\w+)`)
	paramRE  = regexp.MustCompile(`-d "([^"=]+)=([^"]*)"`)
	pathRE   = regexp.MustCompile(`\[([^\]]*)\]`)
)

// seedParams are a command's -d fields with the environment's values.
func seedParams(text string, env []string) [][2]string {
	vars := map[string]string{}
	for _, e := range env {
		if k, v, ok := strings.Cut(e, "="); ok {
			vars[k] = v
		}
	}
	var out [][2]string
	for _, m := range paramRE.FindAllStringSubmatch(text, -1) {
		out = append(out, [2]string{m[1], os.Expand(m[2], func(k string) string { return vars[k] })})
	}
	return out
}

// lookup walks a decoded answer along a bracket path ([to][emailRecipients][0][email]).
func lookup(v any, path []string) (any, bool) {
	for _, p := range path {
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[p]; !ok {
				return nil, false
			}
		case []any:
			i, err := strconv.Atoi(p)
			if err != nil || i < 0 || i >= len(x) {
				return nil, false
			}
			v = x[i]
		default:
			return nil, false
		}
	}
	return v, true
}

func text(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		if x {
			return "1"
		}
		return "0"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// checkedFields counts the set fields compared with answers (logged).
var checkedFields int

// answerExceptions are fields a seed command sets that the answer shows
// differently, each for a reason.
var answerExceptions = map[string]string{
	"signSecret":   "write-only: never answered",
	"authUsername": "a credential: write-only",
	"authPassword": "write-only",
	"sslKey":       "write-only",
}

// checkSeedAnswer asserts what a seed command's answer must contain: the
// fields it set (add, update, clone), the template it named (get), the
// status it set (updateStatus), a list's shape and filters (list,
// listTemplates), and the dispatch's id.
func checkSeedAnswer(t *testing.T, c seedCommand, env []string, out string) {
	t.Helper()
	checkKalturaAnswer(t, c, out)
	m := actionRE.FindStringSubmatch(c.text)
	if m == nil {
		t.Fatalf("seed line %d: no action", c.line)
	}
	action := m[1]
	var ans any
	json.Unmarshal([]byte(strings.TrimSpace(out)), &ans) //nolint:errcheck
	obj, _ := ans.(map[string]any)
	params := seedParams(c.text, env)
	get := func(k string) string {
		for _, p := range params {
			if p[0] == k {
				return p[1]
			}
		}
		return ""
	}
	fail := func(format string, args ...any) {
		t.Helper()
		t.Errorf("seed line %d (%s): %s\n%s\nanswer: %s", c.line, action, fmt.Sprintf(format, args...), c.text, out)
	}
	switch action {
	case "add", "update", "clone":
		if obj == nil || !strings.HasSuffix(text(obj["objectType"]), "NotificationTemplate") || obj["id"] == nil {
			fail("not a template")
			return
		}
		if action == "update" && text(obj["id"]) != get("id") {
			fail("updated id %v, want %s", obj["id"], get("id"))
		}
		if action == "clone" && text(obj["id"]) == get("id") {
			fail("the clone kept the id")
		}
		for _, p := range params {
			rest, ok := strings.CutPrefix(p[0], "eventNotificationTemplate")
			if !ok {
				continue
			}
			var path []string
			for _, s := range pathRE.FindAllStringSubmatch(rest, -1) {
				path = append(path, s[1])
			}
			if len(path) == 0 || answerExceptions[path[0]] != "" {
				continue
			}
			got, ok := lookup(obj, path)
			checkedFields++
			if !ok {
				fail("%s not in the answer", p[0])
			} else if text(got) != p[1] {
				fail("%s = %q, want %q", p[0], text(got), p[1])
			}
		}
	case "get":
		if obj == nil || text(obj["id"]) != get("id") {
			fail("got id %v, want %s", obj["id"], get("id"))
		}
	case "updateStatus":
		if obj == nil || text(obj["status"]) != get("status") || text(obj["id"]) != get("id") {
			fail("status %v of %v, want %s of %s", obj["status"], obj["id"], get("status"), get("id"))
		}
	case "list", "listTemplates":
		objects, ok := obj["objects"].([]any)
		total, _ := obj["totalCount"].(float64)
		if !ok || text(obj["objectType"]) != "KalturaEventNotificationTemplateListResponse" || int(total) < len(objects) {
			fail("not a list answer")
			return
		}
		for _, p := range params {
			field, ok := strings.CutPrefix(p[0], "filter[")
			if !ok || !strings.HasSuffix(field, "Equal]") {
				continue
			}
			field = strings.TrimSuffix(field, "Equal]")
			for _, o := range objects {
				if got := text(o.(map[string]any)[field]); got != p[1] {
					fail("filter %s=%s answered %s=%s", p[0], p[1], field, got)
				}
			}
		}
	case "delete":
		if get("id") == "" {
			fail("no id")
		}
	case "dispatch":
		if _, err := strconv.Atoi(text(ans)); err != nil && obj == nil {
			fail("dispatch answered %s", out)
		}
	default:
		fail("an action the check does not know")
	}
}

package notify

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestClassify(t *testing.T) {
	for status, want := range map[int]Outcome{200: Delivered, 204: Delivered, 301: Failed, 400: Failed, 401: Failed, 404: Failed,
		408: Retry, 410: Gone, 425: Retry, 429: Retry, 500: Retry, 502: Retry, 503: Retry} {
		if got := Classify(status); got != want {
			t.Errorf("Classify(%d) = %s, want %s", status, got, want)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	cases := map[string]time.Duration{"": 0, "120": 2 * time.Minute, "-5": 0, "junk": 0, "999999": MaxRetryAfter,
		now.Add(90 * time.Second).Format(http.TimeFormat): 90 * time.Second}
	for in, want := range cases {
		if got := RetryAfter(in, now); got != want {
			t.Errorf("RetryAfter(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestScheduleAndJitter(t *testing.T) {
	s, err := ParseSchedule("30s, 2m,1h")
	if err != nil || len(s) != 3 || s[1] != 2*time.Minute {
		t.Fatalf("ParseSchedule: %v %v", s, err)
	}
	for _, bad := range []string{"0s", "x", "72h"} {
		if _, err := ParseSchedule(bad); err == nil {
			t.Errorf("ParseSchedule(%q) accepted", bad)
		}
	}
	var total time.Duration
	for _, d := range DefaultSchedule {
		total += d
	}
	if len(DefaultSchedule) != 9 || total < 21*time.Hour || total > 22*time.Hour {
		t.Fatalf("default schedule: %d waits, %s", len(DefaultSchedule), total)
	}
	spread := map[time.Duration]bool{}
	for i := range 50 {
		j := Jitter("Delivery:e:channel:"+string(rune('a'+i%26)), i, time.Hour)
		if j < 54*time.Minute || j > 66*time.Minute {
			t.Fatalf("jitter %s outside ±10%%", j)
		}
		spread[j] = true
		if Jitter("x", i, time.Hour) != Jitter("x", i, time.Hour) {
			t.Fatal("jitter is not deterministic")
		}
	}
	if len(spread) < 10 {
		t.Fatalf("jitter barely varies: %d distinct", len(spread))
	}
}

func TestDataFieldsBodies(t *testing.T) {
	ev := &Event{ID: "e1", EventType: "2", EventObjectType: "1", Object: map[string]any{"id": "0_x", "status": float64(2)}}
	base := NotificationTemplate{Type: TypeHTTP, URL: "http://r.test/h?a=1", EventType: "2", Data: &Data{ObjectType: DataFields, Fields: []Parameter{
		{Key: "entryId", Value: &Value{ObjectType: ValueEvalString, Code: "{event.object.id}"}},
		{Key: "status", Value: &Value{ObjectType: ValueEvalString, Code: "{event.object.status}"}},
	}}}
	for _, c := range []struct {
		method, ctype int
		body, header  string
	}{
		{MethodPost, ContentForm, "entryId=0_x&status=2", "application/x-www-form-urlencoded"},
		{MethodPost, ContentJSON, `{"entryId":"0_x","status":"2"}`, "application/json"},
		{MethodPost, ContentXML, "<fields><entryId>0_x</entryId><status>2</status></fields>", "application/xml"},
		{MethodPost, ContentText, "entryId=0_x\nstatus=2\n", "text/plain; charset=utf-8"},
	} {
		tp := base
		tp.Method, tp.ContentType = c.method, c.ctype
		req, err := BuildTemplateRequest(TemplateRequestInput{Template: &tp, Event: ev, DefaultSecret: "k", Now: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(req.Body), c.body) || req.Header.Get("Content-Type") != c.header {
			t.Errorf("content type %d: %q (%s)", c.ctype, req.Body, req.Header.Get("Content-Type"))
		}
		if req.Header.Get("X-KALTURA-SIGNATURE") == "" || req.Header.Get("X-KALTURA-HASH-ALGO") != "sha256" {
			t.Errorf("unsigned: %v", req.Header)
		}
	}
	tp := base
	tp.Method = MethodGet
	req, err := BuildTemplateRequest(TemplateRequestInput{Template: &tp, Event: ev, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(req.URL)
	if req.Method != "GET" || req.Body != nil || u.Query().Get("entryId") != "0_x" || u.Query().Get("a") != "1" {
		t.Fatalf("GET: %s %s %q", req.Method, req.URL, req.Body)
	}
	// No data: an empty body, as Kaltura sends.
	tp = base
	tp.Data = nil
	req, _ = BuildTemplateRequest(TemplateRequestInput{Template: &tp, Event: ev, Now: time.Now()})
	if len(req.Body) != 0 || req.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		t.Fatalf("no data: %q %v", req.Body, req.Header)
	}
}

func TestMaskHeaders(t *testing.T) {
	h := http.Header{"Authorization": {"Basic eHk="}, "X-Api-Key": {"k"}, "X-Kaltura-Signature": {"abc"}, "Content-Type": {"a/b"}}
	m := MaskHeaders(h)
	if m["Authorization"] != "***" || m["X-Api-Key"] != "***" || m["X-Kaltura-Signature"] != "abc" || m["Content-Type"] != "a/b" {
		t.Fatalf("masked: %v", m)
	}
}

func TestConditionsMatch(t *testing.T) {
	tp := NotificationTemplate{Type: TypeHTTP, Status: StatusActive, AutomaticDispatchEnabled: true, EventType: "1", EventObjectType: "8",
		EventConditions: []Condition{
			{ObjectType: CondField, Field: &Value{ObjectType: ValueEvalBool, Code: `{event.object.role} == "viewerRole"`}},
			{ObjectType: CondObjectChanged, ModifiedColumns: "email,role"},
			{ObjectType: CondMetadataChanged, XPath: "/metadata/ApprovalStatus"},
		}}
	ev := &Event{EventType: "UserRegistered", EventObjectType: "8", ChangedFields: []string{"role"},
		Object:   map[string]any{"role": "viewerRole", "metadata": map[string]any{"ApprovalStatus": "approved"}},
		Previous: map[string]any{"metadata": map[string]any{"ApprovalStatus": "pending"}}}
	if ok, err := tp.Matches(ev, nil); !ok || err != nil {
		t.Fatalf("should match (UserRegistered is OBJECT_ADDED for KUSER): %v", err)
	}
	ev.Previous = ev.Object
	if ok, _ := tp.Matches(ev, nil); ok {
		t.Fatal("metadata unchanged: should not match")
	}

	// Boolean templates: referenced conditions, all must hold.
	booleans := map[int64]*NotificationTemplate{
		101: {Type: TypeBoolean, EventConditions: []Condition{{ObjectType: CondField, Field: &Value{ObjectType: ValueEvalBool, Code: "{event.object.status}==2"}}}},
		102: {Type: TypeBoolean, EventConditions: []Condition{{ObjectType: CondField, Field: &Value{ObjectType: ValueEvalBool, Code: `{event.object.kind} != "draft"`}}}},
	}
	lookup := func(id int64) *NotificationTemplate { return booleans[id] }
	bt := NotificationTemplate{Type: TypeHTTP, Status: StatusActive, AutomaticDispatchEnabled: true, EventType: "2", EventObjectType: "1",
		EventConditions: []Condition{{ObjectType: CondBoolean, BooleanEventNotificationIDs: "101,102"}}}
	entry := &Event{EventType: "2", EventObjectType: "1", Object: map[string]any{"status": float64(2), "kind": "video"}}
	if ok, err := bt.Matches(entry, lookup); !ok || err != nil {
		t.Fatalf("both boolean templates hold: %v", err)
	}
	entry.Object["kind"] = "draft"
	if ok, _ := bt.Matches(entry, lookup); ok {
		t.Fatal("boolean template 102 fails: should not match")
	}
	bt.EventConditions[0].BooleanEventNotificationIDs = "101,999"
	if _, err := bt.Matches(entry, lookup); err == nil {
		t.Fatal("a missing boolean template is an error")
	}
}

// Event values are escaped for where they are substituted: a stranger's name
// cannot add a query parameter, end a JSON string or start a new header.
func TestSubstitutedValuesAreEscapedByContext(t *testing.T) {
	name := "Ann\"}, \"admin\": true, \"x\": {\"\r\nX-Injected: 1&role=admin/../"
	ev := &Event{ID: "e1", EventType: "2", EventObjectType: "1", Object: map[string]any{"id": "0_x", "name": name}}
	tp := NotificationTemplate{Type: TypeHTTP, URL: "http://r.test/hook/{who}?name={who}&site=s1", EventType: "2",
		Method: MethodPost, ContentType: ContentJSON,
		ContentParameters: []Parameter{{Key: "who", Value: &Value{ObjectType: ValueEvalString, Code: "{event.object.name}"}}},
		CustomHeaders:     KalturaHeaders{{Name: "X-Name", Value: "{who}"}},
		Data:              &Data{ObjectType: DataText, Content: &Value{Value: `{"name":"{who}","id":"e1"}`}}}
	req, err := BuildTemplateRequest(TemplateRequestInput{Template: &tp, Event: ev, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	if err := json.Unmarshal(req.Body, &body); err != nil || body["name"] != name || len(body) != 2 {
		t.Fatalf("JSON body %q: %v %v", req.Body, body, err)
	}
	u, err := url.Parse(req.URL)
	if err != nil || u.Query().Get("name") != name || u.Query().Get("site") != "s1" || len(u.Query()) != 2 {
		t.Fatalf("URL %q: query %v", req.URL, u.Query())
	}
	if !strings.HasPrefix(u.EscapedPath(), "/hook/") || strings.Count(u.EscapedPath(), "/") != 2 {
		t.Fatalf("path %q gained segments", u.EscapedPath())
	}
	if h := req.Header.Get("X-Name"); strings.ContainsAny(h, "\r\n") || req.Header.Get("X-Injected") != "" {
		t.Fatalf("header %q", h)
	}
}

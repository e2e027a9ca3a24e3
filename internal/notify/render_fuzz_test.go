package notify

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Whatever an event carries, a template's request keeps its shape: the URL
// parses with the same query keys, a JSON payload stays valid JSON with the
// value intact, and no header value holds a line break.
func FuzzBuildTemplateRequest(f *testing.F) {
	f.Add("Ann", "0_x")
	f.Add("\"}, \"admin\": true, \"x\": {\"", "a&b=c/../d?e#f")
	f.Add("\r\nX-Injected: 1", "\x00\xff")
	f.Fuzz(func(t *testing.T, name, id string) {
		ev := &Event{ID: "e1", EventType: "2", EventObjectType: "1", Object: map[string]any{"id": id, "name": name}}
		tp := NotificationTemplate{Type: TypeHTTP, URL: "http://r.test/hook/{id}?name={who}&site=s1", EventType: "2",
			Method: MethodPost, ContentType: ContentJSON,
			ContentParameters: []Parameter{
				{Key: "who", Value: &Value{ObjectType: ValueEvalString, Code: "{event.object.name}"}},
				{Key: "id", Value: &Value{ObjectType: ValueEvalString, Code: "{event.object.id}"}}},
			CustomHeaders: KalturaHeaders{{Name: "X-Name", Value: "{who}"}},
			Data:          &Data{ObjectType: DataText, Content: &Value{Value: `{"name":"{who}","id":"{id}"}`}}}
		req, err := BuildTemplateRequest(TemplateRequestInput{Template: &tp, Event: ev, Now: time.Now()})
		if err != nil {
			return // a value the expression engine refuses is an error, not a request
		}
		u, err := url.Parse(req.URL)
		if err != nil {
			t.Fatalf("URL %q: %v", req.URL, err)
		}
		if q := u.Query(); len(q) != 2 || q.Get("site") != "s1" {
			t.Fatalf("query %v from %q", q, req.URL)
		}
		var body map[string]any
		if err := json.Unmarshal(req.Body, &body); err != nil || len(body) != 2 {
			t.Fatalf("JSON %q: %v", req.Body, err)
		}
		for k, vs := range req.Header {
			for _, v := range vs {
				if strings.ContainsAny(v, "\r\n") {
					t.Fatalf("header %s: %q", k, v)
				}
			}
		}
	})
}

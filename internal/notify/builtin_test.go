package notify

import (
	"regexp"
	"strings"
	"testing"
)

var literalToken = regexp.MustCompile(`\{[a-z_.]+\}`)

// Every built-in token of seed 001 section 10.5 is substituted, and the
// guide's section 13.5 and 13.6 emails render with no literal {...} left.
func TestBuiltinTokens(t *testing.T) {
	entry := &Event{EventType: "1", EventObjectType: "1", ObjectID: "0_abc", Object: map[string]any{
		"id": "0_abc", "name": "Keynote", "description": "The opening", "dataUrl": "https://cdn.example/0_abc",
		"userId": "u1", "categoryName": "Talks", "partnerName": "ACME Media"}}
	owner := &Owner{Name: "Ann Lee", Email: "ann@example.test"}
	body := strings.Join(func() []string {
		var out []string
		for _, k := range BuiltinTokens {
			out = append(out, k+"={"+k+"}")
		}
		return out
	}(), ";")
	tpl := &NotificationTemplate{Format: FormatText, Subject: "s", Body: body}
	c, err := BuildEmailWith(tpl, entry, BuiltinValues(entry, owner, "fallback"))
	if err != nil {
		t.Fatal(err)
	}
	want := "entry_id=0_abc;entry_name=Keynote;entry_description=The opening;entry_url=https://cdn.example/0_abc;" +
		"category_name=Talks;owner_name=Ann Lee;owner_email=ann@example.test;partner_name=ACME Media"
	if c.Text != want {
		t.Fatalf("got  %s\nwant %s", c.Text, want)
	}

	// 13.6 New Upload Email Alert (format 1: HTML).
	upload := &NotificationTemplate{Format: FormatHTML, Subject: "New entry uploaded: {entry_name}",
		Body: "A new entry has been uploaded.<br>Name: {entry_name}<br>ID: {entry_id}<br>Owner: {owner_name}"}
	c, _ = BuildEmailWith(upload, entry, BuiltinValues(entry, owner, ""))
	if c.Subject != "New entry uploaded: Keynote" || c.HTML != "A new entry has been uploaded.<br>Name: Keynote<br>ID: 0_abc<br>Owner: Ann Lee" {
		t.Fatalf("13.6: %q %q", c.Subject, c.HTML)
	}
	// 13.5 Category Membership Change Email: a CATEGORYKUSER object (12)
	// names its category by id and its user by userId.
	member := &Event{EventType: "1", EventObjectType: "12", ObjectID: "c1|u1", Object: map[string]any{"categoryId": float64(42), "userId": "u1"}}
	joined := &NotificationTemplate{Format: FormatHTML, Subject: "New member joined category",
		Body: "A new user has joined a category you manage.<br>Category: {category_name}<br>User: {owner_name}"}
	c, _ = BuildEmailWith(joined, member, BuiltinValues(member, owner, ""))
	if c.HTML != "A new user has joined a category you manage.<br>Category: 42<br>User: Ann Lee" || literalToken.MatchString(c.HTML) {
		t.Fatalf("13.5: %q", c.HTML)
	}
	// Unknown owner: the id stands in; missing fields are empty, never literal.
	bare := &Event{EventObjectType: "1", ObjectID: "0_x", Object: map[string]any{"userId": "someone"}}
	c, _ = BuildEmailWith(tpl, bare, BuiltinValues(bare, nil, ""))
	if literalToken.MatchString(c.Text) || !strings.Contains(c.Text, "entry_id=0_x;") || !strings.Contains(c.Text, "owner_name=someone;") {
		t.Fatalf("bare: %s", c.Text)
	}
	// A template's own content parameter wins over the built-in value.
	own := &NotificationTemplate{Format: FormatText, Body: "{entry_name}", ContentParameters: []Parameter{{Key: "entry_name",
		Value: &Value{ObjectType: ValueEvalString, Code: "{event.object.description}"}}}}
	if c, _ := BuildEmailWith(own, entry, BuiltinValues(entry, owner, "")); c.Text != "The opening" {
		t.Fatalf("own parameter: %q", c.Text)
	}
}

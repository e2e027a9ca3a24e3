package portal_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/portal"
	"gatehouse/internal/testkit/fakeportal"
)

// openAPIEvents is Webhook-create.Events in the portal's OpenAPI 1.14.
var openAPIEvents = []string{
	"AccessRequestApproved", "AccessRequestRejected", "AccessRequestCreated",
	"OrganisationRequestCreated", "UserRegistered", "OrganisationRequestApproved",
	"OrganisationRequestRejected", "PasswordReset", "RegisterInvite",
	"UserAccountActivated", "UserAccountDeactivated", "ApplicationRegistered",
	"CredentialRegistered", "OrganisationRegistered",
}

func samples(t *testing.T) []fakeportal.Sample {
	t.Helper()
	s, err := fakeportal.Samples()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The catalogue is the seed's 13 listed names, spelled Organisation*, plus
// RegisterInvite, and equals the OpenAPI enum.
func TestCatalogue(t *testing.T) {
	path, err := fakeportal.SeedPath()
	if err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, m := range regexp.MustCompile(`(?m)^- \[(\w+)\]\(`).FindAllStringSubmatch(string(text), -1) {
		c, ok := portal.Canonical(m[1])
		if !ok {
			t.Errorf("seed name %q not accepted", m[1])
		}
		if m[1] != c && !strings.HasPrefix(m[1], "Organization") {
			t.Errorf("seed name %q changed to %q", m[1], c)
		}
		listed = append(listed, c)
	}
	if len(listed) != 13 {
		t.Fatalf("seed lists %d names, want 13: %v", len(listed), listed)
	}
	want := append(listed, portal.EventRegisterInvite)
	got := portal.EventNames()
	if !slices.Equal(got, want) {
		t.Errorf("EventNames() = %v, want %v", got, want)
	}
	a, b := slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(openAPIEvents))
	if !slices.Equal(a, b) {
		t.Errorf("catalogue %v differs from the OpenAPI enum %v", a, b)
	}
	for _, n := range got {
		if strings.Contains(n, "Organization") {
			t.Errorf("stored name %q spelled Organization", n)
		}
	}
}

type want struct {
	entity string
	start  portal.Kind // "" when none
}

// Every sample of the seed decodes, with its entity id; of the samples only
// OrganisationRequestCreated starts an approval (the AccessRequestCreated
// sample says "approved", the UserRegistered one "active").
func TestSeedSamples(t *testing.T) {
	wants := map[string]want{
		"UserRegistered":              {entity: "29"},
		"UserAccountActivated":        {entity: "7"},
		"UserAccountDeactivated":      {entity: "7"},
		"PasswordReset":               {entity: "7"},
		"ApplicationRegistered":       {entity: "1"},
		"CredentialRegistered":        {entity: "1"},
		"AccessRequestCreated":        {entity: "app1-plan2-user2"},
		"AccessRequestApproved":       {entity: "1"},
		"AccessRequestRejected":       {entity: "6"},
		"OrganisationRegistered":      {entity: "8"},
		"OrganisationRequestCreated":  {entity: portal.OrganisationRequestID(3, "Organisation added from Live Portal (the become an org flow)"), start: portal.KindOrganisationRequest},
		"OrganisationRequestApproved": {entity: "11"},
		"OrganisationRequestRejected": {entity: portal.OrganisationRequestID(17, "ACME")},
	}
	ss := samples(t)
	if len(ss) != 13 {
		t.Fatalf("%d samples in the seed, want 13", len(ss))
	}
	for _, s := range ss {
		ev, err := portal.Decode(s.Body)
		if err != nil {
			t.Errorf("%s: %v", s.Event, err)
			continue
		}
		w, ok := wants[ev.Name]
		if !ok {
			t.Errorf("unexpected sample %s", ev.Name)
			continue
		}
		delete(wants, ev.Name)
		if got := ev.EntityID(); got != w.entity {
			t.Errorf("%s: EntityID = %q, want %q", ev.Name, got, w.entity)
		}
		st, ok := ev.StartsApproval()
		if st.Kind != w.start || ok != (w.start != "") {
			t.Errorf("%s: StartsApproval = %v %v, want %q", ev.Name, st, ok, w.start)
		}
		if ev.Timestamp.IsZero() || ev.Timestamp.Year() != 2024 {
			t.Errorf("%s: Timestamp %v", ev.Name, ev.Timestamp)
		}
		if !json.Valid(ev.Message) || ev.Message[0] != '{' {
			t.Errorf("%s: Message %s", ev.Name, ev.Message)
		}
	}
	if len(wants) != 0 {
		t.Errorf("samples missing: %v", wants)
	}
}

// The seed's AccessRequestCreated has ID 0 and the zero CreatedAt; the
// OrganisationRequestCreated payload has no ID; OrganisationRequestApproved
// carries the requester's user.
func TestSeedQuirks(t *testing.T) {
	byName := map[string]*portal.Event{}
	for _, s := range samples(t) {
		ev, err := portal.Decode(s.Body)
		if err != nil {
			t.Fatal(err)
		}
		byName[ev.Name] = ev
	}
	ar := byName["AccessRequestCreated"].Payload.(*portal.AccessRequestMessage)
	if ar.ID != 0 || !ar.Provisional() || !ar.CreatedAt.IsZero() || ar.Status != "approved" {
		t.Errorf("AccessRequestCreated sample: %+v", ar)
	}
	if bytes.Contains(byName["OrganisationRequestCreated"].Message, []byte(`"ID"`)) {
		t.Error("OrganisationRequestCreated sample has an ID")
	}
	org := byName["OrganisationRequestCreated"].Payload.(*portal.OrganisationRequestMessage)
	if org.AdminID != 3 || org.AdminEmail != "dev@tyk.io" || org.Status != "pending" {
		t.Errorf("OrganisationRequestCreated sample: %+v", org)
	}
	u := byName["UserRegistered"].Payload.(*portal.UserMessage)
	if u.CustomAttributes[0].Identifier != "company-name" || u.CustomAttributes[0].Value != "ACME" {
		t.Errorf("UserRegistered custom attributes: %+v", u.CustomAttributes)
	}
	cl, ok := byName["OrganisationRequestApproved"].ClosesApproval()
	if !ok || cl.Kind != portal.KindOrganisationRequest || cl.Decision != portal.Approved || cl.EntityID != "" || cl.RequesterID != 11 {
		t.Errorf("OrganisationRequestApproved closes %+v %v", cl, ok)
	}
	cl, ok = byName["OrganisationRequestRejected"].ClosesApproval()
	if !ok || cl.Decision != portal.Rejected || cl.EntityID != portal.OrganisationRequestID(17, "ACME") || cl.RequesterID != 17 {
		t.Errorf("OrganisationRequestRejected closes %+v %v", cl, ok)
	}
	cl, ok = byName["AccessRequestRejected"].ClosesApproval()
	if !ok || cl.Kind != portal.KindAccessRequest || cl.Decision != portal.Rejected || cl.EntityID != "6" {
		t.Errorf("AccessRequestRejected closes %+v %v", cl, ok)
	}
	if _, ok := byName["UserRegistered"].ClosesApproval(); ok {
		t.Error("UserRegistered closes an approval")
	}
}

func decode(t *testing.T, body string) *portal.Event {
	t.Helper()
	ev, err := portal.Decode([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func TestStartsApproval(t *testing.T) {
	cases := []struct {
		body   string
		kind   portal.Kind
		entity string
	}{
		{`{"Event":"AccessRequestCreated","Message":{"ID":42,"AppID":1,"ByUser":2,"Status":"pending","ProductIDs":[1],"PlanID":2,"CreatedAt":"2024-04-22T18:09:45Z"},"Timestamp":"2024-04-22T18:09:45.245357+02:00"}`, portal.KindAccessRequest, "42"},
		{`{"Event":"AccessRequestCreated","Message":{"ID":42,"Status":"approved"},"Timestamp":"2024-04-22T18:09:45Z"}`, "", ""},
		{`{"Event":"UserRegistered","Message":{"ID":30,"Email":"d@x.io","Status":"inactive"},"Timestamp":"2024-04-22T18:09:45Z"}`, portal.KindUserRegistration, "30"},
		{`{"Event":"UserRegistered","Message":{"ID":30,"Status":"active"},"Timestamp":"2024-04-22T18:09:45Z"}`, "", ""},
		{`{"Event":"OrganizationRequestCreated","Message":{"Name":"ACME","AdminID":5,"Status":"pending"},"Timestamp":"2024-04-22T18:09:45Z"}`, portal.KindOrganisationRequest, portal.OrganisationRequestID(5, "ACME")},
		{`{"Event":"UserAccountActivated","Message":{"ID":30,"Status":"active"},"Timestamp":"2024-04-22T18:09:45Z"}`, "", ""},
	}
	for _, c := range cases {
		st, ok := decode(t, c.body).StartsApproval()
		if ok != (c.kind != "") || st.Kind != c.kind || st.EntityID != c.entity {
			t.Errorf("%s: got %+v %v, want %q %q", c.body, st, ok, c.kind, c.entity)
		}
	}
}

// Organization* is accepted and stored as Organisation*; the name as sent
// stays available.
func TestOrganizationSpelling(t *testing.T) {
	for _, n := range []string{"OrganizationRegistered", "OrganizationRequestCreated", "OrganizationRequestApproved", "OrganizationRequestRejected"} {
		c, ok := portal.Canonical(n)
		if !ok || c != "Organisation"+strings.TrimPrefix(n, "Organization") {
			t.Errorf("Canonical(%q) = %q %v", n, c, ok)
		}
	}
	ev := decode(t, `{"Event":"OrganizationRegistered","Message":{"ID":8,"Name":"X"},"Timestamp":"2024-04-18T16:12:09.849045+02:00"}`)
	if ev.Name != portal.EventOrganisationRegistered || ev.SentName != "OrganizationRegistered" {
		t.Errorf("Name %q SentName %q", ev.Name, ev.SentName)
	}
	if _, ok := portal.Canonical("userregistered"); ok {
		t.Error("names are case-sensitive: the portal sends fixed names")
	}
}

func TestDecodeErrors(t *testing.T) {
	cases := []struct {
		name, body string
		field      string
		contains   []string
	}{
		{"unknown event", `{"Event":"UserRegisterd","Message":{},"Timestamp":"2024-04-22T16:38:54Z"}`, "Event",
			[]string{`unknown event "UserRegisterd"`, `did you mean "UserRegistered"?`, "accepted: UserRegistered,", "RegisterInvite"}},
		{"far-off event", `{"Event":"Ping","Message":{},"Timestamp":"2024-04-22T16:38:54Z"}`, "Event",
			[]string{`unknown event "Ping" accepted:`}},
		{"no event", `{"Message":{},"Timestamp":"2024-04-22T16:38:54Z"}`, "Event", []string{"required; accepted: UserRegistered"}},
		{"no message", `{"Event":"UserRegistered","Timestamp":"2024-04-22T16:38:54Z"}`, "Message", []string{"required"}},
		{"null message", `{"Event":"UserRegistered","Message":null,"Timestamp":"2024-04-22T16:38:54Z"}`, "Message", []string{"required"}},
		{"array message", `{"Event":"UserRegistered","Message":[1],"Timestamp":"2024-04-22T16:38:54Z"}`, "Message", []string{"JSON object"}},
		{"string id", `{"Event":"UserRegistered","Message":{"ID":"29"},"Timestamp":"2024-04-22T16:38:54Z"}`, "Message",
			[]string{"UserRegistered payload", "ID", "string"}},
		{"bad time", `{"Event":"UserRegistered","Message":{"CreatedAt":"yesterday"},"Timestamp":"2024-04-22T16:38:54Z"}`, "Message", []string{`"yesterday" is not a time`}},
		{"no timestamp", `{"Event":"UserRegistered","Message":{}}`, "Timestamp", []string{"required"}},
		{"bad timestamp", `{"Event":"UserRegistered","Message":{},"Timestamp":"22/04/2024"}`, "Timestamp", []string{`"22/04/2024" is not a time`}},
		{"array body", `[]`, "body", []string{"JSON object"}},
		{"broken json", `{"Event":`, "body", []string{"not a valid envelope"}},
		{"bad utf-8", "{\"Event\":\"UserRegistered\xff\"}", "body", []string{"UTF-8"}},
		{"too large", `{"Event":"` + strings.Repeat("a", portal.MaxBody) + `"}`, "body", []string{"larger than"}},
	}
	for _, c := range cases {
		_, err := portal.Decode([]byte(c.body))
		var inv *portal.InvalidError
		if !errors.As(err, &inv) {
			t.Errorf("%s: error %v, want InvalidError", c.name, err)
			continue
		}
		found := false
		for _, p := range inv.Problems {
			if p.Field == c.field {
				found = true
				for _, s := range c.contains {
					if !strings.Contains(p.Reason, s) {
						t.Errorf("%s: %s reason %q lacks %q", c.name, p.Field, p.Reason, s)
					}
				}
			}
		}
		if !found {
			t.Errorf("%s: no problem for %s in %v", c.name, c.field, inv.Problems)
		}
	}
	// Every problem is named at once.
	_, err := portal.Decode([]byte(`{"Event":"Nope"}`))
	var inv *portal.InvalidError
	if !errors.As(err, &inv) || len(inv.Problems) != 3 {
		t.Errorf("want 3 problems (Event, Message, Timestamp), got %v", err)
	}
}

func TestRegisterInvite(t *testing.T) {
	a := decode(t, `{"Event":"RegisterInvite","Message":{"Email":"x@y.io","Team":[1,2]},"Timestamp":"2024-04-22T16:38:54Z"}`)
	b := decode(t, `{"Event":"RegisterInvite","Message":{ "Email" : "x@y.io", "Team" : [1, 2] },"Timestamp":"2024-04-22T16:38:54Z"}`)
	if a.EntityID() != b.EntityID() || !strings.HasPrefix(a.EntityID(), "sha256-") || len(a.EntityID()) != 39 {
		t.Errorf("entity ids %q %q", a.EntityID(), b.EntityID())
	}
	if m, ok := a.Payload.(portal.InviteMessage); !ok || m["Email"] != "x@y.io" {
		t.Errorf("payload %#v", a.Payload)
	}
	c := decode(t, `{"Event":"RegisterInvite","Message":{"ID":12},"Timestamp":"2024-04-22T16:38:54Z"}`)
	if c.EntityID() != "12" {
		t.Errorf("entity id %q", c.EntityID())
	}
	if _, ok := c.StartsApproval(); ok {
		t.Error("RegisterInvite starts an approval")
	}
}

// The same event delivered again (the portal retries) has the same key,
// whatever the offset used to write the instant; another instant or entity
// has another.
func TestDedupKey(t *testing.T) {
	a := decode(t, `{"Event":"UserRegistered","Message":{"ID":29},"Timestamp":"2024-04-22T16:38:54.082037+02:00"}`)
	b := decode(t, `{"Event":"UserRegistered","Message":{"ID":29,"Email":"changed"},"Timestamp":"2024-04-22T14:38:54.082037Z"}`)
	c := decode(t, `{"Event":"UserRegistered","Message":{"ID":29},"Timestamp":"2024-04-22T16:38:54.082038+02:00"}`)
	d := decode(t, `{"Event":"UserRegistered","Message":{"ID":30},"Timestamp":"2024-04-22T16:38:54.082037+02:00"}`)
	e := decode(t, `{"Event":"UserAccountActivated","Message":{"ID":29},"Timestamp":"2024-04-22T16:38:54.082037+02:00"}`)
	if a.DedupKey() != b.DedupKey() {
		t.Error("same instant, different keys")
	}
	for _, o := range []*portal.Event{c, d, e} {
		if a.DedupKey() == o.DedupKey() {
			t.Errorf("%s %s %v shares a's key", o.Name, o.EntityID(), o.Timestamp)
		}
	}
}

func TestParseTime(t *testing.T) {
	cases := map[string]time.Time{
		"2024-04-22T16:38:54.068565+02:00": time.Date(2024, 4, 22, 14, 38, 54, 68565000, time.UTC),
		"2024-04-24T15:26:04.312618088Z":   time.Date(2024, 4, 24, 15, 26, 4, 312618088, time.UTC),
		"0001-01-01T00:00:00Z":             {},
		"2023-06-25 13:37":                 time.Date(2023, 6, 25, 13, 37, 0, 0, time.UTC),
		"2023-06-23":                       time.Date(2023, 6, 23, 0, 0, 0, 0, time.UTC),
	}
	for s, want := range cases {
		got, err := portal.ParseTime(s)
		if err != nil || !got.Equal(want) {
			t.Errorf("ParseTime(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	for _, s := range []string{"", "2024-04-22T16:38", "tomorrow", "2024-13-01T00:00:00Z"} {
		if _, err := portal.ParseTime(s); err == nil {
			t.Errorf("ParseTime(%q) accepted", s)
		}
	}
}

func TestClosest(t *testing.T) {
	names := portal.EventNames()
	cases := map[string]string{
		"UserRegisterd":             "UserRegistered",
		"userregistered":            "UserRegistered",
		"AccesRequestCreated":       "AccessRequestCreated",
		"OrganisationRequestCreatd": "OrganisationRequestCreated",
		"PasswordRest":              "PasswordReset",
		"Ping":                      "",
		"":                          "",
		"SomethingElseEntirely":     "",
	}
	for in, want := range cases {
		got, ok := portal.Closest(in, names)
		if got != want || ok != (want != "") {
			t.Errorf("Closest(%q) = %q %v, want %q", in, got, ok, want)
		}
	}
	if _, err := portal.ParseKind("acessRequest"); err == nil || !strings.Contains(err.Error(), `did you mean "accessRequest"?`) {
		t.Errorf("ParseKind error %v", err)
	}
	if k, err := portal.ParseKind("userRegistration"); err != nil || k != portal.KindUserRegistration {
		t.Errorf("ParseKind = %q %v", k, err)
	}
	// Control characters in the name are escaped in the message.
	if err := portal.UnknownName("event", "a\nb", names); strings.Contains(err.Error(), "\n") {
		t.Errorf("raw newline in %q", err)
	}
}

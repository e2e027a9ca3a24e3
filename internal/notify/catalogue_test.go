package notify

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/domain"
)

func TestCheckChannelEvent(t *testing.T) {
	for _, ok := range []string{"AccessRequestCreated", "RegisterInvite", "UserDeleted", "TargetDisabled", "ApprovalDecided", "3", "OrderShipped"} {
		if err := CheckChannelEvent(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for name, want := range map[string]string{
		"AccessRequestCreatd":    `did you mean "AccessRequestCreated"`,
		"userregistered":         `did you mean "UserRegistered"`,
		"OrganizationRegistered": `did you mean "OrganisationRegistered"`,
		"RegistrationLinkSnt":    `did you mean "RegistrationLinkSent"`,
		"13":                     "1-12",
	} {
		err := CheckChannelEvent(name)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", name, err, want)
		}
	}
}

// A portal event leaves as it came: Message byte for byte, its Timestamp.
func TestChannelBodyForwardsPortalEventsUnchanged(t *testing.T) {
	raw := json.RawMessage("{\n    \"ID\": 29,\n    \"Note\": \"<&>\"\n  }")
	e := &Event{EventType: "UserRegistered", EventObjectType: domain.ObjectTypePortalEvent, Raw: raw,
		SentTimestamp: "2024-04-22T16:38:54.082037+02:00", OccurredAt: time.Now()}
	b, err := channelBody(e)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"Event":"UserRegistered","Message":` + string(raw) + `,"Timestamp":"2024-04-22T16:38:54.082037+02:00"}`
	if string(b) != want {
		t.Fatalf("body\n%s\nwant\n%s", b, want)
	}
}

func TestChannelBodyAddsTykUserFields(t *testing.T) {
	site := "s1"
	e := &Event{EventType: "UserRegistered", EventObjectType: domain.ObjectTypeUser, SiteID: &site, OccurredAt: time.Now(),
		Object: map[string]any{"id": "u1", "email": "a@x.io", "firstName": "Ada", "lastName": "L", "status": "pending",
			"createdAt": "2026-01-02T03:04:05Z", "userObject": map[string]any{"company": "ACME", "b": true}}}
	b, err := channelBody(e)
	if err != nil {
		t.Fatal(err)
	}
	var p struct{ Message map[string]any }
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	m := p.Message
	for k, v := range map[string]any{"ID": "u1", "Email": "a@x.io", "First": "Ada", "Last": "L", "OrgID": "s1", "Provider": "gatehouse",
		"Status": "inactive", "CreatedAt": "2026-01-02T03:04:05Z", "ByUser": float64(0), "email": "a@x.io"} {
		if m[k] != v {
			t.Errorf("Message.%s = %v, want %v", k, m[k], v)
		}
	}
	attrs, _ := json.Marshal(m["CustomAttributes"])
	if string(attrs) != `[{"Identifier":"b","Value":"true"},{"Identifier":"company","Value":"ACME"}]` {
		t.Errorf("CustomAttributes = %s", attrs)
	}
}

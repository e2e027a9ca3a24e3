package portal_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/portal"
)

func TestPortalValidateNamesEveryField(t *testing.T) {
	var p portal.Portal
	body := `{"name":"","baseUrl":"ftp://x","inboundHeader":"Bad Header","allowedAddresses":["10.0.0.0/33"],
		"standardWebhooksSecret":"nope","approvals":{"accessRequst":{},"userRegistration":{"requiredApprovals":3,
		"approvers":{"emails":["a@x.io","not-an-email"]},"onExpiry":"escalate","remindEvery":"10s","expireAfter":"soon",
		"autoApprove":"{Message.Status} ==","onPortalError":"shrug","organisationApproval":"record"}}}`
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		t.Fatal(err)
	}
	p.ID = "bad id"
	p.ApplyDefaults()
	got := map[string]string{}
	for _, pr := range p.Validate(false) {
		got[pr.Field] = pr.Reason
	}
	for field, want := range map[string]string{
		"id": "1-40", "name": "required", "baseUrl": "http", "inboundHeader": "header", "allowedAddresses[0]": "CIDR",
		"standardWebhooksSecret": "whsec_", "approvals.accessRequst": `did you mean "accessRequest"`,
		"approvals.userRegistration.requiredApprovals": "only 2", "approvals.userRegistration.approvers.emails[1]": "not an email",
		"approvals.userRegistration.escalateTo": "required", "approvals.userRegistration.remindEvery": "at least 1m",
		"approvals.userRegistration.expireAfter": "not a duration", "approvals.userRegistration.autoApprove": "invalid expression",
		"approvals.userRegistration.onPortalError": "fail, retry", "approvals.userRegistration.organisationApproval": "organisationRequest only",
		"adminToken": "required when approvals",
	} {
		if !strings.Contains(got[field], want) {
			t.Errorf("%s: %q, want it to say %q", field, got[field], want)
		}
	}
}

func TestPortalDefaultsAndDurations(t *testing.T) {
	p := portal.Portal{ID: "p1", Name: "P", BaseURL: "https://portal.example.com", AdminToken: "t",
		Approvals: map[portal.Kind]*portal.Policy{portal.KindOrganisationRequest: {
			Approvers: portal.Approvers{Emails: []string{"a@x.io"}}, RemindEvery: "12h", ExpireAfter: "2d",
			AutoApprove: `{Message.AdminEmail} == "boss@x.io"`}}}
	p.ApplyDefaults()
	if probs := p.Validate(false); len(probs) > 0 {
		t.Fatalf("problems: %+v", probs)
	}
	pol := p.Approvals[portal.KindOrganisationRequest]
	if p.InboundHeader != portal.DefaultInboundHeader || pol.RequiredApprovals != 1 || pol.OnExpiry != portal.OnExpiryReject ||
		pol.OnPortalError != portal.OnPortalErrorFail || pol.OrganisationApproval != portal.OrganisationRecord {
		t.Fatalf("defaults: %+v %+v", p, pol)
	}
	if pol.Remind() != 12*time.Hour || pol.Expiry() != 48*time.Hour {
		t.Fatalf("durations %v %v", pol.Remind(), pol.Expiry())
	}
	if !portal.SecretMatches(portal.HashSecret("s3cret"), "s3cret") || portal.SecretMatches(portal.HashSecret("s3cret"), "s3cre") ||
		portal.SecretMatches(nil, "") {
		t.Fatal("SecretMatches")
	}
}

// escalateTo: the first documented form (a list of emails) and the object
// with its own expiry; both answer as the object; bad parts are named.
func TestEscalateToForms(t *testing.T) {
	for _, body := range []string{`["chief@x.io"]`, `{"emails":["chief@x.io"],"channels":["ops"],"expireAfter":"48h"}`} {
		var pol portal.Policy
		if err := json.Unmarshal([]byte(`{"approvers":{"emails":["a@x.io"]},"expireAfter":"2h","onExpiry":"escalate","escalateTo":`+body+`}`), &pol); err != nil {
			t.Fatal(err)
		}
		p := portal.Portal{ID: "p1", Name: "P", BaseURL: "https://portal.example.com", AdminToken: "t",
			Approvals: map[portal.Kind]*portal.Policy{portal.KindAccessRequest: &pol}}
		p.ApplyDefaults()
		if probs := p.Validate(false); len(probs) > 0 {
			t.Fatalf("%s: %+v", body, probs)
		}
		want := 2 * time.Hour
		if strings.HasPrefix(body, "{") {
			want = 48 * time.Hour
		}
		if pol.EscalateTo.Emails[0] != "chief@x.io" || pol.EscalationExpiry() != want {
			t.Fatalf("%s: %+v expiry %v", body, pol.EscalateTo, pol.EscalationExpiry())
		}
		out, _ := json.Marshal(pol.EscalateTo)
		if !strings.HasPrefix(string(out), `{"emails":["chief@x.io"],"channels":[`) {
			t.Fatalf("answered as %s", out)
		}
	}
	var pol portal.Policy
	if err := json.Unmarshal([]byte(`{"escalateTo":{"emails":[],"expireAfter":"later","channel":["x"]}}`), &pol); err == nil ||
		!strings.Contains(err.Error(), "escalateTo") {
		t.Fatalf("unknown field: %v", err)
	}
	pol = portal.Policy{Approvers: portal.Approvers{Emails: []string{"a@x.io"}}, ExpireAfter: "2h", OnExpiry: portal.OnExpiryEscalate,
		EscalateTo: portal.Escalation{Emails: []string{"nope"}, Channels: []string{"bad id"}, ExpireAfter: "later"}}
	p := portal.Portal{ID: "p1", Name: "P", BaseURL: "https://portal.example.com", AdminToken: "t",
		Approvals: map[portal.Kind]*portal.Policy{portal.KindAccessRequest: &pol}}
	p.ApplyDefaults()
	got := map[string]bool{}
	for _, pr := range p.Validate(false) {
		got[pr.Field] = true
	}
	for _, f := range []string{"approvals.accessRequest.escalateTo.emails[0]", "approvals.accessRequest.escalateTo.channels[0]",
		"approvals.accessRequest.escalateTo.expireAfter"} {
		if !got[f] {
			t.Errorf("%s not named: %v", f, got)
		}
	}
}

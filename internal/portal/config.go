package portal

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gatehouse/internal/condition"
	"gatehouse/internal/iprules"
	"gatehouse/internal/signing"
)

// DefaultInboundHeader is the header the portal's webhook carries the
// inbound secret in (a custom header set on the portal's webhook).
const DefaultInboundHeader = "X-Gatehouse-Secret"

// Portal is one Tyk portal Gatehouse is connected to, as the API shows it.
// AdminToken, InboundSecret and StandardWebhooksSecret are write-only: they
// are read from a PUT and never answered; the *Set flags say whether one is
// stored.
type Portal struct {
	ID                        string           `json:"id"`
	Name                      string           `json:"name"`
	BaseURL                   string           `json:"baseUrl"`
	AdminToken                string           `json:"adminToken,omitempty"`
	AdminTokenSet             bool             `json:"adminTokenSet"`
	InboundSecret             string           `json:"inboundSecret,omitempty"`
	InboundSecretSet          bool             `json:"inboundSecretSet"`
	InboundHeader             string           `json:"inboundHeader"`
	AllowedAddresses          []string         `json:"allowedAddresses"`
	StandardWebhooksSecret    string           `json:"standardWebhooksSecret,omitempty"`
	StandardWebhooksSecretSet bool             `json:"standardWebhooksSecretSet"`
	Approvals                 map[Kind]*Policy `json:"approvals"`
	CreatedAt                 time.Time        `json:"createdAt"`
	UpdatedAt                 time.Time        `json:"updatedAt"`
}

// Policy is how one kind of request is approved. It is snapshotted into an
// approval when the approval starts.
type Policy struct {
	Approvers         Approvers `json:"approvers"`
	RequiredApprovals int       `json:"requiredApprovals"`
	// RemindEvery re-notifies approvers who have not voted, at most
	// MaxReminders times; 0 sends no reminders.
	// Durations are strings: Go's syntax ("90m", "1h30m") or whole days
	// ("2d"); see ParseDuration.
	RemindEvery  string `json:"remindEvery,omitempty"`
	MaxReminders int    `json:"maxReminders"`
	// ExpireAfter ends an undecided approval as OnExpiry says; empty never.
	ExpireAfter string `json:"expireAfter,omitempty"`
	OnExpiry    string `json:"onExpiry"`
	// EscalateTo is who is asked when OnExpiry is escalate, and for how long.
	EscalateTo Escalation `json:"escalateTo"`
	// AutoApprove is a condition over the event's Message ({Message.X} or
	// {event.object.X}); when true the approval starts decided.
	AutoApprove   string `json:"autoApprove,omitempty"`
	OnPortalError string `json:"onPortalError"`
	// OrganisationApproval (organisationRequest only): record the decision,
	// or create the organisation and move the requester into it.
	OrganisationApproval string `json:"organisationApproval,omitempty"`
}

// Approvers are who decides: emails get links, channels get the
// ApprovalRequested event.
type Approvers struct {
	Emails   []string `json:"emails"`
	Channels []string `json:"channels"`
}

// Escalation is the second approver list of onExpiry escalate. Its JSON is
// an object {"emails", "channels", "expireAfter"} or, as first documented,
// a list of emails; it is answered as the object.
type Escalation struct {
	Emails   []string `json:"emails"`
	Channels []string `json:"channels"`
	// ExpireAfter is the escalation's own expiry; empty: the policy's.
	ExpireAfter string `json:"expireAfter,omitempty"`
}

// UnmarshalJSON reads the object or the list of emails.
func (e *Escalation) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*e = Escalation{}
		return nil
	case len(b) > 0 && b[0] == '[':
		var emails []string
		if err := json.Unmarshal(b, &emails); err != nil {
			return fmt.Errorf("escalateTo: a list of emails or an object {emails, channels, expireAfter}: %w", err)
		}
		*e = Escalation{Emails: emails}
		return nil
	}
	type plain Escalation // without this method
	var v plain
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return fmt.Errorf("escalateTo: a list of emails or an object {emails, channels, expireAfter}: %w", err)
	}
	*e = Escalation(v)
	return nil
}

// Policy values.
const (
	OnExpiryReject   = "reject"
	OnExpiryApprove  = "approve"
	OnExpiryEscalate = "escalate"

	OnPortalErrorFail  = "fail"
	OnPortalErrorRetry = "retry"

	OrganisationRecord = "record"
	OrganisationCreate = "create-organisation"
)

// Limits of a portal's settings.
const (
	maxApprovers   = 50
	maxReminders   = 20
	maxExpireAfter = 366 * 24 * time.Hour
	minRemindEvery = time.Minute
)

var (
	idPattern     = regexp.MustCompile(`^[A-Za-z0-9_-]{1,40}$`)
	headerPattern = regexp.MustCompile("^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}$")
	channelIDPat  = regexp.MustCompile(`^[A-Za-z0-9_-]{1,40}$`)
)

// ValidID reports whether s can be a portal id: 1-40 letters, digits, '_'
// or '-' (it goes into workflow ids, event object ids and sources).
func ValidID(s string) bool { return idPattern.MatchString(s) }

// IDRule says what ValidID accepts, for error messages.
const IDRule = "must be 1-40 letters, digits, '_' or '-'"

// ApplyDefaults fills what a PUT may leave out.
func (p *Portal) ApplyDefaults() {
	if p.InboundHeader == "" {
		p.InboundHeader = DefaultInboundHeader
	}
	if p.AllowedAddresses == nil {
		p.AllowedAddresses = []string{}
	}
	if p.Approvals == nil {
		p.Approvals = map[Kind]*Policy{}
	}
	for k, pol := range p.Approvals {
		pol.ApplyDefaults(k)
	}
}

// ApplyDefaults fills what a policy of kind k may leave out (nil: nothing).
func (pol *Policy) ApplyDefaults(k Kind) {
	if pol == nil {
		return
	}
	if pol.RequiredApprovals == 0 {
		pol.RequiredApprovals = 1
	}
	if pol.OnExpiry == "" {
		pol.OnExpiry = OnExpiryReject
	}
	if pol.OnPortalError == "" {
		pol.OnPortalError = OnPortalErrorFail
	}
	if k == KindOrganisationRequest && pol.OrganisationApproval == "" {
		pol.OrganisationApproval = OrganisationRecord
	}
	if pol.Approvers.Emails == nil {
		pol.Approvers.Emails = []string{}
	}
	if pol.Approvers.Channels == nil {
		pol.Approvers.Channels = []string{}
	}
	if pol.EscalateTo.Emails == nil {
		pol.EscalateTo.Emails = []string{}
	}
	if pol.EscalateTo.Channels == nil {
		pol.EscalateTo.Channels = []string{}
	}
}

// Validate checks a portal after ApplyDefaults and names every bad field.
// adminTokenStored says whether a token is already stored (a PUT may leave
// the write-only token out).
func (p *Portal) Validate(adminTokenStored bool) []Problem {
	var probs []Problem
	bad := func(field, format string, a ...any) {
		probs = append(probs, Problem{Field: field, Reason: fmt.Sprintf(format, a...)})
	}
	if !ValidID(p.ID) {
		bad("id", IDRule)
	}
	switch {
	case strings.TrimSpace(p.Name) == "":
		bad("name", "is required")
	case len(p.Name) > 255:
		bad("name", "must be at most 255 bytes")
	case hasControl(p.Name):
		bad("name", "must not contain control characters")
	}
	if u, err := url.Parse(p.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(p.BaseURL) > 2048 {
		bad("baseUrl", "must be an http or https URL of at most 2048 bytes, e.g. https://portal.example.com")
	} else if u.User != nil {
		bad("baseUrl", "must not carry credentials; use adminToken")
	}
	switch {
	case len(p.AdminToken) > 512:
		bad("adminToken", "must be at most 512 bytes")
	case hasControl(p.AdminToken) || strings.ContainsAny(p.AdminToken, " "):
		bad("adminToken", "must not contain spaces or control characters")
	}
	if p.InboundSecret != "" && (len(p.InboundSecret) < 24 || len(p.InboundSecret) > 256 || hasControl(p.InboundSecret)) {
		bad("inboundSecret", "must be 24-256 printable characters; or generate one with POST /api/v1/portals/{portalId}/inbound-secret")
	}
	if !headerPattern.MatchString(p.InboundHeader) {
		bad("inboundHeader", "must be an HTTP header name, e.g. %s", DefaultInboundHeader)
	}
	if len(p.AllowedAddresses) > 1000 {
		bad("allowedAddresses", "at most 1000 rules")
	}
	for i, a := range p.AllowedAddresses {
		if _, err := iprules.ParseRule(a); err != nil {
			bad(fmt.Sprintf("allowedAddresses[%d]", i), "%v", err)
		}
	}
	if p.StandardWebhooksSecret != "" {
		if _, err := signing.ParseSecret(p.StandardWebhooksSecret); err != nil {
			bad("standardWebhooksSecret", "%s", err.Error())
		}
	}
	kinds := make([]string, 0, len(p.Approvals))
	for k := range p.Approvals {
		kinds = append(kinds, string(k))
	}
	slices.Sort(kinds)
	for _, ks := range kinds {
		field := "approvals." + ks
		k, err := ParseKind(ks)
		if err != nil {
			bad(field, "%s", err.Error())
			continue
		}
		pol := p.Approvals[k]
		if pol == nil {
			bad(field, "must be an object; leave the kind out to approve nothing")
			continue
		}
		probs = append(probs, pol.validate(k, field)...)
	}
	if len(p.Approvals) > 0 && p.AdminToken == "" && !adminTokenStored {
		bad("adminToken", "is required when approvals are configured (Gatehouse calls the portal back with it)")
	}
	return probs
}

// Validate checks a policy of kind k after ApplyDefaults; field prefixes
// the names of bad fields.
func (pol *Policy) Validate(k Kind, field string) []Problem { return pol.validate(k, field) }

func (pol *Policy) validate(k Kind, field string) []Problem {
	var probs []Problem
	bad := func(f, format string, a ...any) {
		probs = append(probs, Problem{Field: field + "." + f, Reason: fmt.Sprintf(format, a...)})
	}
	emails := func(f string, list []string) {
		if len(list) > maxApprovers {
			bad(f, "at most %d", maxApprovers)
		}
		for i, e := range list {
			if a, err := mail.ParseAddress(e); err != nil || a.Address != e || len(e) > 254 {
				bad(fmt.Sprintf("%s[%d]", f, i), "%q is not an email address", clamp(e, 64))
			}
		}
	}
	channels := func(f string, list []string) {
		if len(list) > maxApprovers {
			bad(f, "at most %d", maxApprovers)
		}
		for i, c := range list {
			if !channelIDPat.MatchString(c) {
				bad(fmt.Sprintf("%s[%d]", f, i), "%q is not a channel id", clamp(c, 64))
			}
		}
	}
	emails("approvers.emails", pol.Approvers.Emails)
	channels("approvers.channels", pol.Approvers.Channels)
	auto := strings.TrimSpace(pol.AutoApprove) != ""
	if len(pol.Approvers.Emails) == 0 && len(pol.Approvers.Channels) == 0 && !auto {
		bad("approvers", "name at least one email or channel, or set autoApprove")
	}
	switch {
	case pol.RequiredApprovals < 1:
		bad("requiredApprovals", "must be at least 1")
	case len(pol.Approvers.Emails)+len(pol.Approvers.Channels) > 0 && pol.RequiredApprovals > len(pol.Approvers.Emails)+len(pol.Approvers.Channels):
		bad("requiredApprovals", "is %d but only %d approvers (emails and channels) can vote", pol.RequiredApprovals,
			len(pol.Approvers.Emails)+len(pol.Approvers.Channels))
	}
	if d, err := ParseDuration(pol.RemindEvery); err != nil {
		bad("remindEvery", "%s", err.Error())
	} else if d != 0 && d < minRemindEvery {
		bad("remindEvery", "must be empty (no reminders) or at least 1m")
	}
	if pol.MaxReminders < 0 || pol.MaxReminders > maxReminders {
		bad("maxReminders", "must be 0-%d", maxReminders)
	}
	if d, err := ParseDuration(pol.ExpireAfter); err != nil {
		bad("expireAfter", "%s", err.Error())
	} else if d > maxExpireAfter {
		bad("expireAfter", "must be at most 366d")
	}
	switch pol.OnExpiry {
	case OnExpiryReject, OnExpiryApprove:
	case OnExpiryEscalate:
		if len(pol.EscalateTo.Emails) == 0 && len(pol.EscalateTo.Channels) == 0 {
			bad("escalateTo", "is required when onExpiry is escalate (a list of emails or {emails, channels, expireAfter})")
		}
		if d, err := ParseDuration(pol.ExpireAfter); err == nil && d == 0 {
			bad("expireAfter", "is required when onExpiry is escalate")
		}
	default:
		bad("onExpiry", "must be one of reject, approve, escalate")
	}
	emails("escalateTo.emails", pol.EscalateTo.Emails)
	channels("escalateTo.channels", pol.EscalateTo.Channels)
	if d, err := ParseDuration(pol.EscalateTo.ExpireAfter); err != nil {
		bad("escalateTo.expireAfter", "%s", err.Error())
	} else if d > maxExpireAfter {
		bad("escalateTo.expireAfter", "must be at most 366d")
	}
	if auto && k == KindSiteRegistration {
		bad("autoApprove", "applies to portal approvals only; a site's registrations are held for people")
	} else if auto {
		if _, err := CompileAutoApprove(pol.AutoApprove); err != nil {
			bad("autoApprove", "%s", err.Error())
		}
	}
	switch pol.OnPortalError {
	case OnPortalErrorFail, OnPortalErrorRetry:
	default:
		bad("onPortalError", "must be one of fail, retry")
	}
	switch {
	case k != KindOrganisationRequest && pol.OrganisationApproval != "":
		bad("organisationApproval", "applies to organisationRequest only")
	case k == KindOrganisationRequest && pol.OrganisationApproval != OrganisationRecord && pol.OrganisationApproval != OrganisationCreate:
		bad("organisationApproval", "must be one of record, create-organisation")
	}
	return probs
}

// CompileAutoApprove compiles an autoApprove condition. {Message.X} reads
// the event's Message, as {event.object.X} does.
func CompileAutoApprove(code string) (*condition.Program, error) {
	return condition.CompileBool(strings.ReplaceAll(code, "{Message.", "{event.object."))
}

func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f })
}

// Remind is RemindEvery as a span; 0 when empty or invalid (Validate
// refuses invalid ones before a policy is stored).
func (pol *Policy) Remind() time.Duration {
	d, _ := ParseDuration(pol.RemindEvery)
	return d
}

// Expiry is ExpireAfter as a span; 0 (never) when empty.
func (pol *Policy) Expiry() time.Duration {
	d, _ := ParseDuration(pol.ExpireAfter)
	return d
}

// EscalationExpiry is how long the escalation waits: escalateTo's own
// expireAfter, else the policy's.
func (pol *Policy) EscalationExpiry() time.Duration {
	if d, _ := ParseDuration(pol.EscalateTo.ExpireAfter); d > 0 {
		return d
	}
	return pol.Expiry()
}

// ParseDuration reads a policy duration: Go's syntax ("90m", "1h30m") or
// whole days ("2d"); "" and "0" are 0. Negative spans are refused.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "0" {
		return 0, nil
	}
	bad := fmt.Errorf("%q is not a duration (e.g. 30m, 12h, 2d)", clamp(s, 32))
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 || n > 3660 {
			return 0, bad
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		return 0, bad
	}
	return v, nil
}

// ChannelFields lists every channel a policy names, with the field that
// names it (the PUT checks that each exists).
func (pol *Policy) ChannelFields(field string) (fields, ids []string) {
	if pol == nil {
		return nil, nil
	}
	for i, c := range pol.Approvers.Channels {
		fields = append(fields, fmt.Sprintf("%s.approvers.channels[%d]", field, i))
		ids = append(ids, c)
	}
	for i, c := range pol.EscalateTo.Channels {
		fields = append(fields, fmt.Sprintf("%s.escalateTo.channels[%d]", field, i))
		ids = append(ids, c)
	}
	return fields, ids
}

package notify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"time"

	"gatehouse/internal/domain"
	"gatehouse/internal/portal"
	"gatehouse/internal/signing"
)

// Channel statuses.
const (
	ChannelActive   = "active"
	ChannelDisabled = "disabled"
)

// RotationOverlap is how long the previous secret keeps signing after a
// rotation, so receivers can switch without dropping a delivery.
const RotationOverlap = 24 * time.Hour

// Header is one channel header.
type Header struct {
	Name  string `json:"name" validate:"required,max=128"`
	Value string `json:"value" validate:"max=4096"`
}

// Channel is a Tyk-portal-style webhook channel: a target URL and the
// event names it receives. The secret is not part of it (write-only).
type Channel struct {
	ID             string    `json:"id"`
	Name           string    `json:"name"`
	TargetURL      string    `json:"targetUrl"`
	Method         string    `json:"method"`
	TimeoutSeconds int       `json:"timeoutSeconds"`
	Headers        []Header  `json:"headers"`
	Events         []string  `json:"events"`
	RetrySchedule  string    `json:"retrySchedule,omitempty"`
	Status         string    `json:"status"`
	DisabledReason string    `json:"disabledReason,omitempty"`
	SecretRotating bool      `json:"secretRotating"`
	CreatedAt      time.Time `json:"createdAt"`
	UpdatedAt      time.Time `json:"updatedAt"`
	// FailingSince is when the channel's current failure streak began (nil:
	// its last request succeeded). Kept by the deliverer, not part of the API.
	FailingSince *time.Time `json:"-"`
}

// ChannelSecrets are the signing secrets of a channel.
type ChannelSecrets struct {
	Secret        string
	Previous      string
	PreviousUntil *time.Time
}

// Active returns the secrets to sign with at now: the current one and,
// during a rotation, the previous one.
func (s ChannelSecrets) Active(now time.Time) []string {
	out := []string{s.Secret}
	if s.Previous != "" && s.PreviousUntil != nil && now.Before(*s.PreviousUntil) {
		out = append(out, s.Previous)
	}
	return out
}

// Matches reports whether an active channel subscribes to the event.
func (c *Channel) Matches(e *Event) bool {
	return c.Status == ChannelActive && slices.Contains(c.Events, e.EventType)
}

// Schedule is the channel's retry schedule or the default.
func (c *Channel) Schedule() []time.Duration {
	if s, err := ParseSchedule(c.RetrySchedule); err == nil && s != nil {
		return s
	}
	return DefaultSchedule
}

// ChannelPayload is the Tyk portal's webhook body.
type ChannelPayload struct {
	Event     string         `json:"Event"`
	Message   map[string]any `json:"Message"`
	Timestamp string         `json:"Timestamp"`
}

// BuildChannelRequest renders a channel delivery. The body is the same on
// every attempt; only the Standard Webhooks timestamp moves.
func BuildChannelRequest(c *Channel, secrets ChannelSecrets, e *Event, deliveryID string, now time.Time) (Request, error) {
	body, err := channelBody(e)
	if err != nil {
		return Request{}, err
	}
	req := Request{Method: c.Method, URL: c.TargetURL, Header: http.Header{}, Body: body,
		Timeout: time.Duration(c.TimeoutSeconds) * time.Second}
	if req.Method == "" {
		req.Method = http.MethodPost
	}
	if req.Timeout <= 0 {
		req.Timeout = DefaultTimeoutSeconds * time.Second
	}
	for _, h := range c.Headers {
		req.Header.Set(h.Name, h.Value)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", UserAgent)
	sh, err := signing.StandardHeaders(deliveryID, now, body, secrets.Active(now)...)
	if err != nil {
		return Request{}, err
	}
	for k, v := range sh {
		req.Header[k] = v
	}
	return req, nil
}

// channelBody is the Tyk shape of an event. A portal event goes out as the
// portal sent it: its Message byte for byte and its own Timestamp (under
// the Organisation* name). Gatehouse's user events keep their names and
// fields and add the Tyk user fields, so one consumer reads both.
func channelBody(e *Event) ([]byte, error) {
	if e.EventObjectType == domain.ObjectTypePortalEvent && e.SentTimestamp != "" && json.Valid(e.Raw) {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		b.WriteString(`{"Event":`)
		if err := enc.Encode(e.EventType); err != nil {
			return nil, err
		}
		b.Truncate(b.Len() - 1) // Encode's newline
		b.WriteString(`,"Message":`)
		b.Write(e.Raw)
		b.WriteString(`,"Timestamp":`)
		if err := enc.Encode(e.SentTimestamp); err != nil {
			return nil, err
		}
		b.Truncate(b.Len() - 1)
		b.WriteString("}")
		return b.Bytes(), nil
	}
	msg := e.Object
	if msg == nil {
		msg = map[string]any{}
	}
	if e.EventObjectType == domain.ObjectTypeUser {
		msg = withTykUserFields(msg, e.SiteID)
	}
	return json.Marshal(ChannelPayload{Event: e.EventType, Message: msg, Timestamp: e.OccurredAt.Format(time.RFC3339Nano)})
}

// withTykUserFields adds the portal's user fields (UserMessage) to a
// Gatehouse user object: ID, Email, First, Last, OrgID (the site),
// Provider, Status (active or inactive), CreatedAt, ByUser (0: no portal
// admin) and CustomAttributes (the user object's fields). A field the
// object already has is kept.
func withTykUserFields(obj map[string]any, siteID *string) map[string]any {
	str := func(k string) string { s, _ := obj[k].(string); return s }
	org := str("siteId")
	if org == "" && siteID != nil {
		org = *siteID
	}
	status := portal.UserInactive
	if str("status") == domain.UserActive {
		status = portal.UserActive
	}
	attrs := []map[string]string{}
	if uo, ok := obj["userObject"].(map[string]any); ok {
		for _, k := range slices.Sorted(maps.Keys(uo)) {
			v, ok := uo[k].(string)
			if !ok {
				v = fmt.Sprint(uo[k])
			}
			attrs = append(attrs, map[string]string{"Identifier": k, "Value": v})
		}
	}
	tyk := map[string]any{"ID": str("id"), "Email": str("email"), "First": str("firstName"), "Last": str("lastName"),
		"OrgID": org, "Provider": "gatehouse", "Status": status, "CreatedAt": str("createdAt"), "ByUser": 0,
		"CustomAttributes": attrs}
	out := maps.Clone(obj)
	for k, v := range tyk {
		if _, ok := out[k]; !ok {
			out[k] = v
		}
	}
	return out
}

package notify

import (
	"encoding/json"
	"net/http"
	"slices"
	"time"

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
	msg := e.Object
	if msg == nil {
		msg = map[string]any{}
	}
	body, err := json.Marshal(ChannelPayload{Event: e.EventType, Message: msg, Timestamp: e.OccurredAt.Format(time.RFC3339Nano)})
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

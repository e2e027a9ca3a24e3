package portal

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxBody is the largest webhook body the portal's events need (1 MiB); the
// gateway answers 413 above it.
const MaxBody = 1 << 20

// Envelope is the portal's webhook body as sent.
type Envelope struct {
	Event     string          `json:"Event"`
	Message   json.RawMessage `json:"Message"`
	Timestamp string          `json:"Timestamp"`
}

// Event is a decoded, validated portal webhook.
type Event struct {
	// Name is the stored spelling (Organisation*).
	Name string
	// SentName is the name as received (Organization* kept for the audit).
	SentName string
	// Message is the raw Message object, stored and forwarded unchanged.
	Message json.RawMessage
	// Payload is the typed message: *UserMessage, *ApplicationMessage,
	// *CredentialMessage, *AccessRequestMessage, *OrganisationMessage,
	// *OrganisationRequestMessage or InviteMessage.
	Payload any
	// Timestamp is the portal's clock: identity for deduplication only,
	// never used to order work.
	Timestamp time.Time
	// RawTimestamp is the Timestamp as sent.
	RawTimestamp string
}

// Problem is one thing wrong with a body, by field.
type Problem struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// InvalidError lists what is wrong with a webhook body (a 400).
type InvalidError struct{ Problems []Problem }

func (e *InvalidError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.Field + ": " + p.Reason
	}
	return "invalid portal event: " + strings.Join(parts, "; ")
}

// Decode validates a webhook body and decodes its message. Every problem
// found is named; an unknown event name comes with the closest accepted one
// and the list of accepted names.
func Decode(body []byte) (*Event, error) {
	bad := func(field, format string, a ...any) error {
		return &InvalidError{Problems: []Problem{{Field: field, Reason: fmt.Sprintf(format, a...)}}}
	}
	if len(body) > MaxBody {
		return nil, bad("body", "larger than %d bytes", MaxBody)
	}
	if !utf8.Valid(body) {
		return nil, bad("body", "not valid UTF-8")
	}
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, bad("body", "must be a JSON object {\"Event\", \"Message\", \"Timestamp\"}")
	}
	var raw struct {
		Event     *string         `json:"Event"`
		Message   json.RawMessage `json:"Message"`
		Timestamp *string         `json:"Timestamp"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, bad("body", "not a valid envelope: %s", jsonReason(err))
	}
	var probs []Problem
	add := func(field, format string, a ...any) {
		probs = append(probs, Problem{Field: field, Reason: fmt.Sprintf(format, a...)})
	}
	ev := &Event{}
	switch {
	case raw.Event == nil || *raw.Event == "":
		add("Event", "required; accepted: %s", strings.Join(eventNames, ", "))
	default:
		ev.SentName = *raw.Event
		name, ok := Canonical(ev.SentName)
		if !ok {
			add("Event", "%s", UnknownName("event", ev.SentName, eventNames).Error())
		}
		ev.Name = name
	}
	msg := bytes.TrimSpace(raw.Message)
	switch {
	case len(msg) == 0 || string(msg) == "null":
		add("Message", "required, a JSON object")
	case msg[0] != '{':
		add("Message", "must be a JSON object")
	default:
		ev.Message = append(json.RawMessage(nil), msg...)
	}
	switch {
	case raw.Timestamp == nil || *raw.Timestamp == "":
		add("Timestamp", "required, e.g. 2024-04-22T16:38:54.082037+02:00")
	default:
		t, err := ParseTime(*raw.Timestamp)
		if err != nil {
			add("Timestamp", "%s", err.Error())
		}
		ev.Timestamp, ev.RawTimestamp = t, *raw.Timestamp
	}
	if ev.Name != "" && ev.Message != nil {
		p, err := decodeMessage(ev.Name, ev.Message)
		if err != nil {
			add("Message", "does not match the %s payload: %s", ev.Name, jsonReason(err))
		}
		ev.Payload = p
	}
	if len(probs) > 0 {
		return nil, &InvalidError{Problems: probs}
	}
	return ev, nil
}

// jsonReason shortens encoding/json's messages for API errors.
func jsonReason(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return fmt.Sprintf("field %s: got JSON %s, want %s", te.Field, te.Value, te.Type)
	}
	return clamp(strings.TrimPrefix(err.Error(), "json: "), 200)
}

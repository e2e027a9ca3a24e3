package notify

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"gatehouse/internal/condition"
	"gatehouse/internal/domain"
)

// Event is what matching and rendering need of a stored event.
type Event struct {
	ID              string
	EventType       string
	EventObjectType string
	ObjectID        string
	SiteID          *string
	Object          map[string]any
	Previous        map[string]any // the snapshot before this event, if any
	ChangedFields   []string
	Source          string
	OccurredAt      time.Time
	// Raw is the object as stored; channels forward a portal event's
	// Message with it byte for byte.
	Raw json.RawMessage
	// SentTimestamp is the sender's Timestamp as received (portal events).
	SentTimestamp string
}

// EventFrom converts a stored event for matching and rendering.
func EventFrom(se domain.StoredEvent) *Event {
	return &Event{ID: se.ID, EventType: se.EventType, EventObjectType: se.EventObjectType, ObjectID: se.ObjectID,
		SiteID: se.SiteID, Object: DecodeObject(se.Object), Previous: DecodeObject(se.Previous),
		ChangedFields: se.ChangedFields, Source: se.Source, OccurredAt: se.OccurredAt,
		Raw: se.Object, SentTimestamp: se.SentTimestamp}
}

// DecodeObject parses an object's JSON; a non-object becomes {"value": v}.
func DecodeObject(raw []byte) map[string]any {
	if len(raw) == 0 {
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err == nil {
		return m
	}
	var v any
	if json.Unmarshal(raw, &v) == nil {
		return map[string]any{"value": v}
	}
	return nil
}

// kalturaTypes maps Gatehouse's named user events to Kaltura's numeric
// event types, so a template on (OBJECT_ADDED, KUSER) fires for
// UserRegistered just as one on the name does.
var kalturaTypes = map[string]string{
	"UserRegistered":         "1",
	"UserUpdated":            "2",
	"UserAccountActivated":   "2",
	"UserAccountDeactivated": "2",
	"UserDeleted":            "7",
}

// KalturaAlias is the numeric Kaltura event type of a named event, or "".
func KalturaAlias(eventType string) string { return kalturaTypes[eventType] }

// EventTypeMatches reports whether a template's eventType selects the event.
func EventTypeMatches(templateType, eventType string) bool {
	if templateType == eventType {
		return true
	}
	return kalturaTypes[eventType] == templateType
}

// Env is the evaluation environment of an event.
func (e *Event) Env(params map[string]string) condition.Env {
	return condition.Env{
		Object: e.Object,
		Event: map[string]any{
			"id": e.ID, "eventType": e.EventType, "objectType": e.EventObjectType,
			"eventObjectType": e.EventObjectType, "objectId": e.ObjectID, "source": e.Source,
		},
		Params: params,
	}
}

// BooleanLookup returns a boolean template by id (nil when missing).
type BooleanLookup func(id int64) *NotificationTemplate

// Matches reports whether an ACTIVE, automatic template fires for the
// event: event type, object type, then every condition (ANDed).
func (t *NotificationTemplate) Matches(e *Event, lookup BooleanLookup) (bool, error) {
	if t.Status != StatusActive || !t.AutomaticDispatchEnabled || t.Type == TypeBoolean {
		return false, nil
	}
	if !EventTypeMatches(t.EventType, e.EventType) || t.EventObjectType != e.EventObjectType {
		return false, nil
	}
	return t.ConditionsHold(e, lookup, 0)
}

// ConditionsHold evaluates the conditions alone (boolean templates use it).
func (t *NotificationTemplate) ConditionsHold(e *Event, lookup BooleanLookup, depth int) (bool, error) {
	if depth > 5 {
		return false, fmt.Errorf("boolean templates nest deeper than 5 (a cycle?)")
	}
	params := UserParams(t)
	for i, c := range t.EventConditions {
		ok, err := c.holds(e, params, lookup, depth)
		if err != nil {
			return false, fmt.Errorf("condition %d (%s): %w", i, c.ObjectType, err)
		}
		if !ok {
			return false, nil
		}
	}
	return true, nil
}

func (c *Condition) holds(e *Event, params map[string]string, lookup BooleanLookup, depth int) (bool, error) {
	switch c.ObjectType {
	case CondField:
		p, err := compiled(c.Field.Code, true)
		if err != nil {
			return false, err
		}
		return p.Bool(e.Env(params))
	case CondObjectChanged:
		changed := map[string]bool{}
		for _, f := range e.ChangedFields {
			changed[strings.ToLower(f)] = true
		}
		// Kaltura fires when any listed column changed.
		for _, col := range SplitList(c.ModifiedColumns) {
			if changed[strings.ToLower(col)] {
				return true, nil
			}
		}
		return false, nil
	case CondMetadataChanged:
		path := Substitute(c.XPath, params, nil)
		before, _ := lookupPath(e.Previous, path)
		after, _ := lookupPath(e.Object, path)
		return !reflect.DeepEqual(before, after), nil
	case CondBoolean:
		for _, s := range SplitList(c.BooleanEventNotificationIDs) {
			id, _ := strconv.ParseInt(s, 10, 64)
			bt := lookup(id)
			if bt == nil {
				return false, fmt.Errorf("boolean template %d does not exist", id)
			}
			ok, err := bt.ConditionsHold(e, lookup, depth+1)
			if err != nil || !ok {
				return false, err
			}
		}
		return true, nil
	}
	return false, fmt.Errorf("unknown condition type %q", c.ObjectType)
}

// lookupPath reads "/metadata/ApprovalStatus" or "metadata.ApprovalStatus"
// from a nested object. The root element of an XPath may be the object
// itself ("/metadata/X" finds X in {"metadata": {"X": ..}} or in {"X": ..}).
func lookupPath(obj map[string]any, path string) (any, bool) {
	if obj == nil {
		return nil, false
	}
	sep := "."
	if strings.HasPrefix(path, "/") {
		sep = "/"
	}
	parts := strings.FieldsFunc(path, func(r rune) bool { return string(r) == sep })
	if v, ok := walk(obj, parts); ok {
		return v, true
	}
	if len(parts) > 1 {
		return walk(obj, parts[1:])
	}
	return nil, false
}

func walk(obj map[string]any, parts []string) (any, bool) {
	var cur any = obj
	for _, p := range parts {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[p]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// ContentValues evaluates the content parameters for an event; static
// user parameters are included, content parameters win on a clash.
func (t *NotificationTemplate) ContentValues(e *Event) (map[string]string, error) {
	params := UserParams(t)
	out := map[string]string{}
	for k, v := range params {
		out[k] = v
	}
	for _, p := range t.ContentParameters {
		v, err := EvalValue(p.Value, e, params)
		if err != nil {
			return nil, fmt.Errorf("contentParameters %s: %w", p.Key, err)
		}
		out[p.Key] = v
	}
	return out, nil
}

// EvalValue resolves a static or evaluated value.
func EvalValue(v *Value, e *Event, params map[string]string) (string, error) {
	if v == nil {
		return "", nil
	}
	if !v.Evaluated() {
		return Substitute(v.Value, params, nil), nil
	}
	p, err := compiled(v.Code, false)
	if err != nil {
		return "", err
	}
	return p.String(e.Env(params))
}

// programs caches compiled expressions: templates are few, events many.
var programs sync.Map // "b:" or "s:" + code -> *condition.Program

func compiled(code string, boolean bool) (*condition.Program, error) {
	key := "s:" + code
	if boolean {
		key = "b:" + code
	}
	if p, ok := programs.Load(key); ok {
		return p.(*condition.Program), nil
	}
	var p *condition.Program
	var err error
	if boolean {
		p, err = condition.CompileBool(code)
	} else {
		p, err = condition.CompileString(code)
	}
	if err != nil {
		return nil, err
	}
	programs.Store(key, p)
	return p, nil
}

// SplitList splits a comma-separated list, dropping blanks.
func SplitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

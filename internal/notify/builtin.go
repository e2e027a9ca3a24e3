package notify

import (
	"fmt"
	"strings"
)

// BuiltinTokens are the content parameters Kaltura's email templates
// resolve without a definition (seed 001, section 10.5). A template's own
// contentParameters win over them.
var BuiltinTokens = []string{"entry_id", "entry_name", "entry_description", "entry_url", "category_name",
	"owner_name", "owner_email", "partner_name"}

// Owner is the user an event's object belongs to ({event.object.userId}):
// an entry's owner, the user of a category membership.
type Owner struct {
	Name  string
	Email string
}

// OwnerID is the id the object names its owner by, "" when it has none.
func OwnerID(e *Event) string { return objectText(e.Object, "userId") }

// UsesOwner reports whether the email needs the owner looked up.
func (t *NotificationTemplate) UsesOwner() bool {
	text := t.Subject + t.Body
	return strings.Contains(text, "{owner_name}") || strings.Contains(text, "{owner_email}")
}

// BuiltinValues resolves the built-in tokens from the event's object and
// its owner (nil: not found). Every token gets a value, "" when the object
// lacks it, so no literal {...} is left in an email. partnerName is the
// account's name when the object does not carry one.
func BuiltinValues(e *Event, owner *Owner, partnerName string) map[string]string {
	o := e.Object
	first := func(keys ...string) string {
		for _, k := range keys {
			if v := objectText(o, k); v != "" {
				return v
			}
		}
		return ""
	}
	v := map[string]string{
		"entry_id":          first("id", "entryId"),
		"entry_name":        first("name", "entryName"),
		"entry_description": first("description"),
		"entry_url":         first("url", "dataUrl", "downloadUrl"),
		"category_name":     first("categoryName", "categoryFullName"),
		"partner_name":      first("partnerName"),
	}
	if v["entry_id"] == "" {
		v["entry_id"] = e.ObjectID
	}
	switch e.EventObjectType {
	case "2": // a category: its own name
		if v["category_name"] == "" {
			v["category_name"] = first("name", "fullName")
		}
	case "12": // a category membership names its category by id
		if v["category_name"] == "" {
			v["category_name"] = first("categoryId", "categoryFullIds")
		}
	}
	if v["partner_name"] == "" {
		v["partner_name"] = partnerName
	}
	if owner != nil {
		v["owner_name"], v["owner_email"] = owner.Name, owner.Email
	} else {
		v["owner_name"], v["owner_email"] = OwnerID(e), ""
	}
	return v
}

// objectText reads a scalar field of an event object as text.
func objectText(o map[string]any, key string) string {
	switch x := o[key].(type) {
	case nil:
		return ""
	case string:
		return x
	case float64, int, int64, bool:
		return scalar(x)
	default:
		return fmt.Sprint(x)
	}
}

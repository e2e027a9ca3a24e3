package notify

import (
	"fmt"
	"strconv"
	"strings"

	"gatehouse/internal/kform"
)

// FieldError is one bad field, named the way the caller sent it
// (eventNotificationTemplate[eventConditions][0][field][code]).
type FieldError struct {
	Field   string
	Code    string // Kaltura error code
	Message string
}

func (e FieldError) Error() string { return e.Field + ": " + e.Message }

// Kaltura error codes used for fields.
const (
	CodeCannotBeNull   = "PROPERTY_VALIDATION_CANNOT_BE_NULL"
	CodeNotUpdatable   = "PROPERTY_VALIDATION_NOT_UPDATABLE"
	CodeInvalidValue   = "PROPERTY_VALIDATION_WRONG_FORMAT"
	CodeInvalidEnum    = "INVALID_ENUM_VALUE"
	CodeUnknownProp    = "PROPERTY_VALIDATION_UNKNOWN_PROPERTY"
	CodeInvalidObjType = "INVALID_OBJECT_TYPE"
)

// Mode says which action applies the form: add and clone may set status
// (only to DISABLED, as templates start disabled); update may not.
type Mode int

// Modes of ApplyForm.
const (
	ModeAdd Mode = iota
	ModeUpdate
)

// ignored are Kaltura properties that are read-only or that Gatehouse
// accepts without using; sending them is not an error.
var ignored = map[string]bool{
	"id": true, "partnerId": true, "createdAt": true, "updatedAt": true, "type": true,
	"requiredCopyTemplatePermissions": true, "sslEngine": true, "sslEngineKey": true,
	"responseProfileId": true, "messageLanguage": true, "disabledReason": true,
}

type applier struct {
	prefix string
	errs   []FieldError
}

func (a *applier) name(path ...string) string {
	var b strings.Builder
	b.WriteString(a.prefix)
	for _, p := range path {
		b.WriteString("[" + p + "]")
	}
	return b.String()
}

func (a *applier) fail(code, msg string, path ...string) {
	a.errs = append(a.errs, FieldError{Field: a.name(path...), Code: code, Message: msg})
}

func (a *applier) int(n *kform.Node, key string, dst *int, allowed ...int) {
	v, ok := n.String(key)
	if !ok {
		return
	}
	i, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		a.fail(CodeInvalidValue, fmt.Sprintf("%q is not an integer", v), key)
		return
	}
	if len(allowed) > 0 && !contains(allowed, i) {
		a.fail(CodeInvalidEnum, fmt.Sprintf("%d is not one of %v", i, allowed), key)
		return
	}
	*dst = i
}

func (a *applier) bool(n *kform.Node, key string, dst *bool) {
	v, ok := n.String(key)
	if !ok {
		return
	}
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "true":
		*dst = true
	case "0", "false", "":
		*dst = false
	default:
		a.fail(CodeInvalidValue, fmt.Sprintf("%q is not a boolean (1/0/true/false)", v), key)
	}
}

func (a *applier) str(n *kform.Node, key string, dst *string) {
	if v, ok := n.String(key); ok {
		*dst = v
	}
}

func contains(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// ApplyForm writes the fields present under node onto t and sec; fields
// not present stay as they are (Kaltura's update semantics). Lists
// (conditions, parameters, headers, recipients) are replaced as a whole.
func ApplyForm(node *kform.Node, prefix string, mode Mode, t *Template, sec *Secrets) []FieldError {
	a := &applier{prefix: prefix}
	if node == nil {
		a.fail(CodeCannotBeNull, "the template object is missing")
		return a.errs
	}
	objType, _ := node.String("objectType")
	if objType == "" {
		a.fail(CodeCannotBeNull, "objectType is required (KalturaHttpNotificationTemplate or KalturaEmailNotificationTemplate)", "objectType")
		return a.errs
	}
	typ, ok := TypeOf(objType)
	if !ok {
		a.fail(CodeInvalidObjType, fmt.Sprintf("%q is not a template object type", objType), "objectType")
		return a.errs
	}
	if t.Type != "" && t.Type != typ {
		a.fail(CodeInvalidObjType, fmt.Sprintf("the template is a %s, not a %s", t.ObjectType(), objType), "objectType")
		return a.errs
	}
	t.Type = typ

	for _, key := range node.Keys() {
		if !known(key) && !ignored[key] {
			a.fail(CodeUnknownProp, fmt.Sprintf("%s has no property %q", objType, key), key)
		}
	}
	if v, ok := node.String("status"); ok {
		if mode == ModeUpdate {
			a.fail(CodeNotUpdatable, "status cannot be changed by update; use the updateStatus action", "status")
		} else if strings.TrimSpace(v) != strconv.Itoa(StatusDisabled) {
			a.fail(CodeNotUpdatable, "templates are created DISABLED (status=1); activate with updateStatus", "status")
		}
	}

	a.str(node, "name", &t.Name)
	a.str(node, "systemName", &t.SystemName)
	a.str(node, "description", &t.Description)
	a.str(node, "eventType", &t.EventType)
	a.str(node, "eventObjectType", &t.EventObjectType)
	a.bool(node, "manualDispatchEnabled", &t.ManualDispatchEnabled)
	a.bool(node, "automaticDispatchEnabled", &t.AutomaticDispatchEnabled)
	a.int(node, "eventDelayedCondition", &t.EventDelayedCondition, 0, 1)
	if node.Has("eventConditions") {
		t.EventConditions = a.conditions(node.Get("eventConditions"))
	}
	if node.Has("contentParameters") {
		t.ContentParameters = a.parameters(node.Get("contentParameters"), "contentParameters")
	}
	if node.Has("userParameters") {
		t.UserParameters = a.parameters(node.Get("userParameters"), "userParameters")
	}
	a.str(node, "signSecret", &sec.SignSecret)
	a.str(node, "standardWebhooksSecret", &sec.StandardWebhooksSecret)
	a.int(node, "standardWebhooks", &t.StandardWebhooks, 0, 1)
	a.str(node, "retrySchedule", &t.RetrySchedule)

	switch typ {
	case TypeHTTP:
		a.str(node, "url", &t.URL)
		a.int(node, "method", &t.Method, MethodGet, MethodPost)
		a.int(node, "contentType", &t.ContentType, ContentForm, ContentJSON, ContentXML, ContentText)
		if node.Has("data") {
			t.Data = a.data(node.Get("data"))
		}
		if node.Has("customHeaders") {
			t.CustomHeaders = a.headers(node.Get("customHeaders"))
		}
		a.str(node, "authUsername", &sec.AuthUsername)
		a.str(node, "authPassword", &sec.AuthPassword)
		a.int(node, "authenticationMethod", &t.AuthenticationMethod, 1, 2, 4, 8, 16)
		a.int(node, "sslVersion", &t.SSLVersion)
		a.str(node, "sslCertificate", &t.SSLCertificate)
		a.str(node, "sslCertificateType", &t.SSLCertificateType)
		a.str(node, "sslCertificatePassword", &sec.SSLCertificatePassword)
		a.str(node, "sslKey", &sec.SSLKey)
		a.str(node, "sslKeyType", &t.SSLKeyType)
		a.str(node, "sslKeyPassword", &sec.SSLKeyPassword)
		a.int(node, "secureHashingAlgo", &t.SecureHashingAlgo, 1, 2, 3, 4, 5)
		a.int(node, "timeout", &t.Timeout)
		a.int(node, "connectTimeout", &t.ConnectTimeout)
	case TypeEmail:
		a.int(node, "format", &t.Format, FormatHTML, FormatText, FormatBoth)
		a.str(node, "subject", &t.Subject)
		a.str(node, "body", &t.Body)
		a.str(node, "fromEmail", &t.FromEmail)
		a.str(node, "fromName", &t.FromName)
		for _, k := range []struct {
			key string
			dst **RecipientProvider
		}{{"to", &t.To}, {"cc", &t.Cc}, {"bcc", &t.Bcc}} {
			if node.Has(k.key) {
				*k.dst = a.recipients(node.Get(k.key), k.key)
			}
		}
	}
	return a.errs
}

var httpFields = []string{"url", "method", "contentType", "data", "customHeaders", "authUsername", "authPassword",
	"authenticationMethod", "sslVersion", "sslCertificate", "sslCertificateType", "sslCertificatePassword", "sslKey",
	"sslKeyType", "sslKeyPassword", "secureHashingAlgo", "timeout", "connectTimeout"}

var emailFields = []string{"format", "subject", "body", "fromEmail", "fromName", "to", "cc", "bcc"}

var commonFields = []string{"objectType", "status", "name", "systemName", "description", "eventType", "eventObjectType",
	"manualDispatchEnabled", "automaticDispatchEnabled", "eventDelayedCondition", "eventConditions",
	"contentParameters", "userParameters", "signSecret", "standardWebhooksSecret", "standardWebhooks", "retrySchedule"}

func known(key string) bool {
	for _, list := range [][]string{commonFields, httpFields, emailFields} {
		for _, k := range list {
			if k == key {
				return true
			}
		}
	}
	return false
}

func (a *applier) value(n *kform.Node, path ...string) *Value {
	if n == nil {
		return nil
	}
	if n.IsLeaf { // a bare string is a static value
		return &Value{ObjectType: ValueString, Value: n.Value}
	}
	v := &Value{}
	v.ObjectType, _ = n.String("objectType")
	v.Value, _ = n.String("value")
	v.Code, _ = n.String("code")
	switch v.ObjectType {
	case ValueString, ValueField:
		if v.Value == "" && v.Code != "" { // KalturaStringField is sometimes sent with code
			v.Value = v.Code
			v.Code = ""
		}
	case ValueEvalString, ValueEvalBool:
		if v.Code == "" {
			a.fail(CodeCannotBeNull, "code is required for "+v.ObjectType, append(path, "code")...)
		}
	case "":
		if v.Code != "" {
			v.ObjectType = ValueEvalString
		} else {
			v.ObjectType = ValueString
		}
	default:
		a.fail(CodeInvalidObjType, fmt.Sprintf("%q is not a value type (KalturaStringValue, KalturaEvalStringField, KalturaEvalBooleanField)", v.ObjectType), append(path, "objectType")...)
	}
	return v
}

func (a *applier) conditions(n *kform.Node) []Condition {
	var out []Condition
	for i, item := range listOf(n) {
		idx := strconv.Itoa(i)
		c := Condition{}
		c.ObjectType, _ = item.String("objectType")
		c.Description, _ = item.String("description")
		switch c.ObjectType {
		case CondField:
			c.Field = a.value(item.Get("field"), "eventConditions", idx, "field")
			if c.Field == nil {
				a.fail(CodeCannotBeNull, "field is required for "+CondField, "eventConditions", idx, "field")
			} else if c.Field.ObjectType == ValueString {
				c.Field.ObjectType = ValueEvalBool
				c.Field.Code = c.Field.Value
				c.Field.Value = ""
			}
		case CondObjectChanged:
			c.ModifiedColumns, _ = item.String("modifiedColumns")
			if strings.TrimSpace(c.ModifiedColumns) == "" {
				a.fail(CodeCannotBeNull, "modifiedColumns is required", "eventConditions", idx, "modifiedColumns")
			}
		case CondMetadataChanged:
			c.XPath, _ = item.String("xPath")
			c.ProfileID, _ = item.String("profileId")
			c.ProfileSystemName, _ = item.String("profileSystemName")
			c.VersionA, _ = item.String("versionA")
			c.VersionB, _ = item.String("versionB")
			if strings.TrimSpace(c.XPath) == "" {
				a.fail(CodeCannotBeNull, "xPath is required", "eventConditions", idx, "xPath")
			}
		case CondBoolean:
			c.BooleanEventNotificationIDs, _ = item.String("booleanEventNotificationIds")
			for _, id := range splitList(c.BooleanEventNotificationIDs) {
				if _, err := strconv.ParseInt(id, 10, 64); err != nil {
					a.fail(CodeInvalidValue, fmt.Sprintf("%q is not a template id", id), "eventConditions", idx, "booleanEventNotificationIds")
				}
			}
			if len(splitList(c.BooleanEventNotificationIDs)) == 0 {
				a.fail(CodeCannotBeNull, "booleanEventNotificationIds is required", "eventConditions", idx, "booleanEventNotificationIds")
			}
		case "":
			a.fail(CodeCannotBeNull, "objectType is required", "eventConditions", idx, "objectType")
		default:
			a.fail(CodeInvalidObjType, fmt.Sprintf("%q is not a condition type", c.ObjectType), "eventConditions", idx, "objectType")
		}
		out = append(out, c)
	}
	return out
}

func (a *applier) parameters(n *kform.Node, field string, prefix ...string) []Parameter {
	var out []Parameter
	for i, item := range listOf(n) {
		path := append(append([]string{}, prefix...), field, strconv.Itoa(i))
		p := Parameter{ObjectType: "KalturaEventNotificationParameter"}
		if ot, ok := item.String("objectType"); ok && ot != "" {
			p.ObjectType = ot
		}
		p.Key, _ = item.String("key")
		p.Description, _ = item.String("description")
		p.Value = a.value(item.Get("value"), append(path, "value")...)
		if strings.TrimSpace(p.Key) == "" {
			a.fail(CodeCannotBeNull, "key is required", append(path, "key")...)
		}
		if p.Value == nil {
			p.Value = &Value{ObjectType: ValueString}
		}
		out = append(out, p)
	}
	return out
}

func (a *applier) data(n *kform.Node) *Data {
	if n == nil || (n.IsLeaf && n.Value == "") {
		return nil // "data=" clears it
	}
	d := &Data{}
	d.ObjectType, _ = n.String("objectType")
	a.int(n, "format", &d.Format, 1, 2, 3)
	d.APIObjectType, _ = n.String("apiObjectType")
	a.int(n, "responseProfileId", &d.ResponseProfileID)
	a.bool(n, "ignoreNull", &d.IgnoreNull)
	switch d.ObjectType {
	case DataObject:
		if d.Format == 0 {
			d.Format = 1
		}
	case DataText:
		d.Content = a.value(n.Get("content"), "data", "content")
		if d.Content == nil {
			a.fail(CodeCannotBeNull, "content is required for "+DataText, "data", "content")
		}
	case DataFields:
		d.Fields = a.parameters(n.Get("fields"), "fields", "data")
	case "":
		a.fail(CodeCannotBeNull, "objectType is required", "data", "objectType")
	default:
		a.fail(CodeInvalidObjType, fmt.Sprintf("%q is not a data type (%s, %s, %s)", d.ObjectType, DataObject, DataText, DataFields), "data", "objectType")
	}
	return d
}

func (a *applier) headers(n *kform.Node) []KeyValue {
	var out []KeyValue
	for i, item := range listOf(n) {
		kv := KeyValue{ObjectType: "KalturaKeyValue"}
		kv.Key, _ = item.String("key")
		kv.Value, _ = item.String("value")
		if !validHeaderName(kv.Key) {
			a.fail(CodeInvalidValue, fmt.Sprintf("%q is not a valid header name", kv.Key), "customHeaders", strconv.Itoa(i), "key")
		}
		if strings.ContainsAny(kv.Value, "\r\n") {
			a.fail(CodeInvalidValue, "header values cannot contain line breaks", "customHeaders", strconv.Itoa(i), "value")
		}
		out = append(out, kv)
	}
	return out
}

func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r <= ' ' || r >= 127 || strings.ContainsRune(`()<>@,;:\"/[]?={}`, r) {
			return false
		}
	}
	return true
}

func (a *applier) recipients(n *kform.Node, field string) *RecipientProvider {
	if n == nil || (n.IsLeaf && n.Value == "") {
		return nil
	}
	p := &RecipientProvider{}
	p.ObjectType, _ = n.String("objectType")
	switch p.ObjectType {
	case RecipientsStatic:
		for i, item := range listOf(n.Get("emailRecipients")) {
			idx := strconv.Itoa(i)
			r := Recipient{ObjectType: "KalturaEmailNotificationRecipient"}
			r.Email = a.value(item.Get("email"), field, "emailRecipients", idx, "email")
			r.Name = a.value(item.Get("name"), field, "emailRecipients", idx, "name")
			if r.Email == nil || (r.Email.Value == "" && r.Email.Code == "") {
				a.fail(CodeCannotBeNull, "email is required", field, "emailRecipients", idx, "email")
			}
			p.EmailRecipients = append(p.EmailRecipients, r)
		}
		if len(p.EmailRecipients) == 0 {
			a.fail(CodeCannotBeNull, "emailRecipients needs at least one recipient", field, "emailRecipients")
		}
	case RecipientsUser:
		p.UserID = a.value(n.Get("userId"), field, "userId")
		if p.UserID == nil {
			a.fail(CodeCannotBeNull, "userId is required", field, "userId")
		}
	case RecipientsGroup:
		p.GroupID = a.value(n.Get("groupId"), field, "groupId")
		if p.GroupID == nil {
			a.fail(CodeCannotBeNull, "groupId is required", field, "groupId")
		}
	case RecipientsCategory:
		p.CategoryID = a.value(n.Get("categoryId"), field, "categoryId")
		if p.CategoryID == nil {
			a.fail(CodeCannotBeNull, "categoryId is required", field, "categoryId")
		}
	case "":
		a.fail(CodeCannotBeNull, "objectType is required", field, "objectType")
	default:
		a.fail(CodeInvalidObjType, fmt.Sprintf("%q is not a recipient provider", p.ObjectType), field, "objectType")
	}
	return p
}

// listOf accepts a list, or a single object sent without an index.
func listOf(n *kform.Node) []*kform.Node {
	if n == nil {
		return nil
	}
	if n.Items != nil {
		return n.Items
	}
	if n.IsLeaf {
		return nil // "eventConditions=" clears the list
	}
	return []*kform.Node{n}
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

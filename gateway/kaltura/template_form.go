package kaltura

import (
	"fmt"
	"strconv"
	"strings"

	"gatehouse/internal/domain"
	"gatehouse/internal/notify"
)

// formMode says which action applies the form: add and clone may set status
// (only to DISABLED, as templates start disabled); update may not.
type formMode int

// Modes of applyForm.
const (
	modeAdd formMode = iota
	modeUpdate
)

// ignored are Kaltura properties that are read-only or that Gatehouse
// accepts without using; sending them is not an error.
var ignored = map[string]bool{
	"id": true, "partnerId": true, "createdAt": true, "updatedAt": true, "type": true,
	"requiredCopyTemplatePermissions": true, "sslEngine": true, "sslEngineKey": true,
	"responseProfileId": true, "messageLanguage": true, "disabledReason": true,
}

// applier writes a form onto a template, collecting field errors.
type applier struct{ *notify.FieldErrors }

func (a *applier) int(n *formNode, key string, dst *int, allowed ...int) {
	v, ok := n.String(key)
	if !ok {
		return
	}
	i, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		a.Fail(notify.CodeInvalidValue, fmt.Sprintf("%q is not an integer", v), key)
		return
	}
	if len(allowed) > 0 && !contains(allowed, i) {
		a.Fail(notify.CodeInvalidEnum, fmt.Sprintf("%d is not one of %v", i, allowed), key)
		return
	}
	*dst = i
}

func (a *applier) bool(n *formNode, key string, dst *bool) {
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
		a.Fail(notify.CodeInvalidValue, fmt.Sprintf("%q is not a boolean (1/0/true/false)", v), key)
	}
}

func (a *applier) str(n *formNode, key string, dst *string) {
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

// applyForm writes the fields present under node onto t and sec; fields
// not present stay as they are (Kaltura's update semantics). Lists
// (conditions, parameters, headers, recipients) are replaced as a whole.
func applyForm(node *formNode, prefix string, mode formMode, t *notify.NotificationTemplate, sec *notify.Secrets) []domain.FieldError {
	a := &applier{notify.NewFieldErrors(prefix)}
	if node == nil {
		a.Fail(notify.CodeCannotBeNull, "the template object is missing")
		return a.List()
	}
	objType, _ := node.String("objectType")
	if objType == "" {
		a.Fail(notify.CodeCannotBeNull, "objectType is required (KalturaHttpNotificationTemplate or KalturaEmailNotificationTemplate)", "objectType")
		return a.List()
	}
	typ, ok := notify.TypeOf(objType)
	if !ok {
		a.Fail(notify.CodeInvalidObjType, fmt.Sprintf("%q is not a template object type", objType), "objectType")
		return a.List()
	}
	if t.Type != "" && t.Type != typ {
		a.Fail(notify.CodeInvalidObjType, fmt.Sprintf("the template is a %s, not a %s", t.ObjectType(), objType), "objectType")
		return a.List()
	}
	t.Type = typ

	for _, key := range node.Keys() {
		if !known(key) && !ignored[key] {
			a.Fail(notify.CodeUnknownProp, fmt.Sprintf("%s has no property %q", objType, key), key)
		}
	}
	if v, ok := node.String("status"); ok {
		if mode == modeUpdate {
			a.Fail(notify.CodeNotUpdatable, "status cannot be changed by update; use the updateStatus action", "status")
		} else if strings.TrimSpace(v) != strconv.Itoa(notify.StatusDisabled) {
			a.Fail(notify.CodeNotUpdatable, "templates are created DISABLED (status=1); activate with updateStatus", "status")
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
	case notify.TypeHTTP:
		a.str(node, "url", &t.URL)
		a.int(node, "method", &t.Method, notify.MethodGet, notify.MethodPost)
		a.int(node, "contentType", &t.ContentType, notify.ContentForm, notify.ContentJSON, notify.ContentXML, notify.ContentText)
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
	case notify.TypeEmail:
		a.int(node, "format", &t.Format, notify.FormatHTML, notify.FormatText, notify.FormatBoth)
		a.str(node, "subject", &t.Subject)
		a.str(node, "body", &t.Body)
		a.str(node, "fromEmail", &t.FromEmail)
		a.str(node, "fromName", &t.FromName)
		for _, k := range []struct {
			key string
			dst **notify.RecipientProvider
		}{{"to", &t.To}, {"cc", &t.Cc}, {"bcc", &t.Bcc}} {
			if node.Has(k.key) {
				*k.dst = a.recipients(node.Get(k.key), k.key)
			}
		}
	}
	return a.List()
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

func (a *applier) value(n *formNode, path ...string) *notify.Value {
	if n == nil {
		return nil
	}
	if n.IsLeaf { // a bare string is a static value
		return &notify.Value{ObjectType: notify.ValueString, Value: n.Value}
	}
	v := &notify.Value{}
	v.ObjectType, _ = n.String("objectType")
	v.Value, _ = n.String("value")
	v.Code, _ = n.String("code")
	switch v.ObjectType {
	case notify.ValueString, notify.ValueField:
		if v.Value == "" && v.Code != "" { // KalturaStringField is sometimes sent with code
			v.Value = v.Code
			v.Code = ""
		}
	case notify.ValueEvalString, notify.ValueEvalBool:
		if v.Code == "" {
			a.Fail(notify.CodeCannotBeNull, "code is required for "+v.ObjectType, append(path, "code")...)
		}
	case "":
		if v.Code != "" {
			v.ObjectType = notify.ValueEvalString
		} else {
			v.ObjectType = notify.ValueString
		}
	default:
		a.Fail(notify.CodeInvalidObjType, fmt.Sprintf("%q is not a value type (KalturaStringValue, KalturaEvalStringField, KalturaEvalBooleanField)", v.ObjectType), append(path, "objectType")...)
	}
	return v
}

func (a *applier) conditions(n *formNode) []notify.Condition {
	var out []notify.Condition
	for i, item := range listOf(n) {
		idx := strconv.Itoa(i)
		c := notify.Condition{}
		c.ObjectType, _ = item.String("objectType")
		c.Description, _ = item.String("description")
		switch c.ObjectType {
		case notify.CondField:
			c.Field = a.value(item.Get("field"), "eventConditions", idx, "field")
			if c.Field == nil {
				a.Fail(notify.CodeCannotBeNull, "field is required for "+notify.CondField, "eventConditions", idx, "field")
			} else if c.Field.ObjectType == notify.ValueString {
				c.Field.ObjectType = notify.ValueEvalBool
				c.Field.Code = c.Field.Value
				c.Field.Value = ""
			}
		case notify.CondObjectChanged:
			c.ModifiedColumns, _ = item.String("modifiedColumns")
			if strings.TrimSpace(c.ModifiedColumns) == "" {
				a.Fail(notify.CodeCannotBeNull, "modifiedColumns is required", "eventConditions", idx, "modifiedColumns")
			}
		case notify.CondMetadataChanged:
			c.XPath, _ = item.String("xPath")
			c.ProfileID, _ = item.String("profileId")
			c.ProfileSystemName, _ = item.String("profileSystemName")
			c.VersionA, _ = item.String("versionA")
			c.VersionB, _ = item.String("versionB")
			if strings.TrimSpace(c.XPath) == "" {
				a.Fail(notify.CodeCannotBeNull, "xPath is required", "eventConditions", idx, "xPath")
			}
		case notify.CondBoolean:
			c.BooleanEventNotificationIDs, _ = item.String("booleanEventNotificationIds")
			for _, id := range notify.SplitList(c.BooleanEventNotificationIDs) {
				if _, err := strconv.ParseInt(id, 10, 64); err != nil {
					a.Fail(notify.CodeInvalidValue, fmt.Sprintf("%q is not a template id", id), "eventConditions", idx, "booleanEventNotificationIds")
				}
			}
			if len(notify.SplitList(c.BooleanEventNotificationIDs)) == 0 {
				a.Fail(notify.CodeCannotBeNull, "booleanEventNotificationIds is required", "eventConditions", idx, "booleanEventNotificationIds")
			}
		case "":
			a.Fail(notify.CodeCannotBeNull, "objectType is required", "eventConditions", idx, "objectType")
		default:
			a.Fail(notify.CodeInvalidObjType, fmt.Sprintf("%q is not a condition type", c.ObjectType), "eventConditions", idx, "objectType")
		}
		out = append(out, c)
	}
	return out
}

func (a *applier) parameters(n *formNode, field string, prefix ...string) []notify.Parameter {
	var out []notify.Parameter
	for i, item := range listOf(n) {
		path := append(append([]string{}, prefix...), field, strconv.Itoa(i))
		p := notify.Parameter{ObjectType: "KalturaEventNotificationParameter"}
		if ot, ok := item.String("objectType"); ok && ot != "" {
			p.ObjectType = ot
		}
		p.Key, _ = item.String("key")
		p.Description, _ = item.String("description")
		p.Value = a.value(item.Get("value"), append(path, "value")...)
		if strings.TrimSpace(p.Key) == "" {
			a.Fail(notify.CodeCannotBeNull, "key is required", append(path, "key")...)
		}
		if p.Value == nil {
			p.Value = &notify.Value{ObjectType: notify.ValueString}
		}
		out = append(out, p)
	}
	return out
}

func (a *applier) data(n *formNode) *notify.Data {
	if n == nil || (n.IsLeaf && n.Value == "") {
		return nil // "data=" clears it
	}
	d := &notify.Data{}
	d.ObjectType, _ = n.String("objectType")
	a.int(n, "format", &d.Format, 1, 2, 3)
	d.APIObjectType, _ = n.String("apiObjectType")
	a.int(n, "responseProfileId", &d.ResponseProfileID)
	a.bool(n, "ignoreNull", &d.IgnoreNull)
	switch d.ObjectType {
	case notify.DataObject:
		if d.Format == 0 {
			d.Format = 1
		}
	case notify.DataText:
		d.Content = a.value(n.Get("content"), "data", "content")
		if d.Content == nil {
			a.Fail(notify.CodeCannotBeNull, "content is required for "+notify.DataText, "data", "content")
		}
	case notify.DataFields:
		d.Fields = a.parameters(n.Get("fields"), "fields", "data")
	case "":
		a.Fail(notify.CodeCannotBeNull, "objectType is required", "data", "objectType")
	default:
		a.Fail(notify.CodeInvalidObjType, fmt.Sprintf("%q is not a data type (%s, %s, %s)", d.ObjectType, notify.DataObject, notify.DataText, notify.DataFields), "data", "objectType")
	}
	return d
}

func (a *applier) headers(n *formNode) notify.KalturaHeaders {
	var out notify.KalturaHeaders
	for i, item := range listOf(n) {
		var kv notify.Header
		kv.Name, _ = item.String("key")
		kv.Value, _ = item.String("value")
		if !validHeaderName(kv.Name) {
			a.Fail(notify.CodeInvalidValue, fmt.Sprintf("%q is not a valid header name", kv.Name), "customHeaders", strconv.Itoa(i), "key")
		}
		if strings.ContainsAny(kv.Value, "\r\n") {
			a.Fail(notify.CodeInvalidValue, "header values cannot contain line breaks", "customHeaders", strconv.Itoa(i), "value")
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

func (a *applier) recipients(n *formNode, field string) *notify.RecipientProvider {
	if n == nil || (n.IsLeaf && n.Value == "") {
		return nil
	}
	p := &notify.RecipientProvider{}
	p.ObjectType, _ = n.String("objectType")
	switch p.ObjectType {
	case notify.RecipientsStatic:
		for i, item := range listOf(n.Get("emailRecipients")) {
			idx := strconv.Itoa(i)
			r := notify.Recipient{ObjectType: "KalturaEmailNotificationRecipient"}
			r.Email = a.value(item.Get("email"), field, "emailRecipients", idx, "email")
			r.Name = a.value(item.Get("name"), field, "emailRecipients", idx, "name")
			if r.Email == nil || (r.Email.Value == "" && r.Email.Code == "") {
				a.Fail(notify.CodeCannotBeNull, "email is required", field, "emailRecipients", idx, "email")
			}
			p.EmailRecipients = append(p.EmailRecipients, r)
		}
		if len(p.EmailRecipients) == 0 {
			a.Fail(notify.CodeCannotBeNull, "emailRecipients needs at least one recipient", field, "emailRecipients")
		}
	case notify.RecipientsUser:
		p.UserID = a.value(n.Get("userId"), field, "userId")
		if p.UserID == nil {
			a.Fail(notify.CodeCannotBeNull, "userId is required", field, "userId")
		}
	case notify.RecipientsGroup:
		p.GroupID = a.value(n.Get("groupId"), field, "groupId")
		if p.GroupID == nil {
			a.Fail(notify.CodeCannotBeNull, "groupId is required", field, "groupId")
		}
	case notify.RecipientsCategory:
		p.CategoryID = a.value(n.Get("categoryId"), field, "categoryId")
		if p.CategoryID == nil {
			a.Fail(notify.CodeCannotBeNull, "categoryId is required", field, "categoryId")
		}
	case "":
		a.Fail(notify.CodeCannotBeNull, "objectType is required", field, "objectType")
	default:
		a.Fail(notify.CodeInvalidObjType, fmt.Sprintf("%q is not a recipient provider", p.ObjectType), field, "objectType")
	}
	return p
}

// listOf accepts a list, or a single object sent without an index.
func listOf(n *formNode) []*formNode {
	if n == nil {
		return nil
	}
	if n.Items != nil {
		return n.Items
	}
	if n.IsLeaf {
		return nil // "eventConditions=" clears the list
	}
	return []*formNode{n}
}

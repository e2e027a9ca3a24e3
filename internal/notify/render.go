package notify

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"gatehouse/internal/signing"
)

// UserAgent identifies Gatehouse to receivers.
const UserAgent = "Gatehouse-Webhooks/1.0"

// Request is one outbound HTTP request, built fresh for every attempt (the
// Standard Webhooks timestamp is the attempt's time).
type Request struct {
	Method  string
	URL     string
	Header  http.Header
	Body    []byte
	Timeout time.Duration
}

var contentTypes = map[int]string{
	ContentForm: "application/x-www-form-urlencoded",
	ContentJSON: "application/json",
	ContentXML:  "application/xml",
	ContentText: "text/plain; charset=utf-8",
}

// TemplateRequestInput is what building a template's request needs.
type TemplateRequestInput struct {
	Template      *NotificationTemplate
	Secrets       Secrets
	Event         *Event
	JobID         int64
	DeliveryID    string // the Standard Webhooks message id: stable across retries
	DefaultSecret string // the installation's signing secret (GATEHOUSE_SIGNING_SECRET)
	Now           time.Time
}

// BuildTemplateRequest renders an HTTP template for an event.
func BuildTemplateRequest(in TemplateRequestInput) (Request, error) {
	t, e := in.Template, in.Event
	values, err := t.ContentValues(e)
	if err != nil {
		return Request{}, err
	}
	req := Request{
		Method:  http.MethodPost,
		URL:     substituteURL(t.URL, UserParams(t), values),
		Header:  http.Header{},
		Timeout: time.Duration(max(t.Timeout, 0)) * time.Second,
	}
	if req.Timeout == 0 {
		req.Timeout = DefaultTimeoutSeconds * time.Second
	}
	if t.Method == MethodGet {
		req.Method = http.MethodGet
	}
	contentType := contentTypes[t.ContentType]
	if contentType == "" {
		contentType = contentTypes[ContentForm]
	}

	var form url.Values
	switch {
	case t.Data == nil: // Kaltura: no data configured, empty body
	case t.Data.ObjectType == DataObject:
		req.Body, contentType, err = objectBody(in)
	case t.Data.ObjectType == DataText:
		// Event values are a stranger's text: inside a JSON payload they are
		// JSON-escaped, so a quote in a name cannot end the string.
		params := values
		if t.ContentType == ContentJSON {
			params = mapValues(values, jsonText)
		}
		var text string
		if t.Data.Content != nil && t.Data.Content.Evaluated() {
			text, err = EvalValue(t.Data.Content, e, values)
		} else if t.Data.Content != nil {
			text = t.Data.Content.Value
		}
		req.Body = []byte(Substitute(text, params, nil))
	case t.Data.ObjectType == DataFields:
		fields := map[string]string{}
		for _, f := range t.Data.Fields {
			v, ferr := EvalValue(f.Value, e, values)
			if ferr != nil {
				return Request{}, fmt.Errorf("data field %s: %w", f.Key, ferr)
			}
			fields[f.Key] = v
		}
		if t.ContentType == ContentForm || t.ContentType == 0 || t.Method == MethodGet {
			form = url.Values{}
			for k, v := range fields {
				form.Set(k, v)
			}
			req.Body = []byte(form.Encode())
		} else {
			req.Body, err = encodeFields(fields, t.ContentType)
		}
	}
	if err != nil {
		return Request{}, err
	}
	if req.Method == http.MethodGet {
		// A GET carries no body; form fields go to the query string.
		if form != nil {
			u, perr := url.Parse(req.URL)
			if perr == nil {
				q := u.Query()
				for k, vs := range form {
					q[k] = vs
				}
				u.RawQuery = q.Encode()
				req.URL = u.String()
			}
		}
		req.Body = nil
	} else {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("User-Agent", UserAgent)
	for _, h := range t.CustomHeaders {
		req.Header.Set(h.Name, Substitute(h.Value, mapValues(values, headerText), nil))
	}
	if in.Secrets.AuthUsername != "" || in.Secrets.AuthPassword != "" {
		r := http.Request{Header: http.Header{}}
		r.SetBasicAuth(in.Secrets.AuthUsername, in.Secrets.AuthPassword)
		req.Header.Set("Authorization", r.Header.Get("Authorization"))
	}
	key := in.Secrets.SignSecret
	if key == "" {
		key = in.DefaultSecret
	}
	algo, err := signing.ParseAlgo(t.SecureHashingAlgo)
	if err != nil {
		return Request{}, err
	}
	if key != "" {
		for k, v := range signing.KalturaHeaders(algo, key, req.Body) {
			req.Header[k] = v
		}
	}
	if t.StandardWebhooks == 1 && in.Secrets.StandardWebhooksSecret != "" {
		sh, err := signing.StandardHeaders(in.DeliveryID, in.Now, req.Body, in.Secrets.StandardWebhooksSecret)
		if err != nil {
			return Request{}, err
		}
		for k, v := range sh {
			req.Header[k] = v
		}
	}
	return req, nil
}

// objectBody is KalturaHttpNotificationObjectData: the object wrapped in a
// KalturaHttpNotification, exactly as seed §9.1 shows.
func objectBody(in TemplateRequestInput) ([]byte, string, error) {
	t, e := in.Template, in.Event
	obj := map[string]any{}
	for k, v := range e.Object {
		if t.Data.IgnoreNull && v == nil {
			continue
		}
		obj[k] = v
	}
	if _, ok := obj["objectType"]; !ok && t.Data.APIObjectType != "" {
		obj["objectType"] = t.Data.APIObjectType
	}
	wrapper := map[string]any{
		"objectType":             "KalturaHttpNotification",
		"object":                 obj,
		"eventObjectType":        numberOrString(e.EventObjectType),
		"eventType":              numberOrString(eventTypeFor(t, e)),
		"templateId":             t.ID,
		"templateName":           t.Name,
		"templateSystemName":     t.SystemName,
		"eventNotificationJobId": in.JobID,
	}
	if t.Data.Format == 2 {
		b, err := toXML("xml", wrapper)
		return b, contentTypes[ContentXML], err
	}
	if t.Data.Format == 3 {
		return nil, "", fmt.Errorf("data format 3 (PHP serialized) is not supported; use 1 (JSON) or 2 (XML)")
	}
	b, err := json.Marshal(wrapper)
	return b, contentTypes[ContentJSON], err
}

// eventTypeFor reports the template's own numbering: a template on Kaltura's
// OBJECT_ADDED sees 1 even when the event is named UserRegistered.
func eventTypeFor(t *NotificationTemplate, e *Event) string {
	if t.EventType != "" && EventTypeMatches(t.EventType, e.EventType) {
		return t.EventType
	}
	return e.EventType
}

func numberOrString(s string) any {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n
	}
	return s
}

func encodeFields(fields map[string]string, contentType int) ([]byte, error) {
	switch contentType {
	case ContentJSON:
		return json.Marshal(fields)
	case ContentXML:
		m := map[string]any{}
		for k, v := range fields {
			m[k] = v
		}
		return toXML("fields", m)
	default:
		keys := sortedKeys(fields)
		var b strings.Builder
		for _, k := range keys {
			fmt.Fprintf(&b, "%s=%s\n", k, fields[k])
		}
		return []byte(b.String()), nil
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

var xmlName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]*$`)

// toXML writes nested maps and lists as elements; list items are <item>.
func toXML(root string, v any) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	if err := xmlValue(enc, root, v); err != nil {
		return nil, err
	}
	if err := enc.Flush(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func xmlValue(enc *xml.Encoder, name string, v any) error {
	if !xmlName.MatchString(name) {
		name = "item"
	}
	start := xml.StartElement{Name: xml.Name{Local: name}}
	if err := enc.EncodeToken(start); err != nil {
		return err
	}
	switch x := v.(type) {
	case map[string]any:
		for _, k := range sortedKeys(x) {
			if err := xmlValue(enc, k, x[k]); err != nil {
				return err
			}
		}
	case []any:
		for _, item := range x {
			if err := xmlValue(enc, "item", item); err != nil {
				return err
			}
		}
	case nil:
	default:
		if err := enc.EncodeToken(xml.CharData(scalar(x))); err != nil {
			return err
		}
	}
	return enc.EncodeToken(start.End())
}

func scalar(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		if x {
			return "1"
		}
		return "0"
	}
	return fmt.Sprint(v)
}

// EmailContent is a rendered email template.
type EmailContent struct {
	Subject   string
	HTML      string
	Text      string
	FromEmail string
	FromName  string
}

var (
	breaks = regexp.MustCompile(`(?i)<br\s*/?>|</p>`)
	tags   = regexp.MustCompile(`<[^>]+>`)
)

// BuildEmail renders subject and body. Values are HTML-escaped in the HTML
// part, so an object's fields cannot inject markup.
func BuildEmail(t *NotificationTemplate, e *Event) (EmailContent, error) {
	return BuildEmailWith(t, e, nil)
}

// BuildEmailWith is BuildEmail with the built-in tokens' values
// (BuiltinValues) under the template's own content parameters.
func BuildEmailWith(t *NotificationTemplate, e *Event, builtin map[string]string) (EmailContent, error) {
	own, err := t.ContentValues(e)
	if err != nil {
		return EmailContent{}, err
	}
	values := map[string]string{}
	for k, v := range builtin {
		values[k] = v
	}
	for k, v := range own {
		values[k] = v
	}
	escaped := map[string]string{}
	for k, v := range values {
		escaped[k] = html.EscapeString(v)
	}
	c := EmailContent{Subject: Substitute(t.Subject, values, nil), FromEmail: t.FromEmail, FromName: t.FromName}
	switch t.Format {
	case FormatText:
		c.Text = Substitute(t.Body, values, nil)
	case FormatBoth:
		c.HTML = Substitute(t.Body, escaped, nil)
		c.Text = html.UnescapeString(tags.ReplaceAllString(breaks.ReplaceAllString(Substitute(t.Body, values, nil), "\n"), ""))
	default:
		c.HTML = Substitute(t.Body, escaped, nil)
	}
	c.Subject = strings.NewReplacer("\r", " ", "\n", " ").Replace(c.Subject)
	return c, nil
}

// RecipientSpec is one recipient provider entry, evaluated for an event.
type RecipientSpec struct {
	Kind       string // to, cc, bcc
	Email      string
	Name       string
	UserID     string
	GroupID    string
	CategoryID string
}

// RecipientSpecs evaluates the to/cc/bcc providers; the activity resolves
// users, groups and categories to addresses.
func (t *NotificationTemplate) RecipientSpecs(e *Event) ([]RecipientSpec, error) {
	values, err := t.ContentValues(e)
	if err != nil {
		return nil, err
	}
	var out []RecipientSpec
	for _, p := range []struct {
		kind string
		p    *RecipientProvider
	}{{"to", t.To}, {"cc", t.Cc}, {"bcc", t.Bcc}} {
		if p.p == nil {
			continue
		}
		eval := func(v *Value) (string, error) {
			s, err := EvalValue(v, e, values)
			return strings.TrimSpace(s), err
		}
		switch p.p.ObjectType {
		case RecipientsStatic:
			for _, r := range p.p.EmailRecipients {
				email, err := eval(r.Email)
				if err != nil {
					return nil, err
				}
				name, err := eval(r.Name)
				if err != nil {
					return nil, err
				}
				out = append(out, RecipientSpec{Kind: p.kind, Email: email, Name: name})
			}
		case RecipientsUser:
			id, err := eval(p.p.UserID)
			if err != nil {
				return nil, err
			}
			out = append(out, RecipientSpec{Kind: p.kind, UserID: id})
		case RecipientsGroup:
			id, err := eval(p.p.GroupID)
			if err != nil {
				return nil, err
			}
			out = append(out, RecipientSpec{Kind: p.kind, GroupID: id})
		case RecipientsCategory:
			id, err := eval(p.p.CategoryID)
			if err != nil {
				return nil, err
			}
			out = append(out, RecipientSpec{Kind: p.kind, CategoryID: id})
		}
	}
	return out, nil
}

// sensitive header names are masked when an attempt is recorded.
var sensitive = []string{"authorization", "cookie", "token", "secret", "password", "key", "auth"}

// Masked stands in for a credential-like header value in API answers and
// stored attempts. Sent back unchanged in an update, it keeps the value.
const Masked = "***"

// SensitiveHeader reports whether a header name looks like it carries a
// credential.
func SensitiveHeader(name string) bool {
	lk := strings.ToLower(name)
	if strings.HasPrefix(lk, "x-kaltura-") || strings.HasPrefix(lk, "webhook-") {
		return false // signatures, not secrets
	}
	for _, s := range sensitive {
		if strings.Contains(lk, s) {
			return true
		}
	}
	return false
}

// MaskHeaders copies headers for storage, hiding credentials.
func MaskHeaders(h http.Header) map[string]string {
	out := map[string]string{}
	for k, vs := range h {
		v := strings.Join(vs, ", ")
		if SensitiveHeader(k) {
			v = Masked
		}
		out[k] = v
	}
	return out
}

// MaskedHeaders returns a channel's headers with credential values hidden.
func MaskedHeaders(hs []Header) []Header {
	out := make([]Header, len(hs))
	for i, h := range hs {
		if SensitiveHeader(h.Name) {
			h.Value = Masked
		}
		out[i] = h
	}
	return out
}

// KeepMaskedHeaders restores values sent back as Masked from the stored
// headers of the same name.
func KeepMaskedHeaders(next, stored []Header) {
	for i := range next {
		if next[i].Value != Masked {
			continue
		}
		for _, s := range stored {
			if strings.EqualFold(s.Name, next[i].Name) {
				next[i].Value = s.Value
			}
		}
	}
}

// substituteURL fills a URL template: the template's own user parameters
// (set by an administrator) go in as written, event values are escaped for
// where they stand, path-escaped before the '?' and query-escaped after it.
func substituteURL(tmpl string, userParams, values map[string]string) string {
	path, query, hasQuery := strings.Cut(tmpl, "?")
	out := Substitute(path, userParams, mapValues(values, url.PathEscape))
	if hasQuery {
		out += "?" + Substitute(query, userParams, mapValues(values, url.QueryEscape))
	}
	return out
}

func mapValues(values map[string]string, f func(string) string) map[string]string {
	out := make(map[string]string, len(values))
	for k, v := range values {
		out[k] = f(v)
	}
	return out
}

// jsonText is v escaped for the inside of a JSON string (without quotes).
func jsonText(v string) string {
	b, _ := json.Marshal(v)
	return string(b[1 : len(b)-1])
}

// headerText replaces control characters (CR, LF, ...) with spaces: a line
// break in a header value would start a header of the sender's choosing.
func headerText(v string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, v)
}

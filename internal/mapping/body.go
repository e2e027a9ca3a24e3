// Package mapping turns a webhook body into a registrant: it parses the
// body the way the site says it arrives, then applies the site's field and
// language mapping by the seed's rules. Nothing a sender posts is dropped:
// fields without a mapping stay in the registration info.
package mapping

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"mime/multipart"
	"net/url"
	"strings"
)

// Fields is a parsed body: strings, numbers, booleans, lists, objects.
type Fields map[string]any

// BodyError is a body that cannot be read; Status is the HTTP status.
type BodyError struct {
	Status int // 400 or 415
	Field  string
	Reason string
}

func (e *BodyError) Error() string {
	if e.Field != "" {
		return e.Field + ": " + e.Reason
	}
	return e.Reason
}

// ParseOptions say how the site's body arrives.
type ParseOptions struct {
	JSON        bool     // postContentType JSON, else Form Data
	JSONKey     string   // postContentJsonKey: the registration object is under this key
	RegInfoKeys []string // postContentJsonRegInfoKeys, split
	// Keep are keys read even when RegInfoKeys does not list them: the
	// keys the site's mappings name (MappedKeys) and the registration key.
	Keep []string
}

// SplitKeys splits the comma-separated postContentJsonRegInfoKeys.
func SplitKeys(s string) []string {
	var out []string
	for _, k := range strings.Split(s, ",") {
		if k = strings.TrimSpace(k); k != "" {
			out = append(out, k)
		}
	}
	return out
}

// ParseBody reads body by its Content-Type. Form Data sites accept
// urlencoded and multipart; JSON sites accept application/json (and +json).
func ParseBody(contentType string, body []byte, o ParseOptions) (Fields, error) {
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil && contentType != "" {
		return nil, &BodyError{Status: 415, Reason: fmt.Sprintf("unreadable Content-Type %q", contentType)}
	}
	isJSON := mediaType == "application/json" || strings.HasSuffix(mediaType, "+json")
	switch {
	case o.JSON && isJSON:
		return parseJSON(body, o)
	case o.JSON:
		return nil, &BodyError{Status: 415, Reason: fmt.Sprintf("this site expects JSON (Content-Type: application/json), got %q", mediaType)}
	case mediaType == "application/x-www-form-urlencoded":
		vals, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, &BodyError{Status: 400, Reason: "malformed form body: " + err.Error()}
		}
		return fromValues(vals), nil
	case mediaType == "multipart/form-data":
		return parseMultipart(body, params["boundary"])
	case len(bytes.TrimSpace(body)) == 0 && mediaType == "":
		return Fields{}, nil
	default:
		return nil, &BodyError{Status: 415, Reason: fmt.Sprintf("this site expects Form Data (application/x-www-form-urlencoded or multipart/form-data), got %q", mediaType)}
	}
}

func fromValues(vals url.Values) Fields {
	f := Fields{}
	for k, v := range vals {
		switch len(v) {
		case 0:
		case 1:
			f[k] = v[0]
		default:
			list := make([]any, len(v))
			for i, s := range v {
				list[i] = s
			}
			f[k] = list
		}
	}
	return f
}

func parseMultipart(body []byte, boundary string) (Fields, error) {
	if boundary == "" {
		return nil, &BodyError{Status: 400, Reason: "multipart body without boundary"}
	}
	form, err := multipart.NewReader(bytes.NewReader(body), boundary).ReadForm(1 << 20)
	if err != nil {
		return nil, &BodyError{Status: 400, Reason: "malformed multipart body: " + err.Error()}
	}
	defer form.RemoveAll() //nolint:errcheck
	f := fromValues(form.Value)
	for k := range form.File {
		if _, ok := f[k]; !ok {
			return nil, &BodyError{Status: 400, Field: k, Reason: "file uploads are not accepted"}
		}
	}
	return f, nil
}

func parseJSON(body []byte, o ParseOptions) (Fields, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var top map[string]any
	if err := dec.Decode(&top); err != nil {
		return nil, &BodyError{Status: 400, Reason: "body is not a JSON object: " + err.Error()}
	}
	if dec.More() {
		return nil, &BodyError{Status: 400, Reason: "body holds more than one JSON value"}
	}
	if top == nil {
		return nil, &BodyError{Status: 400, Reason: "body is not a JSON object"}
	}
	reg := top
	all := Fields{}
	if o.JSONKey != "" {
		inner, ok := top[o.JSONKey]
		if !ok {
			return nil, &BodyError{Status: 400, Field: o.JSONKey, Reason: "missing: postContentJsonKey names this key as holding the registration"}
		}
		obj, ok := inner.(map[string]any)
		if !ok {
			return nil, &BodyError{Status: 400, Field: o.JSONKey, Reason: "must be a JSON object"}
		}
		// Siblings of the wrapper are kept too: nothing is dropped.
		for k, v := range top {
			if k != o.JSONKey {
				all[k] = v
			}
		}
		reg = obj
	}
	// The registration object's own keys win over wrapper siblings.
	for k, v := range reg {
		all[k] = v
	}
	if len(o.RegInfoKeys) == 0 {
		return all, nil
	}
	// postContentJsonRegInfoKeys names the keys that hold the registration
	// info (the seed's example: firstName, lastName, email, company,
	// jobTitle); other keys are not mapped, except those the site's
	// mappings name and the key. A listed key holding an object contributes
	// its fields.
	out := Fields{}
	var objects []map[string]any
	for _, k := range o.RegInfoKeys {
		v, ok := all[k]
		if !ok {
			continue
		}
		if obj, isObj := v.(map[string]any); isObj {
			objects = append(objects, obj)
			continue
		}
		out[k] = v
	}
	for _, k := range append([]string{"registrationKey"}, o.Keep...) {
		if v, ok := all[k]; ok {
			if _, taken := out[k]; !taken {
				out[k] = v
			}
		}
	}
	// A listed object's fields never override the object's own keys.
	for _, obj := range objects {
		for ik, iv := range obj {
			if _, taken := out[ik]; !taken {
				out[ik] = iv
			}
		}
	}
	return out, nil
}

// UnwrapLead removes Kartra's lead[...] wrapper: lead[email] becomes email,
// lead[custom_fields][x] becomes custom_fields[x]; a JSON {"lead": {...}}
// object is merged the same way.
func UnwrapLead(f Fields) Fields {
	out := Fields{}
	for k, v := range f {
		if k == "lead" {
			if obj, ok := v.(map[string]any); ok {
				for ik, iv := range obj {
					out[ik] = iv
				}
				continue
			}
		}
		if inner, ok := strings.CutPrefix(k, "lead["); ok {
			if i := strings.IndexByte(inner, ']'); i > 0 {
				out[inner[:i]+inner[i+1:]] = v
				continue
			}
		}
		if _, taken := out[k]; !taken {
			out[k] = v
		}
	}
	return out
}

// String renders a field value as the user object stores it.
func String(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		if x {
			return "true"
		}
		return "false"
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			parts = append(parts, String(e))
		}
		return strings.Join(parts, ",")
	default:
		b, err := json.Marshal(x)
		if err != nil {
			return fmt.Sprint(x)
		}
		return string(b)
	}
}

// ErrEmpty is returned by Get for absent or blank values.
var ErrEmpty = errors.New("empty")

package registration

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"gatehouse/internal/mapping"
	"gatehouse/internal/site"
)

// errKartraNoLead: Kartra does not know the contact; the request's own
// fields are used.
var errKartraNoLead = errors.New("kartra: no such lead")

// kartraNoLead are the message types of Kartra's answers that say it has
// no such contact: 234 and 243 "No lead found", 245 "Lead is deleted".
// Kartra answers every error with HTTP 200 and {"status":"Error",
// "message":…,"type":"234"}; the type is the stable part, the message prose.
var kartraNoLead = map[string]bool{"234": true, "243": true, "245": true}

// kartraLead pulls a contact from Kartra's API (get_lead by email): its
// fields as Kartra names them (first_name, last_name, …), its tags as a
// list, custom fields as custom_fields[identifier] (a choice field's option
// values). Kartra answers {"status":"Success","lead_details":…}, where
// lead_details is documented as a JSON-encoded object (a string); an
// object is read as well.
func (s *server) kartraLead(ctx context.Context, k *site.Kartra, email string) (mapping.Fields, error) {
	form := url.Values{"app_id": {k.AppID}, "api_key": {k.APIKey}, "api_password": {k.APIPassword}, "get_lead[email]": {email}}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, k.URL(), strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := s.kartraClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("kartra: %w", err)
	}
	defer res.Body.Close() //nolint:errcheck
	body, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("kartra: %w", err)
	}
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("kartra answered %d", res.StatusCode)
	}
	var ans struct {
		Status      string          `json:"status"`
		Message     string          `json:"message"`
		Type        json.RawMessage `json:"type"` // "234", or 234
		LeadDetails json.RawMessage `json:"lead_details"`
	}
	if err := json.Unmarshal(body, &ans); err != nil {
		return nil, fmt.Errorf("kartra: unreadable answer: %w", err)
	}
	if !strings.EqualFold(ans.Status, "Success") {
		typ := strings.Trim(string(ans.Type), `"`)
		msg := strings.ToLower(ans.Message)
		if kartraNoLead[typ] || (typ == "" && (strings.Contains(msg, "no lead found") || strings.Contains(msg, "lead is deleted"))) {
			return nil, errKartraNoLead
		}
		return nil, fmt.Errorf("kartra: %s (type %s)", ans.Message, typ)
	}
	details := ans.LeadDetails
	var encoded string
	if json.Unmarshal(details, &encoded) == nil {
		details = json.RawMessage(encoded)
	}
	var lead map[string]any
	if err := json.Unmarshal(details, &lead); err != nil {
		return nil, fmt.Errorf("kartra: unreadable lead_details: %w", err)
	}
	out := mapping.Fields{}
	for k, v := range lead {
		switch k {
		case "tags":
			var tags []any
			if list, ok := v.([]any); ok {
				for _, t := range list {
					if m, ok := t.(map[string]any); ok {
						tags = append(tags, mapping.String(m["tag_name"]))
					} else {
						tags = append(tags, mapping.String(t))
					}
				}
			}
			out["tags"] = tags
		case "custom_fields":
			if list, ok := v.([]any); ok {
				for _, f := range list {
					if m, ok := f.(map[string]any); ok && mapping.String(m["field_identifier"]) != "" {
						out["custom_fields["+mapping.String(m["field_identifier"])+"]"] = kartraFieldValue(m["field_value"])
					}
				}
			}
		case "id", "email", "password", "user_pass":
			// The request's email names the user; ids and secrets are not data.
		default:
			switch v.(type) {
			case map[string]any, []any, nil:
			default:
				out[k] = v
			}
		}
	}
	return out, nil
}

// kartraFieldValue is a custom field's value: the text of an input field
// or text area; for a drop-down, radio button or checkbox field Kartra
// sends the chosen options, [{"option_id":…,"option_value":…}], read as the
// option value (several, a checkbox's, as a list).
func kartraFieldValue(v any) any {
	opts, ok := v.([]any)
	if !ok {
		return v
	}
	var vals []any
	for _, o := range opts {
		if m, ok := o.(map[string]any); ok {
			vals = append(vals, mapping.String(m["option_value"]))
		} else {
			vals = append(vals, mapping.String(o))
		}
	}
	if len(vals) == 1 {
		return vals[0]
	}
	return vals
}

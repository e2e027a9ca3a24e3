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

// kartraLead pulls a contact from Kartra's API (get_lead by email): its
// fields as Kartra names them (first_name, last_name, …), its tags as a
// list, custom fields as custom_fields[identifier]. Kartra answers
// {"status":"Success","lead_details":{…}} or {"status":"Error","message":…}.
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
		Status      string         `json:"status"`
		Message     string         `json:"message"`
		LeadDetails map[string]any `json:"lead_details"`
	}
	if err := json.Unmarshal(body, &ans); err != nil {
		return nil, fmt.Errorf("kartra: unreadable answer: %w", err)
	}
	if !strings.EqualFold(ans.Status, "Success") {
		if strings.Contains(strings.ToLower(ans.Message), "not found") || strings.Contains(strings.ToLower(ans.Message), "does not exist") {
			return nil, errKartraNoLead
		}
		return nil, fmt.Errorf("kartra: %s", ans.Message)
	}
	out := mapping.Fields{}
	for k, v := range ans.LeadDetails {
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
						out["custom_fields["+mapping.String(m["field_identifier"])+"]"] = m["field_value"]
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

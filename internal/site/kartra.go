package site

import (
	"strings"

	"gatehouse/internal/domain"
)

// KartraAPI is Kartra's API endpoint.
const KartraAPI = "https://app.kartra.com/api"

// Kartra holds the site's Kartra API credentials, with which WP Fusion's
// update and update_tags actions pull the contact's tags and fields from
// Kartra (seed 003: "update a user's tags and pull any new meta data from
// Kartra"). api_key and api_password are write-only: answers leave them
// out (credentialsSet says whether they are stored), an update that
// leaves both out keeps the stored ones, and a site saved without a kartra
// object has none.
type Kartra struct {
	AppID          string `json:"app_id"`
	APIKey         string `json:"api_key,omitempty"`
	APIPassword    string `json:"api_password,omitempty"`
	APIURL         string `json:"apiUrl,omitempty"` // default KartraAPI
	CredentialsSet bool   `json:"credentialsSet"`
}

// Configured reports whether the site can call Kartra.
func (k *Kartra) Configured() bool {
	return k != nil && k.AppID != "" && k.APIKey != "" && k.APIPassword != ""
}

// URL is the API endpoint to call.
func (k *Kartra) URL() string {
	if k.APIURL != "" {
		return k.APIURL
	}
	return KartraAPI
}

// Scrubbed is the site as answers show it: write-only values left out.
func (s Site) Scrubbed() Site {
	if s.Kartra != nil {
		k := *s.Kartra
		k.CredentialsSet = k.APIKey != "" && k.APIPassword != ""
		k.APIKey, k.APIPassword = "", ""
		s.Kartra = &k
	}
	return s
}

// KeepSecrets fills the write-only values an update left out (both
// empty) from the stored site.
func (s *Site) KeepSecrets(stored Site) {
	if s.Kartra == nil || stored.Kartra == nil {
		return
	}
	if s.Kartra.APIKey == "" && s.Kartra.APIPassword == "" {
		s.Kartra.APIKey, s.Kartra.APIPassword = stored.Kartra.APIKey, stored.Kartra.APIPassword
	}
}

func (k *Kartra) validate() []domain.FieldError {
	var errs []domain.FieldError
	if k == nil {
		return nil
	}
	if (k.APIKey != "" || k.APIPassword != "") && (k.AppID == "" || k.APIKey == "" || k.APIPassword == "") {
		errs = append(errs, domain.FieldError{Field: "kartra", Message: "app_id, api_key and api_password go together"})
	}
	if k.APIURL != "" && !strings.HasPrefix(k.APIURL, "https://") && !strings.HasPrefix(k.APIURL, "http://") {
		errs = append(errs, domain.FieldError{Field: "kartra.apiUrl", Message: "must be an http(s) URL"})
	}
	return errs
}

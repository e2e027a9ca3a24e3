package mapping

import (
	"slices"

	"gatehouse/internal/domain"
	"gatehouse/internal/site"
)

// languageKey is the webhook field holding the language: the fieldsMapping
// entry mapped to the user object's "language", else "language".
func languageKey(s *site.Site) string {
	for _, fm := range s.Registration.FieldsMapping {
		if fm.UserObjectKey == "language" {
			return fm.WebhookKey
		}
	}
	return "language"
}

// MappedKeys are the webhook keys the site's settings name: the mandatory
// three, every fieldsMapping key and the language field. They are read
// whatever postContentJsonRegInfoKeys lists.
func MappedKeys(s *site.Site) []string {
	m := s.Registration.MandatoryFieldsMapping
	keys := []string{m.EmailWebhookKey, m.FirstNameWebhookKey, m.LastNameWebhookKey, languageKey(s)}
	for _, fm := range s.Registration.FieldsMapping {
		keys = append(keys, fm.WebhookKey)
	}
	return keys
}

// MissingFields lists the fieldsMapping keys absent from the payload that
// optionalFields does not excuse, in the settings' order. The seed: "All
// items configured here must be included in the payload". A key sent with
// an empty value is included.
func MissingFields(s *site.Site, f Fields) []string {
	var missing []string
	for _, fm := range s.Registration.FieldsMapping {
		if _, ok := f[fm.WebhookKey]; !ok && !slices.Contains(s.Registration.OptionalFields, fm.WebhookKey) {
			missing = append(missing, fm.WebhookKey)
		}
	}
	return missing
}

// kartraNames are Kartra's own names for the mandatory fields (after
// UnwrapLead: lead[first_name] is first_name).
var kartraNames = []string{"email", "first_name", "last_name"}

// KartraNames lets a WP Fusion call use Kartra's field names without
// configuration: when the site's mandatory key is absent, Kartra's
// email, first_name and last_name fill it (and are not kept twice).
func KartraNames(s *site.Site, f Fields) Fields {
	m := s.Registration.MandatoryFieldsMapping
	for i, key := range []string{m.EmailWebhookKey, m.FirstNameWebhookKey, m.LastNameWebhookKey} {
		kartra := kartraNames[i]
		if _, has := f[key]; has || key == kartra {
			continue
		}
		if v, ok := f[kartra]; ok {
			f[key] = v
			delete(f, kartra)
		}
	}
	return f
}

// ValidateContact is Validate with the names optional: a contact is an
// email (WP Fusion creates users from an email alone).
func ValidateContact(s *site.Site, r Registrant) []domain.FieldError {
	m := s.Registration.MandatoryFieldsMapping
	var out []domain.FieldError
	for _, e := range Validate(s, r) {
		if e.Message == "is required" && (e.Field == m.FirstNameWebhookKey || e.Field == m.LastNameWebhookKey) {
			continue
		}
		out = append(out, e)
	}
	return out
}
